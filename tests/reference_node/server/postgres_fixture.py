"""A throwaway PostgreSQL on loopback for the storage tests, when its binaries exist.

The server runs from a temporary directory with fsync off and trust authentication on
127.0.0.1 only, and is stopped at the end of the session. Under CI (CI=true) missing
binaries fail the tests instead of skipping them: CI must install PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import pytest


def find_bindir() -> Path | None:
    """Return the directory holding initdb and postgres, or None."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return Path(initdb).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
        if (Path(bindir.strip()) / "initdb").exists():
            return Path(bindir.strip())
    for candidate in sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 and yield a DSN for its superuser; stop it after."""
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL binaries (initdb, postgres) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must install them (.ci/run does)")
        pytest.skip(message)
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres"
        pwd.getpwnam(user)
    root = Path(tempfile.mkdtemp(prefix="bluezone-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    subprocess.run(
        [
            bindir / "initdb",
            "-D",
            data,
            "-U",
            "bluezone",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        user=user,
    )
    server = subprocess.Popen(
        [
            bindir / "postgres",
            "-D",
            data,
            "-k",
            sockets,
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-F",
            "-c",
            "max_connections=200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        user=user,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode()) from None
                time.sleep(0.1)
        time.sleep(0.3)  # accepting connections may precede recovery's end
        yield f"postgresql://bluezone@127.0.0.1:{port}/postgres"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
