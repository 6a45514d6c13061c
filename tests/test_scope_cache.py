from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lanewarden.adapters.scope_cache import cached_scope


def test_a_cached_scope_matches_as_the_parsed_one(tmp_path: Path) -> None:
    cache = tmp_path / "scope.cache"
    texts = ["/pyproject.toml", "requirements*.txt", "!requirements-dev.txt"]
    first = cached_scope(cache, texts)
    assert cache.is_file()
    again = cached_scope(cache, texts)
    assert again == first
    for path in ("pyproject.toml", "requirements.txt", "requirements-dev.txt", "a/pyproject.toml"):
        assert again.matches(path) == first.matches(path)
    other = cached_scope(cache, ["docs/"])
    assert other.texts() == ("docs/",)


def test_a_warm_cache_never_imports_pathspec(tmp_path: Path) -> None:
    cache = tmp_path / "scope.cache"
    cached_scope(cache, ["src/**/*.py"])
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lanewarden.adapters.scope_cache import cached_scope\n"
        f"scope = cached_scope(Path({str(cache)!r}), ['src/**/*.py'])\n"
        "assert scope.matches('src/a/b.py')\n"
        "assert 'pathspec' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_damaged_cache_is_parsed_again(tmp_path: Path) -> None:
    cache = tmp_path / "scope.cache"
    cache.write_bytes(b"not marshal")
    assert cached_scope(cache, ["*.md"]).matches("README.md")
