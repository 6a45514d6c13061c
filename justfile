# lanewarden's recipes. `just` alone lists them.

python := env("PYTHON", "python")
pytest_args := env("PYTEST_ARGS", "")

# List the recipes.
default:
    @just --list --unsorted

# Run the whole test suite (the integrator's full gate), on every CPU.
[group('test')]
test *args:
    {{ python }} -m pytest -n auto {{ pytest_args }} {{ args }}

# Run only the tests of one package and its dependents (what a lane runs).
[group('test')]
test-pkg pkg *args:
    {{ python }} -m pytest --lw-package {{ pkg }} {{ pytest_args }} {{ args }}

# Run the fast tests on the lowest versions pyproject.toml allows, in a fresh venv.
[group('test')]
floor:
    rm -rf .venv-floor
    {{ python }} -m venv .venv-floor
    {{ python }} scripts/floor_constraints.py > .venv-floor/constraints.txt
    .venv-floor/bin/python -m pip install --quiet -c .venv-floor/constraints.txt -e '.[test]'
    .venv-floor/bin/python -m pytest -n auto -m 'not slow' -p no:cacheprovider {{ pytest_args }}

# The coverage map's tests on the newest Python 3.12+ here, where recording uses sys.monitoring.
[group('test')]
monitoring:
    #!/usr/bin/env bash
    set -euo pipefail
    newest=""
    pyenvs="$(pyenv root 2>/dev/null || echo /nonexistent)/versions"
    for candidate in python3.14 python3.13 python3.12 $(ls -d "$pyenvs"/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do
        if "$candidate" -c 'import sys; raise SystemExit(sys.version_info < (3, 12))' 2>/dev/null; then
            newest="$candidate"; break
        fi
    done
    if [ -z "$newest" ]; then
        echo "NOT TESTED: no Python 3.12 or later here, so the sys.monitoring engine is not run"
        exit 0
    fi
    rm -rf .venv-monitoring
    "$newest" -m venv .venv-monitoring
    .venv-monitoring/bin/python -m pip install --quiet -e '.[test]'
    .venv-monitoring/bin/python -m pytest -n auto -p no:cacheprovider {{ pytest_args }} \
        tests/test_line_engines.py tests/test_coverage_map.py tests/test_coverage_map_collection.py \
        tests/test_coverage_map_format.py tests/test_selection_oracle.py

# Lint, check formatting and type-check (ruff and mypy --strict).
[group('check')]
lint:
    {{ python }} -m ruff check src tests benchmarks scripts
    {{ python }} -m ruff format --check src tests benchmarks scripts
    {{ python }} -m mypy

# Run lanewarden on this repository: its own policy and lock registry.
[group('check')]
self-check:
    {{ python }} -m lanewarden bootstrap
    {{ python }} -m lanewarden lock check

# Measure the speed targets, each figure beside its floor from the same run.
[group('bench')]
bench:
    {{ python }} benchmarks/bench.py

# The coverage map's recording cost on a real project's checkout (a git work tree).
[group('bench')]
bench-recording checkout *args:
    {{ python }} benchmarks/recording_bench.py {{ checkout }} {{ args }}

# What CI runs: lint, the self-check, the whole suite, the fast tests on the floors, and the
# coverage map's tests where recording uses sys.monitoring (Python 3.12+).
[group('test')]
ci: lint self-check test floor monitoring
