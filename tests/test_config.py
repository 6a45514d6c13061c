from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lanewarden.adapters.config import load_config
from lanewarden.errors import InputError


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.mode == "single-branch"
    assert config.ledger == "PLAN.md"
    assert config.decision_registers == ("DECISIONS.md",)
    assert config.lock_ttl == timedelta(hours=1)
    assert config.source is None


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.lanewarden]\nmode = "worktrees"\nlock_ttl = "45m"\n'
        'hotspots = ["src/core.py"]\n'
    )
    config = load_config(tmp_path)
    assert config.mode == "worktrees"
    assert config.lock_ttl == timedelta(minutes=45)
    assert config.hotspots == ("src/core.py",)
    assert config.source == tmp_path / "pyproject.toml"


def test_lanewarden_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lanewarden]\nledger = "A.md"\n')
    (tmp_path / "lanewarden.toml").write_text('ledger = "B.md"\n')
    assert load_config(tmp_path).ledger == "B.md"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('colour = "red"', "unknown key 'colour'"),
        ('mode = "parallel"', "bad value for 'mode'"),
        ('lock_ttl = "soon"', "bad value for 'lock_ttl'"),
        ("hotspots = 3", "bad value for 'hotspots'"),
        ('ledger = "../PLAN.md"', "bad value for 'ledger'"),
        ('policy_file = "/etc/AGENTS.md"', "bad value for 'policy_file'"),
        ("autonomous = 1", "bad value for 'autonomous'"),
        ("decision_registers = []", "bad value for 'decision_registers'"),
        ('lock_ttl = "99999999999d"', "bad value for 'lock_ttl'.*at most 10 years"),
        ('target_branch = "-x"', "bad value for 'target_branch'.*not a valid branch"),
        ('target_branch = "a..b"', "bad value for 'target_branch'"),
        ('target_branch = "main branch"', "bad value for 'target_branch'"),
        ('ledger = "PLAN\\u0000.md"', "bad value for 'ledger'.*control characters"),
        ('policy_file = "AGENTS\\n.md"', "bad value for 'policy_file'"),
        ('heartbeat_stale_after = "3651d"', "bad value for 'heartbeat_stale_after'"),
    ],
)
def test_bad_keys_and_values_name_key_and_file(tmp_path: Path, body: str, words: str) -> None:
    (tmp_path / "lanewarden.toml").write_text(body + "\n")
    with pytest.raises(InputError, match=words) as caught:
        load_config(tmp_path)
    assert caught.value.path == str(tmp_path / "lanewarden.toml")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_bytes(b'mode = "single-branch"\n# caf\xe9\n')
    with pytest.raises(InputError, match="not valid UTF-8") as caught:
        load_config(tmp_path)
    assert caught.value.where() == f"{tmp_path / 'lanewarden.toml'}:2"


def test_toml_nested_too_deeply(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(tmp_path)


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lanewarden\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(tmp_path)


def test_the_cache_follows_the_file(tmp_path: Path) -> None:
    cache = tmp_path / "state" / "config.cache"
    (tmp_path / "pyproject.toml").write_text('[tool.lanewarden]\nlock_ttl = "45m"\n')
    assert load_config(tmp_path, cache=cache).lock_ttl == timedelta(minutes=45)
    assert cache.is_file()
    assert load_config(tmp_path, cache=cache).lock_ttl == timedelta(minutes=45)
    (tmp_path / "pyproject.toml").write_text('[tool.lanewarden]\nlock_ttl = "2h"\n')
    assert load_config(tmp_path, cache=cache).lock_ttl == timedelta(hours=2)
    (tmp_path / "lanewarden.toml").write_text('lock_ttl = "3h"\n')
    assert load_config(tmp_path, cache=cache).lock_ttl == timedelta(hours=3)
    (tmp_path / "lanewarden.toml").write_text('lock_ttl = "soon"\n')
    with pytest.raises(InputError, match="lock_ttl"):
        load_config(tmp_path, cache=cache)


def test_a_table_with_dates_is_read_each_time(tmp_path: Path) -> None:
    cache = tmp_path / "config.cache"
    (tmp_path / "lanewarden.toml").write_text("[gates]\nwhen = 2026-01-01\n")
    assert load_config(tmp_path, cache=cache).gates["when"].year == 2026
    assert not cache.exists()


@pytest.mark.parametrize("name", ["lanewarden.toml", "pyproject.toml"])
@pytest.mark.parametrize("kind", ["folder", "link loop", "dangling link"])
def test_a_config_that_is_no_file_is_refused(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    if kind == "folder":
        path.mkdir()
    elif kind == "link loop":
        path.symlink_to(name)
    else:
        path.symlink_to("nowhere.toml")
    with pytest.raises(InputError, match="not a readable file") as caught:
        load_config(tmp_path)
    assert caught.value.path == str(path)
