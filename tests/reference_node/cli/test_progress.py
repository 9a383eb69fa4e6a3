"""Progress of long commands: a bar on a terminal, nothing on a pipe or with --json."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from bluezone.reference_node.cli import progress
from bluezone.reference_node.cli import report as report_cli

SMALL = ["risk", "evaluate", "--scenes", "2", "--resamples", "20"]


def _on_a_terminal(argv: list[str]) -> str:
    """Run the command line on a pseudo-terminal 100 columns wide; return all it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdout and stderr are the terminal
        os.execvp(sys.executable, [sys.executable, "-m", "bluezone.reference_node.cli", *argv])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_risk_evaluate_shows_its_steps_on_a_terminal():
    written = _on_a_terminal(SMALL)
    assert "simulating 2 training scenes" in written
    assert "bootstrap of gaen_v2_enx" in written
    assert "ROC area" in written


def test_risk_evaluate_adds_nothing_on_a_pipe_or_with_json():
    for extra in ([], ["--json"]):
        process = subprocess.run(
            [sys.executable, "-m", "bluezone.reference_node.cli", *SMALL, *extra],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert process.returncode == 0 and process.stderr == ""


def test_a_wait_counts_down_what_it_waits_for(capsys, monkeypatch):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(report_cli, "_sleep", sleep)
    asyncio.run(report_cli._pause(3.5, "embargo (KS-12): the keys go up at 18:20 UTC", True))
    assert slept == [1.0, 1.0, 1.0, 0.5]
    err = capsys.readouterr().err
    assert "embargo (KS-12): the keys go up at 18:20 UTC" in err and "left" in err


def test_a_wait_off_a_terminal_is_one_sleep(capsys, monkeypatch):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(report_cli, "_sleep", sleep)
    asyncio.run(report_cli._pause(7200.0, "embargo", False))
    assert slept == [7200.0] and capsys.readouterr().err == ""
    assert not progress.wanted(json_output=True)
