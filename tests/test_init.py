"""``lanewarden init``: scaffolding that never loses a user's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, git, write
from lanewarden.domain.policies.builtin import BUILTIN_IDS
from scenario import lanewarden

OWN_WORDS = (Path(__file__).parent / "data" / "agents_own_words.md").read_text()


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold")


def test_init_scaffolds_a_fresh_repository(repo: Path, cli: Cli) -> None:
    result = cli(repo, "init", "--json")
    assert result.code == 0
    assert result.json == {
        "ok": True,
        "created": ["lanewarden.toml", "PLAN.md", "DECISIONS.md", "AGENTS.md"],
        "changed": [],
        "appended_policies": list(BUILTIN_IDS),
    }
    assert (repo / "AGENTS.md").read_text().startswith("# Agent policy\n")
    assert "| lock_id | owner | scope |" in (repo / "PLAN.md").read_text()
    assert 'ledger = "PLAN.md"' in (repo / "lanewarden.toml").read_text()


def test_init_then_commit_then_bootstrap_passes(repo: Path) -> None:
    done = lanewarden(repo, "init")
    assert done.returncode == 0, done.stderr
    assert "next: review AGENTS.md" in done.stdout
    commit_all(repo)
    done = lanewarden(repo, "bootstrap")
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    "user_text",
    [
        "# Our rules\n\nBe kind to the build. ünïcödé\n",
        "# No trailing newline\n\ntext",
        "# Windows\r\n\r\nline one\r\nline two\r\n",
        "\ufeff# With a byte order mark\n",
    ],
    ids=["plain", "no-final-newline", "crlf", "bom"],
)
def test_the_users_text_survives_byte_for_byte(repo: Path, cli: Cli, user_text: str) -> None:
    original = user_text.encode("utf-8")
    (repo / "AGENTS.md").write_bytes(original)
    assert cli(repo, "init").code == 0
    after = (repo / "AGENTS.md").read_bytes()
    assert after.startswith(original)
    assert after.count(b"## Lock ownership rules") == 1
    if b"\r\n" in original:
        assert b"\n" not in after.replace(b"\r\n", b"")
    commit_all(repo)
    assert cli(repo, "bootstrap").code == 0


def test_init_twice_changes_nothing(repo: Path, cli: Cli) -> None:
    write(repo, "AGENTS.md", "# Mine\n\n## Locks\n\nNo edits outside your lock scope.\n")
    assert cli(repo, "init").code == 0
    before = snapshot(repo)
    result = cli(repo, "init", "--json")
    assert result.json == {"ok": True, "created": [], "changed": [], "appended_policies": []}
    assert snapshot(repo) == before
    assert "nothing to do" in cli(repo, "init").out


def test_only_missing_policies_are_appended(repo: Path, cli: Cli) -> None:
    write(repo, "AGENTS.md", OWN_WORDS)
    result = cli(repo, "init", "--json")
    assert result.json["appended_policies"] == []
    assert (repo / "AGENTS.md").read_text() == OWN_WORDS
    cut = OWN_WORDS.index("## Hand-over")
    write(repo, "AGENTS.md", OWN_WORDS[:cut])
    result = cli(repo, "init", "--json")
    assert result.json["appended_policies"] == ["handoff-evidence"]
    assert result.json["changed"] == ["AGENTS.md"]


def test_a_users_pyproject_is_never_edited(repo: Path, cli: Cli) -> None:
    pyproject = '[project]\nname = "x"  # keep this comment\n'
    write(repo, "pyproject.toml", pyproject)
    assert "lanewarden.toml" in cli(repo, "init", "--json").json["created"]
    assert (repo / "pyproject.toml").read_text() == pyproject


def test_existing_configuration_is_kept(repo: Path, cli: Cli) -> None:
    write(repo, "pyproject.toml", '[tool.lanewarden]\nledger = "ops/LEDGER.md"\n')
    result = cli(repo, "init", "--json")
    assert result.json["created"] == ["ops/LEDGER.md", "DECISIONS.md", "AGENTS.md"]
    assert not (repo / "lanewarden.toml").exists()
    assert "`ops/LEDGER.md`" in (repo / "AGENTS.md").read_text()
    commit_all(repo)
    assert cli(repo, "bootstrap").code == 0


def test_a_ledger_without_a_lock_table_gets_one(repo: Path, cli: Cli) -> None:
    plan = "# Plan\n\nOur own notes.\n"
    write(repo, "PLAN.md", plan)
    write(repo, "DECISIONS.md", "# Decisions\n")
    result = cli(repo, "init", "--json")
    assert result.json["changed"] == ["PLAN.md"]
    text = (repo / "PLAN.md").read_text()
    assert text.startswith(plan)
    assert (repo / "DECISIONS.md").read_text() == "# Decisions\n"
    commit_all(repo)
    assert cli(repo, "bootstrap").code == 0


def test_an_undeclared_split_gets_a_declaration(repo: Path, cli: Cli) -> None:
    write(repo, "pyproject.toml", '[tool.lanewarden]\nhotspots = ["setup.py"]\n')
    own = OWN_WORDS.replace("`PLAN.md` is our", "The plan is our").replace("`DECISIONS.md`", "ADRs")
    write(repo, "AGENTS.md", own)
    result = cli(repo, "init", "--json")
    assert result.json["appended_policies"] == ["worklog-split"]
    assert (repo / "AGENTS.md").read_text().startswith(own)
    assert "## Worklog split" in (repo / "AGENTS.md").read_text()
    commit_all(repo)
    assert cli(repo, "bootstrap").code == 0


def test_a_disabled_policy_is_not_appended(repo: Path, cli: Cli) -> None:
    write(repo, "lanewarden.toml", '[policies]\ndisable = { context7 = "offline lab" }\n')
    result = cli(repo, "init", "--json")
    assert "context7" not in result.json["appended_policies"]
    assert "Context7" not in (repo / "AGENTS.md").read_text()


def test_a_non_utf8_policy_file_is_left_alone(repo: Path, cli: Cli) -> None:
    (repo / "AGENTS.md").write_bytes(b"caf\xe9\n")
    result = cli(repo, "init")
    assert result.code == 2
    assert "AGENTS.md:1: policy file is not valid UTF-8" in result.err
    assert (repo / "AGENTS.md").read_bytes() == b"caf\xe9\n"
    assert not (repo / "PLAN.md").exists()
    assert not (repo / "lanewarden.toml").exists()


@pytest.mark.parametrize(
    ("user_text", "line"),
    [("# Mine\n\n```\nunclosed fence\n", 3), ("# Mine\n\n<!-- a comment\nnever closed\n", 3)],
    ids=["fence", "html-comment"],
)
def test_a_file_ending_in_an_open_block_is_refused(
    repo: Path, cli: Cli, user_text: str, line: int
) -> None:
    write(repo, "AGENTS.md", user_text)
    result = cli(repo, "init")
    assert result.code == 2
    assert f"AGENTS.md:{line}: text appended here would not be read" in result.err
    assert (repo / "AGENTS.md").read_text() == user_text


def test_a_ledger_ending_in_an_open_fence_is_refused(repo: Path, cli: Cli) -> None:
    write(repo, "PLAN.md", "# Plan\n\n~~~\nopen\n")
    result = cli(repo, "init")
    assert result.code == 2
    assert "PLAN.md:3: a lock table appended here would not be read" in result.err


def test_concurrent_inits_append_each_section_once(repo: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lanewarden.adapters.git import Repo
    from lanewarden.cli.init import scaffold

    write(repo, "AGENTS.md", "# Ours\n")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: scaffold(Repo.discover(repo)), range(4)))
    assert sorted(len(r.appended) for r in results) == [0, 0, 0, 9]
    text = (repo / "AGENTS.md").read_text()
    assert text.startswith("# Ours\n")
    assert text.count("## Lock ownership rules") == 1
