"""Bad input, through the real command: exit 2 naming the file, line, key or option, no traceback.

Each row of the table runs ``lanewarden`` in a subprocess on a repository made
parallel-ready (two committed locks: L-001 on ``src/app/``, L-002 on
``src/lib/``), after an optional set-up that breaks one thing. Arguments and
stdin are bytes-capable here (a non-UTF-8 argument is written as a surrogate
escape, as :func:`os.fsdecode` makes it), which the text runner in
``scenario.py`` cannot carry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, make_parallel_ready, set_lock_rows

ORCHESTRATOR = {"LANEWARDEN_ROLE": "orchestrator"}
ZERO = "0" * 40
ROW = "| L-001 | a | `src/app/` | o | {start} | {heartbeat} | {expires} |"
GOOD = "2026-01-01T00:00:00Z"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def raw(data: bytes) -> str:
    """``data`` as Python receives it in ``sys.argv`` or ``os.environ``."""
    return os.fsdecode(data)


class Case(NamedTuple):
    """One bad input: the set-up that makes it, the command, what must come out."""

    id: str
    args: tuple[str, ...]
    names: tuple[str, ...]  # words the message must contain: the file, line, key or option
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] | None = None
    stdin: bytes | None = None
    codes: tuple[int, ...] = (2,)


def _edit(path: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(repo: Path) -> None:
        target = repo / path
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    return setup


def _append_config(text: str | bytes) -> Callable[[Path], None]:
    def setup(repo: Path) -> None:
        config = repo / "lanewarden.toml"
        data = text.encode() if isinstance(text, str) else text
        config.write_bytes(config.read_bytes() + data + b"\n")

    return setup


def _folder(path: str) -> Callable[[Path], None]:
    def setup(repo: Path) -> None:
        target = repo / path
        target.unlink(missing_ok=True)
        target.mkdir(parents=True)

    return setup


def _link(path: str, to: str) -> Callable[[Path], None]:
    def setup(repo: Path) -> None:
        target = repo / path
        target.unlink(missing_ok=True)
        target.symlink_to(to)

    return setup


def _remove(path: str) -> Callable[[Path], None]:
    return lambda repo: (repo / path).unlink()


def _rows(*rows: str) -> Callable[[Path], None]:
    return lambda repo: set_lock_rows(repo, list(rows))


def _state(name: str, text: str) -> Callable[[Path], None]:
    """Write a file in lanewarden's private folder of the common git dir."""

    def setup(repo: Path) -> None:
        tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
        target = repo / ".git" / "lanewarden" / name.replace("TREE", tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("TREE", tree))

    return setup


def _state_folder(name: str) -> Callable[[Path], None]:
    return lambda repo: (repo / ".git" / "lanewarden" / name).mkdir(parents=True)


def _note(text: str) -> Callable[[Path], None]:
    """Attach ``text`` as the evidence note of HEAD's tree (as `evidence fetch` brings them)."""

    def setup(repo: Path) -> None:
        (repo / ".git" / "note.txt").write_text(text)
        tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
        git(repo, "notes", "--ref=refs/notes/lanewarden", "add", "-F", ".git/note.txt", tree)

    return setup


def _pre_push_line(repo: Path) -> bytes:
    head = git(repo, "rev-parse", "HEAD").strip()
    return f"refs/heads/main {head} refs/heads/main {ZERO}\n".encode()


ACQUIRE = ("lock", "acquire", "L-003", "--owner", "a", "--scope", "docs/", "--objective", "o")
PRE_PUSH = ("hook", "pre-push", "origin", "/nowhere.git")
EVIDENCE = '{"version": 1, "gate": "3", "status": "passed", "tree": "TREE", "time": "x"'

CASES = [
    # The command line.
    Case("unknown option", ("lock", "list", "--bogus"), ("--bogus",)),
    Case("no command", (), ("COMMAND",)),
    Case("unknown command", ("frobnicate",), ("frobnicate",)),
    Case("missing required option", ("lock", "acquire", "L-003"), ("--owner",)),
    Case("huge --ttl", (*ACQUIRE, "--ttl", "99999999999d"), ("--ttl", "at most 10 years")),
    Case("--ttl past 10 years", (*ACQUIRE, "--ttl", "3651d"), ("--ttl", "at most 10 years")),
    Case("--ttl of 5000 digits", (*ACQUIRE, "--ttl", "9" * 5000 + "s"), ("--ttl",)),
    Case("zero --ttl", (*ACQUIRE, "--ttl", "0s"), ("--ttl", "longer than zero")),
    Case("negative --ttl", (*ACQUIRE, "--ttl=-5m"), ("--ttl",)),
    Case("fractional --ttl", (*ACQUIRE, "--ttl", "1.5h"), ("--ttl",)),
    Case(
        "heartbeat huge --ttl", ("lock", "heartbeat", "L-001", "--ttl", "99999999999d"), ("--ttl",)
    ),
    Case(
        "approve huge --ttl",
        ("approve", "--action", "force-push", "--ref", "main", "--reason", "r", "--ttl", "999999d"),
        ("--ttl", "at most 10 years"),
    ),
    Case(
        "bad glob",
        ("lock", "acquire", "L-003", "--owner", "a", "--scope", "[", "--objective", "o"),
        ("'['",),
    ),
    Case(
        "empty scope",
        ("lock", "acquire", "L-003", "--owner", "a", "--scope", "", "--objective", "o"),
        ("empty",),
    ),
    Case(
        "bad lock id",
        ("lock", "acquire", "L 3", "--owner", "a", "--scope", "x/", "--objective", "o"),
        ("'L 3'",),
    ),
    Case("unknown lock", ("lock", "heartbeat", "L-999"), ("PLAN.md", "L-999")),
    Case(
        "-C a missing folder",
        ("-C", "/nonexistent/folder", "lock", "list"),
        ("/nonexistent/folder",),
    ),
    Case("-C a file", ("-C", "README.md", "lock", "list"), ("README.md", "Not a directory")),
    Case("lock who outside", ("lock", "who", "../elsewhere"), ("../elsewhere", "outside")),
    Case("commit-msg file missing", ("hook", "commit-msg", "no-such-file"), ("no-such-file",)),
    Case("commit-msg file a folder", ("hook", "commit-msg", "src"), ("src",)),
    Case("gate status of no revision", ("gate", "status", "--rev", "nope"), ("'nope'",)),
    Case("gate run of no gate", ("gate", "run", "7"), ("'7'",)),
    Case(
        "approve an unknown action",
        ("approve", "--action", "nuke", "--ref", "main", "--reason", "r"),
        ("nuke",),
    ),
    # --range.
    Case("--range empty", ("verify", "--range", ""), ("--range",)),
    Case("--range one end", ("verify", "--range", "HEAD"), ("--range", "'HEAD'")),
    Case("--range no ends", ("verify", "--range", ".."), ("--range",)),
    Case("--range three dots", ("verify", "--range", "HEAD~1...HEAD"), ("--range",)),
    Case("--range unknown", ("verify", "--range", "nope..HEAD"), ("'nope'", "--range")),
    Case("--range an option", ("verify", "--range=--output=x..HEAD"), ("--output=x",)),
    Case("--range from zero", ("verify", "--range", f"{ZERO}..HEAD"), ("zero",)),
    Case("--range not UTF-8", ("verify", "--range", raw(b"\xff..HEAD")), ("--range",)),
    # Text arguments that are not UTF-8 are refused, naming the option.
    Case(
        "--owner not UTF-8",
        ("lock", "acquire", "L-003", "--owner", raw(b"\xff"), "--scope", "d/", "--objective", "o"),
        ("--owner", "UTF-8"),
    ),
    Case(
        "--objective not UTF-8",
        (
            "lock",
            "acquire",
            "L-003",
            "--owner",
            "a",
            "--scope",
            "d/",
            "--objective",
            raw(b"caf\xe9"),
        ),
        ("--objective", "UTF-8"),
    ),
    Case(
        "--scope not UTF-8",
        ("lock", "acquire", "L-003", "--owner", "a", "--scope", raw(b"d\xff/"), "--objective", "o"),
        ("--scope", "UTF-8"),
    ),
    Case("lock id not UTF-8", ("lock", "release", raw(b"L-\xff")), ("ID", "UTF-8")),
    Case(
        "--note not UTF-8",
        ("lock", "reclaim", "L-001", "--owner", "b", "--note", raw(b"\xfe")),
        ("--note", "UTF-8"),
    ),
    Case(
        "--reason not UTF-8",
        ("approve", "--action", "force-push", "--ref", "main", "--reason", raw(b"\xff")),
        ("--reason", "UTF-8"),
    ),
    Case(
        "--ref not UTF-8",
        ("approve", "--action", "force-push", "--ref", raw(b"\xff"), "--reason", "r"),
        ("--ref", "UTF-8"),
    ),
    Case(
        "LANEWARDEN_LANE not UTF-8",
        ("lock", "list"),
        ("LANEWARDEN_LANE", "UTF-8"),
        env={"LANEWARDEN_LANE": raw(b"L-\xff")},
    ),
    Case(
        "LANEWARDEN_ROLE not UTF-8 (hook)",
        ("hook", "pre-commit"),
        ("LANEWARDEN_ROLE",),
        env={"LANEWARDEN_ROLE": raw(b"\xff")},
    ),
    # Malformed pre-push input.
    Case("pre-push garbage", PRE_PUSH, ("<stdin>:1",), stdin=b"garbage\n"),
    Case(
        "pre-push short line",
        PRE_PUSH,
        ("<stdin>:1",),
        stdin=b"refs/heads/main abc refs/heads/main\n",
    ),
    Case(
        "pre-push bad id",
        PRE_PUSH,
        ("<stdin>:1", "'zzzz'"),
        stdin=f"refs/heads/main zzzz refs/heads/main {ZERO}\n".encode(),
    ),
    Case(
        "pre-push unknown commit",
        PRE_PUSH,
        ("1111111",),
        stdin=f"refs/heads/main {'1' * 40} refs/heads/main {ZERO}\n".encode(),
    ),
    Case(
        "pre-push not UTF-8",
        PRE_PUSH,
        ("1111111",),
        stdin=f"refs/heads/\xff {'1' * 40} refs/heads/main {ZERO}\n".encode("latin-1"),
    ),
    Case("pre-push NUL", PRE_PUSH, ("<stdin>:1",), stdin=b"refs/heads/main\0 x\n"),
    # The configuration.
    Case(
        "config not TOML",
        ("lock", "list"),
        ("lanewarden.toml", "not valid TOML"),
        setup=_append_config("[oops"),
    ),
    Case(
        "config not UTF-8",
        ("lock", "list"),
        ("lanewarden.toml:9", "UTF-8"),
        setup=_append_config(b"# caf\xe9"),
    ),
    Case(
        "config nested too deeply",
        ("lock", "list"),
        ("lanewarden.toml",),
        setup=_append_config("x = " + "[" * 50_000 + "]" * 50_000),
    ),
    Case(
        "config huge lock_ttl",
        ("lock", "list"),
        ("lanewarden.toml", "'lock_ttl'", "at most 10 years"),
        setup=_append_config('lock_ttl = "99999999999d"'),
    ),
    Case(
        "config huge heartbeat_stale_after",
        ("hook", "pre-commit"),
        ("'heartbeat_stale_after'",),
        setup=_append_config('heartbeat_stale_after = "99999999999d"'),
    ),
    Case(
        "config unknown key",
        ("lock", "list"),
        ("'colour'",),
        setup=_append_config('colour = "red"'),
    ),
    Case(
        "config wrong type", ("lock", "list"), ("'hotspots'",), setup=_append_config("hotspots = 3")
    ),
    Case(
        "config wrong boolean",
        ("lock", "list"),
        ("'autonomous'",),
        setup=_append_config('autonomous = "yes"'),
    ),
    Case(
        "config bad hotspot glob",
        ("lock", "check"),
        ("lanewarden.toml", "hotspots"),
        setup=_append_config('hotspots = ["["]'),
    ),
    Case(
        "config a folder", ("lock", "list"), ("lanewarden.toml",), setup=_folder("lanewarden.toml")
    ),
    Case(
        "config a link loop",
        ("hook", "pre-commit"),
        ("lanewarden.toml",),
        setup=_link("lanewarden.toml", "lanewarden.toml"),
    ),
    Case(
        "pyproject not TOML",
        ("lock", "list"),
        ("pyproject.toml",),
        setup=lambda r: (
            _remove("lanewarden.toml")(r),
            _edit("pyproject.toml", "[tool.lanewarden\n")(r),
        ),
    ),
    Case(
        "pyproject tool.lanewarden not a table",
        ("lock", "list"),
        ("pyproject.toml",),
        setup=lambda r: (
            _remove("lanewarden.toml")(r),
            _edit("pyproject.toml", "[tool]\nlanewarden = 3\n")(r),
        ),
    ),
    # The ledger.
    Case("ledger missing", ("lock", "list"), ("PLAN.md",), setup=_remove("PLAN.md")),
    Case("ledger a folder", ("lock", "check"), ("PLAN.md",), setup=_folder("PLAN.md")),
    Case("ledger a link loop", ("lock", "list"), ("PLAN.md",), setup=_link("PLAN.md", "PLAN.md")),
    Case(
        "ledger not UTF-8",
        ("lock", "list"),
        ("PLAN.md:2",),
        setup=_edit("PLAN.md", b"# Ledger\n\xff\xfe\n"),
    ),
    Case(
        "ledger time before datetime's first day",
        ("lock", "list"),
        ("PLAN.md:", "start", "out of range"),
        setup=_rows(ROW.format(start="0001-01-01T00:00:00+01:00", heartbeat=GOOD, expires=GOOD)),
    ),
    Case(
        "ledger time past datetime's last day",
        ("lock", "check"),
        ("PLAN.md:", "expires", "out of range"),
        setup=_rows(ROW.format(start=GOOD, heartbeat=GOOD, expires="9999-12-31T23:59:59-01:00")),
    ),
    Case(
        "ledger time in year 9999",
        ("lock", "who", "src/app/x.py"),
        ("PLAN.md:", "expires"),
        setup=_rows(ROW.format(start=GOOD, heartbeat=GOOD, expires="9999-12-31T23:59:59Z")),
    ),
    Case(
        "ledger time of 1900",
        ("lock", "heartbeat", "L-001"),
        ("PLAN.md:", "start"),
        setup=_rows(ROW.format(start="1900-01-01T00:00:00Z", heartbeat=GOOD, expires=GOOD)),
    ),
    Case(
        "ledger time not a time",
        ("lock", "list", "--json"),
        ("PLAN.md:", "heartbeat"),
        setup=_rows(ROW.format(start=GOOD, heartbeat="soon", expires=GOOD)),
    ),
    Case(
        "ledger offset out of range",
        ("lock", "list"),
        ("PLAN.md:", "start"),
        setup=_rows(ROW.format(start="2026-01-01T00:00:00+25:00", heartbeat=GOOD, expires=GOOD)),
    ),
    # lanewarden's own state: a bad heartbeat is no heartbeat; files in the way are named.
    Case(
        "heartbeat with a number for a time",
        ("lock", "list"),
        (),
        setup=_state("heartbeats/L-001.json", '{"owner": "a", "start": 5}'),
        codes=(0,),
    ),
    Case(
        "heartbeat with an ancient time",
        ("lock", "check"),
        (),
        setup=_state(
            "heartbeats/L-001.json",
            '{"owner": "a", "start": "2026-01-01T00:00:00Z", '
            '"heartbeat": "0001-01-01T00:00:00+01:00", "expires": "9999-12-31T23:59:59Z"}',
        ),
        codes=(0, 1),
    ),
    Case(
        "heartbeat file a folder",
        ("lock", "heartbeat", "L-001"),
        ("heartbeats/L-001.json",),
        setup=_state_folder("heartbeats/L-001.json"),
    ),
    Case(
        "hooks folder a file",
        ("hooks", "install"),
        (".git/hooks",),
        setup=lambda r: (
            shutil.rmtree(r / ".git" / "hooks", ignore_errors=True),
            (r / ".git" / "hooks").write_text(""),
        ),
    ),
    Case(
        "a hook a folder",
        ("hooks", "install"),
        (".git/hooks/pre-commit",),
        setup=lambda r: (r / ".git" / "hooks" / "pre-commit").mkdir(parents=True),
    ),
    Case(
        "init over a ledger link loop",
        ("init",),
        ("PLAN.md",),
        setup=_link("PLAN.md", "PLAN.md"),
    ),
    Case(
        "init over a decision register folder",
        ("init",),
        ("DECISIONS.md", "folder"),
        setup=_folder("DECISIONS.md"),
    ),
    Case(
        "init over a decision register link loop",
        ("init",),
        ("DECISIONS.md",),
        setup=_link("DECISIONS.md", "DECISIONS.md"),
    ),
    Case(
        "audit log not JSON",
        ("audit", "verify"),
        ("audit.log:1",),
        setup=_state("audit.log", "not json\n"),
        codes=(1,),
    ),
    Case(
        "evidence not JSON",
        ("gate", "status", "--rev", "HEAD"),
        ("gate-3.json",),
        setup=_state("evidence/TREE/gate-3.json", "{"),
    ),
    Case(
        "evidence with a wrong type",
        ("gate", "status", "--rev", "HEAD"),
        ("gate-3.json",),
        setup=_state("evidence/TREE/gate-3.json", EVIDENCE + ', "touched_files": 5}'),
    ),
    # JSON nested past any stack, and numbers past any float: named, never a crash.
    Case(
        "heartbeat nested too deeply",
        ("lock", "list"),
        (),
        setup=_state("heartbeats/L-001.json", DEEP_JSON),
        codes=(0,),
    ),
    Case(
        "ledger digest nested too deeply",
        ("lock", "check"),
        ("ledger-tampered", "accept-edit"),
        setup=_state("ledger.digest", DEEP_JSON),
        codes=(1,),
    ),
    Case(
        "audit log nested too deeply",
        ("audit", "verify"),
        ("audit-tampered", "audit.log:1"),
        setup=_state("audit.log", DEEP_JSON),
        codes=(1,),
    ),
    Case(
        "evidence nested too deeply",
        ("gate", "status", "--rev", "HEAD"),
        ("gate-3.json",),
        setup=_state("evidence/TREE/gate-3.json", DEEP_JSON),
    ),
    Case(
        "evidence with an infinite count",
        ("gate", "status", "--rev", "HEAD"),
        ("gate-3.json",),
        setup=_state("evidence/TREE/gate-3.json", EVIDENCE + ', "counts": {"passed": 1e999}}'),
    ),
    Case(
        "evidence note not JSON",
        ("verify", "--range", "HEAD~1..HEAD", "--require-evidence"),
        ("git notes",),
        setup=_note("{"),
    ),
    Case(
        "evidence note nested too deeply",
        ("verify", "--range", "HEAD~1..HEAD", "--require-evidence"),
        ("git notes",),
        setup=_note(DEEP_JSON),
    ),
    Case(
        "approval without an expiry",
        PRE_PUSH,
        (),
        setup=_state(
            "audit.log",
            '{"kind": "approval", "action": "force-push", "ref": "refs/heads/main", '
            '"time": "2026-01-01T00:00:00Z", "hash": "00", "prev": "00"}\n',
        ),
        codes=(1, 2),
    ),
    Case(
        "policy file a link loop",
        ("bootstrap",),
        ("AGENTS.md",),
        setup=_link("AGENTS.md", "AGENTS.md"),
    ),
]


@pytest.fixture
def ready(repo: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A parallel-ready repository with two committed locks (copied from one made once)."""
    template = tmp_path_factory.getbasetemp() / "bad-input-template"
    if not template.exists():
        make_parallel_ready(repo)
        acquire_two_lanes(repo)
        shutil.copytree(repo, template, symlinks=True)
    copy = tmp_path / "ready"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def run(
    repo: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real command, with bytes in and out."""
    environment = {**os.environ, **ORCHESTRATOR, **(env or {})}
    environment.pop("LANEWARDEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "lanewarden", *args],
        cwd=repo,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_bad_input_is_named_never_a_traceback(ready: Path, case: Case) -> None:
    if case.setup is not None:
        case.setup(ready)
    stdin = case.stdin
    if case.args[:2] == ("hook", "pre-push") and stdin is None:
        stdin = _pre_push_line(ready)
    done = run(ready, *case.args, env=case.env, stdin=stdin)
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err
    assert done.returncode in case.codes, err
    for name in case.names:
        assert name in err, err


def test_an_unreadable_file_is_named(ready: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads a file whatever its mode; the folder and link rows cover this")
    (ready / "PLAN.md").chmod(0)
    done = run(ready, "lock", "list")
    assert done.returncode == 2
    assert b"PLAN.md" in done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("lock", "acquire", "L-003", "--owner", raw(b"\xff"), "--scope", "d/", "--objective", "o"),
        ("lock", "list"),
        ("verify", "--range", "nope..HEAD"),
    ],
)
def test_bad_input_with_json_is_one_object(ready: Path, args: tuple[str, ...]) -> None:
    env = {"LANEWARDEN_LANE": raw(b"\xff")} if args == ("lock", "list") else None
    done = run(ready, *args, "--json" if args[0] != "verify" else "--format=json", env=env)
    assert done.returncode == 2
    body = json.loads(done.stdout)
    assert body["ok"] is False
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "args",
    [
        ("lock", "list", "--json", "--bogus"),
        ("lock", "acquire", "--json"),
        ("--json",),
        ("verify", "--format", "json"),
        ("verify", "--format=json", "--range"),
    ],
)
def test_a_usage_error_with_json_is_one_object(ready: Path, args: tuple[str, ...]) -> None:
    done = run(ready, *args)
    assert done.returncode == 2
    body = json.loads(done.stdout)
    assert body["ok"] is False
    assert body["error"]["message"]
    assert body["error"]["fix"].startswith("see `lanewarden")
    assert b"usage: lanewarden" in done.stderr  # people still get argparse's own text


def test_paths_that_are_not_utf8_pass_through(ready: Path) -> None:
    name = b"src/app/caf\xe9 \xff.py"
    (ready / os.fsdecode(name)).write_bytes(b"x\n")
    done = run(ready, "lock", "who", os.fsdecode(name))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(name + b"\t")  # printed as the bytes it has on disk
    assert b"L-001" in done.stdout
    done = run(ready, "lock", "who", "--json", os.fsdecode(name))
    assert done.returncode == 0
    body = json.loads(done.stdout.decode("utf-8"))  # still valid UTF-8 JSON
    assert os.fsencode(body["paths"][0]["path"]) == name


def test_a_branch_that_is_not_utf8_is_checked(ready: Path) -> None:
    git(ready, "checkout", "-q", "-b", raw(b"lane/caf\xe9"))
    write(ready, "src/app/new.py")
    git(ready, "add", "src/app/new.py")
    done = run(
        ready, "hook", "pre-commit", env={"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
    )
    assert b"Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr  # a verdict, whichever: not a crash (3)


def test_a_staged_path_that_is_not_utf8_is_checked(ready: Path) -> None:
    name = b"src/lib/\xff.py"
    (ready / os.fsdecode(name)).write_bytes(b"x\n")
    git(ready, "add", "-A")
    done = run(
        ready, "hook", "pre-commit", env={"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
    )
    assert done.returncode == 1  # outside L-001's scope: refused, not a crash
    assert b"Traceback" not in done.stderr
    write(ready, "src/app/ok.py")
    git(ready, "rm", "-q", "--cached", os.fsdecode(name))
    git(ready, "add", "src/app/ok.py")
    done = run(
        ready,
        "hook",
        "pre-commit",
        env={"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"},
    )
    assert done.returncode == 0, done.stderr
