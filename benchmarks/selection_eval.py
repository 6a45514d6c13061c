"""How well ``pytest --lw-changed`` selects on a real project: speed on history, safety on mutants.

Given a git repository (a real project fetched as source), in a scratch clone:

1. **History.** Replays up to ``--max-commits`` recent non-merge commits that
   change source files (``.py`` files that are not tests): the clone is put at
   the parent and the commit's diff applied as an unstaged change, then the
   full suite and the scoped run (``pytest --lw-changed``) both run. Per
   commit: files changed, tests run by each, wall time, speedup.
2. **Mutations.** At the newest commit, runs the full suite once to learn the
   tests that fail already (they are deselected from then on), then applies
   ``--max-mutations`` seeded mutations to source files, one at a time: flip a
   comparison (``<`` to ``>=``, ``==`` to ``!=``, ``in`` to ``not in``...),
   change a constant (``n`` to ``n + 1``, ``True`` to ``False``), or return
   early (``return None`` as a function's first statement). For each, the full
   suite and the scoped run both run with ``-x``; a mutation is *caught* when a
   run fails. Every mutation the full suite catches and the scoped run misses
   is listed with its file and line.

Two more selectors can be measured beside the static one, on the same commits
and mutations, each in its own column:

- ``--testmon``: pytest-testmon (installed for ``--python``). It needs its own
  full run to build its database: on each commit's parent (from scratch),
  and once on the newest commit for the mutations (its database is restored
  after that run before each mutation). Its runs keep pytest's cache plugin,
  which testmon reads.
- ``--coverage-map``: ``pytest --lw-changed`` refined by lanewarden's coverage
  map, recorded by a full run with ``--lw-record-coverage`` on the same clean
  trees; the static column then runs with ``--lw-no-coverage-map``.

The time of those full runs is reported apart: it is paid once per base, not
per change.

The project's tests run with ``--python`` (an interpreter with pytest,
lanewarden and the project's test dependencies), the project importable
through ``--pythonpath`` (for a ``src/`` layout: ``src``). Runs write bytecode
(``PYTHONDONTWRITEBYTECODE`` is dropped) and one untimed collection fills the
caches first, as on a developer's machine. Every run is under
``nice`` and a ``--timeout``: the machine may be shared. ``--config`` writes a
``lanewarden.toml`` into the clone (hidden from git, so it is not a change) to
measure a configuration a maintainer would write; ``--source`` limits what
counts as the library's code (default: every ``.py`` file outside tests).

Usage::

    python benchmarks/selection_eval.py REPO --work DIR --python VENV/bin/python \\
        --pythonpath src --source src --max-commits 5 --max-mutations 10 \\
        [--config lanewarden.toml] [--seed 1] [--json out.json] [--testmon] [--coverage-map]

The clone lives in ``DIR/clone``; the project's code is never copied elsewhere.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

TEST_DIRS = {"tests", "test", "testing"}
OUTCOME = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|deselected|warnings?)")
FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass
class Run:
    """One pytest process: its exit code, what ran, how long it took."""

    code: int
    seconds: float
    ran: int  # tests that ran (passed, failed, errors, skipped, xfail)
    failed: int
    deselected: int
    timed_out: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        """Whether the run failed: a test failed or errored, collection broke, or it was killed.

        A negative code is a signal: a mutant that loops while allocating gets the
        process killed (SIGKILL from the kernel when memory runs out).
        """
        return self.timed_out or self.code in (1, 2, 3) or self.code < 0


@dataclass
class CommitResult:
    """One replayed commit: the full suite, and each selector's run (by selector name)."""

    commit: str
    subject: str
    files: list[str]
    source_files: int
    full: Run
    runs: dict[str, Run]
    prepared: dict[str, Run] = field(default_factory=dict)  # a selector's full run on the parent

    @property
    def scoped(self) -> Run:
        """The static selection's run (``pytest --lw-changed``)."""
        return self.runs[STATIC]

    @property
    def speedup(self) -> float:
        """Full suite time over scoped time."""
        return self.speedup_of(STATIC)

    def speedup_of(self, name: str) -> float:
        """Full suite time over the time of one selector's run."""
        return self.full.seconds / max(self.runs[name].seconds, 1e-9)


@dataclass
class Mutation:
    """One seeded change to one source file."""

    path: str
    line: int
    col: int  # UTF-8 byte offsets in the line, as ast gives them
    end_col: int
    kind: str
    before: str
    after: str
    full: Run | None = None
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def scoped(self) -> Run | None:
        """The static selection's run."""
        return self.runs.get(STATIC)


def git(clone: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in the clone; its output as text."""
    done = subprocess.run(
        ["git", "-C", str(clone), *args], input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8", "replace")


STATIC, MAPPED, TESTMON = "static", "map", "testmon"
TESTMON_DATA = ".testmondata"


@dataclass(frozen=True)
class Selector:
    """A way to run a subset of the suite: its own full run first (if any), then the subset."""

    name: str
    prepare: tuple[str, ...] | None  # pytest arguments of the full run it needs on the clean tree
    select: tuple[str, ...]  # pytest arguments of the selected run
    cache: bool = False  # pytest's cache plugin left on (pytest-testmon reads its options)


def selectors(args: argparse.Namespace) -> list[Selector]:
    """The selectors measured: the static graph always; the coverage map and testmon if asked.

    With ``--coverage-map`` the static run is told to ignore the map
    (``--lw-no-coverage-map``) and the map's run uses the map recorded on the
    clean tree by a full run with ``--lw-record-coverage``.
    """
    static = ("--lw-changed", "--lw-no-coverage-map") if args.coverage_map else ("--lw-changed",)
    chosen = [Selector(STATIC, None, static)]
    if args.coverage_map:
        chosen.append(Selector(MAPPED, ("--lw-record-coverage",), ("--lw-changed",)))
    if args.testmon:
        chosen.append(Selector(TESTMON, ("--testmon",), ("--testmon",), cache=True))
    return chosen


def drop_testmon_data(clone: Path) -> None:
    """Remove pytest-testmon's database (and SQLite's side files) from the clone."""
    for file in clone.glob(TESTMON_DATA + "*"):
        file.unlink()


SOURCE_FOLDERS: list[str] = []  # --source: only these folders hold the library's code


def is_source(path: str) -> bool:
    """A Python file of the library: not a test, a conftest or a test helper."""
    if SOURCE_FOLDERS and not any(path.startswith(f.rstrip("/") + "/") for f in SOURCE_FOLDERS):
        return False
    parts = path.split("/")
    name = parts[-1]
    return (
        name.endswith(".py")
        and not name.startswith("test_")
        and not name.endswith("_test.py")
        and name != "conftest.py"
        and TEST_DIRS.isdisjoint(parts[:-1])
        and not any(p in ("docs", "doc", "bench", "benchmarks", "examples") for p in parts[:1])
    )


def prepare_clone(repo: Path, work: Path, config: str | None) -> Path:
    """A scratch clone at ``work/clone``, reset to the newest commit."""
    clone = work / "clone"
    if not (clone / ".git").is_dir():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    git(clone, "checkout", "-q", "--force", "--detach", "origin/HEAD")
    git(clone, "clean", "-fdxq", "-e", "lanewarden.toml")
    exclude = clone / ".git" / "info" / "exclude"
    exclude.parent.mkdir(exist_ok=True)
    lines = exclude.read_text().splitlines() if exclude.exists() else []
    ignored = ("lanewarden.toml", ".hypothesis/", "__pycache__/", "*.pyc", ".pytest_cache/")
    for pattern in (*ignored, TESTMON_DATA + "*"):
        if pattern not in lines:
            lines.append(pattern)
    exclude.write_text("\n".join(lines) + "\n")
    toml = clone / "lanewarden.toml"
    if config is not None:
        toml.write_text(Path(config).read_text())
    elif toml.exists():
        toml.unlink()
    return clone


def reset(clone: Path, commit: str) -> None:
    """The clone at ``commit``, with no change (the lanewarden caches in .git stay)."""
    git(clone, "checkout", "-q", "--force", "--detach", commit)
    git(clone, "clean", "-fdq", "-e", "lanewarden.toml")


def pytest_run(
    clone: Path, args: argparse.Namespace, extra: list[str], *, cache: bool = False
) -> Run:
    """One pytest process in the clone, under nice and a timeout.

    pytest's cache is off (``-p no:cacheprovider``) unless ``cache``: so no run
    reorders or reruns tests by what an earlier run saw.
    """
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(clone / p) for p in args.pythonpath)
    env.pop("PYTEST_ADDOPTS", None)
    # Bytecode is cached as on a developer's machine: without it, every run would compile
    # the whole project (and rewrite every test module) again, a fixed cost of its own.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = ["nice", "-n", "10", args.python, "-m", "pytest", "-q", "-rfE"]
    command += [] if cache else ["-p", "no:cacheprovider"]
    command += [*args.pytest_arg, *extra]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=clone, env=env, capture_output=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Run(-1, time.perf_counter() - start, 0, 0, 0, timed_out=True)
    seconds = time.perf_counter() - start
    out = done.stdout.decode("utf-8", "replace")
    counts: dict[str, int] = {}
    lines = out.strip().splitlines()
    for number, word in OUTCOME.findall(lines[-1] if lines else ""):
        counts[word.rstrip("s") if word.startswith(("error", "warning")) else word] = int(number)
    failures = [
        line.split(" ", 1)[1].split(" - ")[0]
        for line in lines
        if line.startswith(("FAILED ", "ERROR "))
    ]
    ran = sum(counts.get(k, 0) for k in ("passed", "failed", "skipped", "xfailed", "xpassed"))
    ran += counts.get("error", 0)
    failed = counts.get("failed", 0) + counts.get("error", 0)
    return Run(done.returncode, seconds, ran, failed, counts.get("deselected", 0), False, failures)


def measure_floor(clone: Path, args: argparse.Namespace) -> float | None:
    """What any scoped run pays at least: pytest starting with the project's configuration
    and conftests, collecting no file (the best of three); None if such a run fails.

    ``--ignore-glob`` rather than ``-p no:doctest``: a project whose ``addopts``
    holds ``--doctest-modules`` would make the latter a usage error.
    """
    nothing = ["-p", "no:lanewarden", "--ignore-glob=*.py", "-o", "python_files=lanewarden-floor"]
    runs = [pytest_run(clone, args, nothing) for _ in range(3)]
    if any(run.code not in (0, 5) for run in runs):  # 5: no tests collected
        return None
    return min(run.seconds for run in runs)


def source_commits(clone: Path, limit: int, scan: int) -> list[tuple[str, str, list[str]]]:
    """Recent commits with one parent (newest first) that change at least one source file."""
    log = git(
        clone,
        "log",
        "--min-parents=1",
        "--max-parents=1",
        f"-n{scan}",
        "--format=%x00%H %s",
        "--name-only",
    )
    found = []
    for block in log.split("\x00")[1:]:
        head, _, names = block.partition("\n")
        commit, _, subject = head.partition(" ")
        files = [n for n in names.splitlines() if n]
        if any(is_source(f) for f in files) and len(files) <= 40:
            found.append((commit, subject, files))
        if len(found) == limit:
            break
    return found


def replay(
    clone: Path,
    args: argparse.Namespace,
    results: list[CommitResult],
    save: Callable[[Run | None], None],
) -> None:
    """Each selected commit as an unstaged change on its parent: full run, then each selector.

    A selector that needs its own full run (testmon's database, the coverage
    map) gets it on the parent, before the change is applied, from scratch.
    """
    chosen = selectors(args)
    found = source_commits(clone, args.skip_commits + args.max_commits, args.scan)
    for commit, subject, files in found[args.skip_commits :]:
        reset(clone, f"{commit}^")
        drop_testmon_data(clone)
        prepared = {
            s.name: pytest_run(clone, args, list(s.prepare), cache=s.cache)
            for s in chosen
            if s.prepare is not None
        }
        diff = subprocess.run(
            ["git", "-C", str(clone), "diff", "--binary", f"{commit}^", commit],
            capture_output=True,
            check=True,
        ).stdout
        git(clone, "apply", "--whitespace=nowarn", "-", stdin=diff)
        full = pytest_run(clone, args, [])
        runs = {s.name: pytest_run(clone, args, list(s.select), cache=s.cache) for s in chosen}
        result = CommitResult(
            commit[:10], subject[:60], files, sum(map(is_source, files)), full, runs, prepared
        )
        results.append(result)
        save(None)
        print(
            f"commit {result.commit} {len(files)} files: full {full.ran} tests "
            f"{full.seconds:.1f}s; "
            + ", ".join(
                f"{name} {run.ran} tests {run.seconds:.1f}s ({result.speedup_of(name):.1f}x)"
                for name, run in runs.items()
            ),
            file=sys.stderr,
        )


def mutation_sites(clone: Path, path: str) -> list[Mutation]:
    """Every mutation this module offers: comparisons, numeric and boolean constants, returns."""
    text = (clone / path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.splitlines(keepends=True)
    in_fstring = {
        id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)
    }
    sites: list[Mutation] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and node.end_lineno == node.lineno:
            if id(node) in in_fstring:
                continue
            op = type(node.ops[0])
            if op in FLIPS:
                mutated = ast.Compare(node.left, [FLIPS[op](), *node.ops[1:]], node.comparators)
                before = ast.get_source_segment(text, node) or ""
                after = ast.unparse(mutated)
                sites.append(_site(path, node, "flip comparison", before, after))
        elif isinstance(node, ast.Constant) and node.end_lineno == node.lineno:
            value = node.value
            if id(node) in in_fstring or not isinstance(value, int):
                continue
            new = (not value) if isinstance(value, bool) else value + 1
            before = ast.get_source_segment(text, node) or ""
            sites.append(_site(path, node, "change constant", before, repr(new)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[1] if len(body) > 1 and _is_docstring(body[0]) else body[0]
            returns = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(node))
            indent = lines[first.lineno - 1][: first.col_offset]
            if returns and first.lineno > node.lineno and not indent.strip():
                sites.append(_site(path, first, "return early", f"def {node.name}", "return None"))
    return sites


def _site(path: str, node: ast.AST, kind: str, before: str, after: str) -> Mutation:
    line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
    return Mutation(path, line, col, getattr(node, "end_col_offset", col), kind, before, after)


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def apply_mutation(clone: Path, mutation: Mutation) -> bool:
    """Write the mutated module; False when the result does not compile (then it is skipped)."""
    file = clone / mutation.path
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    raw = lines[mutation.line - 1].encode("utf-8")
    if mutation.kind == "return early":
        indent = raw[: mutation.col].decode()
        lines.insert(mutation.line - 1, f"{indent}return None\n")
    else:
        replacement = f"({mutation.after})".encode()
        lines[mutation.line - 1] = (
            raw[: mutation.col] + replacement + raw[mutation.end_col :]
        ).decode("utf-8")
    new = "".join(lines)
    try:
        compile(new, mutation.path, "exec")
    except SyntaxError:
        return False
    file.write_text(new, encoding="utf-8")
    return True


def mutate(
    clone: Path, args: argparse.Namespace, done: list[Mutation], save: Callable[[Run | None], None]
) -> Run:
    """Seeded mutations at the newest commit, each run by the full suite and every selector.

    The selectors' own full runs happen once, on the clean newest commit (with
    the tests that fail there deselected); pytest-testmon's database is put
    back as it was after that run before each mutation, so one mutation's
    failures never make testmon rerun tests for the next.
    """
    reset(clone, "origin/HEAD")
    drop_testmon_data(clone)
    baseline = pytest_run(clone, args, [])
    print(
        f"baseline: {baseline.ran} tests, {baseline.failed} failing, {baseline.seconds:.1f}s",
        file=sys.stderr,
    )
    deselect = [f"--deselect={nodeid}" for nodeid in baseline.failures]
    chosen = selectors(args)
    for selector in chosen:
        if selector.prepare is not None:
            pytest_run(clone, args, [*selector.prepare, *deselect], cache=selector.cache)
    saved = {f.name: f.read_bytes() for f in clone.glob(TESTMON_DATA + "*")}
    files = sorted(p for p in git(clone, "ls-files", "-z").split("\0") if p and is_source(p))
    files = [p for p in files if not any(p.startswith(x + "/") for x in args.skip)]
    sites = [site for path in files for site in mutation_sites(clone, path)]
    rng = random.Random(args.seed)
    rng.shuffle(sites)
    skipped = 0
    for site in sites:
        if len(done) == args.max_mutations:
            break
        reset(clone, "origin/HEAD")
        if not apply_mutation(clone, site):
            continue
        if skipped < args.skip_mutations:  # measured by an earlier run with the same seed
            skipped += 1
            continue
        site.full = pytest_run(clone, args, ["-x", *deselect])
        for selector in chosen:
            drop_testmon_data(clone)
            for name, data in saved.items():
                (clone / name).write_bytes(data)
            extra = ["-x", *selector.select, *deselect]
            site.runs[selector.name] = pytest_run(clone, args, extra, cache=selector.cache)
        done.append(site)
        save(baseline)
        print(
            f"mutation {site.path}:{site.line} {site.kind}: full "
            f"{'caught' if site.full.caught else 'missed'}; "
            + ", ".join(
                f"{name} {'caught' if run.caught else 'missed'} ({run.ran} tests ran)"
                for name, run in site.runs.items()
            ),
            file=sys.stderr,
        )
    reset(clone, "origin/HEAD")
    drop_testmon_data(clone)
    return baseline


def _cell(run: Run) -> str:
    if run.timed_out:
        return f"timed out after {run.seconds:.0f} s"
    failed = f" ({run.failed} failed)" if run.failed else ""
    return f"{run.ran}{failed}, {run.seconds:.1f} s"


TITLES = {STATIC: "static", MAPPED: "with the coverage map", TESTMON: "pytest-testmon"}


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}x" if values else "n/a"


def report(
    commits: list[CommitResult],
    baseline: Run | None,
    mutations: list[Mutation],
    floor: float | None = None,
) -> str:
    """The Markdown tables: one column per selector, then a summary line per selector."""
    out = []
    # A selector may have been measured on some of the runs put together (--from-json) only.
    names = list(dict.fromkeys(n for item in [*commits, *mutations] for n in item.runs))
    if commits:
        out += [
            "| commit | files (source) | full: tests, time | "
            + " | ".join(f"{TITLES[n]}: tests, time, speedup" for n in names)
            + " |",
            "|---|---|---|" + "---|" * len(names),
        ]
        for c in commits:
            cells = [
                f"{_cell(c.runs[n])}, {c.speedup_of(n):.1f}x" if n in c.runs else "not measured"
                for n in names
            ]
            out.append(
                f"| `{c.commit}` {c.subject} | {len(c.files)} ({c.source_files}) | "
                f"{_cell(c.full)} | " + " | ".join(cells) + " |"
            )
        out.append("")
        for n in names:
            measured = [c for c in commits if n in c.runs]
            single = [c for c in measured if c.source_files == 1]
            none_ran = sum(1 for c in measured if not c.runs[n].ran)
            shares = [c.runs[n].ran / max(c.full.ran, 1) for c in single]
            share = f"{statistics.median(shares):.0%}" if shares else "n/a"
            which = "" if len(measured) == len(commits) else f" measured (of {len(commits)})"
            out.append(
                f"- {TITLES[n]}: median speedup {_median([c.speedup_of(n) for c in measured])} "
                f"over {len(measured)} commits{which}, "
                f"{_median([c.speedup_of(n) for c in single])} over the {len(single)} "
                f"single-module ones (median share of the suite run on those: {share}); "
                f"{none_ran} ran 0 tests."
            )
        if floor is not None:
            full = statistics.median(c.full.seconds for c in commits)
            out.append(
                f"- the floor, pytest starting and collecting no test file: {floor:.2f} s, so no"
                f" scoped run can be more than {full / floor:.1f}x faster than the median full"
                f" suite ({full:.1f} s) here."
            )
        for n in names:
            own = [c.prepared[n].seconds for c in commits if n in c.prepared]
            if own:
                out.append(
                    f"- {TITLES[n]} needs its own full run on the parent first: median "
                    f"{statistics.median(own):.1f} s (the full suite: "
                    f"{statistics.median(c.full.seconds for c in commits):.1f} s)."
                )
    if baseline is not None:
        caught = [m for m in mutations if m.full and m.full.caught]
        out += [
            "",
            f"Mutations: {len(mutations)} applied; the full suite ({baseline.ran} tests, "
            f"{baseline.failed} failing before any mutation, deselected) caught {len(caught)}; "
            + "; ".join(_caught_by(n, caught) for n in names)
            + ".",
            "",
            "| mutation | full suite | "
            + " | ".join(f"{TITLES[n]} (tests run until the first failure)" for n in names)
            + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for m in mutations:
            assert m.full is not None
            cells = [
                f"{'caught' if m.runs[n].caught else 'missed'} ({m.runs[n].ran})"
                if n in m.runs
                else "not measured"
                for n in names
            ]
            out.append(
                f"| `{m.path}:{m.line}` {m.kind}: `{m.before}` → `{m.after}` | "
                f"{'caught' if m.full.caught else 'missed'} | " + " | ".join(cells) + " |"
            )
        for n in names:
            misses = [m for m in caught if n in m.runs and not m.runs[n].caught]
            if misses:
                out += ["", f"Missed by {TITLES[n]}, caught by the full suite:"]
                out += [
                    f"- `{m.path}:{m.line}` {m.kind} (`{m.before}` → `{m.after}`)" for m in misses
                ]
    return "\n".join(out)


def _caught_by(name: str, caught: list[Mutation]) -> str:
    measured = [m for m in caught if name in m.runs]
    if not measured:
        return f"{TITLES[name]} not measured"
    count = sum(1 for m in measured if m.runs[name].caught)
    return f"{TITLES[name]} caught {count} of those" + (
        "" if len(measured) == len(caught) else f" (measured on {len(measured)})"
    )


def load(
    paths: list[Path],
) -> tuple[list[CommitResult], Run | None, list[Mutation], float | None]:
    """The measurements written by earlier runs' ``--json``, put together in order."""
    commits: list[CommitResult] = []
    baseline: Run | None = None
    floor: float | None = None
    mutations: list[Mutation] = []
    for path in paths:
        document = json.loads(path.read_text())
        for c in document["commits"]:
            c.pop("speedup", None)
            c["full"] = Run(**c["full"])
            c["runs"] = {name: Run(**run) for name, run in c["runs"].items()}
            c["prepared"] = {name: Run(**run) for name, run in c["prepared"].items()}
            commits.append(CommitResult(**c))
        if document["baseline"] is not None:
            baseline = Run(**document["baseline"])
        if document.get("floor") is not None:  # the best of the runs', like each run's own
            floor = document["floor"] if floor is None else min(floor, document["floor"])
        for m in document["mutations"]:
            m["full"] = Run(**m["full"])
            m["runs"] = {name: Run(**run) for name, run in m["runs"].items()}
            mutations.append(Mutation(**m))
    return commits, baseline, mutations, floor


def missing_tools(args: argparse.Namespace) -> str:
    """What the asked-for modes need and ``--python`` lacks ('' when nothing)."""
    if args.testmon:
        probe = [args.python, "-c", "import testmon"]
        if subprocess.run(probe, capture_output=True, check=False).returncode:
            return f"--testmon needs pytest-testmon installed for {args.python}"
    if args.coverage_map:
        probe = [args.python, "-m", "pytest", "--help", "-p", "no:cacheprovider"]
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if "--lw-record-coverage" not in done.stdout:
            return f"--coverage-map needs a lanewarden with --lw-record-coverage for {args.python}"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run both parts, print the tables (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "repo", type=Path, nargs="?", help="the project's git repository (bare or not)"
    )
    parser.add_argument("--work", type=Path, help="scratch folder for the clone (required)")
    parser.add_argument("--python", default=sys.executable, help="interpreter running pytest")
    parser.add_argument("--pythonpath", action="append", default=[], help="e.g. src (repeatable)")
    parser.add_argument("--config", help="a lanewarden.toml to place in the clone")
    parser.add_argument("--source", action="append", default=[], help="library folder, e.g. src")
    parser.add_argument("--max-commits", type=int, default=5)
    parser.add_argument("--skip-commits", type=int, default=0, help="newest ones not replayed")
    parser.add_argument("--scan", type=int, default=300, help="commits of history to look through")
    parser.add_argument("--max-mutations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-mutations",
        type=int,
        default=0,
        help="first ones (with this seed) not applied: an earlier run measured them",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per pytest run")
    parser.add_argument("--skip", action="append", default=[], help="folder not to mutate")
    parser.add_argument("--pytest-arg", action="append", default=[], help="passed to every run")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument(
        "--testmon",
        action="store_true",
        help="also measure pytest-testmon (installed with --python): its own full run first",
    )
    parser.add_argument(
        "--coverage-map",
        action="store_true",
        help="also measure --lw-changed with a coverage map recorded by a full run first",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        action="append",
        default=[],
        help="print the tables of earlier runs' --json files (commits and mutations may come "
        "from separate runs), running nothing",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        print(report(*load(args.from_json)))
        return 0
    if args.repo is None or args.work is None:
        parser.error("REPO and --work are required (or --from-json)")
    if shutil.which("nice") is None:
        parser.error("needs `nice`")
    SOURCE_FOLDERS.extend(args.source)
    missing = missing_tools(args)
    if missing:
        parser.error(missing)
    clone = prepare_clone(args.repo.resolve(), args.work.resolve(), args.config)
    # Untimed: fills the bytecode caches, so the first measured run pays no more than the rest
    # (later checkouts recompile only the files they change).
    pytest_run(clone, args, ["--collect-only", "-p", "no:lanewarden"])
    floor = measure_floor(clone, args)
    commits: list[CommitResult] = []
    mutations: list[Mutation] = []
    baseline: Run | None = None

    def save(measured_baseline: Run | None) -> None:
        """Write the JSON after every measurement: an interrupted run keeps what it measured."""
        nonlocal baseline
        baseline = measured_baseline or baseline
        if args.json:
            document = {
                "commits": [
                    {**asdict(c), "speedup": {n: c.speedup_of(n) for n in c.runs}} for c in commits
                ],
                "baseline": asdict(baseline) if baseline else None,
                "floor": floor,
                "mutations": [asdict(m) for m in mutations],
            }
            args.json.write_text(json.dumps(document, indent=1))

    if args.max_commits:
        replay(clone, args, commits, save)
    if args.max_mutations:
        mutate(clone, args, mutations, save)
    save(None)
    print(report(commits, baseline, mutations, floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
