"""The orchestrator's fold of workers' records into the ledger's sections.

Workers never write the ledger (it has one writer). Their checkpoints, and
every answered escalation, are folded into the ledger's Checkpoints and
Failures sections by the orchestrator whenever it writes the ledger itself,
in the runbook's templates; the ledger's other bytes stay as they were.
"""

from __future__ import annotations

from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import LedgerTampered, RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import read_decisions
from lanewarden.domain.lanes import Checkpoint, Decision, Request
from lanewarden.domain.ledger_sections import CHECKPOINTS, FAILURES, Entry, fold_entries
from lanewarden.domain.times import format_time

__all__ = [
    "checkpoint_entry",
    "failure_entries",
    "fold_ledger",
    "refuse_tampered_ledger",
    "request_entry",
]


def _code(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    run = 1
    while "`" * run in text:
        run += 1
    fence = "`" * run
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _listed(items: tuple[str, ...]) -> str:
    return "; ".join(items) if items else "none"


def checkpoint_entry(checkpoint: Checkpoint) -> Entry:
    """A checkpoint as the ledger's Checkpoints section holds it (runbook §10 fields)."""
    return Entry(
        key=f"{checkpoint.lane_id} {checkpoint.id}",
        lines=(
            f"- checkpoint_id: {checkpoint.id}",
            f"- time: {format_time(checkpoint.time)}",
            f"- completed steps: {_listed(checkpoint.done)}",
            f"- pending steps: {_listed(checkpoint.pending)}",
            f"- blockers: {_listed(checkpoint.blockers)}",
            f"- next command: {_code(checkpoint.next)}",
        ),
    )


def failure_entries(checkpoint: Checkpoint) -> list[Entry]:
    """A failure noted at a checkpoint, in the runbook's failure/remediation template."""
    if checkpoint.failure is None:
        return []
    return [
        Entry(
            key=f"{checkpoint.lane_id} {checkpoint.id} failure",
            lines=(
                f"- Failure: {checkpoint.failure}",
                f"- Impact: lane {checkpoint.lane_id} at checkpoint {checkpoint.id}",
                "- Requested approval: none",
                f"- Remediation: {checkpoint.remediation or 'none recorded yet'}",
            ),
        )
    ]


def request_entry(request: Request, decision: Decision) -> Entry:
    """A decided escalation in the runbook's failure/remediation template."""
    return Entry(
        key=f"{request.lane_id} request {request.number}",
        lines=tuple(f"- {line}" for line in request.failure_lines(decision)),
    )


def refuse_tampered_ledger(ctx: Context) -> None:
    """Raise ``ledger-tampered`` (exit 1) when the lock table was edited outside lanewarden.

    The ledger's writer writes nothing more into a ledger whose table it did
    not write: the orchestrator accepts the edit (``lock accept-edit``) or
    undoes it first. Called before a command changes anything else, so a
    refusal leaves nothing half done.
    """
    _, tampered = RegistryStore(ctx.repo, ctx.config).read_checked()
    if tampered:
        raise LedgerTampered(tampered)


def fold_ledger(ctx: Context, store: LaneStore) -> bool:
    """Fold every checkpoint and decided escalation into the ledger; True if it changed.

    Only the ledger's writer (orchestrator or integrator) folds; the ledger
    is rewritten atomically under the same file lock as the lock table, and
    never over a hand-edited lock table (``ledger-tampered``, exit 1). With a
    remote registry the fold is a ledger-only commit pushed like a lock change.
    """
    if not ctx.identity.may_write_ledger:
        return False
    registry_store = RegistryStore(ctx.repo, ctx.config)
    path = registry_store.ledger_path
    answered = read_decisions(ctx)
    checkpoints: list[Entry] = []
    failures: list[Entry] = []
    for lane_id in store.lane_ids():
        for checkpoint in store.checkpoints(lane_id):
            checkpoints.append(checkpoint_entry(checkpoint))
            failures += failure_entries(checkpoint)
    for request in store.requests():
        decision = answered.get(request.number)
        if decision is not None:
            failures.append(request_entry(request, decision))

    def fold(text: str) -> str:
        new = fold_entries(text, CHECKPOINTS, "Checkpoints", checkpoints)
        return fold_entries(new, FAILURES, "Failures and remediation", failures)

    if registry_store.remote:
        # The ledger of record is the remote's: folded there (fetch, fold, push), never
        # into this clone's copy only, which the next fetch would overwrite.
        from lanewarden.adapters.remote_registry import RemoteRegistry

        message = "lanewarden ledger: fold checkpoints and answered requests"
        return RemoteRegistry(registry_store).edit_text(fold, message)
    if not path.exists():
        return False
    with exclusive_lock(ctx.repo.state_dir / "ledger.lock"):
        refuse_tampered_ledger(ctx)
        text = read_text(path, what="execution ledger")
        new = fold(text)
        if new == text:
            return False
        atomic_write(path, new)
    return True
