"""Test files left uncollected on the coverage map's word, and every way that could go wrong.

A file every test of which the map drops is left uncollected only when it
defines the same tests again: the map knows all of them, and nothing its
collection read differs (an environment variable, an option, an ini setting,
a data file, a folder listing, the interpreter, the installed distributions).
Each test below changes one of those and checks that the test defined only
under the new condition runs.
"""

from __future__ import annotations

import json
import zlib

import coverage  # imported here once: in-process runs would re-import its C tracer
import pytest

from lanewarden.adapters.git import Repo
from lanewarden.domain.collection_inputs import CollectionInputs, Now
from lanewarden.domain.coverage_map import CoverageMap
from scenario import QUIET, ran, stored_maps
from scenario import PytestRepo as Project

assert coverage.Coverage  # (the import above is needed, not unused)

LIB = "def f(x):\n    return x + 1\n\n\ndef g(x):\n    return x * 2\n"

PROJECT = {
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    "pkg/__init__.py": "",
    "pkg/mod.py": LIB,
    "tests/test_f.py": "from pkg.mod import f\n\n\ndef test_f():\n    assert f(1) == 2\n",
    "tests/test_g.py": "from pkg.mod import g\n\n\ndef test_g():\n    assert g(2) == 4\n",
}


def change_g(project: Project) -> None:
    """A change to ``g``'s body: only test_g ran it, so test_f's file may go uncollected."""
    path = project.root / "pkg/mod.py"
    path.write_text(path.read_text().replace("return x * 2", "return x + x"))


def record(project: Project, files: dict[str, str], *args: str) -> None:
    project.write({**PROJECT, **files})
    project.commit("the project")
    result = project.run("--lw-record-coverage", *args)
    assert result.ret == 0, result.stdout.str()


def stored(project: Project) -> CoverageMap:
    (recorded,) = stored_maps(project.root)
    return recorded


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.delenv("LW_EXTRA", raising=False)
    return Project(pytester)


def test_a_file_whose_tests_all_go_is_left_uncollected(project: Project) -> None:
    record(project, {})
    change_g(project)
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g"}
    result.stdout.fnmatch_lines(
        [
            "lanewarden:   coverage map: 1 test file left uncollected: the map drops all their"
            " tests, and nothing collection read differs",
            "lanewarden: 1 test selected, 0 deselected, 1 test files or folders not collected *",
        ]
    )
    result.stdout.fnmatch_lines(["lanewarden: not collected: tests/test_f.py"])
    assert "tests/test_f.py::" not in result.stdout.str()


def test_a_test_defined_under_an_environment_variable_runs_when_it_is_set(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(
        project,
        {
            "tests/test_f.py": PROJECT["tests/test_f.py"]
            + "\n\nimport os\n\nif os.environ.get('LW_EXTRA'):\n\n"
            "    def test_extra():\n        assert f(2) == 3\n"
        },
    )
    change_g(project)
    assert ran(project.run("--lw-changed", "-v")) == {"test_g"}  # the same: left uncollected
    monkeypatch.setenv("LW_EXTRA", "1")
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g", "test_extra"}
    result.stdout.fnmatch_lines(
        ["*coverage map: every test file is collected: the environment variable LW_EXTRA differs"]
    )


def test_a_test_defined_under_a_command_line_option_runs_when_it_is_given(
    project: Project,
) -> None:
    conftest = (
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--slow', action='store_true')\n\n\n"
        "def pytest_generate_tests(metafunc):\n"
        "    if 'size' in metafunc.fixturenames:\n"
        "        sizes = [1, 1000] if metafunc.config.getoption('slow') else [1]\n"
        "        metafunc.parametrize('size', sizes)\n"
    )
    sized = "from pkg.mod import f\n\n\ndef test_f(size):\n    assert f(size) == size + 1\n"
    record(project, {"tests/conftest.py": conftest, "tests/test_f.py": sized})
    change_g(project)
    assert ran(project.run("--lw-changed", "-v")) == {"test_g"}
    result = project.run("--lw-changed", "-v", "--slow")
    assert ran(result) == {"test_g", "test_f[1000]"}
    result.stdout.fnmatch_lines(["*every test file is collected: the option slow differs"])


def test_an_ini_setting_given_on_the_command_line_keeps_files_collected(project: Project) -> None:
    record(
        project, {"tests/test_f.py": PROJECT["tests/test_f.py"] + "\n\ndef check_f():\n    pass\n"}
    )
    change_g(project)
    result = project.run("--lw-changed", "-v", "-o", "python_functions=test_* check_*")
    assert ran(result) == {"test_g", "check_f"}
    result.stdout.fnmatch_lines(["*every test file is collected: the option ini:python_functions*"])


def test_a_data_file_read_at_collection_keeps_its_readers_collected(project: Project) -> None:
    reader = (
        "import json\nimport pathlib\n\nimport pytest\n\nfrom pkg.mod import f\n\n"
        "TOP = pathlib.Path(__file__).parent.parent\n"
        "CASES = json.loads((TOP / 'data' / 'cases.json').read_text())\n\n\n"
        "@pytest.mark.parametrize('x', CASES)\n"
        "def test_f(x):\n    assert f(x) == x + 1\n"
    )
    # Outside every package: the static rule selects nothing for a change to it.
    record(project, {"tests/test_f.py": reader, "data/cases.json": "[1]"})
    assert "data/cases.json" in stored(project).collection.opened  # type: ignore[union-attr]
    change_g(project)
    (project.root / "data/cases.json").write_text("[1, 2]")
    result = project.run("--lw-changed", "-v")
    assert {"test_f[2]", "test_g"} <= ran(result)
    result.stdout.fnmatch_lines(["*data/cases.json, which collection read, changed*"])


def test_a_file_added_to_a_folder_collection_listed_keeps_files_collected(
    project: Project,
) -> None:
    lister = (
        "import os\n\nimport pytest\n\nfrom pkg.mod import f\n\n"
        "HERE = os.path.join(os.path.dirname(__file__), os.pardir, 'cases')\n\n\n"
        "@pytest.mark.parametrize('name', sorted(os.listdir(HERE)))\n"
        "def test_f(name):\n    assert f(len(name)) == len(name) + 1\n"
    )
    record(project, {"tests/test_f.py": lister, "cases/one.txt": ""})
    change_g(project)
    (project.root / "cases/two.txt").write_text("")
    result = project.run("--lw-changed", "-v")
    assert "test_f[two.txt]" in ran(result)
    result.stdout.fnmatch_lines(["*the folder cases, which collection listed, changed*"])


def test_collection_that_reads_the_whole_environment_keeps_files_collected(
    project: Project,
) -> None:
    copier = PROJECT["tests/test_f.py"] + "\n\nimport os\n\nSEEN = dict(os.environ)\n"
    record(project, {"tests/test_f.py": copier})
    change_g(project)
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g"}  # test_f is deselected, one by one
    result.stdout.fnmatch_lines(["*collected: collection read the whole environment at once*"])
    result.stdout.fnmatch_lines(["lanewarden: 1 test selected, 1 deselected *"])


def test_a_changed_conftest_above_a_file_keeps_it_collected(project: Project) -> None:
    record(project, {"tests/conftest.py": "VALUE = 1\n"})
    change_g(project)
    (project.root / "tests/conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef check():\n    yield\n"
    )
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_f", "test_g"}  # the static rule: a conftest selects below it


def test_a_map_that_does_not_say_what_collection_read_keeps_files_collected(
    project: Project,
) -> None:
    record(project, {})
    recorded = stored(project)
    folder = Repo.discover(project.root).state_dir / "coverage"
    body = json.loads(zlib.decompress(recorded.encode()))
    del body["collection"]  # as a map of an earlier lanewarden is
    (folder / f"{recorded.tree}.lwcov").write_bytes(zlib.compress(json.dumps(body).encode()))
    assert stored(project).collection is None
    change_g(project)
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g"}
    result.stdout.fnmatch_lines(["*collected: the map does not say what collection read*"])


def test_a_map_recorded_under_xdist_leaves_files_uncollected_too(project: Project) -> None:
    pytest.importorskip("xdist")
    record(project, {}, "-n", "2")
    inputs = stored(project).collection
    assert inputs is not None
    assert not inputs.whole_environment
    change_g(project)
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g"}
    result.stdout.fnmatch_lines(["*coverage map: 1 test file left uncollected*"])


def test_another_interpreter_or_installed_set_keeps_files_collected() -> None:
    inputs = CollectionInputs(
        environment={"interpreter": "cpython 3.11.7", "set of installed distributions": "a"},
        variables={"HOME": "/root", "GONE": None},
        options={"verbose": "0", "slow": "False"},
        opened={"data/cases.json": "d1"},
        listed={"cases": "l1"},
    )

    def now(**changes: object) -> Now:
        base: dict[str, object] = {
            "environment": {"interpreter": "cpython 3.11.7", "set of installed distributions": "a"},
            "variable": {"HOME": "/root"}.get,
            "option": {"verbose": "2", "slow": "False"}.get,
            "content": {"data/cases.json": "d1"}.get,
            "listing": {"cases": "l1"}.get,
        }
        return Now(**{**base, **changes})  # type: ignore[arg-type]

    assert inputs.differences(now()) == []  # verbosity never changes what a file defines
    other = {"interpreter": "cpython 3.12.1", "set of installed distributions": "a"}
    assert inputs.differences(now(environment=other)) == [
        "the interpreter differs from the recording run's"
    ]
    more = {"interpreter": "cpython 3.11.7", "set of installed distributions": "b"}
    assert inputs.differences(now(environment=more)) == [
        "the set of installed distributions differs from the recording run's"
    ]
    assert inputs.differences(now(variable={"HOME": "/root", "GONE": "1"}.get)) == [
        "the environment variable GONE differs"
    ]
    assert inputs.differences(now(content={}.get, listing={"cases": "l2"}.get)) == [
        "data/cases.json, which collection read, changed",
        "the folder cases, which collection listed, changed",
    ]
    merged = inputs.merged(CollectionInputs(variables={"HOME": "/home/other"}))
    assert merged.differences(now()) == ["the environment variable HOME differs"]
    assert CollectionInputs.from_json(json.loads(json.dumps(inputs.to_json()))) == inputs


def test_reads_through_the_standard_library_are_seen(project: Project) -> None:
    """``os.walk`` and ``codecs.open`` are frozen modules on 3.11: their callers count."""
    walker = (
        "import codecs\nimport os\n\nimport pytest\n\nfrom pkg.mod import f\n\n"
        "NAMES = sorted(n for _, _, names in os.walk('cases') for n in names)\n"
        "with codecs.open(os.path.join('words', 'w.txt'), encoding='utf-8') as words:\n"
        "    WORDS = words.read().split()\n\n\n"
        "@pytest.mark.parametrize('name', NAMES + WORDS)\n"
        "def test_f(name):\n    assert f(len(name)) == len(name) + 1\n"
    )
    record(project, {"tests/test_f.py": walker, "cases/one.txt": "", "words/w.txt": "a"})
    change_g(project)
    assert ran(project.run("--lw-changed", "-v")) == {"test_g"}
    (project.root / "cases/two.txt").write_text("")
    (project.root / "words/w.txt").write_text("a b")
    assert {"test_f[two.txt]", "test_f[b]"} <= ran(project.run("--lw-changed", "-v"))


def test_a_git_ignored_data_file_read_at_collection_counts(project: Project) -> None:
    """Generated or downloaded data git does not track: its content is compared, not git's."""
    reader = (
        "import json\n\nimport pytest\n\nfrom pkg.mod import f\n\n"
        "with open('local/cases.json') as cases:\n    CASES = json.load(cases)\n\n\n"
        "@pytest.mark.parametrize('x', CASES)\n"
        "def test_f(x):\n    assert f(x) == x + 1\n"
    )
    record(
        project,
        {
            ".gitignore": "__pycache__/\nlocal/\n",
            "tests/test_f.py": reader,
            "local/cases.json": "[1]",
        },
    )
    change_g(project)
    assert ran(project.run("--lw-changed", "-v")) == {"test_g"}
    (project.root / "local/cases.json").write_text("[1, 2]")
    assert "test_f[2]" in ran(project.run("--lw-changed", "-v"))


def test_marks_and_a_conftest_setting_a_variable_still_leave_files_uncollected(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pytest's own plugins register, and what the run sets itself, are no difference."""
    monkeypatch.delenv("LW_SETTINGS", raising=False)
    marked = (
        "import pytest\n\nfrom pkg.mod import f\n\n\n"
        "@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_f(x):\n    assert f(x) == x + 1\n"
    )
    conftest = "import os\n\nos.environ.setdefault('LW_SETTINGS', 'test')\n"
    record(project, {"tests/test_f.py": marked, "conftest.py": conftest})
    change_g(project)
    monkeypatch.delenv("LW_SETTINGS", raising=False)  # in-process runs share the environment
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g"}
    result.stdout.fnmatch_lines(["*coverage map: 1 test file left uncollected*"])


def test_a_plugin_switched_off_keeps_files_collected(project: Project) -> None:
    pytest.importorskip("xdist")
    record(project, {})
    change_g(project)
    # In a process of its own: plugins loaded already in this one cannot be switched off.
    result = project.pytester.runpytest_subprocess(*QUIET, "--lw-changed", "-v", "-p", "no:xdist")
    assert ran(result) == {"test_g"}  # test_f's file is collected, its test deselected
    result.stdout.fnmatch_lines(["*collected: the set of active pytest plugins differs*"])


def test_a_map_recorded_under_another_interpreter_is_not_used(project: Project) -> None:
    """A test may take another branch under another Python or platform: the map stays out."""
    record(project, {})
    recorded = stored(project)
    folder = Repo.discover(project.root).state_dir / "coverage"
    body = json.loads(zlib.decompress(recorded.encode()))
    body["collection"]["environment"]["interpreter"] = "cpython 3.99.0 (elsewhere)"
    (folder / f"{recorded.tree}.lwcov").write_bytes(zlib.compress(json.dumps(body).encode()))
    change_g(project)
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_f", "test_g"}  # the static selection, whole
    result.stdout.fnmatch_lines(
        [
            "lanewarden: coverage map of tree * not used: the interpreter differs from the"
            " recording run's (a map describes the runs of one environment)"
        ]
    )
