"""The gate ladder: configuration, ``gate run`` stopping at the first failure, evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.domain.gates import GateLadder, Step
from lanewarden.errors import InputError
from scenario import lanewarden


def evidence_files(repo: Path) -> dict[str, dict[str, object]]:
    folder = repo / ".git" / "lanewarden" / "evidence"
    records = {}
    for path in sorted(folder.glob("*/gate-*.json")):
        body = json.loads(path.read_text())
        records[body["gate"]] = body  # the latest per gate (names sort by time)
    return records


def test_defaults_work_on_a_fresh_python_repository() -> None:
    ladder = GateLadder.from_config({}, source="(defaults)", ruff="ruff")
    commands = {g.name: [s.command for s in g.steps] for g in ladder.gates}
    assert commands["1"] == ["ruff check {py_files}", "ruff format --check {py_files}"]
    assert commands["2"] == ["{python} -m pytest --lw-changed --lw-gate 2"]
    assert commands["3"] == ["{python} -m pytest --lw-gate 3"]
    without_ruff = GateLadder.from_config({}, source="(defaults)", ruff=None)
    assert without_ruff.gates[0].steps == ()


def test_commands_replace_and_extra_appends() -> None:
    ladder = GateLadder.from_config(
        {"1": ["lint {files}"], "3": {"extra": ["mypy src"]}}, source="x.toml", ruff="ruff"
    )
    assert [s.command for s in ladder.gates[0].steps] == ["lint {files}"]
    assert [s.command for s in ladder.gates[2].steps][-1] == "mypy src"
    assert [g.name for g in ladder.select("all")] == ["1", "2", "3"]
    assert [g.name for g in ladder.select("2")] == ["2"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"4": {"extra": ["x"]}}, "gate '4' in gates is not 1, 2 or 3: it must give its commands"),
        ({"all": ["x"]}, "bad gate name 'all'"),
        ({"a/b": ["x"]}, "bad gate name 'a/b'"),
        ({"1": "ruff"}, "gates.1 must be a list"),
        ({"2": {"command": ["x"]}}, "unknown key gates.2.command"),
        ({"3": {"extra": [1]}}, "gates.3.extra must be a list"),
    ],
)
def test_bad_gate_configuration_names_the_key_and_file(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        GateLadder.from_config(table, source="lanewarden.toml", ruff=None)
    assert caught.value.path == "lanewarden.toml"


def test_files_placeholders_quote_and_skip() -> None:
    step = Step("check {py_files} --all {files}")
    assert step.expand(["a b.py", "c.md"], "/py") == "check 'a b.py' --all 'a b.py' c.md"
    assert Step("check {py_files}").expand(["c.md"], "/py") is None
    assert Step("{python} -m x").expand([], "/usr/bin/python3") == "/usr/bin/python3 -m x"


def test_gate_run_stops_at_the_first_failure_and_records_each_gate(repo: Path) -> None:
    write(
        repo,
        "lanewarden.toml",
        (
            "[gates]\n"
            '1 = ["echo linting {files}"]\n'
            '2 = { commands = ["echo two"], extra = ["echo boom; exit 3"] }\n'
            '3 = ["echo three"]\n'
        ),
    )
    write(repo, "src/a.py", "x = 1\n")
    done = lanewarden(repo, "gate", "run", "all", "--json")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert [g["gate"] for g in body["gates"]] == ["1", "2"]
    assert [g["status"] for g in body["gates"]] == ["passed", "failed"]
    assert "gate 2 step 2/2: echo boom; exit 3" in done.stderr
    assert "linting lanewarden.toml src/a.py" in done.stderr
    records = evidence_files(repo)
    assert set(records) == {"1", "2"}
    failed = records["2"]
    assert failed["status"] == "failed"
    assert failed["exit_status"] == 3
    steps = failed["steps"]
    assert isinstance(steps, list)
    assert steps[1]["tail"] == ["boom"]
    assert steps[1]["exit_status"] == 3
    status = lanewarden(repo, "gate", "status", "--json")
    gates = {g["gate"]: g["status"] for g in json.loads(status.stdout)["gates"]}
    assert gates == {"1": "passed", "2": "failed"}


def test_a_step_needing_files_is_skipped_when_nothing_was_touched(repo: Path) -> None:
    git(repo, "config", "user.name", "t")
    write(repo, "lanewarden.toml", '[gates]\n1 = ["false {py_files}"]\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")
    done = lanewarden(repo, "gate", "run", "1")
    assert done.returncode == 0, done.stderr
    assert "skipped, no touched files" in done.stderr


def test_default_gate_2_runs_the_plugin_on_the_changed_package(repo: Path) -> None:
    write(repo, "pkg/__init__.py", "")
    write(repo, "tests/test_pkg.py", "import pkg\n\ndef test_pkg():\n    assert pkg\n")
    done = lanewarden(repo, "gate", "run", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    records = evidence_files(repo)
    assert records["2"]["status"] == "passed"
    assert records["2"]["command"] == ["lanewarden", "gate", "run", "2"]


@pytest.mark.parametrize("name", ["4", "banana", "1,2"])
def test_unknown_gate_is_exit_2_listing_the_gates(repo: Path, name: str) -> None:
    done = lanewarden(repo, "gate", "run", name)
    assert done.returncode == 2
    assert f"gate {name!r} is not a gate; valid gates: 1, 2, 3, all" in done.stderr
    assert "Traceback" not in done.stderr
    assert evidence_files(repo) == {}


def test_a_gate_the_table_defines_runs_after_gate_3(repo: Path) -> None:
    write(repo, "lanewarden.toml", '[gates]\n3 = ["echo three"]\nnightly = ["echo night"]\n')
    ladder = GateLadder.from_config(
        {"3": ["echo three"], "nightly": ["echo night"]}, source="x", ruff=None
    )
    assert ladder.names == ("1", "2", "3", "nightly")
    done = lanewarden(repo, "gate", "run", "nightly", "--json")
    assert done.returncode == 0, done.stderr
    assert [g["gate"] for g in json.loads(done.stdout)["gates"]] == ["nightly"]


SUITE = {
    "tests/test_suite.py": "def test_ok():\n    pass\n\ndef test_fail():\n    assert False\n",
}


def test_a_failing_gate_shows_the_first_failures_and_how_to_reproduce(repo: Path) -> None:
    for name, text in SUITE.items():
        write(repo, name, text)
    done = lanewarden(repo, "gate", "run", "3", env={"LANEWARDEN_PROGRESS_SECONDS": "0.01"})
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gate 3: failed in ")
    assert "1 failed" in lines[0]
    assert "  first failures:" in lines
    assert "    tests/test_suite.py::test_fail" in lines
    assert any(
        line.startswith("  reproduce: cd ") and line.endswith(" -m pytest --lw-gate 3")
        for line in lines
    ), done.stdout
    assert any(
        line.startswith("  only those: cd ")
        and line.endswith(" -m pytest tests/test_suite.py::test_fail")
        for line in lines
    ), done.stdout
    assert "lanewarden: gate 3 step 1/1: still running, " in done.stderr  # never looks hung


def test_a_narrowed_pytest_step_makes_the_gate_narrowed(repo: Path) -> None:
    for name, text in SUITE.items():
        write(repo, name, text)
    write(repo, "lanewarden.toml", '[gates]\n3 = ["{python} -m pytest --lw-gate 3 -k ok"]\n')
    done = lanewarden(repo, "gate", "run", "3", "--json")
    assert done.returncode == 1, done.stderr
    [gate] = json.loads(done.stdout)["gates"]
    assert gate["status"] == "narrowed"
    assert gate["record"]["reasons"] == [
        "-k 'ok' runs part of the configured suite",
        "1 test(s) deselected by an option or plugin (tests/test_suite.py::test_fail)",
    ]
    assert gate["record"]["counts"]["passed"] == 1
    status = json.loads(lanewarden(repo, "gate", "status", "--json").stdout)
    assert status["ok"] is False
    assert [(g["gate"], g["status"]) for g in status["gates"]] == [("3", "narrowed")]


def test_gate_1_records_the_checks_and_the_files_they_ran_on(repo: Path) -> None:
    write(repo, "lanewarden.toml", '[gates]\n1 = ["echo checking {py_files}"]\n')
    write(repo, "src/a b.py", "x = 1\n")
    done = lanewarden(repo, "gate", "run", "1", "--json")
    assert done.returncode == 0, done.stderr
    [gate] = json.loads(done.stdout)["gates"]
    record = gate["record"]
    assert record["run"]["checked_files"] == ["lanewarden.toml", "src/a b.py"]
    assert record["steps"][0]["command"] == "echo checking 'src/a b.py'"
    assert record["steps"][0]["tail"] == ["checking src/a b.py"]


def test_the_plugin_keeps_a_live_count_of_finished_tests(repo: Path, tmp_path: Path) -> None:
    write(repo, "tests/test_one.py", "def test_a():\n    pass\n")
    write(repo, "tests/test_more.py", "def test_b():\n    pass\n\ndef test_c():\n    pass\n")
    progress = tmp_path / "progress.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lw-gate", "3"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "LANEWARDEN_PROGRESS_FILE": str(progress)},
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert json.loads(progress.read_text()) == {"done": 3, "total": 3}
