"""The coverage map's format and the reading of a change: pure functions, no git."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanewarden.domain.code_changes import analyse_change, reads_docstrings
from lanewarden.domain.coverage_map import CoverageMap, CoverageMapError, parse_ranges, ranges

TREE = "a" * 40


@given(st.sets(st.integers(min_value=1, max_value=5000)))
def test_ranges_round_trip(lines: set[int]) -> None:
    assert parse_ranges(ranges(lines)) == lines


def test_a_map_round_trips_and_is_small() -> None:
    tests = {
        f"tests/test_{i}.py::test_{j}": {"pkg/core.py": "1-40,45,50-60", "pkg/util.py": "3"}
        for i in range(100)
        for j in range(10)
    }
    coverage = CoverageMap(
        TREE,
        tests,
        {"pkg/core.py": "1-3"},
        frozenset({"tests/test_1.py::t"}),
        complete=frozenset({"tests/test_1.py"}),
        xfailed=frozenset({"tests/test_1.py::test_2"}),
    )
    data = coverage.encode()
    assert CoverageMap.decode(data) == coverage
    assert len(data) < 20_000  # 1,000 tests: the file names are written once, then compressed


def test_under_runxfail_an_xfailed_test_is_not_covered_and_its_file_not_complete() -> None:
    tests = {"tests/test_a.py::test_x": {"pkg/m.py": "1"}, "tests/test_b.py::test_y": {}}
    coverage = CoverageMap(
        TREE,
        tests,
        complete=frozenset({"tests/test_a.py", "tests/test_b.py"}),
        xfailed=frozenset({"tests/test_a.py::test_x"}),
    )
    seen = coverage.without_xfailed()
    assert set(seen.tests) == {"tests/test_b.py::test_y"}
    assert seen.complete == {"tests/test_b.py"}
    assert seen.outside == {}


def test_under_runxfail_what_an_xfailed_importer_ran_counts_as_run_at_import() -> None:
    """Its first import served every later test: a change there keeps them all."""
    coverage = CoverageMap(
        TREE,
        {"tests/test_a.py::test_x": {"pkg/m.py": "3-4"}, "tests/test_b.py::test_y": {}},
        {"pkg/m.py": "1"},
        importers=frozenset({"tests/test_a.py::test_x"}),
        xfailed=frozenset({"tests/test_a.py::test_x"}),
    )
    seen = coverage.without_xfailed()
    assert seen.outside == {"pkg/m.py": "1,3-4"}
    assert seen.importers == frozenset()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"garbage", "not a coverage map"),
        (zlib.compress(b"[1, 2]"), "no format marker"),
        (zlib.compress(b'{"format": "lanewarden-coverage-map", "version": 2}'), "version 2"),
        (
            zlib.compress(b'{"format": "lanewarden-coverage-map", "version": 1, "tree": "x"}'),
            "malformed",
        ),
        (
            zlib.compress(
                b'{"format": "lanewarden-coverage-map", "version": 1, "tree": "x", "files": [],'
                b' "tests": {"t": {"5": "1"}}, "outside": {}, "importers": []}'
            ),
            "malformed",
        ),
    ],
)
def test_an_unreadable_map_is_a_map_error(data: bytes, message: str) -> None:
    with pytest.raises(CoverageMapError, match=message):
        CoverageMap.decode(data)


OLD = b"""\
import os


@decorate
def f(x, y=1):
    return x + y


class C:
    size = 3

    def method(self):
        def inner():
            return 1
        return inner()


def one(x=2): return x
"""


def change(old: bytes, new: bytes) -> tuple[bool, frozenset[int], str | None]:
    result = analyse_change("m.py", old, new)
    return result.module_level, result.regions, result.fallback


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"return x + y", b"return x - y"),  # f's body
        (b"return 1", b"return 2"),  # inner's body, in method's
    ],
)
def test_a_body_change_names_the_whole_function(old: bytes, new: bytes) -> None:
    module_level, regions, fallback = change(OLD, OLD.replace(old, new))
    assert not module_level
    assert fallback is None
    first = OLD[: OLD.index(old)].count(b"\n") + 1
    assert first in regions


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"y=1", b"y=2"),  # a default value: evaluated when the module runs
        (b"@decorate", b"@other"),
        (b"size = 3", b"size = 4"),  # a class body
        (b"import os", b"import sys"),
        (b"def one(x=2): return x", b"def one(x=3): return x"),  # body on the def's line
        (b"def method(self):", b"def method(self, extra=None):"),
    ],
)
def test_code_that_runs_at_import_is_module_level(old: bytes, new: bytes) -> None:
    module_level, _, _ = change(OLD, OLD.replace(old, new))
    assert module_level


def test_an_inner_def_line_belongs_to_the_function_that_runs_it() -> None:
    module_level, regions, _ = change(OLD, OLD.replace(b"def inner():", b"def inner(a=5):"))
    assert not module_level
    assert OLD.splitlines().index(b"        return inner()") + 1 in regions


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a new inner function, and the call to it
        (
            b"        return inner()",
            b"        def other():\n            return 2\n\n        return other()",
        ),
        # one more level down
        (
            b"            return 1",
            b"            def deeper():\n                return 1\n\n            return deeper()",
        ),
    ],
)
def test_a_new_inner_function_is_a_change_of_the_function_that_runs_it(
    old: bytes, new: bytes
) -> None:
    """Its def runs only when the enclosing function does, never at import."""
    module_level, regions, _ = change(OLD, OLD.replace(old, new))
    assert not module_level
    assert OLD.splitlines().index(old) + 1 in regions


@pytest.mark.parametrize(
    "new",
    [
        OLD + b"\n\ndef added():\n    return 0\n",  # a new function: its def runs at import
        OLD.replace(b"    size = 3\n", b"    size = 3\n\n    def added(self):\n        return 0\n"),
    ],
    ids=["function", "method"],
)
def test_a_new_function_or_method_is_module_level(new: bytes) -> None:
    module_level, _, _ = change(OLD, new)
    assert module_level


def test_a_file_that_no_longer_parses_falls_back() -> None:
    _, _, fallback = change(OLD, OLD.replace(b"return x + y", b"return x +"))
    assert fallback is not None
    assert "not parseable" in fallback


@pytest.mark.parametrize(
    "new",
    [
        OLD.replace(b"import os\n", b"import os  # the system\n\n# a note\n"),
        OLD.replace(b"def f(x, y=1):", b"def f(\n    x,\n    y=1,\n):"),
        OLD.replace(b"return x + y", b"return (x +\n            y)  # the sum"),
    ],
    ids=["comments", "layout of a signature", "layout of a body"],
)
def test_comments_and_layout_change_no_code(new: bytes) -> None:
    result = analyse_change("m.py", OLD, new)
    assert (result.module_level, result.regions, result.documented) == (False, set(), set())


def test_a_body_change_below_moved_lines_names_the_lines_of_the_maps_tree() -> None:
    new = OLD.replace(b"import os\n", b"import os\n\n\n\n").replace(b"return 1", b"return 2")
    module_level, regions, _ = change(OLD, new)
    assert not module_level
    assert OLD.splitlines().index(b"            return 1") + 1 in regions
    assert OLD.splitlines().index(b"    return x + y") + 1 not in regions


def test_a_docstring_alone_is_a_change_of_documentation() -> None:
    old = b'def f():\n    """Sum."""\n    return 1\n\n\ndef g():\n    return 2\n'
    result = analyse_change("m.py", old, old.replace(b"Sum.", b"The sum."))
    assert (result.module_level, result.regions) == (False, set())
    assert result.documented == result.functions == {"f"}
    both = analyse_change("m.py", old, old.replace(b"Sum.", b"S.").replace(b"n 1", b"n 0"))
    assert both.regions == {2, 3}
    assert both.documented == set()


@pytest.mark.parametrize(
    ("new", "module_level"),
    [
        (b"\n\ndef test_new():\n    assert f(1)\n", False),
        (b"\n\n@pytest.mark.parametrize('x', [1, 2])\ndef test_new(x):\n    assert x\n", False),
        (b"\n\n@pytest.fixture\ndef test_new():\n    return 1\n", True),  # not a test
        (b"\n\ndef helper():\n    return 1\n", True),  # any reader may see it
        (b"\n\ndef test_old_again():\n    return 1\n", True),  # the file looks it up already
        (b"\n\ndef setup_function():\n    pass\n", True),  # runs before every test
        (b"\n\ndef test_new(x=compute()):\n    assert x\n", True),  # runs at import
        (b"\n\ndef test_new(x=1, *, y=None):\n    assert x\n", False),
    ],
)
def test_a_new_test_in_a_test_file_is_no_module_level_change(
    new: bytes, module_level: bool
) -> None:
    old = b"import pytest\n\n\ndef test_old():\n    assert 'test_old_again'\n"
    result = analyse_change("tests/test_m.py", old, old + new, test_file=True)
    assert result.module_level is module_level
    assert analyse_change("m.py", old, old + new).module_level  # outside a test file


def test_a_new_test_method_of_an_existing_class_is_no_module_level_change() -> None:
    """Another class's method of that name is no lookup of it (unittest suites repeat names)."""
    old = b"class TestB:\n    def test_b(self):\n        assert 1\n\n\n"
    old += b"class TestC:\n    def test_a(self):\n        assert 1\n"
    new = old + b"\n    def test_b(self):\n        assert 2\n"
    result = analyse_change("tests/test_m.py", old, new, test_file=True)
    assert not result.module_level
    assert result.new_tests == {"test_b"}  # a subclass elsewhere may have run another test_b


def body(tests: object, outside: object = None) -> bytes:
    import json

    data = {
        "format": "lanewarden-coverage-map",
        "version": 1,
        "tree": TREE,
        "files": ["pkg/a.py", "pkg/b.py"],
        "tests": tests,
        "outside": outside or {},
        "importers": [],
        "complete": [],
    }
    return zlib.compress(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (body({"t": {"0": "2-x"}}), "bad line ranges '2-x'"),
        (body({"t": {"0": "1-99999999999"}}), "bad line ranges"),  # would fill the memory
        (body({"t": {"0": "1,,2"}}), "bad line ranges"),
        (body({"t": {"0": 5}}), "bad line ranges"),
        (body({}, {"1": " 3"}), "bad line ranges"),
        (body({"t": {"-1": "1"}}), "bad file index '-1'"),
        (body({"t": {"2": "1"}}), "bad file index '2'"),
        (body({"t": {"01": "1"}}), "bad file index"),
    ],
)
def test_a_map_with_bad_ranges_or_indexes_is_a_map_error(data: bytes, message: str) -> None:
    with pytest.raises(CoverageMapError, match=message):
        CoverageMap.decode(data)


def test_a_good_body_decodes() -> None:
    coverage = CoverageMap.decode(body({"t": {"1": "1-3,9"}}, {"0": ""}))
    assert coverage.lines("t", "pkg/b.py") == {1, 2, 3, 9}
    assert coverage.lines_outside("pkg/a.py") == set()


def test_a_file_name_that_is_not_utf8_round_trips() -> None:
    """git may list a name that is not UTF-8: Python holds it with surrogate escapes."""
    name = b"pkg/caf\xe9.py".decode("utf-8", "surrogateescape")
    coverage = CoverageMap(TREE, {"tests/test_x.py::t": {name: "1-2"}}, {name: "1"})
    assert CoverageMap.decode(coverage.encode()) == coverage


@pytest.mark.parametrize(
    ("line", "reads"),
    [
        (b"    assert f.__doc__ == 'x'", True),
        (b"    text = inspect.getdoc(f)", True),
        (b"    help(f)", True),
        (b"    doctest.testmod(m)", True),
        (b"    method.__doc__ = f'Generated for {name}.'", False),  # sets one: reads none
        (b"    wrapper.__doc__ = f.__doc__", True),
        (b"    wrapper.__doc__ += 'more'", True),
        (b"    if f.__doc__ == other:", True),
        (b"    helpme(f)", False),
        (b"    doctest_namespace['np'] = numpy", False),  # pytest's fixture for doctests
        (b"import doctest", True),
        (b"    return pydoc.render_doc(f)", True),
    ],
)
def test_a_line_reads_docstrings_unless_it_only_sets_one(line: bytes, reads: bool) -> None:
    assert reads_docstrings(line) is reads
