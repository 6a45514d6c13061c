"""The remote registry through ``git daemon`` on 127.0.0.1: the server is a network peer.

The same races as with a path remote, over git's own protocol: every push
crosses a socket, and the server's ref update is the compare-and-swap.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import git
from scenario import clone_machine, remote_registry_server
from test_remote_registry import (
    acquire_args,
    assert_exactly_one_winner,
    race,
    server_locks,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def daemon_url(repo: Path) -> Iterator[tuple[Path, str]]:
    """The registry's server, served by ``git daemon`` on loopback; stopped afterwards."""
    server = remote_registry_server(repo)
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--verbose",
            "--reuseaddr",
            "--export-all",
            "--enable=receive-pack",
            f"--base-path={server.parent}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(server.parent),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    drain: threading.Thread | None = None
    try:
        assert daemon.stderr is not None
        for line in daemon.stderr:  # it says so once it listens: no sleeping
            if "Ready to rumble" in line:
                break
        else:
            pytest.fail("git daemon did not start")
        # Its log goes on; drained, so a full pipe never stalls the server.
        drain = threading.Thread(target=daemon.stderr.read, daemon=True)
        drain.start()
        yield server, f"git://127.0.0.1:{port}/{server.name}"
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        if drain is not None:
            drain.join(timeout=30)  # the log ends with the server
        if daemon.stderr is not None:
            daemon.stderr.close()


def test_eight_machines_racing_for_one_scope_over_git_daemon(
    daemon_url: tuple[Path, str], tmp_path: Path
):
    server, url = daemon_url
    clones = [clone_machine(url, tmp_path / f"machine-{n}") for n in range(8)]
    assert git(clones[0], "remote", "get-url", "origin").startswith("git://127.0.0.1:")
    commands = [acquire_args(f"L-{n:03}", f"m{n}", "src/app/") for n in range(8)]
    results = race(clones, commands)
    assert_exactly_one_winner(results, server_locks(server))


def test_ten_machines_with_disjoint_scopes_over_git_daemon(
    daemon_url: tuple[Path, str], tmp_path: Path
):
    server, url = daemon_url
    clones = [clone_machine(url, tmp_path / f"machine-{n}") for n in range(10)]
    commands = [acquire_args(f"L-{n:03}", f"m{n}", f"src/part{n}/") for n in range(10)]
    results = race(clones, commands)
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results]
    assert sorted(server_locks(server)) == [f"L-{n:03}" for n in range(10)]
