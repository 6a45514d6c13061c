"""The lanes' own files, kept in the common git dir beside the heartbeats.

Layout, under ``<git common dir>/lanewarden/``::

    lanes/<lane id>/lane.json              the lane record (lane start)
    lanes/<lane id>/checkpoints/CP-NN.json one file per checkpoint (the worker)
    lanes/<lane id>/handoffs/H-NN.json     one file per handoff (the worker)
    lanes/<lane id>/failures/F-NN.json     one file per failure (``integrate``)
    requests/<N>.json                      one file per escalation (numbered across lanes,
                                           and across machines with a remote registry)

Every worker writes only files of its own, and never rewrites one: a new
record is written in full to a temporary file and then *linked* to its final
name, which fails if that name exists. Two workers that pick the same number
at the same moment therefore cannot overwrite each other: the second link
fails and that worker takes the next number. Readers never see half a file.
Every linked worktree shares the common git dir, so every worktree sees
every record.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from lanewarden.adapters.git import Repo
from lanewarden.domain.lanes import Checkpoint, Handoff, LaneRecord, Request
from lanewarden.errors import InputError

__all__ = ["LaneStore"]

_T = TypeVar("_T")
_NUMBERED = re.compile(r"^(?:CP-|H-|F-)?([0-9]{1,9})\.json$")


class LaneStore:
    """The lane records of one repository."""

    def __init__(self, repo: Repo) -> None:
        self.root = repo.state_dir
        self.lanes = self.root / "lanes"
        self.requests_dir = self.root / "requests"

    def folder(self, lane_id: str) -> Path:
        """The folder of one lane's records."""
        return self.lanes / lane_id

    # --- the lane record ------------------------------------------------------

    def lane_ids(self) -> list[str]:
        """Every lane ever started here, in name order."""
        try:
            names = os.listdir(self.lanes)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if (self.lanes / n / "lane.json").is_file())

    def read_lane(self, lane_id: str) -> LaneRecord | None:
        """The lane record, or None when ``lane start`` never ran for this id."""
        path = self.folder(lane_id) / "lane.json"
        data = _read_json(path, missing_ok=True)
        if data is None:
            return None
        return _parse(LaneRecord.from_json, data, path)

    def create_lane(self, record: LaneRecord) -> None:
        """Write a new lane's record; an existing one is an input error."""
        path = self.folder(record.lane_id) / "lane.json"
        if not _create(path, _dump(record.to_json())):
            raise InputError(
                f"lane {record.lane_id} was started before: its records are kept",
                path=path,
                hint="choose another lane id",
            )

    # --- checkpoints and handoffs ---------------------------------------------

    def checkpoints(self, lane_id: str) -> list[Checkpoint]:
        """The lane's checkpoints, oldest first."""
        return self._numbered(self.folder(lane_id) / "checkpoints", Checkpoint.from_json)

    def add_checkpoint(self, lane_id: str, make: Callable[[int], Checkpoint]) -> Checkpoint:
        """Store the checkpoint ``make(number)`` under the next free number."""
        folder = self.folder(lane_id) / "checkpoints"
        return _append(folder, "CP-", make, lambda c: c.to_json())

    def handoffs(self, lane_id: str) -> list[Handoff]:
        """The lane's handoff records, oldest first."""
        return self._numbered(self.folder(lane_id) / "handoffs", Handoff.from_json)

    def add_handoff(self, lane_id: str, make: Callable[[int], Handoff]) -> Handoff:
        """Store the handoff ``make(number)`` under the next free number."""
        return _append(self.folder(lane_id) / "handoffs", "H-", make, lambda h: h.to_json())

    def failures(self, lane_id: str) -> list[dict[str, Any]]:
        """The failure records ``integrate`` left for the lane, oldest first."""
        return self._numbered(self.folder(lane_id) / "failures", dict)

    def add_failure(self, lane_id: str, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Store the failure record ``make(number)`` (``F-NN``) under the next free number."""
        return _append(self.folder(lane_id) / "failures", "F-", make, lambda f: f)

    # --- requests (escalations) -----------------------------------------------

    def requests(self, lane_id: str | None = None) -> list[Request]:
        """Every request (or one lane's), by number."""
        found = self._numbered(self.requests_dir, Request.from_json)
        return [r for r in found if lane_id is None or r.lane_id == lane_id]

    def request(self, number: int) -> Request | None:
        """Request ``number``, or None."""
        path = self.requests_dir / f"{number}.json"
        data = _read_json(path, missing_ok=True)
        return None if data is None else _parse(Request.from_json, data, path)

    def add_request(
        self, make: Callable[[int], Request], claim: Callable[[int], int] | None = None
    ) -> Request:
        """Store the request ``make(number)`` under the next free number.

        With ``claim`` (clones on several machines), each number is claimed
        through it first: it returns the first number from the one given that
        no other machine has.
        """
        return _append(self.requests_dir, "", make, lambda r: r.to_json(), claim)

    def _numbered(self, folder: Path, parse: Callable[[Any], _T]) -> list[_T]:
        records = []
        for number, path in _numbered_files(folder):
            data = _read_json(path, missing_ok=True)
            if data is not None:
                records.append((number, _parse(parse, data, path)))
        return [record for _, record in sorted(records, key=lambda pair: pair[0])]


def _dump(body: Any) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _numbered_files(folder: Path) -> Iterator[tuple[int, Path]]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        match = _NUMBERED.match(name)
        if match:
            yield int(match[1]), folder / name


def _create(path: Path, text: str) -> bool:
    """Write ``path`` whole, only if it does not exist yet; False when it did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        try:
            # A hard link is created whole or not at all, and never replaces a file.
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _append(
    folder: Path,
    prefix: str,
    make: Callable[[int], _T],
    body: Callable[[_T], Any],
    claim: Callable[[int], int] | None = None,
) -> _T:
    """Store ``make(n)`` as ``<prefix><n>.json`` for the first free ``n`` after the last."""
    number = max((n for n, _ in _numbered_files(folder)), default=0) + 1
    while True:
        if claim is not None:
            number = claim(number)
        record = make(number)
        name = f"{prefix}{number:02d}.json" if prefix else f"{number}.json"
        if _create(folder / name, _dump(body(record))):
            return record
        number += 1  # another writer took this number first


def _read_json(path: Path, *, missing_ok: bool) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise InputError("lane record not found", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read a lane record: {e.strerror}", path=path) from None
    try:
        return json.loads(data)
    except ValueError as e:
        raise InputError(
            f"lane record is not valid JSON: {e}",
            path=path,
            hint="restore the file, or delete it if the record is not needed",
        ) from None


def _parse(parse: Callable[[Any], _T], data: Any, path: Path) -> _T:
    try:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return parse(data)
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"malformed lane record: {e!r}",
            path=path,
            hint="restore the file, or delete it if the record is not needed",
        ) from None
