"""Whole-suite triggers: configured globs add to the defaults unless they replace them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanewarden.adapters.config import DEFAULT_FULL_SUITE_TRIGGERS, load_config
from lanewarden.errors import InputError
from scenario import PytestRepo as Project


def test_configured_triggers_add_to_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text('full_suite_triggers = ["docs/", "/tox.ini"]\n')
    config = load_config(tmp_path)
    assert config.full_suite_triggers == (*DEFAULT_FULL_SUITE_TRIGGERS, "docs/")
    assert not config.full_suite_triggers_replace


def test_replace_drops_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text(
        'full_suite_triggers = ["docs/"]\nfull_suite_triggers_replace = true\n'
    )
    assert load_config(tmp_path).full_suite_triggers == ("docs/",)


def test_replace_alone_leaves_no_trigger(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text("full_suite_triggers_replace = true\n")
    assert load_config(tmp_path).full_suite_triggers == ()


def test_a_table_without_triggers_keeps_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text('target_branch = "trunk"\n')
    assert load_config(tmp_path).full_suite_triggers == DEFAULT_FULL_SUITE_TRIGGERS


def test_replace_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "lanewarden.toml").write_text('full_suite_triggers_replace = "yes"\n')
    with pytest.raises(InputError, match="full_suite_triggers_replace"):
        load_config(tmp_path)


PROJECT = {
    "shop/__init__.py": "",
    "shop/tests/test_shop.py": "def test_shop():\n    pass\n",
    "tools/__init__.py": "",
    "tools/tests/test_tools.py": "def test_tools():\n    pass\n",
    "docs/index.md": "# docs\n",
    "pyproject.toml": "[project]\nname = 'shop'\n",
}


@pytest.mark.parametrize(
    ("config", "everything"),
    [
        ('full_suite_triggers = ["docs/"]\n', True),
        ('full_suite_triggers = ["docs/"]\nfull_suite_triggers_replace = true\n', False),
    ],
)
def test_a_changed_pyproject_still_runs_everything_after_adding_a_trigger(
    pytester: pytest.Pytester, config: str, everything: bool
) -> None:
    project = Project(pytester)
    project.write({**PROJECT, "lanewarden.toml": config})
    project.commit()
    project.write({"pyproject.toml": "[project]\nname = 'shop'\nversion = '2'\n"})
    result = project.run("--lw-changed", "-v")
    if everything:
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["lanewarden: running every test: pyproject.toml changed*"])
    else:
        result.assert_outcomes()  # nothing selected: the defaults were dropped on purpose
    project.write({"docs/index.md": "# changed\n"})
    project.run("--lw-changed", "-q").assert_outcomes(passed=2)
