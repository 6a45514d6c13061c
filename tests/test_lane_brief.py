"""``lane brief``: the assignment contract, generated from the registry and the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, git, write
from scenario import ORCHESTRATOR, configure, make_parallel_ready, start_lane

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    write(repo, "src/app/__init__.py", "")
    write(repo, "src/lib/__init__.py", "")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "packages", env=INTEGRATOR)
    configure(repo, 'hotspots = ["pyproject.toml"]\n')
    start_lane(
        repo, "L-001", "src/app/", "!src/app/skip.py", accept=("focus loop fixed", "docs updated")
    )
    start_lane(repo, "L-002", "src/lib/")
    return repo


def test_the_brief_carries_the_assignment_contract(cli: Cli, ready: Path) -> None:
    done = cli(ready, "lane", "brief", "L-001")
    assert done.code == 0, done.err
    text = done.out
    assert text.startswith("# Lane L-001: objective of L-001\n")
    assert "- `src/app/`\n" in text
    assert "- `src/app/skip.py` (carved out of this lane)\n" in text
    assert "- `src/lib/` (lane L-002, L-002)\n" in text
    assert "- `pyproject.toml` (hotspot: one lane at a time)\n" in text
    assert "- focus loop fixed\n- docs updated\n" in text
    # No justfile recipe here: the plugin's own option, for the covered package only.
    assert "    python -m pytest --lw-package app\n" in text
    assert "lanewarden lane handoff L-001 --met 1 --met 2" in text
    assert "not yours, unless delegated" in text
    assert "lanewarden escalate L-001" in text
    # The documentation-source policy is the project's own, from its AGENTS.md.
    policy = (ready / "AGENTS.md").read_text()
    heading = next(line for line in policy.splitlines() if "Context7" in line)
    assert heading in text
    assert "Consult Context7" in text


def test_json_gives_the_same_as_data(cli: Cli, ready: Path) -> None:
    data = cli(ready, "lane", "brief", "L-001", "--json").json["brief"]
    assert data["in_scope"] == ["src/app/"]
    assert data["packages"] == ["app"]
    assert data["test_commands"] == ["python -m pytest --lw-package app"]
    assert data["acceptance"] == ["focus loop fixed", "docs updated"]
    assert data["full_gate_owner"] == "integrator"
    assert "Consult Context7" in data["doc_policy"]


def test_the_justfile_recipe_is_used_when_there_is_one(cli: Cli, ready: Path) -> None:
    write(
        ready, "justfile", "test:\n    pytest\n\ntest-pkg pkg:\n    pytest --lw-package {{pkg}}\n"
    )
    data = cli(ready, "lane", "brief", "L-002", "--json").json["brief"]
    assert data["test_commands"] == ["just test-pkg lib"]


def test_a_team_keeps_its_own_wording(cli: Cli, ready: Path) -> None:
    write(ready, "docs/brief.txt", "Lane $lane_id costs $$0.\n$in_scope\n")
    configure(ready, 'brief_template = "docs/brief.txt"\n')
    done = cli(ready, "lane", "brief", "L-001")
    assert done.code == 0, done.err
    assert done.out == "Lane L-001 costs $0.\n- `src/app/`\n"
    write(ready, "docs/brief.txt", "Lane $lane $lane_id\n")
    done = cli(ready, "lane", "brief", "L-001")
    assert done.code == 2
    assert "unknown field $lane" in done.err
    assert "docs/brief.txt" in done.err


def test_an_unknown_lane_has_no_brief(cli: Cli, ready: Path) -> None:
    done = cli(ready, "lane", "brief", "L-009", **ORCHESTRATOR)
    assert done.code == 2
    assert "unknown lane" in done.err
