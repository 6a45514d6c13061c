"""Files lanewarden shares with people and other processes.

Writes are atomic (a temporary file in the same folder, flushed to disk, then
renamed over the target), so a reader never sees half a file, and
read-modify-write sequences run under an exclusive advisory lock
(``fcntl.flock``) held on a separate lock file, so concurrent writers queue
instead of losing each other's updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from lanewarden.errors import InputError

__all__ = ["atomic_write", "exclusive_lock", "read_text"]


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; keeps the file's mode.

    A symlink stays a link: the file it points to (at the end of a chain of
    links, relative or absolute) is the one replaced, in its own folder.
    """
    import tempfile  # costs the hook's read-only path ~5 ms, so only writers pay

    if os.path.islink(path):
        path = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file exactly (no newline translation)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a directory, not a file", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read {what}: {e.strerror}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{what} is not valid UTF-8", path=path, line=line) from None
