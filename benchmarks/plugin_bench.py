"""The pytest plugin's speed on a generated monorepo of 200 packages and 5,000 tests.

Figures, each beside its baseline measured in the same run:

- ``pytest --collect-only`` with ``--lw-changed`` (warm import-graph cache)
  against plain ``pytest --collect-only``: the plugin's added cost (changed
  files, package detection, import graph, selection) must stay within 10%.
  The change touches the package every other one imports, so nothing is
  pruned and the whole cost of the plugin shows;
- a scoped run of one leaf package (``--lw-package pkg_199``) against the
  full run: at least 20x faster;
- on a second, generated repository of 10,000 Python files (one library of
  100 subpackages and 4,900 modules, 5,000 test files in a top-level
  ``tests/``), the plugin's own work for a one-module change against plain
  ``pytest --collect-only`` there: within 10%.

Each generated test does about a millisecond of work, like a small unit
test. Both sides run with ``-p no:hypothesispytest`` (when installed, that
plugin adds about a second of start-up to every pytest process, which is not
what is measured here), and with ``PYTHONDONTWRITEBYTECODE`` unset.

Usage: ``python benchmarks/plugin_bench.py [FOLDER]`` (FOLDER keeps the
generated repositories between runs; default: a new temporary folder).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import median_seconds

PACKAGES = 200
TEST_FILES = 5  # per package
TESTS = 5  # per file: 200 * 5 * 5 = 5,000 tests
LEAF = f"pkg_{PACKAGES - 1:03}"
ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
]


def dependencies(i: int) -> list[int]:
    """Each package imports a few lower-numbered ones (all reach pkg_000); none imports pkg_199."""
    return sorted({j for j in (i // 2, i // 3, i // 5) if 0 <= j < i})


def package_files(i: int) -> dict[str, str]:
    name = f"pkg_{i:03}"
    imports = "".join(f"from pkg_{j:03}.core import value as value_{j}\n" for j in dependencies(i))
    used = ", ".join(f"value_{j}" for j in dependencies(i))
    files = {
        f"packages/{name}/pyproject.toml": f"[project]\nname = '{name}'\nversion = '0'\n",
        f"packages/{name}/src/{name}/__init__.py": "from .core import value\n",
        f"packages/{name}/src/{name}/core.py": (
            f"{imports}\nUSED = [{used}]\n\n\ndef value(n):\n    return sum(range(n)) % 7\n"
        ),
        f"packages/{name}/src/{name}/helpers.py": "def helper(x):\n    return x * 2\n",
    }
    for f in range(TEST_FILES):
        tests = "".join(
            f"\n\ndef test_{t}():\n    assert core.value(20_000) == sum(range(20_000)) % 7\n"
            for t in range(TESTS)
        )
        files[f"packages/{name}/tests/test_{name}_{f}.py"] = f"from {name} import core\n{tests}"
    return files


def build(root: Path) -> None:
    """Write the repository and commit it."""
    paths = [f"packages/pkg_{i:03}/src" for i in range(PACKAGES)]
    files = {
        "pyproject.toml": (
            "[tool.pytest.ini_options]\n"
            f"pythonpath = {paths!r}\n"
            "testpaths = ['packages']\n"
            "addopts = ['--import-mode=importlib']\n"
        ),
        ".gitignore": "__pycache__/\n",
    }
    for i in range(PACKAGES):
        files.update(package_files(i))
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {**os.environ, **ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


BIG_SUBPACKAGES = 100
BIG_MODULES = 49  # per subpackage; 1 + 100 + 4,900 modules and 5,000 test files: 10,001 files


def big_files() -> dict[str, str]:
    """One library (``src/big``) and its tests: chains of imports inside and across subpackages."""
    files = {
        "pyproject.toml": (
            "[tool.pytest.ini_options]\npythonpath = ['src']\ntestpaths = ['tests']\n"
            "addopts = ['--import-mode=importlib']\n"
        ),
        ".gitignore": "__pycache__/\n",
        "src/big/__init__.py": "",
    }
    for i in range(BIG_SUBPACKAGES):
        sub = f"src/big/sub_{i:03}"
        files[f"{sub}/__init__.py"] = ""
        for j in range(BIG_MODULES):
            if j:
                below = f"from big.sub_{i:03}.mod_{j - 1:02} import value as below\n"
            elif i:
                below = f"from big.sub_{i // 2:03}.mod_00 import value as below\n"
            else:
                below = "def below(n):\n    return n\n"
            files[f"{sub}/mod_{j:02}.py"] = f"{below}\n\ndef value(n):\n    return below(n) + 1\n"
        for t in range(BIG_MODULES + 1):
            module = f"big.sub_{i:03}.mod_{t % BIG_MODULES:02}"
            files[f"tests/sub_{i:03}/test_{i:03}_{t:02}.py"] = (
                f"from {module} import value\n\n\ndef test_value():\n    assert value(1) > 1\n"
            )
    return files


def build_big(root: Path) -> None:
    """Write the 10,000-file repository and commit it."""
    for name, text in big_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {**os.environ, **ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def touch_root_package(root: Path) -> None:
    """An unstaged change to the package everything else imports (nothing is pruned)."""
    with (root / "packages/pkg_000/src/pkg_000/helpers.py").open("a") as f:
        f.write("\n# touched\n")
    with (root / "packages/pkg_000/src/pkg_000/core.py").open("a") as f:
        f.write("\n# touched\n")


def paired_medians(
    baseline: list[str], measured: list[str], root: Path, runs: int
) -> tuple[float, float]:
    """Median times of two commands run alternately, so load on the machine hits both."""
    median_seconds(measured, cwd=root, runs=1)  # fills caches: bytecode, import graph
    pairs = [
        (median_seconds(baseline, cwd=root, runs=1), median_seconds(measured, cwd=root, runs=1))
        for _ in range(runs)
    ]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


PLUGIN_WORK = """
import sys
import time
begin = time.perf_counter()
from pathlib import Path
from lanewarden.adapters import changes
from lanewarden.adapters.config import load_config
from lanewarden.adapters.git import Repo
from lanewarden.adapters.import_facts import build_graph
from lanewarden.domain.packages import detect_packages
from lanewarden.domain.scopes import Scope
from lanewarden.domain.selection import select
repo = Repo.discover(Path.cwd())
settings = load_config(repo.root)
packages = detect_packages(changes.listed_files(repo), settings.packages, settings.package_tests)
cache = repo.state_dir / "import-cache" / "facts.json"
selection = select(
    packages,
    mode="changed",
    changed=changes.changed_files(repo),
    triggers=Scope.parse(list(settings.full_suite_triggers)),
    graph=lambda: build_graph(repo.root, packages, cache),
)
if sys.argv[1:] == ["every-package"]:
    assert len(selection.selected) == len(packages.packages), selection.selected
else:
    assert selection.tests, selection
print(time.perf_counter() - begin)
"""


def plugin_work(root: Path, runs: int = 7, expect: str = "every-package") -> float:
    """Median in-process time of what ``--lw-changed`` adds, imports included."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PLUGIN_WORK, expect], cwd=root, capture_output=True, check=True
        )
        samples.append(float(out.stdout))
    return statistics.median(samples)


def big_figures(folder: Path) -> tuple[float, float]:
    """On the 10,000-file repository: plain collect-only, and the plugin's work for a change."""
    root = folder / "big"
    if not root.exists():
        root.mkdir(parents=True)
        build_big(root)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)
    with (root / "src/big/sub_050/mod_10.py").open("a") as f:
        f.write("\n# touched\n")
    # Paired like the others: the plugin's work right after each collect-only run.
    subprocess.run([*PYTEST, "--collect-only", "--lw-changed"], cwd=root, capture_output=True)
    plugin_work(root, 1, "a")  # the touched file's stamp is old enough now: the graph is kept
    pairs = [
        (median_seconds([*PYTEST, "--collect-only"], cwd=root, runs=1), plugin_work(root, 1, "a"))
        for _ in range(3)
    ]
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def cold_collect(root: Path, runs: int = 3) -> float:
    """Median collect-only time with the import-graph cache removed before each run."""
    samples = []
    cache = root / ".git" / "lanewarden" / "import-cache"
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        begin = time.perf_counter()
        subprocess.run([*PYTEST, "--collect-only", "--lw-changed"], cwd=root, capture_output=True)
        samples.append(time.perf_counter() - begin)
    return sorted(samples)[len(samples) // 2]


def row(figure: str, seconds: float, baseline: float, target: str, ok: bool) -> str:
    ratio = seconds / baseline if baseline else float("inf")
    verdict = "ok" if ok else "MISSED"
    return (
        f"{figure:<44} {seconds:8.3f} s  {baseline:8.3f} s  {ratio:7.3f}x  {target:<14} {verdict}"
    )


def main(argv: list[str]) -> int:
    """Build the workload, measure, print the figures; exit 1 when a target is missed."""
    # Measure what users see: compiled bytecode cached between runs.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    folder = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="lw-plugin-bench-"))
    root = folder / "repo"
    if not root.exists():
        root.mkdir(parents=True)
        build(root)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)
    print(f"workload: {PACKAGES} packages, {PACKAGES * TEST_FILES * TESTS} tests in {root}")

    touch_root_package(root)
    collect, collect_lw = paired_medians(
        [*PYTEST, "--collect-only"], [*PYTEST, "--collect-only", "--lw-changed"], root, runs=7
    )
    collect_cold = cold_collect(root)
    work = plugin_work(root)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)
    full, scoped = paired_medians(PYTEST, [*PYTEST, "--lw-package", LEAF], root, runs=3)
    big_collect, big_work = big_figures(folder)

    print(f"{'figure':<44} {'time':>10}  {'baseline':>10}  {'ratio':>8}  {'target':<14}")
    lines = [
        row(
            "collect-only --lw-changed, warm cache",
            collect_lw,
            collect,
            "<= 1.10x",
            (collect_lw <= 1.10 * collect),
        ),
        row("plugin's own work, warm cache", work, collect, "<= 0.10x", work <= 0.10 * collect),
        row("collect-only --lw-changed, cold cache (info)", collect_cold, collect, "-", True),
        row(
            f"scoped run --lw-package {LEAF} vs full run",
            scoped,
            full,
            "<= 0.05x",
            (scoped * 20 <= full),
        ),
        row(
            "10,000 files: plugin's own work, warm cache",
            big_work,
            big_collect,
            "<= 0.10x",
            big_work <= 0.10 * big_collect,
        ),
    ]
    print("\n".join(lines))
    print(f"the scoped run is {full / scoped:.1f}x faster than the full run (target: 20x)")
    return 0 if all(line.endswith("ok") for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
