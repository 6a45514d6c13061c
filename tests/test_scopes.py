"""Scope patterns: git's own ``check-ignore`` is the oracle for single patterns."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from conftest import git as git_run
from conftest import write
from lanewarden.domain.scopes import Pattern, Scope, ScopeError, ScopeIndex, parse_pattern
from lanewarden.domain.scopes.linear import LinearGlob
from lanewarden.domain.scopes.translate import git_view, pathname_form
from scenario import acquire_lock, make_parallel_ready

# ---------------------------------------------------------------- git oracle


CHECK_IGNORE = ["git", "-c", "core.ignorecase=false", "check-ignore", "--no-index"]


class GitOracle:
    """A scratch repository that asks ``git check-ignore`` about one pattern at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        home = root.parent / "home"
        home.mkdir()
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
        }
        subprocess.run(["git", "init", "-q", str(root)], check=True, env=self.env)

    def verdicts(
        self, pattern: str, paths: Sequence[str], timeout: float | None = None
    ) -> list[bool]:
        """Whether git ignores each path when ``.gitignore`` holds only ``pattern``."""
        (self.root / ".gitignore").write_bytes(pattern.encode() + b"\n")
        done = subprocess.run(
            [*CHECK_IGNORE, "-z", "--stdin", "--non-matching", "--verbose"],
            cwd=self.root,
            input=b"".join(os.fsencode(p) + b"\0" for p in paths),
            capture_output=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        fields = done.stdout.split(b"\0")[:-1]
        records = [fields[i : i + 4] for i in range(0, len(fields), 4)]
        assert [os.fsdecode(r[3]) for r in records] == list(paths)
        # A matching negated pattern would show with its '!'; we only ask positive ones.
        return [bool(r[2]) and not r[2].startswith(b"!") for r in records]


@pytest.fixture(scope="module")
def git(tmp_path_factory: pytest.TempPathFactory) -> GitOracle:
    return GitOracle(tmp_path_factory.mktemp("oracle") / "repo")


def ours(pattern: str, paths: Sequence[str]) -> list[bool]:
    compiled = parse_pattern(pattern)
    return [compiled.matches(p) for p in paths]


def linear(pattern: str) -> LinearGlob:
    """The linear matcher for ``pattern``, whichever engine :func:`parse_pattern` chose for it."""
    parse_pattern(pattern)  # validated
    body = pattern[1:] if pattern.startswith("!") else pattern
    return LinearGlob("\n".join(git_view(b) for b in pathname_form(body)))


def ours_linear(pattern: str, paths: Sequence[str]) -> list[bool]:
    compiled = linear(pattern)
    return [compiled.matches(git_view(p)) for p in paths]


def test_oracle_reports_a_match_on_a_parent_directory(git: GitOracle) -> None:
    paths = ["foo", "foo/bar", "a/foo/b/c", "x"]
    assert git.verdicts("foo/", paths) == [False, True, True, False]
    assert git.verdicts("src/app", ["src/app/x/y.py", "src/apple"]) == [True, False]


TRICKY = {
    "**/foo": ["foo", "a/foo", "a/b/foo/c", "xfoo", "foo.x"],
    "foo/**": ["foo", "foo/a", "foo/a/b", "a/foo/b", "foox/a"],
    "a/**/b": ["a/b", "a/x/b", "a/x/y/b", "a/x/y/b/c", "a/xb", "x/a/b", "ab", "a/\n/b"],
    "**": ["a", "a/b", "é/ü", "sp ace/x", "a\n/b"],
    "*": ["a", "a/b/c", ".hidden"],
    "/*.py": ["x.py", "a/x.py", "x.pyc", "x.py/y"],
    "*.py": ["x.py", "a/x.py", "a/b.py/c", "x.pyc"],
    "doc/*.txt": ["doc/a.txt", "doc/x/y.txt", "a/doc/a.txt", "doc/.txt"],
    "src/app": ["src/app", "src/app/x/y.py", "src/apple", "a/src/app"],
    "src/app/": ["src/app", "src/app/x.py", "a/src/app/x"],
    "app/": ["app", "app/x", "a/b/app/x", "apps/x"],
    "a b/c d": ["a b/c d", "a b/c d/e", "a  b/c d", "a b/c"],
    "dé/ñ*": ["dé/ñ", "dé/ñx/y", "de/n", "dé/n"],
    "?": ["a", "é", "ab", "x/a"],
    "??": ["é", "ab", "a"],
    "[!a]": ["b", "a", "é", "x/b"],
    "[!a]*": ["é", "a", "ab"],
    "[a-c]x": ["ax", "bx", "dx", "-x"],
    "[]a]": ["]", "a", "b"],
    "[\\]]": ["]", "\\"],
    "[a\\-z]": ["a", "-", "z", "b"],
    "[z-a]": ["z", "a", "m"],
    "[^a]": ["a", "b"],
    "\\#x": ["#x", "a/#x", "x"],
    "\\!x": ["!x", "x"],
    "foo\\ ": ["foo ", "foo", "a/foo /b"],
    "\\ foo": [" foo", "foo"],
    "a\\*b": ["a*b", "axb"],
    "a/***/b": ["a/b", "a/x/y/b"],
    "a**b": ["ab", "axxb", "a/b", "ax/yb"],
    "foo": ["foo", "x/foo", "foo\n", "x/foo\n/y", "foo/\n"],
    "a*": ["a\nb", "b/a\n"],
    "**/": ["a", "a/b", "a/b/c"],
    "*/": ["a", "a/b"],
    "/**": ["a", "a/b"],
    "à": ["à", "a"],
    "?.py": ["\udcff.py", "é.py", "a.py"],
    "*.py/": ["\udcff.py/x", "a.py"],
    "a/**/b/": ["a/b", "a/b/c", "a/x/b/c", "a/x/b"],
    "**/foo/": ["foo/x", "a/foo/x", "a/foo"],
    "foo/**/": ["foo/x", "foo/x/y", "foo"],
    "/**/": ["x", "x/y"],
    "a/**/**/": ["a/x", "a/x/y", "a/x/y/z"],
    "a/*/**/": ["a/x", "a/x/y", "a/x/y/z"],
    "x/à": ["x/à", "x/à/y"],
    # git compares a slash pattern's literal start on its own and reads the rest
    # with ``**`` at its very beginning as a whole ``**``: ``/a**/??`` is ``a*/**/??``.
    # ``**/`` may also match nothing, its slash included: ``abc`` matches too.
    "/a**/??": ["a/bc", "ax/bc", "ax/y/bc", "a/x/bc", "ab", "abc", "abcd", "b/a/bc", "ax/y/b"],
    "a**/*": ["a", "ab", "a/b", "b/a"],
    "/x/a**/**/b": ["x/ab", "x/az/b", "x/a/q/b", "x/a"],
    "/x/a**/**": ["x/a", "x/ab/c", "x/b"],
    "/x/a**/**x/c": ["x/abx/c", "x/ab/qx/c", "x/ax/c", "x/a/c"],
    "/x/a**/*/": ["x/a/b", "x/ab/c", "x/ab", "x/a/b/c"],
    "a**/b": ["a/b", "ax/b", "ax/y/b", "a/x/y/b", "b", "x/a/b"],
    "/x/y**/c": ["x/y/c", "x/yz/q/c", "x/z/c", "x/yz/c/d"],
    "/a**": ["a", "ab", "a/b/c", "ba"],
    "/a**/": ["a", "a/b", "ab/c/d", "ab"],
    "/a***/b": ["a/b", "ax/y/b", "ax/yb"],
    "/x/**a/c": ["x/y/a/c", "x/ya/c", "x/a/c"],
    "/a**b/c": ["ax/yb/c", "axb/c", "ab/c"],
    "/a*b**/c": ["axb/c", "axbz/q/c", "axb/z/c"],
    "a/b**/c": ["a/b/c", "a/bx/y/c", "a/x/c"],
    "/ab?**/c": ["abx/c", "abx/y/c"],
    "/a\\**/c": ["a*/c", "a/c", "ax/c"],
    "x/*a*a*a*b": ["x/aaab", "x/aab", "x/abab/c", "x/aaa", "x/aaab/c"],
    "*a*b*": ["ab", "xaybz", "ba", "x/ab/y", "a/b"],
    "a/**/b/**/c": ["a/b/c", "a/x/b/y/c", "a/b/b/c/c", "a/c/b", "a/b/c/d", "a/bc"],
    "**/a/**/b/**": ["a/b/c", "x/a/b/c", "a/b", "a/x/b/y/z", "b/a/c"],
    "**/*a*/**/": ["xa/b/c", "xa/b", "q/ya/z/w"],
}


@pytest.mark.parametrize(("pattern", "paths"), TRICKY.items(), ids=list(TRICKY))
def test_tricky_patterns_match_as_git_does(git: GitOracle, pattern: str, paths: list[str]) -> None:
    expected = git.verdicts(pattern, paths)
    assert ours(pattern, paths) == expected
    # Both engines, whichever of the two the pattern uses.
    assert ours_linear(pattern, paths) == expected


CLASSES = ["alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print"]
CLASSES += ["punct", "space", "upper", "xdigit"]
EVERY_CHAR = [f"x{chr(c)}x" for c in range(1, 128) if chr(c) != "/"] + ["xéx", "x[x", "x:x"]


@pytest.mark.parametrize("name", CLASSES)
def test_character_classes_match_as_git_does(git: GitOracle, name: str) -> None:
    for pattern in (f"x[[:{name}:]]x", f"x[![:{name}:]]x", f"x[a[:{name}:]-]x"):
        assert ours(pattern, EVERY_CHAR) == git.verdicts(pattern, EVERY_CHAR), pattern


@pytest.mark.parametrize("pattern", ["x[[:]x", "x[[:a]x", "x[[]x", "x[a[:]x"])
def test_a_bracket_that_is_no_class_matches_as_git_does(git: GitOracle, pattern: str) -> None:
    assert ours(pattern, EVERY_CHAR) == git.verdicts(pattern, EVERY_CHAR)


def test_a_few_verdicts_spelled_out() -> None:
    assert ours("doc/*.txt", ["doc/a.txt", "doc/x/y.txt"]) == [True, False]
    assert ours("src/app", ["src/app/x/y.py", "src/apple"]) == [True, False]
    assert ours("foo\\ ", ["foo ", "foo"]) == [True, False]
    assert ours("?", ["é"]) == [False]


# ------------------------------------------------------- generated patterns

PATTERN_ATOMS = ["a", "b", "*", "?", "[ab]", "[!a]", "[a-b]", "\\*", "\\a", "é", " a", "."]
PATTERN_ATOMS += ["[\\]a]", "[a\\-b]", "[]]", "[!]]", "[^a-]", "[é]", "[[:lower:]]"]
PATH_ATOMS = ["a", "b", "ab", "ba", "*", "é", " ", "?", "[", "\n", ".", "]", "-"]


def _segment(atoms: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(atoms), min_size=1, max_size=3).map("".join)


pattern_segments = st.one_of(_segment(PATTERN_ATOMS), st.sampled_from(["**", "***", "a"]))
patterns = st.builds(
    lambda lead, segs, trail: lead + "/".join(segs) + trail,
    st.sampled_from(["", "", "/", "\\!", "\\#"]),
    st.lists(pattern_segments, min_size=1, max_size=4),
    st.sampled_from(["", "", "/", "\\ "]),
)
path_segments = _segment(PATH_ATOMS).filter(lambda s: s not in (".", ".."))
paths = st.lists(path_segments, min_size=1, max_size=4).map("/".join)


def near_miss(pattern: str, filler: str) -> str:
    """A path shaped like ``pattern``, so that a good share of generated paths match."""
    text = re.sub(r"\[[!^]?\]?[^]]*\]", "a", pattern.strip("/"))
    text = text.replace("**", f"{filler}/a").replace("*", filler).replace("?", "b")
    return re.sub(r"\\(.)", r"\1", text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pattern=patterns,
    sample=st.lists(paths, min_size=1, max_size=10),
    fillers=st.lists(st.sampled_from(["a", "ab", "é", "b/a"]), max_size=3),
)
def test_generated_patterns_match_as_git_does(
    git: GitOracle, pattern: str, sample: list[str], fillers: list[str]
) -> None:
    try:
        compiled = parse_pattern(pattern)
    except ScopeError:
        reject()
    sample += [near_miss(pattern, f) for f in fillers]
    sample = [p for p in sample if all(s not in ("", ".", "..") for s in p.split("/"))]
    assert [compiled.matches(p) for p in sample] == git.verdicts(pattern, sample)


# ------------------------------------------------- adversarial patterns

# Stars, ``**`` and literals mixed so that a backtracking matcher has many ways
# to share a long name among the stars, and paths long enough to show it.
ADVERSARIAL_ATOMS = ["*", "**", "a", "a", "b", "?", "[ab]", "*a", "a*", "\\*"]
adversarial_segments = st.one_of(
    st.lists(st.sampled_from(ADVERSARIAL_ATOMS), min_size=1, max_size=12).map("".join),
    st.sampled_from(["**", "***", "a", "*"]),
)
adversarial_patterns = st.builds(
    lambda lead, segs, trail: lead + "/".join(segs) + trail,
    st.sampled_from(["", "/"]),
    st.lists(adversarial_segments, min_size=1, max_size=6),
    st.sampled_from(["", "/"]),
)


def names_of(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), min_size=1, max_size=12).map("".join)


# git's own matcher backtracks too, once a segment of several stars is followed
# by more segments: the paths it judges stay short, and such segments have at
# most three runs of stars there. The long paths get the work bound alone.
STAR_RUNS = re.compile(r"(?<!\\)\*+")
short_paths = st.lists(names_of(["a", "aa", "b", "ab", "ba"]), min_size=1, max_size=6).map("/".join)
long_paths = st.lists(
    names_of(["a", "a" * 7, "a" * 40, "b", "ab", "ba"]), min_size=1, max_size=8
).map("/".join)


def work_bound(pattern: str, path: str) -> int:
    """The most character comparisons a match may take: a small multiple of len x len."""
    return 8 * (len(git_view(path)) + 1) * (len(pattern) + 1)


def check_work(pattern: str, sample: list[str]) -> list[bool]:
    """Each path's verdict from the linear matcher, asserting its work stayed in the bound."""
    glob = linear(pattern)
    verdicts = []
    for path in sample:
        matched, work = glob.run(git_view(path))
        assert work <= work_bound(pattern, path), (path, work)
        verdicts.append(matched)
    return verdicts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pattern=adversarial_patterns,
    sample=st.lists(short_paths, min_size=1, max_size=8),
    fillers=st.lists(st.sampled_from(["a", "aaaa", "ab", "b/a"]), max_size=3),
)
def test_adversarial_patterns_match_as_git_does(
    git: GitOracle, pattern: str, sample: list[str], fillers: list[str]
) -> None:
    try:
        compiled = parse_pattern(pattern)
    except ScopeError:
        reject()
    # git backtracks as (name length)^(stars) when a segment of many stars is
    # followed by another one: such patterns have no oracle within seconds.
    if any(len(STAR_RUNS.findall(s)) > 3 for s in pattern.rstrip("/").split("/")[:-1]):
        reject()
    sample += [near_miss(pattern, f) for f in fillers]
    sample = [p for p in sample if all(s not in ("", ".", "..") for s in p.split("/"))]
    expected = git.verdicts(pattern, sample, timeout=60)
    assert [compiled.matches(p) for p in sample] == expected
    assert check_work(pattern, sample) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pattern=adversarial_patterns,
    sample=st.lists(long_paths, min_size=1, max_size=8),
    fillers=st.lists(st.sampled_from(["a", "a" * 300, "ab", "b/a"]), max_size=3),
)
def test_adversarial_patterns_on_long_paths_take_bounded_work(
    pattern: str, sample: list[str], fillers: list[str]
) -> None:
    try:
        compiled = parse_pattern(pattern)
    except ScopeError:
        reject()
    sample += [near_miss(pattern, f) for f in fillers]
    sample = [p for p in sample if all(s not in ("", ".", "..") for s in p.split("/"))]
    # Both engines agree, and the linear one stays within its bound.
    assert check_work(pattern, sample) == [compiled.matches(p) for p in sample]


WORST = "/x/" + "*a" * 12 + "*b"


@pytest.mark.parametrize("size", [40, 4_000, 40_000])
@pytest.mark.parametrize("tail", ["", "b", "ab/c", "/b", "ba"])
def test_the_worst_known_pattern_takes_bounded_work(size: int, tail: str) -> None:
    path = "x/" + "a" * size + tail
    pattern = parse_pattern(WORST)
    assert pattern.glob, "a pattern with many stars in one segment must not use the regex"
    matched, work = linear(WORST).run(path)
    assert matched == (tail == "b" or tail == "ab/c") == pattern.matches(path)
    assert work <= work_bound(WORST, path)


def test_work_grows_linearly_with_the_path() -> None:
    # Not a timing: the count of comparisons, which backtracking would make explode.
    glob = linear("/" + "/".join(["**", "*a*a*a*b", "**", "a*a"]) + "/")
    # Every literal occurs, but no name ends in b after three a's: each place is tried.
    small = glob.run("/".join(["a" * 50] * 20 + ["b"]))
    large = glob.run("/".join(["a" * 50] * 200 + ["b"]))
    assert not small[0]
    assert not large[0]
    assert large[1] <= 11 * small[1]


# The patterns that keep Python's regex (one star run per segment, one ``**``),
# against long names: a hang guard only, with a generous timeout; counting the
# regex engine's steps is not possible from Python.
REGEX_GUARD = """
import itertools
from lanewarden.domain.scopes import parse_pattern
segments = ["*a", "a*", "?a*", "[ab]*b", "a", "*"]
names = ["a" * 4000, "/".join(["a"] * 2000), "/".join(["a" * 40] * 100), "/".join(["ab"] * 1000)]
checked = 0
for n in range(1, 4):
    for combo in itertools.product(segments, repeat=n):
        for star_at in range(-1, n + 1):
            parts = list(combo)
            if star_at >= 0:
                parts.insert(star_at, "**")
            for lead in ("", "/"):
                pattern = parse_pattern(lead + "/".join(parts))
                if not pattern.glob:
                    checked += 1
                    for name in names:
                        pattern.matches(name)
                        pattern.matches(name + "b")
assert checked > 1000, checked
"""


def test_patterns_kept_on_the_regex_engine_do_not_backtrack_on_long_names() -> None:
    subprocess.run([sys.executable, "-c", REGEX_GUARD], check=True, timeout=300)


def run_bounded(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lanewarden`` with a generous timeout: a backtracking matcher ran for minutes here."""
    return subprocess.run(
        [sys.executable, "-m", "lanewarden", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_a_scope_with_many_stars_does_not_stall_the_hook_or_lock_who(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_lock(repo, "L-001", "src/app/")
    acquire_lock(repo, "L-002", WORST)
    git_run(repo, "add", "PLAN.md")
    git_run(repo, "commit", "-qm", "locks", env={"LANEWARDEN_ROLE": "integrator"})
    stalling, owned = "x/" + "a" * 40, "x/" + "a" * 40 + "b"
    write(repo, stalling)
    write(repo, owned)
    git_run(repo, "add", "x")

    who = run_bounded(repo, "lock", "who", "--json", stalling, owned, env={})
    assert who.returncode == 0, who.stderr
    assert [row["locks"] for row in json.loads(who.stdout)["paths"]] == [[], ["L-002"]]

    hook = run_bounded(repo, "hook", "pre-commit", env={"LANEWARDEN_LANE": "L-002"})
    assert hook.returncode == 1
    assert f"out-of-scope: {stalling}" in hook.stderr
    assert owned not in hook.stderr

    base = git_run(repo, "rev-parse", "HEAD").strip()
    integrator = {"LANEWARDEN_ROLE": "integrator"}
    git_run(repo, "commit", "-qm", "x", "--no-verify", "--trailer", "Lane: L-002", env=integrator)
    verify = run_bounded(repo, "verify", "--range", f"{base}..HEAD", "--json", env={})
    assert verify.returncode == 1, verify.stderr
    outside = {(v["rule"], v["path"]) for v in json.loads(verify.stdout)["violations"]}
    assert ("out-of-scope", stalling) in outside
    assert not any(path == owned for _, path in outside)


# ------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "#comment",
        "!",
        "/",
        "!/",
        "a//b",
        "//a",
        "C:\\x",
        "c:/x",
        "../a",
        "a/../b",
        "./a",
        "a/.",
        "a/\\.\\./b",
        "[ab",
        "a/[b",
        "x[a/b]",
        "foo\\",
        "a\\/b",
        "[[:nope:]]",
        "[[:alpha:]",
        " a",
        "a ",
        "! a",
        "a\tb",
        "a\nb",
    ],
)
def test_invalid_patterns_are_refused(text: str) -> None:
    with pytest.raises(ScopeError, match="invalid scope pattern"):
        parse_pattern(text)


def test_scope_error_names_the_bad_pattern_and_its_position() -> None:
    with pytest.raises(ScopeError, match=r"'src/\[x'.*pattern 2 of the scope"):
        Scope.parse(["docs/", "src/[x"])


@pytest.mark.parametrize("texts", [[], ["!a", "!b"]])
def test_a_scope_needs_a_positive_pattern(texts: list[str]) -> None:
    with pytest.raises(ScopeError, match="scope"):
        Scope.parse(texts)


def test_a_scope_is_not_one_string() -> None:
    with pytest.raises(ScopeError, match="list of patterns"):
        Scope.parse("src/")


def test_allowed_oddities() -> None:
    assert parse_pattern("/src/x").literal_prefix == "src/x"
    assert parse_pattern("!#x").negated
    assert parse_pattern("...").matches("a/...")
    assert parse_pattern("a\\.b").matches("a.b")


# ------------------------------------------------------- last match wins


def test_negation_carves_out_of_an_included_directory() -> None:
    scope = Scope.parse(["src/app/", "!src/app/skip.py"])
    assert scope.matches("src/app/a.py")
    assert not scope.matches("src/app/skip.py")
    assert not scope.matches("src/other.py")


def test_the_last_matching_pattern_decides() -> None:
    scope = Scope.parse(["src/", "!src/vendor/", "src/vendor/ours/", "!*.tmp"])
    assert scope.matches("src/a.py")
    assert not scope.matches("src/vendor/lib.py")
    assert scope.matches("src/vendor/ours/x.py")
    assert not scope.matches("src/vendor/ours/x.tmp")
    # Unlike git, a later pattern re-includes inside an excluded directory.
    assert Scope.parse(["a/", "!a/b/", "a/b/c.py"]).matches("a/b/c.py")


def test_texts_keep_the_patterns_as_written() -> None:
    assert Scope.parse(["src/", "!src/x"]).texts() == ("src/", "!src/x")


def test_literal_prefix() -> None:
    assert parse_pattern("src/app/**/*.py").literal_prefix == "src/app/"
    assert parse_pattern("src/a*").literal_prefix == "src/a"
    assert parse_pattern("src/abc/").literal_prefix == "src/abc/"
    assert parse_pattern("src/\\*x").literal_prefix == "src/*x"
    assert parse_pattern("*.py").literal_prefix == ""
    assert parse_pattern("foo").literal_prefix == ""
    assert parse_pattern("**/foo").literal_prefix == ""
    assert parse_pattern("/*.py").literal_prefix == ""


# --------------------------------------------------------------- cache


def test_cache_round_trip() -> None:
    scope = Scope.parse(["src/app/", "!src/app/skip.py", "*.md", "dé/ñ?"])
    data = scope.to_cache()
    restored = Scope.from_cache(data)
    assert restored == scope
    for path in ["src/app/a.py", "src/app/skip.py", "x/y.md", "dé/ñx", "other"]:
        assert restored.matches(path) == scope.matches(path)
    assert Pattern.from_cache(list(scope.patterns[1].to_cache())) == scope.patterns[1]


@pytest.mark.parametrize(
    "data",
    [
        None,
        ("a",),
        ("a", "no", "x", ""),
        3,
        # the form before patterns could carry a linear glob: read again from the ledger
        ("a*a*b", False, "(?s)(?:.+/)?a[^/]*a[^/]*b(?:/.*)?", "", "wild", ""),
        ("a*a*b", False, "", "", "wild", "", ""),
        ("a*a*b", False, "(?s)a", "", "wild", "", "a*a*b"),
    ],
)
def test_malformed_cache_is_refused(data: object) -> None:
    with pytest.raises(ScopeError, match="malformed"):
        Pattern.from_cache(data)


@pytest.mark.parametrize("text", ["src/**/*.py", "src/**/*.p*y/**/"])
def test_cached_patterns_match_without_importing_pathspec(text: str) -> None:
    cached = parse_pattern(text).to_cache()
    code = (
        "import sys\n"
        "from lanewarden.domain.scopes import Pattern, Scope, ScopeIndex\n"
        f"p = Pattern.from_cache({cached!r})\n"
        "index = ScopeIndex({'a': Scope((p,))})\n"
        "assert p.matches('src/x/y.py/z/w') and index.owners('src/y.py/z/w') == ['a']\n"
        "assert not p.matches('src/x/y.pz/z/w') and index.owners('src/y.pz/z/w') == []\n"
        "assert 'pathspec' not in sys.modules, 'pathspec imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------ may share paths


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (["src/a*"], ["src/abc/"], [("src/a*", "src/abc/")]),
        (["src/abc/"], ["src/a*"], [("src/abc/", "src/a*")]),
        (["src/app"], ["src/apple/"], []),
        (["src/app"], ["src/app/x.py"], [("src/app", "src/app/x.py")]),
        (["src/a/"], ["src/b/"], []),
        (["*.py"], ["docs/"], [("*.py", "docs/")]),
        (["src/new/"], ["src/**"], [("src/new/", "src/**")]),
        (["src/app/skip.py"], ["src/app/", "!src/app/skip.py"], []),
        (["src/app/", "!src/app/skip.py"], ["src/app/skip.py"], []),
        (["pkg/src/**", "!pkg/src/vendor/"], ["pkg/src/vendor/x.py"], []),
        (["src/"], ["src/app/", "!src/app/*.py"], [("src/", "src/app/")]),
        (["/docs/", "!/src/"], ["/src/"], []),
        (["docs/"], ["/src/"], [("docs/", "/src/")]),  # docs/ is unanchored: src/docs/
        (["src/x.py"], ["src/x.py"], [("src/x.py", "src/x.py")]),
        (["src/vendor/x.py"], ["/src/", "!vendor/"], []),
        (["src/a.d/x"], ["/src/", "!*.d"], []),
        (["src/vendor/x.py"], ["/src/", "!vendor/*.c"], [("src/vendor/x.py", "/src/")]),
    ],
)
def test_may_share_paths_with(
    mine: list[str], theirs: list[str], expected: list[tuple[str, str]]
) -> None:
    assert Scope.parse(mine).may_share_paths_with(Scope.parse(theirs)) == expected


def test_future_paths_conflict_although_no_file_exists(tmp_path: Path) -> None:
    # Nothing under src/new exists anywhere, yet both scopes could claim src/new/x.
    assert not list(tmp_path.iterdir())
    mine, theirs = Scope.parse(["src/new/"]), Scope.parse(["src/n*"])
    assert mine.may_share_paths_with(theirs) == [("src/new/", "src/n*")]


# --------------------------------------------------------------- index

DIRS = ["a", "b", "a/b", "b/c"]
index_patterns = st.one_of(
    st.sampled_from(DIRS).map(lambda d: d + "/"),
    st.sampled_from(DIRS).map(lambda d: d + "/x.py"),
    st.sampled_from(DIRS).map(lambda d: d + "/*.py"),
    st.sampled_from(DIRS).map(lambda d: d + "/**"),
    st.sampled_from(DIRS).map(lambda d: d + "/x*"),
    st.sampled_from(["*.py", "x.py", "c/", "**/b/*", "a", "/a", "b/", "*.b.py", "*y.py", "*.py/"]),
    st.sampled_from(["x*", "*y", "a.*", "**y", "*.*", "?.py", "[ab]"]),
)
# The first pattern is positive: a scope of only negations is refused.
scope_texts = st.builds(
    lambda first, rest: [first, *rest],
    index_patterns,
    st.lists(
        st.tuples(st.booleans(), index_patterns).map(lambda t: ("!" if t[0] else "") + t[1]),
        max_size=4,
    ),
)
index_paths = st.lists(
    st.sampled_from(["a", "b", "c", "x.py", "xy", "y.py"]), min_size=1, max_size=4
)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(scope_texts, min_size=1, max_size=6),
    sample=st.lists(index_paths.map("/".join), min_size=1, max_size=20),
)
def test_index_owners_agree_with_brute_force(texts: list[list[str]], sample: list[str]) -> None:
    scopes = {f"L-{n:03}": Scope.parse(t) for n, t in enumerate(texts)}
    index = ScopeIndex(scopes)
    for path in sample:
        assert index.owners(path) == [n for n, s in scopes.items() if s.matches(path)]


@settings(max_examples=150, deadline=None)
@given(a=scope_texts, b=scope_texts, sample=st.lists(index_paths.map("/".join), max_size=20))
def test_may_share_is_never_wrong_about_a_shared_path(
    a: list[str], b: list[str], sample: list[str]
) -> None:
    mine, theirs = Scope.parse(a), Scope.parse(b)
    if any(mine.matches(p) and theirs.matches(p) for p in sample):
        assert mine.may_share_paths_with(theirs)


def test_index_owners_in_mapping_order() -> None:
    scopes = {
        "L-2": Scope.parse(["src/"]),
        "L-1": Scope.parse(["*.py", "!src/vendor/"]),
        "L-3": Scope.parse(["docs/"]),
    }
    index = ScopeIndex(scopes)
    assert index.owners("src/a.py") == ["L-2", "L-1"]
    assert index.owners("src/vendor/a.py") == ["L-2"]
    assert index.owners("docs/a.md") == ["L-3"]
    assert index.owners("README") == []
