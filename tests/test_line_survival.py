"""Lines rewritten after integration, counted with git blame on a handcrafted history.

Every commit below is real; the expected numbers are counted by hand from
what each commit changes.
"""

from __future__ import annotations

from pathlib import Path

from conftest import git, write
from lanewarden.adapters import marshal_cache
from lanewarden.adapters.git import Repo
from lanewarden.adapters.line_survival import LineSurvival

BASE = [f"base{i}" for i in range(1, 6)]
LANE = [f"new{i}" for i in range(1, 11)]


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def history(repo: Path) -> dict[str, str]:
    """A lane adds 14 lines; later commits rewrite some; a lane changes two, then is reverted."""
    write(repo, "a b.txt", lines(*BASE))
    commit(repo, "base")
    write(repo, "a b.txt", lines(*BASE, *LANE))  # 10 lines
    write(repo, "notes/é.txt", lines("n1", "n2", "n3", "n4"))  # 4 lines
    lane = commit(repo, "lane L-1")
    # 3 of the lane's lines changed, 2 deleted, and a base line changed (not the lane's)
    changed = ["new1", "CHANGED2", "CHANGED3", "CHANGED4", *LANE[4:8]]
    write(repo, "a b.txt", lines("BASE1", *BASE[1:], *changed))
    first = commit(repo, "later: rewrites five of L-1's lines")
    write(repo, "notes/é.txt", lines("n1", "n2", "n4"))  # one more deleted
    second = commit(repo, "later: deletes one more")
    # L-2 changes two of L-1's surviving lines; gate 3 reverts it (both recorded)
    text = (repo / "a b.txt").read_text().replace("new5\nnew6\n", "L2-5\nL2-6\n")
    write(repo, "a b.txt", text)
    reverted = commit(repo, "lane L-2")
    git(repo, "revert", "--no-edit", reverted)
    revert = git(repo, "rev-parse", "HEAD").strip()
    return {"lane": lane, "first": first, "second": second, "L-2": reverted, "revert": revert}


def test_lines_changed_or_deleted_after_integration_are_rewritten(repo: Path) -> None:
    c = history(repo)
    survival = LineSurvival(Repo.discover(repo))
    files = ["a b.txt", "notes/é.txt"]
    assert survival.lines([c["lane"]], files, c["lane"]) == 14  # 10 + 4 integrated
    assert survival.rewritten([c["lane"]], files, c["lane"]) == 0
    assert survival.rewritten([c["lane"]], files, c["first"]) == 5  # 3 changed + 2 deleted
    assert survival.rewritten([c["lane"]], files, c["second"]) == 6  # and 1 more deleted
    # Without knowing about the revert, the two lines it put back look rewritten...
    assert survival.rewritten([c["lane"]], files, c["revert"]) == 8
    # ...with the reverted lane and its revert recorded, they are L-1's lines again.
    knowing = LineSurvival(Repo.discover(repo), ignored=[c["L-2"], c["revert"]])
    assert knowing.rewritten([c["lane"]], files, c["revert"]) == 6


def test_a_deleted_file_loses_all_its_lines(repo: Path) -> None:
    c = history(repo)
    git(repo, "rm", "-q", "notes/é.txt")
    gone = commit(repo, "delete the notes")
    survival = LineSurvival(Repo.discover(repo))
    # 8 as at the revert (nothing ignored here), plus the 3 note lines left until now
    assert survival.rewritten([c["lane"]], ["a b.txt", "notes/é.txt"], gone) == 11


def test_a_merged_lane_owns_the_lines_of_its_own_commits(repo: Path) -> None:
    write(repo, "c.txt", lines("c0"))
    commit(repo, "base")
    git(repo, "switch", "-qc", "lane")
    write(repo, "c.txt", lines("c0", "c1", "c2", "c3"))
    commit(repo, "lane: three lines")
    write(repo, "c.txt", lines("c0", "c1", "c2", "c3", "c4", "c5"))
    commit(repo, "lane: two more")
    git(repo, "switch", "-q", "main")
    write(repo, "other.txt", lines("o"))
    commit(repo, "main moved")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge lane", "lane")
    merge = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "c.txt", lines("c0", "c1", "c3", "c4", "c5"))
    later = commit(repo, "delete c2")
    survival = LineSurvival(Repo.discover(repo))
    # the merge records one commit; blame names the lane's two: 5 lines integrated
    assert survival.lines([merge], ["c.txt"], merge) == 5
    assert survival.rewritten([merge], ["c.txt"], later) == 1


def test_commits_missing_from_the_repository_are_unmeasured_not_zero(repo: Path) -> None:
    c = history(repo)
    survival = LineSurvival(Repo.discover(repo))
    assert survival.rewritten(["0" * 40], ["a b.txt"], c["second"]) is None
    assert survival.rewritten([c["lane"]], ["a b.txt"], "f" * 40) is None
    assert survival.rewritten([], ["a b.txt"], c["second"]) is None


def test_answers_are_kept_and_read_back(repo: Path) -> None:
    c = history(repo)
    real = Repo.discover(repo)
    real.state_dir.mkdir(parents=True, exist_ok=True)
    first = LineSurvival(real)
    assert first.rewritten([c["lane"]], ["a b.txt"], c["first"]) == 5
    first.save()
    assert (real.state_dir / "line-survival.cache").is_file()
    again = LineSurvival(real)
    assert again.rewritten([c["lane"]], ["a b.txt"], c["first"]) == 5


def test_lanes_measured_together_count_as_each_alone(repo: Path) -> None:
    c = history(repo)
    # a second lane after L-1: one of the two lines it adds to a b.txt is deleted later
    text = (repo / "a b.txt").read_text()
    write(repo, "a b.txt", text + "L3-1\nL3-2\n")
    third = commit(repo, "lane L-3")
    write(repo, "a b.txt", text + "L3-1\n")
    end = commit(repo, "later: deletes one of L-3's lines")
    knowing = LineSurvival(Repo.discover(repo), ignored=[c["L-2"], c["revert"]])
    lanes = [([c["lane"]], ["a b.txt", "notes/é.txt"]), ([third], ["a b.txt"])]
    # one blame of a b.txt from below both lanes' starts: L-1 6 (as at the revert), L-3 1
    assert knowing.rewritten_many(lanes, end) == [6, 1]
    alone = LineSurvival(Repo.discover(repo), ignored=[c["L-2"], c["revert"]])
    assert [alone.rewritten(*lane, end) for lane in lanes] == [6, 1]
    # a lane whose commit is gone is unmeasured; the others still count
    assert knowing.rewritten_many([(["0" * 40], ["a b.txt"]), lanes[1]], end) == [None, 1]


def test_the_kept_answers_are_those_the_last_run_used(repo: Path) -> None:
    c = history(repo)
    real = Repo.discover(repo)
    real.state_dir.mkdir(parents=True, exist_ok=True)
    cache = real.state_dir / "line-survival.cache"
    first = LineSurvival(real)
    first.rewritten([c["lane"]], ["a b.txt"], c["first"])
    first.save()
    assert len(marshal_cache.load(cache, 1)) == 2  # blame at the lane's commit, and at `first`
    later = LineSurvival(real)
    later.rewritten([c["lane"]], ["a b.txt"], c["second"])  # a new end: the old one is dropped
    later.save()
    assert len(marshal_cache.load(cache, 1)) == 2
    again = LineSurvival(real)
    assert again.rewritten([c["lane"]], ["a b.txt"], c["second"]) == 5  # a b.txt's 3 + 2
