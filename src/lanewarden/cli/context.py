"""What every command needs first: the repository, its configuration, the caller."""

from __future__ import annotations

import os
from functools import cached_property

from lanewarden.adapters.config import Config, load_config
from lanewarden.adapters.git import Repo
from lanewarden.cli.autonomy import warn_if_autonomous
from lanewarden.domain.identity import Identity, resolve_identity

__all__ = ["Context"]


class Context:
    """The repository seen from the current directory, with its configuration."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config

    @classmethod
    def load(cls, repo: Repo | None = None) -> Context:
        """Discover the repository (unless given) and read its configuration, once per command.

        In autonomous mode this is where the persistent warning is printed
        (runbook §13), so every command that loads a context shows it.
        """
        repo = Repo.discover() if repo is None else repo
        config = load_config(repo.root, cache=repo.state_dir / "config.cache")
        warn_if_autonomous(config)
        return cls(repo=repo, config=config)

    @cached_property
    def branch(self) -> str | None:
        return self.repo.current_branch()

    @cached_property
    def identity(self) -> Identity:
        return resolve_identity(os.environ, branch=self.branch, mode=self.config.mode)

    def refuse_unless_ledger_writer(self, what: str, command: str, *, as_json: bool) -> int | None:
        """Report ``wrong-role`` (exit 1) unless the caller may write the ledger, else None.

        ``what`` is what the caller cannot do ("acquire locks"), ``command`` the
        command to run as the orchestrator instead ("lock acquire").
        """
        if self.identity.may_write_ledger:
            return None
        from lanewarden.cli.output import report
        from lanewarden.domain.violations import Violation

        violation = Violation(
            rule="wrong-role",
            message=f"a {self.identity.role} cannot {what}: the ledger has one writer, the "
            "orchestrator (runbook §6.1)",
            fix=f"ask the orchestrator, or run it as one: `LANEWARDEN_ROLE=orchestrator "
            f"lanewarden {command} ...`",
        )
        return report([violation], as_json=as_json, ok_text="")
