"""``integrate --push`` through lanewarden's installed pre-push hook, to a local bare remote.

The hook runs the normal push checks: the target's tip needs passing gate-3
evidence for its own tree, every pushed commit's paths must belong to the
lane its trailer names. integrate never forces a push and reports a refusal
with exit 1, the remote left as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, write
from scenario import add_bare_remote, lanewarden
from test_integrate import INTEGRATOR, two_clean_lanes


def hooked_remote(repo: Path) -> Path:
    """The wave of two clean lanes, a bare remote with main, lanewarden's hooks installed."""
    two_clean_lanes(repo)
    remote = add_bare_remote(repo)
    done = lanewarden(repo, "hooks", "install")
    assert done.returncode == 0, done.stdout + done.stderr
    hook = Path(git(repo, "rev-parse", "--git-path", "hooks").strip())
    hook = hook if hook.is_absolute() else repo / hook
    assert "lanewarden hook pre-push" in (hook / "pre-push").read_text()
    return remote


def test_push_goes_through_the_pre_push_hook_and_lands_the_wave(repo: Path) -> None:
    remote = hooked_remote(repo)
    done = lanewarden(repo, "integrate", "--push", "--json", env=INTEGRATOR)
    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["pushed"] is True
    assert body["integrated"] == ["L-1", "L-5"]
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git(remote, "rev-parse", "main").strip() == head == body["end_commit"]
    # The tip is the ledger's commit: gate 3 ran on its tree first, as the hook requires.
    tip_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    pushing = [s for s in body["steps"] if s["step"] == "gate-push"]
    assert pushing == [{**pushing[0], "gate": "3", "status": "passed", "tree": tip_tree}]


def test_a_diverged_remote_is_never_overwritten(repo: Path) -> None:
    remote = hooked_remote(repo)
    # Someone else pushed to main meanwhile: the integrated branch is no fast-forward.
    git(repo, "switch", "-q", "-c", "elsewhere")
    write(repo, "NOTES.md", "someone else's work\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "elsewhere", "--no-verify", env=INTEGRATOR)
    git(repo, "push", "-q", "--no-verify", "origin", "elsewhere:main")
    git(repo, "switch", "-q", "main")
    theirs = git(remote, "rev-parse", "main").strip()

    done = lanewarden(repo, "integrate", "--push", "--json", env=INTEGRATOR)
    assert done.returncode == 1, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["pushed"] is False
    assert [v["rule"] for v in body["violations"]] == ["integrate-push-refused"]
    (refused,) = body["violations"]
    assert "[rejected]" in refused["message"]  # what git said, not only "failed to push"
    assert "git pull --no-rebase origin main" in refused["fix"]
    assert "git push origin main" in refused["fix"]
    assert git(remote, "rev-parse", "main").strip() == theirs  # not forced over


def test_a_refusing_pre_push_hook_leaves_the_remote_as_it_was(repo: Path) -> None:
    remote = hooked_remote(repo)
    before = git(remote, "rev-parse", "main").strip()
    # A commit on main, hooks skipped, that changes L-5's locked path without its trailer:
    # the pre-push hook refuses it (missing-trailer), so the whole push is refused.
    write(repo, "src/zeta/extra.py", "X = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "untracked change", "--no-verify", env=INTEGRATOR)

    done = lanewarden(repo, "integrate", "L-1", "--push", "--json", env=INTEGRATOR)
    assert done.returncode == 1, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["ok"] is False
    assert body["pushed"] is False
    assert body["integrated"] == ["L-1"]  # integrated locally: only the push was refused
    assert "missing-trailer" in done.stderr  # the hook's own refusal, passed on
    [refusal] = body["violations"]
    assert refusal["rule"] == "integrate-push-refused"
    assert "missing-trailer" in refusal["message"]
    assert git(remote, "rev-parse", "main").strip() == before
    assert "forced update" not in done.stderr
    # The run is over (nothing to continue); pushing again after the fix is plain git.
    assert not (repo / ".git" / "lanewarden" / "integrate-state.json").exists()


def test_an_unreachable_remote_is_an_error_not_a_refusal(repo: Path) -> None:
    hooked_remote(repo)
    git(repo, "remote", "set-url", "origin", str(repo.parent / "nowhere.git"))
    done = lanewarden(repo, "integrate", "--push", "--json", env=INTEGRATOR)
    assert done.returncode == 2, done.stdout + done.stderr  # not 1: nothing refused it
    body = json.loads(done.stdout)
    assert body["pushed"] is False
    assert body["violations"] == []
    assert "nowhere.git" in body["push_error"]
    assert body["integrated"] == ["L-1", "L-5"]  # the wave is done and recorded here
    assert "check `git remote -v`" in done.stderr
