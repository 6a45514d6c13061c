"""Atomic writes and the exclusive lock that orders read-modify-write sequences."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.errors import InputError


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "PLAN.md"
    target.write_text("old\r\n")
    target.chmod(0o640)
    atomic_write(target, "new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["PLAN.md"]


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "PLAN.md"
    target.write_text("kept\n")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["PLAN.md"]


def test_the_lock_makes_a_second_process_wait(tmp_path: Path) -> None:
    lock = tmp_path / "state" / "ledger.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from lanewarden.adapters.files import exclusive_lock\n"
        "with exclusive_lock(Path(sys.argv[1])):\n"
        "    print(time.monotonic(), flush=True)\n"
    )
    with exclusive_lock(lock):
        waiter = subprocess.Popen(
            [sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE, text=True
        )
        time.sleep(0.5)
        released = time.monotonic()
    out, _ = waiter.communicate(timeout=30)
    assert float(out) >= released


def test_read_text_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ledger not found"):
        read_text(tmp_path / "missing.md", what="ledger")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"ok\n\xff\n")
    with pytest.raises(InputError, match="not valid UTF-8") as caught:
        read_text(bad)
    assert caught.value.line == 2
