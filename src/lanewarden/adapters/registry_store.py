"""Reading and writing the lock registry held in the execution ledger.

The registry is the ledger in the *main* work tree, as the orchestrator holds
it: a linked worktree, or a lane's own commit, never supplies its own copy, so
a lane cannot widen its scope by editing the ledger. Writes happen under an
exclusive lock in the common git dir and replace the ledger atomically,
rewriting only the tables' lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lanewarden.adapters.config import Config
from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.adapters.git import Repo
from lanewarden.adapters.heartbeats import HeartbeatStore
from lanewarden.adapters.ledger_digest import LedgerDigest
from lanewarden.adapters.registry_cache import ledger_key, load_locks, save_locks
from lanewarden.adapters.registry_edit import NO_TABLE, Transaction, rendered
from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError, PolicyRefusal

if TYPE_CHECKING:
    # Parsing Markdown is for a stale cache and for writes, never the hook's warm path.
    from lanewarden.domain.ledger import Ledger

__all__ = ["NO_TABLE", "LedgerTampered", "RegistryStore", "Transaction"]


class RegistryStore:
    """The ledger file, its write lock and the workers' heartbeats."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.remote = config.registry == "remote"
        if self.remote:
            # The remote's ledger is the registry; this clone reads its last fetched copy.
            self.ledger_path = repo.state_dir / "registry" / PurePosixPath(config.ledger).name
        else:
            self.ledger_path = repo.main_worktree() / config.ledger
        self.heartbeats = HeartbeatStore(repo.state_dir / "heartbeats")
        self._write_lock = repo.state_dir / "ledger.lock"
        self.digest = LedgerDigest(repo.state_dir / "ledger.digest")

    def display_path(self) -> str:
        """The ledger's path as a user sees it from this work tree."""
        if self.remote:
            return f"{self.config.registry_remote}:{self.config.ledger}"
        try:
            return str(self.ledger_path.relative_to(self.repo.root))
        except ValueError:
            return str(self.ledger_path)

    def _parse(self) -> Ledger:
        """The working-tree ledger; one without a lock table is bad input, never no locks."""
        if not self.ledger_path.exists():
            raise InputError(
                "execution ledger not found",
                path=self.display_path(),
                hint="run `lanewarden sync` to fetch the remote registry"
                if self.remote
                else "run `lanewarden init` to create it with an empty lock table",
            )
        from lanewarden.domain.ledger import Ledger

        text = read_text(self.ledger_path, what="execution ledger")
        ledger = Ledger.parse(text, Path(self.display_path()))
        if not ledger.has_lock_table:
            raise InputError(
                f"no lock table found: {NO_TABLE}",
                path=self.display_path(),
                hint="restore the lock table (`git diff -- "
                f"{shell_quote(self.display_path())}` shows what changed), or run "
                "`lanewarden init` to add an empty one",
            )
        return ledger

    def _registry(self, ledger: Ledger) -> LockRegistry:
        where = Path(self.display_path())
        locks = tuple(Lock.from_record(record, where) for record in ledger.locks)
        history = tuple(ReleasedLock.from_record(record, where) for record in ledger.history)
        seen: set[str] = set()
        for lock in locks:
            if lock.lock_id in seen:
                raise InputError(
                    f"duplicate lock id {lock.lock_id!r} in the lock table",
                    path=where,
                    line=lock.line or None,
                    hint="each lock id names one lock: rename or remove one row",
                )
            seen.add(lock.lock_id)
        return LockRegistry(locks=locks, history=history)

    def _tampering(self, ledger: Ledger) -> list[Violation]:
        from lanewarden.domain.tampering import table_rows, tamper_violation

        found = tamper_violation(
            self.digest.recorded(),
            table_rows(ledger.locks),
            self.display_path(),
            remote=self.remote,
        )
        return [] if found is None else [found]

    def read_for_commit(self, lane: str | None) -> tuple[LockRegistry, list[Violation]]:
        """The lock table (no history) for a hook, and ``ledger-tampered`` if it was hand-edited.

        The table comes from the compiled cache when fresh; only a table that
        matched lanewarden's record is cached, so a warm read has nothing to
        verify. Only the committing lane's heartbeat matters to its own check:
        other locks claim their scopes whatever their status.
        """
        cache = self.repo.state_dir / "registry.cache"
        key = ledger_key(self.ledger_path, self.digest.path)
        locks = load_locks(cache, key) if key is not None else None
        tampered: list[Violation] = []
        if locks is None:
            ledger = self._parse()
            locks = self._registry(ledger).locks
            tampered = self._tampering(ledger)
            if key is not None and not tampered:
                save_locks(cache, key, locks)
        registry = LockRegistry(locks=locks)
        lock = registry.get(lane) if lane else None
        beat = self.heartbeats.read(lock) if lock else None
        if lock and beat:
            registry = registry.with_heartbeats({lock.lock_id: beat})
        return registry, tampered

    def read(self) -> LockRegistry:
        """The registry with the workers' latest heartbeats folded in."""
        registry = self._registry(self._parse())
        return registry.with_heartbeats(self.heartbeats.read_all(registry.locks))

    def read_checked(self) -> tuple[LockRegistry, list[Violation]]:
        """:meth:`read`, and ``ledger-tampered`` if the table was edited outside lanewarden."""
        ledger = self._parse()
        registry = self._registry(ledger)
        registry = registry.with_heartbeats(self.heartbeats.read_all(registry.locks))
        return registry, self._tampering(ledger)

    def staged_ledger_violations(self) -> list[Violation]:
        """The staged ledger (this work tree's index) if its lock table is not the registry's."""
        from lanewarden.domain.ledger import Ledger
        from lanewarden.domain.tampering import staged_ledger_violation, table_rows

        name = self.config.ledger
        staged = None
        staged_text = self._staged_text(name)
        if staged_text is not None:
            try:
                parsed = Ledger.parse(staged_text, Path(f":{name}"))
            except InputError:
                parsed = None  # a table lanewarden cannot read is no table it wrote
            if parsed is not None and parsed.has_lock_table:
                staged = table_rows(parsed.locks)
        found = staged_ledger_violation(staged, table_rows(self._parse().locks), name)
        return [] if found is None else [found]

    def _staged_text(self, name: str) -> str | None:
        """The index's copy of ``name`` (None when the index has none, as after `git rm`)."""
        import os

        out = self.repo.git("ls-files", "-s", "-z", "--", f":(literal){name}")
        entries = [entry for entry in out.split(b"\0") if entry]
        if not entries:
            return None
        blob = os.fsdecode(entries[0].split(b" ")[1])
        return self.repo.git("cat-file", "blob", blob).decode("utf-8", errors="replace")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Edit the registry under the ledger's write lock; written if changed.

        Raises :class:`LedgerTampered` when the table is not the one lanewarden
        last wrote: writing it would pass a hand edit off as lanewarden's own.
        In remote mode the change goes through the remote (fetch, commit, push).
        """
        if self.remote:
            from lanewarden.adapters.remote_registry import RemoteRegistry

            with RemoteRegistry(self).transaction() as remote_tx:
                yield remote_tx
            return
        with exclusive_lock(self._write_lock):
            ledger = self._parse()
            parsed = self._registry(ledger)
            tampered = self._tampering(ledger)
            if tampered:
                raise LedgerTampered(tampered)
            current = parsed.with_heartbeats(self.heartbeats.read_all(parsed.locks))
            tx = Transaction(registry=current, ledger=ledger, original=parsed)
            yield tx
            if tx.registry == current:
                return
            text = rendered(ledger, tx.registry, parsed)
            atomic_write(self.ledger_path, text)
            self._record(text)
            # Heartbeat files of locks still in the table stay: a worker may write
            # one between our read and now, and removing it would lose that beat.
            live = {lock.lock_id for lock in tx.registry.locks}
            for lock in parsed.locks:
                if lock.lock_id not in live:
                    self.heartbeats.remove(lock.lock_id)

    def _record(self, text: str) -> str:
        """Record the lock table of ``text`` (the ledger as written) as lanewarden's own."""
        from lanewarden.domain.ledger import Ledger
        from lanewarden.domain.tampering import table_rows

        # Read back as the hooks will read it, so what is compared is what was written.
        written = Ledger.parse(text, Path(self.display_path()))
        return self.digest.record(table_rows(written.locks))

    def accept_edit(self) -> tuple[list[str], str] | None:
        """Record the table as it stands; the changes accepted and its digest (None: none)."""
        from lanewarden.domain.tampering import table_changes, table_rows

        with exclusive_lock(self._write_lock):
            ledger = self._parse()
            self._registry(ledger)  # a table the hooks cannot read is not accepted
            if not self._tampering(ledger):
                return None
            rows = table_rows(ledger.locks)
            changes = table_changes(self.digest.recorded() or [], rows)
            return changes, self._record(ledger.text)


class LedgerTampered(PolicyRefusal):
    """The lock table differs from lanewarden's record of its last write (exit 1)."""
