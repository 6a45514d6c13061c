"""The lanes' own files: written whole, one per record, and no writer loses another's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lanewarden.adapters.git import Repo
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.domain.lanes import Checkpoint, LaneRecord, Request
from lanewarden.errors import InputError
from scenario import as_worker, lanewarden, make_parallel_ready, start_lane

CHECKPOINT = (sys.executable, "-m", "lanewarden", "lane", "checkpoint", "L-001", "--json")
AT = datetime(2026, 11, 28, 14, 10, tzinfo=timezone.utc)


def checkpoint(lane: str, done: str) -> Callable[[int], Checkpoint]:
    def make(number: int) -> Checkpoint:
        return Checkpoint(lane, number, AT, (done,), (), (), "pytest -q")

    return make


def test_every_checkpoint_of_twenty_concurrent_writers_is_kept(repo: Path) -> None:
    store = LaneStore(Repo.discover(repo))
    barrier = threading.Barrier(20)
    made: list[Checkpoint] = []

    def work(n: int) -> None:
        barrier.wait()  # all twenty pick the same next number at the same moment
        made.append(store.add_checkpoint("L-001", checkpoint("L-001", f"step {n}")))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = store.checkpoints("L-001")
    assert sorted(c.done[0] for c in kept) == sorted(f"step {n}" for n in range(20))
    assert [c.id for c in kept] == [f"CP-{n:02d}" for n in range(1, 21)]
    assert sorted(c.id for c in made) == [c.id for c in kept]
    folder = store.folder("L-001") / "checkpoints"
    assert sorted(os.listdir(folder)) == [f"CP-{n:02d}.json" for n in range(1, 21)]


def test_a_record_is_never_replaced(repo: Path) -> None:
    store = LaneStore(Repo.discover(repo))
    first = store.add_checkpoint("L-001", checkpoint("L-001", "one"))
    path = store.folder("L-001") / "checkpoints" / "CP-01.json"
    before = path.read_bytes()
    # A writer that picked number 1 too, late: it gets number 2, CP-01 stays as it was.
    second = store.add_checkpoint("L-001", checkpoint("L-001", "two"))
    assert (first.id, second.id) == ("CP-01", "CP-02")
    assert path.read_bytes() == before
    record = LaneRecord("L-001", AT, "0" * 40, "main", "single-branch", ("c",))
    store.create_lane(record)
    with pytest.raises(InputError, match="started before"):
        store.create_lane(record)
    assert store.read_lane("L-001") == record


def test_requests_are_numbered_across_lanes(repo: Path) -> None:
    store = LaneStore(Repo.discover(repo))
    numbers = [
        store.add_request(lambda n, lane=lane: Request(n, lane, AT, "rm -rf x", "rm", "why")).number
        for lane in ("L-001", "L-002", "L-001")
    ]
    assert numbers == [1, 2, 3]
    assert [r.number for r in store.requests("L-001")] == [1, 3]
    second = store.request(2)
    assert second is not None
    assert second.lane_id == "L-002"
    assert store.request(9) is None


def test_a_corrupt_record_is_an_input_error_naming_the_file(repo: Path) -> None:
    store = LaneStore(Repo.discover(repo))
    folder = store.folder("L-001") / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "CP-01.json").write_text("{not json")
    with pytest.raises(InputError) as caught:
        store.checkpoints("L-001")
    assert "CP-01.json" in str(caught.value.path)
    (folder / "CP-01.json").write_text(json.dumps({"lane_id": "L-001"}))
    with pytest.raises(InputError, match="malformed lane record"):
        store.checkpoints("L-001")


def test_twenty_workers_checkpointing_at_once_through_the_cli_lose_nothing(repo: Path) -> None:
    make_parallel_ready(repo)
    start_lane(repo, "L-001", "src/app/")
    processes = [
        subprocess.Popen(
            [*CHECKPOINT, "--done", f"step {n}", "--next", f"run {n}"],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **as_worker("L-001")},
        )
        for n in range(20)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0] * 20, outputs
    ids = sorted(json.loads(out)["checkpoint"]["checkpoint_id"] for out, _ in outputs)
    assert ids == [f"CP-{n:02d}" for n in range(1, 21)]
    done = lanewarden(repo, "lane", "resume", "L-001", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["last_checkpoint"]["checkpoint_id"] == "CP-20"
    folder = repo / ".git" / "lanewarden" / "lanes" / "L-001" / "checkpoints"
    names = sorted(os.listdir(folder))  # no temporary file left behind either
    assert names == [f"CP-{n:02d}.json" for n in range(1, 21)]
    steps = {json.loads((folder / name).read_text())["done"][0] for name in names}
    assert steps == {f"step {n}" for n in range(20)}


def test_concurrent_escalations_get_distinct_numbers(repo: Path) -> None:
    store = LaneStore(Repo.discover(repo))
    barrier = threading.Barrier(10)
    numbers: list[int] = []

    def escalate(n: int) -> None:
        barrier.wait()
        made = store.add_request(lambda k: Request(k, f"L-{n:03d}", AT, "cmd", "cmd", "why"))
        numbers.append(made.number)

    threads = [threading.Thread(target=escalate, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 11))
    assert sorted(r.lane_id for r in store.requests()) == [f"L-{n:03d}" for n in range(10)]
