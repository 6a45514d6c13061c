"""The floors `just floor` installs: one per requirement, exactly the lowest allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "floor_constraints.py"


def floors(pyproject: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from floor_constraints import "
        "floor_constraints as f; print('\\n'.join(f(__import__('pathlib').Path(sys.argv[2]))))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(SCRIPT.parent), str(pyproject)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_requirement_is_pinned_to_its_floor() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True)
    pins = done.stdout.splitlines()
    assert "pathspec==1.1" in pins  # 0.12 and 1.0 fail at import
    assert 'tomli==2.0; python_version < "3.11"' in pins  # the marker is kept
    assert all("==" in pin for pin in pins)
    assert len(pins) >= 10


@pytest.mark.parametrize("requirement", ["left-pad", "left-pad<2", "left-pad>=1,>=2", "x==1"])
def test_a_requirement_without_one_floor_is_refused(tmp_path: Path, requirement: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\ndependencies = ["{requirement}"]\n')
    done = floors(pyproject)
    assert done.returncode != 0
    assert "needs exactly one floor" in done.stderr
