"""The resolved import graph is kept between runs, and never trusted past a change.

A run on an unchanged tree reads no source: the graph comes back from the
common git dir, keyed by every Python file's stat stamp. Any write (even one
keeping size and modification time) changes the key; a stamp too recent to
tell two writes apart keeps the graph from being written at all; xdist
workers never build it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanewarden.adapters import import_facts
from lanewarden.adapters.import_facts import build_graph
from lanewarden.domain.imports import LOCAL
from lanewarden.domain.packages import detect_packages
from scenario import QUIET
from scenario import PytestRepo as Project
from test_selection_layouts import SRC_LAYOUT

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg.b import f\n",
    "pkg/b.py": "def f():\n    return 1\n",
    "pkg/c.py": "def f():\n    return 2\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, FILES)
    # Tests cannot wait for stamps to age: every stamp counts as old enough here.
    monkeypatch.setattr(import_facts, "_RACY_NS", -(10**18))
    return tmp_path


def graph_of(root: Path):  # type: ignore[no-untyped-def]
    packages = detect_packages(sorted(FILES))
    return build_graph(root, packages, root / "cache" / "facts.json")


def test_an_unchanged_tree_reads_no_source(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = graph_of(tree)
    assert (tree / "cache" / "graph.bin").exists()

    def no_reading(*args: object) -> None:
        raise AssertionError("a source was read although nothing changed")

    monkeypatch.setattr(import_facts, "load_facts", no_reading)
    again = graph_of(tree)
    assert (
        again.depends
        == first.depends
        == {
            "pkg/__init__.py": {},
            "pkg/a.py": {"pkg.b": LOCAL},
            "pkg/b.py": {},
            "pkg/c.py": {},
        }
    )
    assert set(again.affected({"pkg.b": "pkg/b.py"})) == {"pkg/a.py"}


def test_a_rewrite_keeping_size_and_mtime_is_still_seen(tree: Path) -> None:
    graph_of(tree)
    path = tree / "pkg/a.py"
    before = path.stat()
    path.write_text("from pkg.c import f\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert graph_of(tree).depends["pkg/a.py"] == {"pkg.c": LOCAL}


def test_stamps_too_recent_to_trust_keep_the_graph_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, FILES)  # written just now: a second write could share their stamps
    graph_of(tmp_path)
    assert (tmp_path / "cache" / "facts.json").exists()
    assert not (tmp_path / "cache" / "graph.bin").exists()


def test_xdist_workers_never_build_the_graph(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This suite may itself run under xdist: the inner controller must not inherit the name.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    project = Project(pytester)
    project.write(SRC_LAYOUT)
    # Records which process builds the graph (a worker has PYTEST_XDIST_WORKER set).
    project.write(
        {
            "conftest.py": "import os\n"
            "from lanewarden.adapters import import_facts\n"
            "_build = import_facts.build_graph\n\n\n"
            "def _recording(*args, **kwargs):\n"
            "    with open('builds.txt', 'a') as f:\n"
            "        f.write(os.environ.get('PYTEST_XDIST_WORKER', 'controller') + '\\n')\n"
            "    return _build(*args, **kwargs)\n\n\n"
            "import_facts.build_graph = _recording\n",
            ".git/info/exclude": "runpytest-*\nstdout\nstderr\nbuilds.txt\n",
        }
    )
    project.commit()
    project.write({"src/calc/mul.py": "def mul(a, b):\n    return b * a\n"})
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2", "-v", "--lw-changed")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*PASSED tests/test_square.py::test_square*"])
    assert sum(" PASSED" in line for line in result.outlines) == 2
    assert (pytester.path / "builds.txt").read_text().splitlines() == ["controller"]
