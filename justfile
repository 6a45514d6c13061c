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

# What CI runs: lint, the self-check, the whole suite, then the fast tests on the floors.
[group('test')]
ci: lint self-check test floor
