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

The project's tests run with ``--python`` (an interpreter with pytest,
lanewarden and the project's test dependencies), the project importable
through ``--pythonpath`` (for a ``src/`` layout: ``src``). Every run is under
``nice`` and a ``--timeout``: the machine may be shared. ``--config`` writes a
``lanewarden.toml`` into the clone (hidden from git, so it is not a change) to
measure a configuration a maintainer would write; ``--source`` limits what
counts as the library's code (default: every ``.py`` file outside tests).

Usage::

    python benchmarks/selection_eval.py REPO --work DIR --python VENV/bin/python \\
        --pythonpath src --source src --max-commits 5 --max-mutations 10 \\
        [--config lanewarden.toml] [--seed 1] [--json out.json]

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
        """Whether the run failed (a test failed or errored, or collection broke)."""
        return self.timed_out or self.code in (1, 2, 3)


@dataclass
class CommitResult:
    """One replayed commit."""

    commit: str
    subject: str
    files: list[str]
    source_files: int
    full: Run
    scoped: Run

    @property
    def speedup(self) -> float:
        """Full suite time over scoped time."""
        return self.full.seconds / max(self.scoped.seconds, 1e-9)


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
    scoped: Run | None = None


def git(clone: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in the clone; its output as text."""
    done = subprocess.run(
        ["git", "-C", str(clone), *args], input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8", "replace")


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
    for pattern in ("lanewarden.toml", ".hypothesis/", "__pycache__/", "*.pyc"):
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


def pytest_run(clone: Path, args: argparse.Namespace, extra: list[str]) -> Run:
    """One pytest process in the clone, under nice and a timeout."""
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(clone / p) for p in args.pythonpath)
    env.pop("PYTEST_ADDOPTS", None)
    command = ["nice", "-n", "10", args.python, "-m", "pytest", "-q", "-rfE"]
    command += ["-p", "no:cacheprovider", *args.pytest_arg, *extra]
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


def source_commits(clone: Path, limit: int, scan: int) -> list[tuple[str, str, list[str]]]:
    """Recent non-merge commits (newest first) that change at least one source file."""
    log = git(clone, "log", "--no-merges", f"-n{scan}", "--format=%x00%H %s", "--name-only")
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


def replay(clone: Path, args: argparse.Namespace) -> list[CommitResult]:
    """Each selected commit as an unstaged change on its parent: full run, then scoped run."""
    results = []
    for commit, subject, files in source_commits(clone, args.max_commits, args.scan):
        reset(clone, f"{commit}^")
        diff = subprocess.run(
            ["git", "-C", str(clone), "diff", "--binary", f"{commit}^", commit],
            capture_output=True,
            check=True,
        ).stdout
        git(clone, "apply", "--whitespace=nowarn", "-", stdin=diff)
        full = pytest_run(clone, args, [])
        scoped = pytest_run(clone, args, ["--lw-changed"])
        result = CommitResult(
            commit[:10], subject[:60], files, sum(map(is_source, files)), full, scoped
        )
        results.append(result)
        print(
            f"commit {result.commit} {len(files)} files: full {full.ran} tests "
            f"{full.seconds:.1f}s, scoped {scoped.ran} tests {scoped.seconds:.1f}s "
            f"({result.speedup:.1f}x)",
            file=sys.stderr,
        )
    return results


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


def mutate(clone: Path, args: argparse.Namespace) -> tuple[Run, list[Mutation]]:
    """Seeded mutations at the newest commit, each run by the full suite and the scoped run."""
    reset(clone, "origin/HEAD")
    baseline = pytest_run(clone, args, [])
    print(
        f"baseline: {baseline.ran} tests, {baseline.failed} failing, {baseline.seconds:.1f}s",
        file=sys.stderr,
    )
    deselect = [f"--deselect={nodeid}" for nodeid in baseline.failures]
    files = sorted(p for p in git(clone, "ls-files", "-z").split("\0") if p and is_source(p))
    files = [p for p in files if not any(p.startswith(x + "/") for x in args.skip)]
    sites = [site for path in files for site in mutation_sites(clone, path)]
    rng = random.Random(args.seed)
    rng.shuffle(sites)
    done: list[Mutation] = []
    for site in sites:
        if len(done) == args.max_mutations:
            break
        reset(clone, "origin/HEAD")
        if not apply_mutation(clone, site):
            continue
        site.full = pytest_run(clone, args, ["-x", *deselect])
        site.scoped = pytest_run(clone, args, ["-x", "--lw-changed", *deselect])
        done.append(site)
        print(
            f"mutation {site.path}:{site.line} {site.kind}: full "
            f"{'caught' if site.full.caught else 'missed'}, scoped "
            f"{'caught' if site.scoped.caught else 'missed'} ({site.scoped.ran} tests ran)",
            file=sys.stderr,
        )
    reset(clone, "origin/HEAD")
    return baseline, done


def _cell(run: Run) -> str:
    if run.timed_out:
        return f"timed out after {run.seconds:.0f} s"
    failed = f" ({run.failed} failed)" if run.failed else ""
    return f"{run.ran}{failed}, {run.seconds:.1f} s"


def report(commits: list[CommitResult], baseline: Run | None, mutations: list[Mutation]) -> str:
    """The Markdown tables."""
    out = []
    if commits:
        out += [
            "| commit | files (source) | full: tests, time | scoped: tests, time | speedup |",
            "|---|---|---|---|---|",
        ]
        for c in commits:
            speedup = f"{c.speedup:.1f}x" if c.scoped.ran else "none ran"
            out.append(
                f"| `{c.commit}` {c.subject} | {len(c.files)} ({c.source_files}) | "
                f"{_cell(c.full)} | {_cell(c.scoped)} | {speedup} |"
            )
        ran = [c for c in commits if c.scoped.ran]
        single = [c.speedup for c in ran if c.source_files == 1]
        out.append("")
        out.append(
            f"{len(commits) - len(ran)} of {len(commits)} scoped runs ran 0 tests."
            + (
                f" Median speedup where tests ran: "
                f"{statistics.median(c.speedup for c in ran):.1f}x over {len(ran)} commits"
                if ran
                else ""
            )
            + (
                f" ({statistics.median(single):.1f}x over the {len(single)} single-module ones)."
                if single
                else "."
            )
        )
    if baseline is not None:
        caught = [m for m in mutations if m.full and m.full.caught]
        both = [m for m in caught if m.scoped and m.scoped.caught]
        out += [
            "",
            f"Mutations: {len(mutations)} applied; the full suite ({baseline.ran} tests, "
            f"{baseline.failed} failing before any mutation, deselected) caught {len(caught)}; "
            f"the scoped run caught {len(both)} of those.",
            "",
            "| mutation | full suite | scoped run (tests run until the first failure) |",
            "|---|---|---|",
        ]
        for m in mutations:
            assert m.full is not None
            assert m.scoped is not None
            out.append(
                f"| `{m.path}:{m.line}` {m.kind}: `{m.before}` → `{m.after}` | "
                f"{'caught' if m.full.caught else 'missed'} | "
                f"{'caught' if m.scoped.caught else 'missed'} ({m.scoped.ran}) |"
            )
        misses = [m for m in caught if m not in both]
        if misses:
            out += ["", "Missed by the scoped run, caught by the full suite:"]
            out += [f"- `{m.path}:{m.line}` {m.kind} (`{m.before}` → `{m.after}`)" for m in misses]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run both parts, print the tables (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, help="the project's git repository (bare or not)")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for the clone")
    parser.add_argument("--python", default=sys.executable, help="interpreter running pytest")
    parser.add_argument("--pythonpath", action="append", default=[], help="e.g. src (repeatable)")
    parser.add_argument("--config", help="a lanewarden.toml to place in the clone")
    parser.add_argument("--source", action="append", default=[], help="library folder, e.g. src")
    parser.add_argument("--max-commits", type=int, default=5)
    parser.add_argument("--scan", type=int, default=300, help="commits of history to look through")
    parser.add_argument("--max-mutations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per pytest run")
    parser.add_argument("--skip", action="append", default=[], help="folder not to mutate")
    parser.add_argument("--pytest-arg", action="append", default=[], help="passed to every run")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    args = parser.parse_args(argv)
    if shutil.which("nice") is None:
        parser.error("needs `nice`")
    SOURCE_FOLDERS.extend(args.source)
    clone = prepare_clone(args.repo.resolve(), args.work.resolve(), args.config)
    commits = replay(clone, args) if args.max_commits else []
    baseline, mutations = mutate(clone, args) if args.max_mutations else (None, [])
    print(report(commits, baseline, mutations))
    if args.json:
        document = {
            "commits": [{**asdict(c), "speedup": c.speedup} for c in commits],
            "baseline": asdict(baseline) if baseline else None,
            "mutations": [asdict(m) for m in mutations],
        }
        args.json.write_text(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
