"""The lock registry kept on a git remote: fetch, commit the ledger, push as compare-and-swap.

In ``registry = "remote"`` mode the registry of record is the ledger on one
ref of one remote (``registry_remote``, ``registry_ref``): the target branch,
or the dedicated ``refs/lanewarden/registry`` when the target branch is
protected. A change fetches that ref, applies the edit as a ledger-only commit
on top of it (built with plumbing in a temporary index: the user's work tree
and index are never touched) and pushes it. git updates a ref atomically, so
the push is a compare-and-swap: a branch only moves by fast-forward, the
dedicated ref only with ``--force-with-lease=<ref>:<expected>``. A rejected
push means someone else moved the registry: fetch again, replay the change on
the new registry with every rule checked again, and retry after a bounded,
jittered back-off. The local copy (``<git common dir>/lanewarden/registry/``)
is a cache, written only from what the remote holds, so a push that fails
leaves nothing acquired locally.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lanewarden.adapters.config import Config
from lanewarden.adapters.files import atomic_write, exclusive_lock
from lanewarden.adapters.git import Repo, run_git, scratch_index_env
from lanewarden.adapters.registry_edit import NO_TABLE, Transaction, rendered
from lanewarden.adapters.remote_ref import fetch_ref
from lanewarden.domain.registry import Hotspots, LockRegistry
from lanewarden.domain.registry_change import RegistryChange
from lanewarden.domain.scopes import ScopeError
from lanewarden.errors import InputError, PolicyRefusal

if TYPE_CHECKING:
    from lanewarden.adapters.registry_store import RegistryStore
    from lanewarden.domain.ledger import Ledger

__all__ = [
    "DEDICATED_REF",
    "FETCHED_REF",
    "MAX_ATTEMPTS",
    "RegistryRaceLost",
    "RemoteRegistry",
    "RemoteSpec",
    "remote_spec",
]

DEDICATED_REF = "refs/lanewarden/registry"
# Scratch ref: the registry commit as last fetched (or pushed) by this clone.
FETCHED_REF = "refs/lanewarden/registry-fetched"
MAX_ATTEMPTS = 40
# What git says when the remote moved between our fetch and our push.
_MOVED = ("[rejected]", "stale info", "fetch first", "non-fast-forward", "cannot lock ref")


class RemoteSpec(NamedTuple):
    """Where the registry of record lives."""

    remote: str
    ref: str  # a full ref name

    @property
    def dedicated(self) -> bool:
        """A ref of its own (moved by lease), not a branch (moved by fast-forward)."""
        return not self.ref.startswith("refs/heads/")

    def describe(self) -> str:
        return f"{self.remote} {self.ref}"


def remote_spec(config: Config) -> RemoteSpec:
    """The remote and ref of the registry, with the documented defaults."""
    ref = config.registry_ref
    if ref is None:
        protected = config.target_branch in config.protected_branches
        ref = DEDICATED_REF if protected else config.target_branch
    if not ref.startswith("refs/"):
        ref = f"refs/heads/{ref}"
    return RemoteSpec(config.registry_remote, ref)


class TrackedPaths:
    """The tracked paths, listed once when a rule first needs them."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._paths: list[str] | None = None

    def __call__(self) -> list[str]:
        if self._paths is None:
            self._paths = self.repo.tracked_paths()
        return self._paths


class RegistryRaceLost(PolicyRefusal):
    """Another orchestrator's change won: this one no longer applies.

    A policy refusal found midway, like a hand-edited table: every command
    that writes the registry reports its violations and exits 1.
    """


class RemoteRegistry:
    """The registry on the remote, and this clone's cached copy of it."""

    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self.repo = store.repo
        self.config = store.config
        self.spec = remote_spec(store.config)
        self.attempts = 0

    # --- reading ------------------------------------------------------------------------

    def fetch(self, *, lanes: bool = False) -> tuple[str | None, str]:
        """Fetch the registry; its commit (None: no registry ref yet) and ledger text.

        Refreshes the cached copy the hooks read. A dedicated ref that does not
        exist yet starts from the target branch's ledger. With ``lanes``, the
        lanes' worker state comes in the same round trip (their heartbeats
        decide whether a lock is stale).
        """
        spec = self.spec
        commit: str | None = None
        fetched = lanes and self._fetch_with_lanes()
        if fetched or fetch_ref(self.repo, spec.remote, spec.ref, FETCHED_REF):
            commit = self._rev(FETCHED_REF)
            source = commit
        elif spec.dedicated:
            branch = f"refs/heads/{self.config.target_branch}"
            if not fetch_ref(self.repo, spec.remote, branch, FETCHED_REF):
                raise self._no_registry(branch)
            source = self._rev(FETCHED_REF)
            self.repo.git("update-ref", "-d", FETCHED_REF)
        else:
            raise self._no_registry(spec.ref)
        text = self._ledger_text(source)
        self._cache(text)
        self._track(commit)
        return commit, text

    def _track(self, commit: str | None) -> None:
        """Keep the target branch's remote-tracking ref at the registry commit just seen.

        The pre-push hook and ``verify`` judge a push by the registry on the
        target branch as the remote has it (``refs/remotes/<remote>/<branch>``):
        when the registry is that branch, what this clone fetched or pushed is
        exactly that, so the tracking ref follows without a separate fetch.
        """
        branch = f"refs/heads/{self.config.target_branch}"
        if commit is None or self.spec.ref != branch:
            return
        tracking = f"refs/remotes/{self.spec.remote}/{self.config.target_branch}"
        self.repo.git("update-ref", "-m", "lanewarden: registry fetched", tracking, commit)

    def _fetch_with_lanes(self) -> bool:
        """Fetch the registry and every lane's ref at once; False if the registry ref is missing."""
        import subprocess

        from lanewarden.adapters.lane_refs import LANES_REFSPEC, take_fetched_lanes

        refspecs = [f"+{self.spec.ref}:{FETCHED_REF}", LANES_REFSPEC]
        done = subprocess.run(
            ["git", "fetch", "--quiet", "--no-tags", self.spec.remote, *refspecs],
            cwd=self.repo.root,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return False  # missing ref or unreachable: the plain fetch says which
        take_fetched_lanes(self.repo)
        return True

    def _rev(self, ref: str) -> str:
        return os.fsdecode(self.repo.git("rev-parse", "--verify", f"{ref}^{{commit}}")).strip()

    def _no_registry(self, ref: str) -> InputError:
        return InputError(
            f"remote {self.spec.remote!r} has no {ref}: there is no registry to read",
            path=self.config.source_name,
            hint=f"push the target branch with its ledger first (`git push {self.spec.remote} "
            f"{self.config.target_branch}`), or fix registry_remote / registry_ref",
        )

    def _ledger_text(self, commit: str) -> str:
        name = self.config.ledger
        if not self.repo.git("ls-tree", "-z", "--name-only", commit, "--", name):
            raise InputError(
                f"the remote registry ({self.spec.describe()}) has no {name}",
                path=name,
                hint="run `lanewarden init`, commit the ledger and push the target branch",
            )
        data = self.repo.git("cat-file", "blob", f"{commit}:{name}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            # Never decode lossily: the text is written back and pushed, and a replaced
            # byte would be a user's text lost on the remote.
            raise InputError(
                f"the remote registry's {name} is not UTF-8 text ({error.reason} at byte "
                f"{error.start})",
                path=name,
                line=data[: error.start].count(b"\n") + 1,
                hint=f"re-save {name} as UTF-8 on the target branch and push it",
            ) from None

    def _cache(self, text: str) -> None:
        """Keep ``text`` as the hooks' copy, recorded as lanewarden's own (the remote's truth)."""
        path = self.store.ledger_path
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
        self.store._record(text)

    def parse(self, text: str) -> tuple[Ledger, LockRegistry]:
        """The ledger ``text`` and its lock registry; no lock table is bad input."""
        from lanewarden.domain.ledger import Ledger

        where = Path(self.store.display_path())
        ledger = Ledger.parse(text, where)
        if not ledger.has_lock_table:
            raise InputError(
                f"no lock table found: {NO_TABLE}",
                path=where,
                hint="restore the lock table on the remote, or run `lanewarden init` there",
            )
        return ledger, self.store._registry(ledger)

    # --- writing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Edit the registry on the remote; pushed (and cached) if changed.

        Raises :class:`RegistryRaceLost` when another orchestrator's change
        landed first and this one no longer passes the rules.
        """
        store = self.store
        with exclusive_lock(store._write_lock):
            head, text = self.fetch(lanes=True)
            ledger, parsed = self.parse(text)
            current = parsed.with_heartbeats(store.heartbeats.read_all(parsed.locks))
            tx = Transaction(registry=current, ledger=ledger, original=parsed)
            yield tx
            if tx.registry == current:
                return
            change = RegistryChange.between(parsed, current, tx.registry)
            edited = tx.registry
            tracked = TrackedPaths(self.repo)
            for attempt in range(1, MAX_ATTEMPTS + 1):
                self.attempts = attempt
                new_text = rendered(ledger, edited, parsed)
                commit = self._commit(head, new_text, change.summary())
                if self._push(commit, head):
                    self._landed(commit, new_text)
                    live = {lock.lock_id for lock in edited.locks}
                    for lock in parsed.locks:
                        if lock.lock_id not in live:
                            store.heartbeats.remove(lock.lock_id)
                    return
                time.sleep(_backoff(attempt))
                head, text = self.fetch()
                ledger, parsed = self.parse(text)
                current = parsed.with_heartbeats(store.heartbeats.read_all(parsed.locks))
                replayed = change.replay(parsed, current, self._hotspots(), tracked)
                if isinstance(replayed, list):
                    raise RegistryRaceLost(replayed)
                edited = replayed
            raise InputError(
                f"the remote registry ({self.spec.describe()}) moved on {MAX_ATTEMPTS} times "
                "in a row: too many writers at once",
                hint="nothing was changed; run the command again",
            )

    def edit_text(self, edit: Callable[[str], str], message: str) -> bool:
        """Apply ``edit`` to the remote's ledger text and push it; True if it changed.

        For the ledger's other sections (the fold of checkpoints and answered
        requests), which no rule guards: a push that loses the race fetches
        the new ledger and applies ``edit`` to it again. ``edit`` must keep
        the lock table as it is.
        """
        with exclusive_lock(self.store._write_lock):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                self.attempts = attempt
                head, text = self.fetch()
                new_text = edit(text)
                if new_text == text:
                    return False
                commit = self._commit(head, new_text, message)
                if self._push(commit, head):
                    self._landed(commit, new_text)
                    return True
                time.sleep(_backoff(attempt))
        raise InputError(
            f"the remote registry ({self.spec.describe()}) moved on {MAX_ATTEMPTS} times "
            "in a row: too many writers at once",
            hint="nothing was changed; run the command again",
        )

    def _hotspots(self) -> Hotspots:
        try:
            return Hotspots.parse(self.config.hotspots)
        except ScopeError as e:
            raise InputError(f"bad glob in hotspots: {e}", path=self.config.source_name) from None

    def _commit(self, parent: str | None, text: str, message: str) -> str:
        """A commit of ``parent``'s tree with the ledger replaced; built in a scratch index."""
        blob = os.fsdecode(
            self.repo.git("hash-object", "-w", "--stdin", stdin=text.encode("utf-8"))
        ).strip()
        with tempfile.TemporaryDirectory(prefix="lanewarden-registry-") as scratch:
            env = scratch_index_env(scratch)
            root = self.repo.root
            if parent is not None:
                run_git(["read-tree", parent], cwd=root, env=env)
            info = f"100644,{blob},{self.config.ledger}"
            run_git(["update-index", "--add", "--cacheinfo", info], cwd=root, env=env)
            tree = os.fsdecode(run_git(["write-tree"], cwd=root, env=env)).strip()
            parents = ["-p", parent] if parent else []
            out = run_git(["commit-tree", tree, *parents, "-m", message], cwd=root, env=env)
        return os.fsdecode(out).strip()

    def _push(self, commit: str, expected: str | None) -> bool:
        """Push ``commit`` as the registry if the remote still has ``expected``; False if not."""
        import subprocess

        spec = self.spec
        args = ["git", "push", "--quiet", "--no-verify"]
        if spec.dedicated:
            args.append(f"--force-with-lease={spec.ref}:{expected or ''}")
        args += [spec.remote, f"{commit}:{spec.ref}"]
        done = subprocess.run(args, cwd=self.repo.root, capture_output=True, check=False)
        if done.returncode == 0:
            return True
        message = os.fsdecode(done.stderr)
        if any(sign in message for sign in _MOVED) or (
            "[remote rejected]" in message and "failed to update ref" in message
        ):
            return False
        protected = (
            ""
            if spec.dedicated
            else (f'; if {spec.ref} is protected, set registry_ref = "{DEDICATED_REF}"')
        )
        raise InputError(
            f"git push of the registry to {spec.describe()} failed: {message.strip()}",
            hint=f"nothing was changed; check the remote (`git remote -v`), then run the "
            f"command again{protected}",
        )

    def _landed(self, commit: str, text: str) -> None:
        """The push won: the cache and the scratch ref follow the remote."""
        self.repo.git("update-ref", FETCHED_REF, commit)
        self._cache(text)
        self._track(commit)
        record = {"commit": commit, "attempts": self.attempts}
        atomic_write(self.store.ledger_path.parent / "last-push.json", json.dumps(record) + "\n")


def _backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: jittered, doubling, at most 1 s."""
    return random.uniform(0, min(1.0, 0.02 * 2**attempt))
