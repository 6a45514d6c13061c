"""End-to-end tests of the pytest plugin: real git repositories, real pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git
from scenario import QUIET
from scenario import PytestRepo as Project

TEST = "def test_{0}():\n    pass\n"

MONOREPO = {
    "packages/alpha/pyproject.toml": "[project]\nname = 'alpha'\n",
    "packages/alpha/src/alpha/__init__.py": "",
    "packages/alpha/src/alpha/core.py": "def double(x):\n    return 2 * x\n",
    "packages/alpha/tests/test_alpha.py": TEST.format("alpha"),
    "packages/beta/pyproject.toml": "[project]\nname = 'beta'\n",
    "packages/beta/src/beta/__init__.py": "",
    "packages/beta/src/beta/use.py": "from alpha.core import double\n",
    "packages/beta/tests/test_beta.py": TEST.format("beta"),
    "packages/gamma/pyproject.toml": "[project]\nname = 'gamma'\n",
    "packages/gamma/src/gamma/__init__.py": "",
    "packages/gamma/tests/test_gamma.py": TEST.format("gamma"),
    "docs/index.md": "# docs\n",
}

LIBRARY = {
    "lib/__init__.py": "from .sub1 import func1\nfrom .sub2 import func2\nfrom . import sub3\n",
    "lib/sub1/__init__.py": "from .core import func1\n",
    "lib/sub1/core.py": "def func1():\n    return 1\n",
    "lib/sub1/tests/test_sub1.py": TEST.format("sub1"),
    "lib/sub2/__init__.py": "from .core import func2\n",
    "lib/sub2/core.py": "import lib as l\n\ndef func2():\n    return l.func1() + 1\n",
    "lib/sub2/tests/test_sub2.py": TEST.format("sub2"),
    "lib/sub3/__init__.py": "import lib as l\n\ndef func3():\n    return l.func2()\n",
    "lib/sub3/tests/test_sub3.py": TEST.format("sub3"),
    "lib/sub4/__init__.py": "import lib\n\ndef func4():\n    return lib.sub3.func3\n",
    "lib/sub4/tests/test_sub4.py": TEST.format("sub4"),
}


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


@pytest.fixture
def monorepo(project: Project) -> Project:
    project.write(MONOREPO)
    project.commit()
    return project


def selected(result: pytest.RunResult) -> set[str]:
    """Names of the tests that passed."""
    return {
        line.split("::")[1].split()[0]
        for line in result.outlines
        if "::" in line and "PASSED" in line
    }


def test_inert_outside_a_git_repository(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TEST.format("a"))
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert "lanewarden:" not in result.stdout.str()


def test_an_option_outside_a_git_repository_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TEST.format("a"))
    result = pytester.runpytest(*QUIET, "--lw-changed")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lanewarden: *not a git repository*"])


def test_changed_package_and_its_dependents_are_selected(monorepo: Project) -> None:
    monorepo.write({"packages/alpha/src/alpha/core.py": "def double(x):\n    return x + x\n"})
    result = monorepo.run("--lw-changed", "-v")
    assert result.ret == 0
    assert selected(result) == {"test_alpha", "test_beta"}
    result.stdout.fnmatch_lines(
        [
            "lanewarden: touched packages: alpha (1 file)",
            "lanewarden: selected test files: 2 of 3 (--lw-explain shows why)",
            "lanewarden: 2 tests selected, 0 deselected, 2 test files or folders not collected"
            " for 1 changed file; `--lw-explain` for why",
            "lanewarden: not collected: packages/gamma/, *",
        ]
    )
    explained = monorepo.run("--lw-changed", "--lw-explain")
    # Neither test imports anything: each follows its package, beta through its use.py.
    explained.stdout.fnmatch_lines(
        [
            "lanewarden:   packages/beta/tests/test_beta.py (imports nothing of the project;"
            " it is a test of beta) → packages/beta/src/beta/use.py",
        ]
    )


def test_no_dependents_keeps_only_the_touched_package(monorepo: Project) -> None:
    monorepo.write({"packages/alpha/src/alpha/core.py": "X = 1\n"})
    result = monorepo.run("--lw-changed", "--lw-no-dependents", "-v")
    assert selected(result) == {"test_alpha"}


def test_a_change_to_a_test_of_the_distribution_selects_its_package(monorepo: Project) -> None:
    monorepo.write({"packages/gamma/tests/test_gamma.py": TEST.format("gamma_new")})
    result = monorepo.run("--lw-changed", "-v")
    assert selected(result) == {"test_gamma_new"}


def test_untracked_file_counts_as_changed(monorepo: Project) -> None:
    monorepo.write({"packages/gamma/src/gamma/new.py": "X = 1\n"})
    result = monorepo.run("--lw-changed", "-v")
    assert selected(result) == {"test_gamma"}


def test_docs_only_change_selects_nothing_and_exits_zero(monorepo: Project) -> None:
    monorepo.write({"docs/index.md": "# more docs\n"})
    result = monorepo.run("--lw-changed")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "lanewarden: changed outside every package: docs/index.md",
            "lanewarden: no test selected: the change maps to no tests",
            "lanewarden: no tests selected for this change; nothing to run",
        ]
    )


@pytest.mark.parametrize("trigger", ["pyproject.toml", "conftest.py", "requirements-dev.txt"])
def test_whole_suite_trigger_runs_everything_and_says_why(monorepo: Project, trigger: str) -> None:
    monorepo.write({trigger: "# changed\n"})
    result = monorepo.run("--lw-changed", "-v")
    assert selected(result) == {"test_alpha", "test_beta", "test_gamma"}
    result.stdout.fnmatch_lines([f"lanewarden: running every test: {trigger} changed*"])


def test_configured_trigger_glob(monorepo: Project) -> None:
    monorepo.write({"lanewarden.toml": 'full_suite_triggers = ["docs/"]\n'})
    monorepo.commit()
    monorepo.write({"docs/index.md": "# changed\n"})
    result = monorepo.run("--lw-changed", "-v")
    assert selected(result) == {"test_alpha", "test_beta", "test_gamma"}
    result.stdout.fnmatch_lines(["lanewarden: running every test: docs/index.md changed*"])


def test_conftest_inside_a_package_selects_that_package(monorepo: Project) -> None:
    monorepo.write({"packages/gamma/tests/conftest.py": "# fixtures\n"})
    result = monorepo.run("--lw-changed", "-v")
    assert selected(result) == {"test_gamma"}


def test_staged_and_unstaged_changes(monorepo: Project) -> None:
    monorepo.write({"packages/gamma/src/gamma/__init__.py": "X = 1\n"})
    git(monorepo.root, "add", "packages/gamma")
    monorepo.write({"packages/beta/src/beta/__init__.py": "Y = 1\n"})
    assert selected(monorepo.run("--lw-staged", "-v")) == {"test_gamma"}
    assert selected(monorepo.run("--lw-changed", "-v")) == {"test_gamma", "test_beta"}


def test_rename_selects_both_sides(monorepo: Project) -> None:
    git(monorepo.root, "mv", "packages/beta/src/beta/use.py", "packages/gamma/src/gamma/use.py")
    result = monorepo.run("--lw-staged", "--lw-no-dependents", "-v")
    assert selected(result) == {"test_beta", "test_gamma"}


def test_deletion_selects_the_package_and_its_importers(monorepo: Project) -> None:
    git(monorepo.root, "rm", "-q", "packages/alpha/src/alpha/core.py")
    result = monorepo.run("--lw-staged", "-v")
    assert selected(result) == {"test_alpha", "test_beta"}


def test_since_a_ref_uses_the_merge_base(monorepo: Project) -> None:
    git(monorepo.root, "switch", "-q", "-c", "feature")
    monorepo.write({"packages/gamma/src/gamma/__init__.py": "X = 1\n"})
    monorepo.commit("feature work")
    git(monorepo.root, "switch", "-q", "main")
    monorepo.write({"packages/beta/src/beta/__init__.py": "Y = 1\n"})
    monorepo.commit("main moves on")
    git(monorepo.root, "switch", "-q", "feature")
    result = monorepo.run("--lw-since", "main", "-v")
    assert selected(result) == {"test_gamma"}
    result.stdout.fnmatch_lines(["lanewarden: selection: since main"])


def test_since_an_unknown_ref_is_a_usage_error(monorepo: Project) -> None:
    result = monorepo.run("--lw-since", "no-such-branch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown revision 'no-such-branch'*"])


def test_named_package(monorepo: Project) -> None:
    result = monorepo.run("--lw-package", "gamma", "-v")
    assert selected(result) == {"test_gamma"}
    result.stdout.fnmatch_lines(["*gamma: named with --lw-package"])


def test_unknown_package_lists_the_known_ones(monorepo: Project) -> None:
    result = monorepo.run("--lw-package", "delta")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown package 'delta'; known packages: alpha, beta, gamma*"])


def test_bad_gate_name_is_a_usage_error(monorepo: Project) -> None:
    result = monorepo.run("--lw-gate", "../x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_src_layout_with_tests_named_after_the_package(project: Project) -> None:
    project.write(
        {
            "pyproject.toml": "[project]\nname = 'shop'\n",
            "src/shop/__init__.py": "",
            "src/shop/cart.py": "",
            "src/billing/__init__.py": "",
            "tests/test_shop_cart.py": TEST.format("cart"),
            "tests/billing/test_invoice.py": TEST.format("invoice"),
        }
    )
    project.commit()
    project.write({"src/shop/cart.py": "X = 1\n"})
    assert selected(project.run("--lw-changed", "-v")) == {"test_cart"}
    assert selected(project.run("--lw-package", "billing", "-v")) == {"test_invoice"}


def test_reexporting_root_does_not_make_everything_depend_on_everything(
    project: Project,
) -> None:
    project.write(LIBRARY)
    project.commit()
    project.write({"lib/sub2/core.py": "import lib as l\n\ndef func2():\n    return 3\n"})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    # sub3 calls l.func2 (defined in sub2); sub4 uses lib.sub3, which reaches sub2.
    assert selected(result) == {"test_sub2", "test_sub3", "test_sub4"}
    result.stdout.fnmatch_lines(
        [
            "lanewarden:   lib/sub3/tests/test_sub3.py (imports nothing of the project; it is a"
            " test of lib.sub3) → lib/sub3/__init__.py",
        ]
    )


def test_reexporting_root_leaf_change(project: Project) -> None:
    project.write(LIBRARY)
    project.commit()
    project.write({"lib/sub4/__init__.py": "def func4():\n    return 4\n"})
    assert selected(project.run("--lw-changed", "-v")) == {"test_sub4"}


def tree_of_work_tree(root: Path, tmp: Path) -> str:
    """The oracle: git add -A into a fresh temporary index, then git write-tree."""
    index = {"GIT_INDEX_FILE": str(tmp / "oracle-index")}
    git(root, "add", "-A", env=index)
    return git(root, "write-tree", env=index).strip()


def test_gate_evidence_names_the_tree_tested(monorepo: Project, tmp_path: Path) -> None:
    monorepo.write({"packages/gamma/src/gamma/__init__.py": "X = 1\n", "notes.txt": "new\n"})
    git(monorepo.root, "add", "notes.txt")
    index_before = (monorepo.root / ".git" / "index").read_bytes()
    result = monorepo.run("--lw-changed", "--lw-gate", "2")
    assert result.ret == 0
    assert (monorepo.root / ".git" / "index").read_bytes() == index_before
    [record] = monorepo.evidence()
    assert record["tree"] == tree_of_work_tree(monorepo.root, tmp_path)
    assert record["status"] == "passed"
    assert record["gate"] == "2"
    assert record["version"] == 1
    assert record["head"] == git(monorepo.root, "rev-parse", "HEAD").strip()
    assert record["packages"] == ["gamma"]
    assert record["counts"] == {"passed": 1, "deselected": 0}
    assert record["selection"]["not_collected"] == 2  # type: ignore[index]
    assert record["touched_files"] == ["notes.txt", "packages/gamma/src/gamma/__init__.py"]
    result.stdout.fnmatch_lines(["lanewarden: gate 2 passed; evidence: *"])


def test_failing_run_is_recorded_as_failed(
    monorepo: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANEWARDEN_LANE", "L-007")
    monorepo.write({"packages/gamma/tests/test_gamma.py": "def test_gamma():\n    assert False\n"})
    result = monorepo.run("--lw-changed", "--lw-gate", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [record] = monorepo.evidence()
    assert record["status"] == "failed"
    assert record["exit_status"] == 1
    assert record["lane"] == "L-007"
    assert record["counts"] == {"failed": 1, "deselected": 0}


def test_gate_without_selection_runs_everything(monorepo: Project) -> None:
    result = monorepo.run("--lw-gate", "3")
    result.assert_outcomes(passed=3)
    [record] = monorepo.evidence()
    assert record["selection"]["full_suite"] == "no selection option given"  # type: ignore[index]
    assert record["packages"] == ["alpha", "beta", "gamma"]


def test_xdist_selects_the_same_tests_and_writes_one_record(monorepo: Project) -> None:
    monorepo.write({"packages/alpha/src/alpha/core.py": "X = 1\n"})
    result = monorepo.pytester.runpytest_subprocess(
        *QUIET, "-n", "2", "-v", "--lw-changed", "--lw-gate", "2"
    )
    assert result.ret == 0
    assert selected(result) == {"test_alpha", "test_beta"}
    [record] = monorepo.evidence()
    assert record["counts"] == {"passed": 2, "deselected": 0}
    assert record["selection"]["not_collected"] == 2  # type: ignore[index]
    assert record["packages"] == ["alpha", "beta"]
