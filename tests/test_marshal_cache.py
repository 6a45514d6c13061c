"""One cache file format: a value comes back under its own key only; a failure costs time only."""

from __future__ import annotations

from pathlib import Path

from lanewarden.adapters import marshal_cache


def test_a_value_comes_back_under_its_key_only(tmp_path: Path) -> None:
    cache = tmp_path / "state" / "x.cache"
    assert marshal_cache.load(cache, ["k", 1]) is marshal_cache.MISSING
    marshal_cache.store(cache, ["k", 1], None)
    assert marshal_cache.load(cache, ["k", 1]) is None  # None is a value, not a miss
    assert marshal_cache.load(cache, ["k", 2]) is marshal_cache.MISSING


def test_a_damaged_or_foreign_file_is_no_entry(tmp_path: Path) -> None:
    cache = tmp_path / "x.cache"
    for data in (b"", b"\x00garbage", b"N", b"\xe9\x01\x00\x00\x00"):  # the last: marshal 489
        cache.write_bytes(data)
        assert marshal_cache.load(cache, "k") is marshal_cache.MISSING
    cache.unlink()
    cache.mkdir()
    assert marshal_cache.load(cache, "k") is marshal_cache.MISSING


def test_a_write_that_fails_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    marshal_cache.store(blocker / "x.cache", "k", [1, 2])  # its folder cannot be made
    folder = tmp_path / "folder.cache"
    folder.mkdir()
    marshal_cache.store(folder, "k", [1, 2])  # a rename onto a folder fails, even for root
    assert folder.is_dir()
    marshal_cache.store(tmp_path / "y.cache", "k", object())  # not marshal data
    assert not (tmp_path / "y.cache").exists()
