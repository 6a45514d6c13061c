"""Print a pip constraints file pinning every dependency to the lowest version allowed.

``just floor`` installs lanewarden with it and runs the tests, so that the
floors in ``pyproject.toml`` are versions that actually work, not guesses.
Each requirement must state its floor as ``>=X``; one that does not is an
error here, so a new dependency cannot slip in without a tested floor.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def floor_constraints(pyproject: Path) -> list[str]:
    """``name==floor`` (with its marker) for each requirement, runtime and optional."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts.extend(extra)
    lines = []
    for text in texts:
        requirement = Requirement(text)
        floors = [s.version for s in requirement.specifier if s.operator == ">="]
        if len(floors) != 1:
            raise SystemExit(f"{pyproject}: {text!r} needs exactly one floor, like {text}>=1.0")
        marker = f"; {requirement.marker}" if requirement.marker else ""
        lines.append(f"{requirement.name}=={floors[0]}{marker}")
    return lines


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(floor_constraints(root / "pyproject.toml")))
