"""A passing gate record only from the run the gate defines: real pytest, real git.

Each test here tries one way to get a "passed" record out of a run that
tested less than the gate's suite (or tested content that is not the tree's),
and checks that the record says ``narrowed`` or ``failed``, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git
from scenario import QUIET, PytestRepo

FAILING_SUITE = {
    "pyproject.toml": (
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\nmarkers = ["slow: a slow test"]\n'
    ),
    "tests/test_a.py": (
        "import pytest\n\n"
        "def test_ok():\n    pass\n\n"
        "def test_fail():\n    assert False\n\n"
        "@pytest.mark.slow\ndef test_slow():\n    pass\n"
    ),
    "tests/test_b.py": "def test_b():\n    pass\n",
}

DESELECTING_PLUGIN = (
    "def pytest_collection_modifyitems(config, items):\n"
    "    drop = [i for i in items if 'fail' in i.name]\n"
    "    items[:] = [i for i in items if i not in drop]\n"
    "    config.hook.pytest_deselected(items=drop)\n"
)


@pytest.fixture
def failing(pytester: pytest.Pytester) -> PytestRepo:
    """A committed suite whose whole run fails (test_fail)."""
    project = PytestRepo(pytester)
    project.write(FAILING_SUITE)
    project.commit()
    return project


def latest(project: PytestRepo) -> dict[str, object]:
    records = project.evidence()
    assert records, "no evidence was recorded"
    return records[-1]


def reasons(record: dict[str, object]) -> str:
    found = record["reasons"]
    assert isinstance(found, list)
    return "\n".join(found)


# (the extra arguments, the status recorded, a fragment of the reason)
NARROWING = [
    (["-k", "not test_fail"], "narrowed", "-k 'not test_fail' runs part"),
    (["tests/test_a.py::test_ok"], "narrowed", "node id 'tests/test_a.py::test_ok'"),
    (["tests/test_b.py"], "narrowed", "leave out configured test paths: tests"),
    (["--collect-only"], "narrowed", "--collect-only runs part"),
    (["--co"], "narrowed", "--collect-only runs part"),
    (["-m", "slow"], "narrowed", "-m 'slow' runs part"),
    (["--deselect", "tests/test_a.py::test_fail"], "narrowed", "--deselect"),
    (["--ignore", "tests/test_a.py"], "narrowed", "--ignore"),
    (["--lf"], "failed", "--lf runs part"),
    (["--ff"], "failed", "--ff runs part"),
    (["--sw"], "failed", "--sw runs part"),
    (["-x"], "failed", "stopped early"),
    (["--maxfail", "1"], "failed", "stopped early"),
    (["--lw-changed"], "narrowed", "gate 3 is the whole suite: --lw-changed selects part"),
]


@pytest.mark.parametrize(("args", "status", "reason"), NARROWING, ids=lambda v: str(v))
def test_a_narrowed_gate_3_run_never_records_a_pass(
    failing: PytestRepo, args: list[str], status: str, reason: str
) -> None:
    uses_cache = any(a in ("--lf", "--ff", "--sw") for a in args)
    options = ("-p", "no:hypothesispytest") if uses_cache else QUIET
    result = failing.pytester.runpytest(*options, "--lw-gate", "3", *args)
    record = latest(failing)
    assert record["status"] == status, reasons(record)
    assert reason in reasons(record)
    result.stdout.fnmatch_lines([f"lanewarden: gate 3 {status}; evidence: *"])


def test_the_whole_failing_suite_records_failed(failing: PytestRepo) -> None:
    failing.run("--lw-gate", "3")
    record = latest(failing)
    assert record["status"] == "failed"
    assert record["failures"] == ["tests/test_a.py::test_fail"]


@pytest.mark.parametrize("args", [[], ["tests"], ["."]], ids=["testpaths", "same path", "root"])
def test_the_whole_passing_suite_records_passed(failing: PytestRepo, args: list[str]) -> None:
    failing.write({"tests/test_a.py": "def test_ok():\n    pass\n"})
    failing.commit()
    result = failing.run("--lw-gate", "3", *args)
    assert result.ret == 0
    record = latest(failing)
    assert record["status"] == "passed", reasons(record)
    assert record["reasons"] == []
    run = record["run"]
    assert isinstance(run, dict)
    assert run["testpaths"] == ["tests"]
    assert run["rootdir"] == str(failing.root)


def test_the_configured_marker_expression_is_the_configured_suite(failing: PytestRepo) -> None:
    failing.write(
        {
            "pyproject.toml": FAILING_SUITE["pyproject.toml"] + "addopts = \"-m 'not slow'\"\n",
            "tests/test_a.py": FAILING_SUITE["tests/test_a.py"].replace("assert False", "pass"),
        }
    )
    failing.commit()
    result = failing.run("--lw-gate", "3")
    assert result.ret == 0
    record = latest(failing)
    assert record["status"] == "passed", reasons(record)
    assert record["counts"] == {"passed": 3, "deselected": 1}


def test_a_deselecting_plugin_is_narrowing(failing: PytestRepo) -> None:
    failing.write({"tests/conftest.py": DESELECTING_PLUGIN})
    failing.commit()
    result = failing.run("--lw-gate", "3")
    assert result.ret == 0  # the only failing test was deselected
    record = latest(failing)
    assert record["status"] == "narrowed"
    assert "1 test(s) deselected by an option or plugin (tests/test_a.py::test_fail)" in reasons(
        record
    )


def test_a_collection_error_is_failed(failing: PytestRepo) -> None:
    failing.write({"tests/test_a.py": "def test_ok(:\n", "tests/test_c.py": "import nowhere\n"})
    failing.run("--lw-gate", "3", "--continue-on-collection-errors")
    record = latest(failing)
    assert record["status"] == "failed"
    assert "2 collection error(s)" in reasons(record)


def test_a_git_ignored_conftest_that_skips_everything_records_no_pass(
    failing: PytestRepo,
) -> None:
    failing.write(
        {
            ".gitignore": "__pycache__/\n*.pyc\ntests/conftest.py\n",
            "tests/conftest.py": (
                "import pytest\n\n"
                "def pytest_collection_modifyitems(items):\n"
                "    for item in items:\n"
                "        item.add_marker(pytest.mark.skip(reason='hidden'))\n"
            ),
        }
    )
    failing.commit()
    assert "conftest.py" not in git(failing.root, "ls-files")
    result = failing.run("--lw-gate", "3")
    assert result.ret == 0  # every test skipped: pytest itself is happy
    record = latest(failing)
    assert record["status"] == "narrowed"
    assert "tests/conftest.py is ignored by git" in reasons(record)
    result.stdout.fnmatch_lines(["lanewarden: gate 3 NARROWED, no passing evidence:"])


def test_a_plugin_module_from_outside_the_repository_records_no_pass(
    failing: PytestRepo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    failing.write({"tests/test_a.py": "def test_ok():\n    pass\n"})
    failing.commit()
    outside = tmp_path_factory.mktemp("outside")
    (outside / "helper_plugin.py").write_text("def pytest_report_header():\n    return 'hi'\n")
    failing.pytester.syspathinsert(outside)
    failing.run("--lw-gate", "3", "-p", "helper_plugin")
    record = latest(failing)
    assert record["status"] == "narrowed"
    assert f"{outside / 'helper_plugin.py'} was loaded from outside the repository" in reasons(
        record
    )


def test_counts_are_the_terminal_summarys(failing: PytestRepo) -> None:
    failing.write(
        {
            "tests/test_a.py": "import pytest\n\ndef test_s():\n    pytest.skip('no')\n",
            "tests/test_skipped_module.py": (
                "import pytest\n\npytest.skip('whole module', allow_module_level=True)\n"
            ),
            "tests/test_x.py": (
                "import pytest\n\n@pytest.mark.xfail\ndef test_x():\n    assert False\n"
            ),
        }
    )
    failing.commit()
    result = failing.run("--lw-gate", "3")
    outcomes = result.parseoutcomes()
    record = latest(failing)
    assert outcomes == {"passed": 1, "skipped": 2, "xfailed": 1}
    assert record["counts"] == {**outcomes, "deselected": 0}


# -- gate 2 ------------------------------------------------------------------


MONOREPO = {
    "packages/alpha/pyproject.toml": "[project]\nname = 'alpha'\n",
    "packages/alpha/src/alpha/__init__.py": "",
    "packages/alpha/tests/test_alpha.py": "def test_alpha():\n    pass\n",
    "packages/gamma/pyproject.toml": "[project]\nname = 'gamma'\n",
    "packages/gamma/src/gamma/__init__.py": "",
    "packages/gamma/tests/test_gamma.py": "def test_gamma():\n    pass\n",
    "docs/index.md": "# docs\n",
}


@pytest.fixture
def monorepo(pytester: pytest.Pytester) -> PytestRepo:
    project = PytestRepo(pytester)
    project.write(MONOREPO)
    project.commit()
    return project


def test_gate_2_with_every_selected_test_filtered_out_is_not_a_pass(monorepo: PytestRepo) -> None:
    monorepo.write({"packages/alpha/src/alpha/__init__.py": "X = 1\n"})
    result = monorepo.run("--lw-changed", "--lw-gate", "2", "-k", "zzz")
    assert result.ret != 0
    record = latest(monorepo)
    assert record["status"] == "narrowed"
    assert "-k 'zzz' runs part" in reasons(record)
    assert "no tests selected for this change" not in result.stdout.str()


def test_gate_2_of_an_empty_selection_passes_and_says_so(monorepo: PytestRepo) -> None:
    monorepo.write({"docs/index.md": "# more\n"})
    result = monorepo.run("--lw-changed", "--lw-gate", "2")
    assert result.ret == 0
    record = latest(monorepo)
    assert record["status"] == "passed"
    assert record["reasons"] == [
        "empty selection: the change maps to no tests (changed: docs/index.md)"
    ]


def test_gate_2_with_a_selection_other_than_changed_is_narrowed(monorepo: PytestRepo) -> None:
    monorepo.write({"packages/alpha/src/alpha/__init__.py": "X = 1\n"})
    monorepo.run("--lw-package", "gamma", "--lw-gate", "2")
    record = latest(monorepo)
    assert record["status"] == "narrowed"
    assert "gate 2 selects with --lw-changed or --lw-since REF alone (this run: package gamma)" in (
        reasons(record)
    )


def test_gate_2_since_a_base_selects_a_committed_change(monorepo: PytestRepo) -> None:
    base = git(monorepo.root, "rev-parse", "HEAD").strip()
    monorepo.write({"packages/alpha/src/alpha/__init__.py": "X = 1\n"})
    monorepo.commit("alpha")
    monorepo.run("--lw-changed", "--lw-gate", "2")  # a clean tree: nothing changed, nothing run
    empty = latest(monorepo)
    assert empty["touched_files"] == []
    assert empty["counts"] == {"deselected": 0}
    monorepo.run("--lw-since", base, "--lw-gate", "2")
    record = latest(monorepo)
    assert record["status"] == "passed", reasons(record)
    assert record["touched_files"] == ["packages/alpha/src/alpha/__init__.py"]
    assert record["counts"] == {"passed": 1, "deselected": 0}


def test_gate_2_as_lanewarden_selects_passes(monorepo: PytestRepo) -> None:
    monorepo.write({"packages/alpha/src/alpha/__init__.py": "X = 1\n"})
    monorepo.run("--lw-changed", "--lw-gate", "2")
    record = latest(monorepo)
    assert record["status"] == "passed", reasons(record)
    assert record["counts"] == {"passed": 1, "deselected": 0}
    selection = record["selection"]
    assert isinstance(selection, dict)
    assert selection["rule"].startswith("tests of the packages changed selects")


# -- gate names ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["banana", "5", "all", "1"])
def test_an_invalid_gate_name_writes_no_evidence(monorepo: PytestRepo, name: str) -> None:
    result = monorepo.run("--lw-gate", name)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    if name != "1":
        result.stderr.fnmatch_lines([f"*--lw-gate {name!r} is not a gate; valid gates: 1, 2, 3*"])
    assert monorepo.evidence() == []


def test_a_gate_the_configuration_defines_is_valid(monorepo: PytestRepo) -> None:
    monorepo.write({"lanewarden.toml": '[gates]\nnightly = ["pytest --lw-gate nightly"]\n'})
    monorepo.commit()
    result = monorepo.run("--lw-gate", "nightly")
    assert result.ret == 0
    assert latest(monorepo)["gate"] == "nightly"
    bad = monorepo.run("--lw-gate", "weekly")
    bad.stderr.fnmatch_lines(["*valid gates: 1, 2, 3, nightly*"])


# -- xdist ---------------------------------------------------------------------


def test_xdist_merges_the_workers_results_into_one_record(failing: PytestRepo) -> None:
    result = failing.pytester.runpytest_subprocess(*QUIET, "-n", "2", "--lw-gate", "3")
    assert result.ret == 1
    [record] = failing.evidence()
    assert record["status"] == "failed"
    assert record["counts"] == {"passed": 3, "failed": 1, "deselected": 0}
    assert record["failures"] == ["tests/test_a.py::test_fail"]
    run = record["run"]
    assert isinstance(run, dict)
    assert run["xdist"] == {"workers": 2}


def test_xdist_workers_report_narrowing_and_ignored_files(failing: PytestRepo) -> None:
    failing.write(
        {
            ".gitignore": "__pycache__/\n*.pyc\ntests/conftest.py\n",
            "tests/conftest.py": DESELECTING_PLUGIN,
        }
    )
    failing.commit()
    failing.pytester.runpytest_subprocess(*QUIET, "-n", "2", "--lw-gate", "3")
    [record] = failing.evidence()
    assert record["status"] == "narrowed"
    text = reasons(record)
    assert "tests/conftest.py is ignored by git" in text
    assert "deselected by an option or plugin" in text


def test_evidence_is_bound_to_the_tree_holding_the_files_tested(
    failing: PytestRepo, tmp_path: Path
) -> None:
    failing.write({"tests/test_a.py": "def test_ok():\n    pass\n"})
    failing.run("--lw-gate", "3")
    record = latest(failing)
    index = {"GIT_INDEX_FILE": str(tmp_path / "index")}
    git(failing.root, "add", "-A", env=index)
    assert record["tree"] == git(failing.root, "write-tree", env=index).strip()


def test_narrowing_through_pytest_addopts_is_narrowing(
    failing: PytestRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k 'not test_fail'")
    result = failing.run("--lw-gate", "3")
    assert result.ret == 0
    record = latest(failing)
    assert record["status"] == "narrowed"
    assert "-k 'not test_fail' runs part" in reasons(record)


def test_a_git_ignored_test_module_records_no_pass(failing: PytestRepo) -> None:
    failing.write(
        {
            ".gitignore": "__pycache__/\n*.pyc\ntests/test_local.py\n",
            "tests/test_a.py": "def test_ok():\n    pass\n",
            "tests/test_local.py": "def test_local():\n    pass\n",
        }
    )
    failing.commit()
    failing.run("--lw-gate", "3")
    record = latest(failing)
    assert record["status"] == "narrowed"
    assert reasons(record) == "tests/test_local.py is ignored by git, so not part of the tree"


@pytest.mark.parametrize(
    ("mode", "lane"), [("worktrees", "L-7"), ("single-branch", None)], ids=["worktrees", "single"]
)
def test_the_record_names_the_lane_its_branch_implies(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str, lane: str | None
) -> None:
    """A worker in its worktree sets no variable: the branch ``lane/<id>`` names its lane."""
    monkeypatch.delenv("LANEWARDEN_LANE", raising=False)
    project = PytestRepo(pytester)
    project.write({**FAILING_SUITE, "lanewarden.toml": f'mode = "{mode}"\n'})
    project.commit()
    git(project.root, "switch", "-q", "-c", "lane/L-7")
    project.run("--lw-gate", "3")
    assert latest(project)["lane"] == lane
