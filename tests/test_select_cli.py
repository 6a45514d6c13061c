"""``lanewarden select``: the plugin's selection and its explanation, without running pytest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git
from scenario import PytestRepo as Project
from scenario import lanewarden
from test_selection_layouts import SRC_LAYOUT


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    project = Project(pytester)
    project.write(SRC_LAYOUT)
    project.commit()
    return project


MUL = {"src/calc/mul.py": "def mul(a, b):\n    return b * a\n"}


def test_select_lists_the_test_files_a_change_selects(project: Project) -> None:
    project.write(MUL)
    done = lanewarden(project.root, "select")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["tests/test_square.py", "tests/unit/test_mul.py"]


def test_select_explain_gives_the_chains_the_plugin_prints(project: Project) -> None:
    project.write(MUL)
    done = lanewarden(project.root, "select", "--explain")
    chains = done.stdout.splitlines()
    assert chains == [
        "tests/test_square.py (from helpers import square)"
        " → tests/helpers.py (uses calc.mul) → src/calc/mul.py",
        "tests/unit/test_mul.py (from calc.mul import mul) → src/calc/mul.py",
    ]
    result = project.run("--lw-changed", "--lw-explain")
    for chain in chains:
        assert f"lanewarden:   {chain}" in result.outlines


def test_select_json_is_one_object(project: Project) -> None:
    project.write(MUL)
    done = lanewarden(project.root, "select", "--explain", "--json")
    body = json.loads(done.stdout)
    assert body["ok"] is True
    assert body["changed"] == ["src/calc/mul.py"]
    assert body["full_suite"] is None
    assert body["tests"]["tests/unit/test_mul.py"] == (
        "tests/unit/test_mul.py (from calc.mul import mul) → src/calc/mul.py"
    )
    assert body["test_files"] == 3


def test_select_staged_and_since(project: Project) -> None:
    project.write(MUL)
    git(project.root, "add", "src/calc/mul.py")
    project.write({"src/calc/add.py": "def add(a, b):\n    return b + a\n"})
    staged = lanewarden(project.root, "select", "--staged")
    assert staged.stdout.splitlines() == ["tests/test_square.py", "tests/unit/test_mul.py"]
    project.commit("both")
    since = lanewarden(project.root, "select", "--since", "HEAD~1")
    assert since.stdout.splitlines() == [
        "tests/test_add.py",
        "tests/test_square.py",
        "tests/unit/test_mul.py",
    ]


def test_select_gate_names_the_untested_file(project: Project) -> None:
    project.write({"scripts/release.py": "print('release 2')\n"})
    plain = lanewarden(project.root, "select")
    assert plain.stdout.splitlines() == [
        "lanewarden: NO TEST REACHES scripts/release.py:"
        " no test imports it and no package holds it",
        "lanewarden: no test selected: the change maps to no tests",
    ]
    gate = json.loads(lanewarden(project.root, "select", "--gate", "--json").stdout)
    assert gate["full_suite"].startswith("scripts/release.py changed and no test reaches it")
    assert gate["untested"] == ["scripts/release.py"]


def test_select_outside_a_git_repository_is_bad_input(tmp_path: Path) -> None:
    done = lanewarden(tmp_path, "select", "--json")
    assert done.returncode == 2
    body = json.loads(done.stdout)
    assert body["ok"] is False
    assert "not a git repository" in json.dumps(body)


def test_why_not_says_what_an_unselected_test_imports(project: Project) -> None:
    project.write(MUL)
    done = lanewarden(
        project.root,
        "select",
        "--why-not",
        "tests/test_add.py",
        "--why-not",
        "tests/unit/test_mul.py",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "lanewarden: tests/test_add.py: not selected: no chain of imports reaches a changed file"
        " (uses calc.add), and no conftest.py or __init__.py above it changed or reaches one",
        "lanewarden: tests/unit/test_mul.py: selected:"
        " tests/unit/test_mul.py (from calc.mul import mul) → src/calc/mul.py",
    ]
    missing = lanewarden(project.root, "select", "--why-not", "tests/nope.py")
    assert missing.returncode == 2
    assert "no Python file of the repository" in missing.stderr
