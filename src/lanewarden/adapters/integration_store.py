"""Where ``lanewarden integrate`` keeps its run: the state file and the finished records.

Under ``<git common dir>/lanewarden/``::

    integrate-state.json             the run in progress (for --continue / --abort)
    integrations/<run id>.json       one record per finished run

The state file is rewritten whole (atomically) after every step, so a run
killed at any moment resumes from the last step that completed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.git import Repo
from lanewarden.errors import InputError

__all__ = ["IntegrationStore", "integrated_by_run"]


class IntegrationStore:
    """The integration state and records of one repository."""

    def __init__(self, repo: Repo) -> None:
        self.state_path = repo.state_dir / "integrate-state.json"
        self.records = repo.state_dir / "integrations"

    def read_state(self) -> dict[str, Any] | None:
        """The run in progress, or None."""
        try:
            data = self.state_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            state = json.loads(data)
        except ValueError as e:
            raise InputError(
                f"the integration state is not valid JSON: {e}",
                path=self.state_path,
                hint="roll the run back by hand (`git reset --hard` to its start) and delete it",
            ) from None
        if not isinstance(state, dict):
            raise InputError("the integration state is not a JSON object", path=self.state_path)
        return state

    def write_state(self, state: dict[str, Any]) -> None:
        """Replace the state file whole."""
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.state_path, json.dumps(state, indent=2, ensure_ascii=False) + "\n")

    def clear_state(self) -> None:
        """The run ended: no state file is left."""
        self.state_path.unlink(missing_ok=True)

    def finished_runs(self) -> list[Path]:
        """The records of finished runs, oldest first (run ids sort by time)."""
        try:
            names = os.listdir(self.records)
        except FileNotFoundError:
            return []
        return sorted(self.records / n for n in names if n.endswith(".json"))

    def write_record(self, record: dict[str, Any]) -> Path:
        """Store a finished run's record."""
        path = self.records / f"{record['run']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        return path


def integrated_by_run(repo: Repo, lane_id: str) -> bool:
    """The latest finished run that lists the lane lists it as integrated."""
    store = IntegrationStore(repo)
    for path in reversed(store.finished_runs()):
        try:
            record = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # unreadable: it says nothing
        lanes = record.get("lanes") if isinstance(record, dict) else None
        for outcome in lanes if isinstance(lanes, list) else []:
            if isinstance(outcome, dict) and outcome.get("lane") == lane_id:
                return outcome.get("outcome") == "integrated"
    return False
