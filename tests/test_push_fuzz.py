"""Random histories against a reference model: `verify` refuses exactly the bad ranges.

Random lanes commit, amend (relabelling the lane, too), merge (with conflicts
and evil edits), rebase and push in a real repository with a bare remote. The
model in this test records what each commit changed itself, as the test made
it: for a commit its paths, for a merge its conflict resolutions and extra
edits. A range is bad when one of its commits changes a path outside the
scope of the lane it names (or a locked path, naming none). `verify` on every
pushed range must agree with the model.

A few examples run by default; `LANEWARDEN_FUZZ_EXAMPLES=200` runs more.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conftest import Cli, git, write
from scenario import make_pushable

SCOPES = {"L-001": "src/app/", "L-002": "src/lib/"}
PATHS = (
    "src/app/a.py",
    "src/app/with space.py",
    "src/lib/c.py",
    "src/lib/ünï.py",
    "notes/n.txt",
    "notes/m.txt",
)
BRANCHES = ("main", "lane/L-001", "lane/L-002", "side")
EXAMPLES = int(os.environ.get("LANEWARDEN_FUZZ_EXAMPLES", "2"))
STEPS = int(os.environ.get("LANEWARDEN_FUZZ_STEPS", "24"))


def allowed(lane: str | None, path: str) -> bool:
    """The model's rule: a lane stays in its scope; a commit naming none touches no lock."""
    if lane is None:
        return not any(path.startswith(scope) for scope in SCOPES.values())
    return path.startswith(SCOPES[lane])


@dataclass
class Model:
    """What each commit changed itself, and under which lane, as the test made it."""

    own: dict[str, tuple[str | None, frozenset[str]]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def bad(self, sha: str) -> bool:
        lane, paths = self.own[sha]
        return any(not allowed(lane, path) for path in paths)


class Fuzz:
    def __init__(self, repo: Path, cli: Cli, rng: random.Random) -> None:
        self.repo, self.cli, self.rng = repo, cli, rng
        self.model = Model()
        self.counter = 0

    # -- git ------------------------------------------------------------------

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.repo, *args, check=check)

    def succeeds(self, *args: str) -> bool:
        done = subprocess.run(["git", *args], cwd=self.repo, capture_output=True, check=False)
        return done.returncode == 0

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def edit(self, path: str) -> None:
        self.counter += 1
        write(self.repo, path, f"version {self.counter}\n")
        self.git("add", "--", path)

    def lane(self) -> str | None:
        return self.rng.choice([*SCOPES, None])

    def paths_for(self, lane: str | None) -> list[str]:
        fitting = [p for p in PATHS if allowed(lane, p)]
        chosen = self.rng.sample(fitting, k=min(len(fitting), self.rng.randint(1, 2)))
        if self.rng.random() < 0.2:
            chosen.append(self.rng.choice(PATHS))  # maybe a slip outside the scope
        return list(dict.fromkeys(chosen))

    def commit_message(self, what: str, lane: str | None) -> list[str]:
        trailer = ["--trailer", f"Lane: {lane}"] if lane else []
        return ["-m", what, *trailer]

    # -- operations -----------------------------------------------------------

    def switch(self) -> None:
        branch = self.rng.choice(BRANCHES)
        if self.succeeds("rev-parse", "--verify", "--quiet", branch):
            self.git("switch", "-q", branch)
        else:
            self.git("switch", "-q", "-c", branch, "main")
        self.model.log.append(f"switch {branch}")

    def commit(self, lane: str | None = None, *, random_lane: bool = True) -> None:
        lane = self.lane() if random_lane else lane
        paths = self.paths_for(lane)
        for path in paths:
            self.edit(path)
        self.git("commit", "-q", "--no-verify", *self.commit_message("work", lane))
        self.model.own[self.head()] = (lane, frozenset(paths))
        self.model.log.append(f"commit {lane} {paths}")

    def amend(self) -> None:
        sha = self.head()
        if sha not in self.model.own or len(self.git("rev-parse", "HEAD^@").split()) != 1:
            return  # not a commit of ours, or a merge
        if any(
            self.succeeds("merge-base", "--is-ancestor", sha, ref)
            for ref in ("main", "origin/main")
        ):
            return  # integrated: a rebase would later drop the part main already has
        _, paths = self.model.own[sha]
        lane = self.lane()
        extra = self.paths_for(lane)[0]
        self.edit(extra)
        message = self.commit_message("amended", lane)
        self.git("commit", "-q", "--amend", "--no-verify", *message)
        self.model.own[self.head()] = (lane, paths | {extra})
        self.model.log.append(f"amend as {lane} + {extra}")

    def merge(self) -> None:
        current = self.git("branch", "--show-current").strip()
        other = self.rng.choice([b for b in BRANCHES if b != current])
        if not self.succeeds("rev-parse", "--verify", "--quiet", other) or self.succeeds(
            "merge-base", "--is-ancestor", other, "HEAD"
        ):
            return  # no such branch yet, or nothing to merge
        self.succeeds("merge", "-q", "--no-ff", "--no-commit", other)  # conflicts are fine
        listed = self.git("diff", "--name-only", "-z", "--diff-filter=U").split("\0")
        conflicted = [path for path in listed if path]
        for path in conflicted:
            self.edit(path)  # a resolution of the merge's own
        evil = [self.rng.choice(PATHS)] if self.rng.random() < 0.3 else []
        for path in evil:
            self.edit(path)
        lane = self.lane()
        self.git("commit", "-q", "--no-verify", *self.commit_message(f"merge {other}", lane))
        self.model.own[self.head()] = (lane, frozenset(conflicted + evil))
        self.model.log.append(f"merge {other} as {lane}: conflicts {conflicted} evil {evil}")

    def rebase(self) -> None:
        current = self.git("branch", "--show-current").strip()
        if current == "main" or self.git("rev-list", "--merges", f"main..{current}").strip():
            return  # rebasing merges away would change what the commits are
        old = self.git("rev-list", "--reverse", f"main..{current}").split()
        if not self.succeeds("rebase", "-q", "main"):
            self.git("rebase", "--abort")  # a conflict: leave the branch as it was
            return
        new = self.git("rev-list", "--reverse", f"main..{current}").split()
        assert len(new) == len(old), (old, new)
        for before, after in zip(old, new, strict=True):
            self.model.own[after] = self.model.own[before]
        self.model.log.append(f"rebase {current} onto main")

    def push(self) -> None:
        """Verify the range the remote lacks; push it (and maybe integrate it) when it passes.

        A refused branch goes back to what the remote has, as a lane would redo its work.
        """
        current = self.git("branch", "--show-current").strip()
        span = self.git("rev-list", f"origin/main..{current}").split()
        expected_bad = any(self.model.bad(sha) for sha in span)
        result = self.cli(self.repo, "verify", "--range", f"origin/main..{current}", "--json")
        self.model.log.append(f"push {current}: {len(span)} commit(s), bad={expected_bad}")
        assert result.code == (1 if expected_bad else 0), "\n".join(
            [*self.model.log, result.out, result.err]
        )
        if expected_bad:  # the lane starts again from what the remote has
            remote = f"origin/{current}"
            self.git(
                "reset",
                "-q",
                "--hard",
                remote if self.succeeds("rev-parse", remote) else "origin/main",
            )
            return
        self.git("push", "-q", "--no-verify", "--force", "origin", current)
        if current != "main" and self.rng.random() < 0.5:
            self.git("switch", "-q", "main")
            if self.succeeds("merge", "-q", "--ff-only", current):
                self.git("push", "-q", "--no-verify", "origin", "main")
                self.model.log.append(f"main fast-forwards to {current}")
            self.git("switch", "-q", current)

    def run(self, steps: int) -> None:
        operations = [
            (self.commit, 5),
            (self.switch, 3),
            (self.merge, 3),
            (self.amend, 2),
            (self.rebase, 2),
            (self.push, 3),
        ]
        actions = [op for op, weight in operations for _ in range(weight)]
        for branch, lane in (("lane/L-001", "L-001"), ("lane/L-002", "L-002"), ("side", None)):
            self.git("switch", "-q", "-c", branch, "main")  # every branch starts with some work
            self.commit(lane, random_lane=False)
        for _ in range(steps):
            self.rng.choice(actions)()
        for branch in BRANCHES:
            if self.succeeds("rev-parse", "--verify", "--quiet", branch):
                self.git("switch", "-q", branch)
                self.push()


def test_verify_refuses_exactly_the_ranges_the_model_refuses(
    repo: Path, tmp_path: Path, cli: Cli
) -> None:
    make_pushable(repo, tmp_path / "remote.git")
    # Agents that take every shortcut: no commit-time hook runs (--no-verify alone leaves
    # prepare-commit-msg, which judges merges and amends), so verify alone must catch them.
    git(repo, "config", "core.hooksPath", "/dev/null")
    seen: Counter[str] = Counter()
    for seed in range(EXAMPLES):
        copy = tmp_path / f"seed-{seed}"
        shutil.copytree(repo, copy / "repo", symlinks=True)
        shutil.copytree(tmp_path / "remote.git", copy / "remote.git", symlinks=True)
        git(copy / "repo", "remote", "set-url", "origin", str(copy / "remote.git"))
        fuzz = Fuzz(copy / "repo", cli, random.Random(seed))
        fuzz.run(STEPS)
        seen.update(entry.split(" ")[0] for entry in fuzz.model.log)
        seen.update(
            entry.split(": ")[-1].split(", ")[-1] for entry in fuzz.model.log if "bad=" in entry
        )
    # Not a vacuous run: good and bad ranges were pushed, merges and amends happened.
    for what in ("bad=True", "bad=False", "merge", "amend", "rebase"):
        assert seen[what], (what, seen)
