"""A lane's worker state on the remote: ``refs/lanewarden/lanes/<ID>``.

Each lane has a ref of its own, written by that lane's worker (and once by
``lane start``, which puts the lane record there for the worker's clone), so
workers on different machines never contend. Each update is a small commit
whose tree holds the lane's files as they are in ``<git common dir>/lanewarden/``::

    heartbeat.json              heartbeats/<ID>.json
    lane/lane.json              lanes/<ID>/lane.json
    lane/checkpoints/CP-NN.json lanes/<ID>/checkpoints/
    lane/handoffs/H-NN.json     lanes/<ID>/handoffs/
    requests/<N>.json           the lane's escalations

A push first takes the remote's records into this clone, then starts from
the remote's tree, so records pushed from another clone of the same lane are
kept (except one of the same name, which this clone's replaces: a lane has one
worker), and moves the ref with ``--force-with-lease``.
Fetching copies the records into the local state folder: a record is never
rewritten (one already here stays), a heartbeat is taken when it is newer.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.git import Repo, run_git, scratch_index_env, split_z
from lanewarden.adapters.remote_ref import fetch_ref
from lanewarden.errors import InputError

__all__ = [
    "LANES_REF",
    "LANES_REFSPEC",
    "RECORD",
    "fetch_lanes",
    "has_record",
    "push_lane",
    "take_fetched_lanes",
]

LANES_REF = "refs/lanewarden/lanes/"
_FETCHED = "refs/lanewarden/lanes-fetched/"
_ATTEMPTS = 10
# The lane record in a lane ref's tree: written once, by ``lane start``.
RECORD = "lane/lane.json"
# Every lane's ref, into scratch refs this clone reads the records from.
LANES_REFSPEC = f"+{LANES_REF}*:{_FETCHED}*"


def _local_files(repo: Repo, lane_id: str) -> dict[str, Path]:
    """The lane's files here, by their name in the lane ref's tree."""
    state = repo.state_dir
    files: dict[str, Path] = {}
    beat = state / "heartbeats" / f"{lane_id}.json"
    if beat.is_file():
        files["heartbeat.json"] = beat
    folder = state / "lanes" / lane_id
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else ():
        files["lane/" + path.relative_to(folder).as_posix()] = path
    requests = state / "requests"
    for path in sorted(requests.glob("*.json")) if requests.is_dir() else ():
        try:
            owner = json.loads(path.read_text(encoding="utf-8")).get("lane_id")
        except (OSError, ValueError, AttributeError):
            continue
        if owner == lane_id:
            files[f"requests/{path.name}"] = path
    return files


def _rev(repo: Repo, ref: str) -> str:
    return os.fsdecode(repo.git("rev-parse", "--verify", f"{ref}^{{commit}}")).strip()


def push_lane(repo: Repo, remote: str, lane_id: str, *, record_only: bool = False) -> str | None:
    """Push lane ``lane_id``'s files to its ref on ``remote``; the commit (None: nothing new).

    The ref's records are taken here first: a worker's clone gets the lane
    record ``lane start`` pushed from the orchestrator's machine. With
    ``record_only`` (the orchestrator after ``lane start``) only the lane
    record is pushed: the worker's own files on this clone may be older
    copies, and only the worker updates them.
    """
    ref = LANES_REF + lane_id
    scratch = _FETCHED + lane_id
    for _ in range(_ATTEMPTS):
        parent = _rev(repo, scratch) if fetch_ref(repo, remote, ref, scratch) else None
        if parent is not None:
            _take(repo, scratch, lane_id)
        files = _local_files(repo, lane_id)
        if record_only:
            files = {name: path for name, path in files.items() if name == RECORD}
        commit = _commit(repo, parent, files, lane_id)
        if commit is None:
            return None
        done = subprocess.run(
            [
                "git",
                "push",
                "--quiet",
                "--no-verify",
                f"--force-with-lease={ref}:{parent or ''}",
                remote,
                f"{commit}:{ref}",
            ],
            cwd=repo.root,
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            repo.git("update-ref", scratch, commit)
            return commit
        message = os.fsdecode(done.stderr)
        if "stale info" not in message and "[rejected]" not in message:
            raise InputError(
                f"git push of lane {lane_id}'s state to {remote} failed: {message.strip()}",
                hint="check the remote (`git remote -v`), then `lanewarden sync` again",
            )
    raise InputError(
        f"lane {lane_id}'s ref on {remote} kept moving: another process of this lane pushes too",
        hint="run `lanewarden sync` again",
    )


def _commit(repo: Repo, parent: str | None, files: dict[str, Path], lane_id: str) -> str | None:
    """A commit of ``parent``'s tree with ``files`` written over it; None if nothing changes."""
    with tempfile.TemporaryDirectory(prefix="lanewarden-lane-") as scratch:
        env = scratch_index_env(scratch)
        root = repo.root
        if parent is not None:
            run_git(["read-tree", parent], cwd=root, env=env)
        if files:
            names = [str(path) for path in files.values()]
            blobs = os.fsdecode(
                run_git(
                    ["hash-object", "-w", "--stdin-paths"],
                    cwd=root,
                    stdin="\n".join(names).encode(),
                )
            ).split()
            entries = "".join(
                f"100644 {blob}\t{name}\0" for name, blob in zip(files, blobs, strict=True)
            )
            run_git(
                ["update-index", "--add", "-z", "--index-info"],
                cwd=root,
                env=env,
                stdin=entries.encode(),
            )
        tree = os.fsdecode(run_git(["write-tree"], cwd=root, env=env)).strip()
        same = parent is not None and tree == _rev_tree(repo, parent)
        if same:
            return None
        parents = ["-p", parent] if parent else []
        message = f"lanewarden lane {lane_id}: worker state"
        out = run_git(["commit-tree", tree, *parents, "-m", message], cwd=root, env=env)
    return os.fsdecode(out).strip()


def _rev_tree(repo: Repo, commit: str) -> str:
    return os.fsdecode(repo.git("rev-parse", f"{commit}^{{tree}}")).strip()


def has_record(repo: Repo, lane_id: str) -> bool:
    """Whether lane ``lane_id``'s ref, as last fetched, holds its lane record."""
    done = subprocess.run(
        ["git", "cat-file", "-e", f"{_FETCHED}{lane_id}:{RECORD}"],
        cwd=repo.root,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def fetch_lanes(repo: Repo, remote: str) -> list[str]:
    """Fetch every lane's ref and copy its records here; the lane ids fetched."""
    done = subprocess.run(
        ["git", "fetch", "--quiet", "--no-tags", "--prune", remote, LANES_REFSPEC],
        cwd=repo.root,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(
            f"git fetch of the lanes' state from {remote} failed: "
            f"{os.fsdecode(done.stderr).strip()}",
            hint="check the remote (`git remote -v`), then `lanewarden sync` again",
        )
    return take_fetched_lanes(repo)


def take_fetched_lanes(repo: Repo) -> list[str]:
    """Copy the records of every fetched lane ref here; the lane ids."""
    # A ref name never holds a newline: one a line is exact.
    refs = os.fsdecode(repo.git("for-each-ref", "--format=%(refname)", _FETCHED)).split()
    lanes = []
    for ref in refs:
        lane_id = ref.removeprefix(_FETCHED)
        _take(repo, ref, lane_id)
        lanes.append(lane_id)
    return lanes


def _take(repo: Repo, ref: str, lane_id: str) -> None:
    state = repo.state_dir
    for name in split_z(repo.git("ls-tree", "-r", "-z", "--name-only", ref)):
        if name == "heartbeat.json":
            target = state / "heartbeats" / f"{lane_id}.json"
        elif name.startswith("lane/"):
            target = state / "lanes" / lane_id / name.removeprefix("lane/")
        elif name.startswith("requests/"):
            target = state / name
        else:
            continue
        data = repo.git("cat-file", "blob", f"{ref}:{name}")
        if target.exists() and not (name == "heartbeat.json" and _newer(data, target)):
            continue  # a record is never rewritten
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)


def _newer(data: bytes, local: Path) -> bool:
    """Whether the heartbeat ``data`` is later than the one in ``local``."""
    try:
        theirs = json.loads(data).get("heartbeat", "")
        ours = json.loads(local.read_bytes()).get("heartbeat", "")
    except (OSError, ValueError, AttributeError):
        return True  # an unreadable local heartbeat gives way to a readable one
    return isinstance(theirs, str) and isinstance(ours, str) and theirs > ours
