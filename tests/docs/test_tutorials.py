"""The code in the documentation runs: every tutorial, block by block, as a reader would.

The rules (docs/tutorials/index.md, "How tutorials are tested"): in docs/tutorials/*.md every
fenced python block runs, and an sh block runs when the line before it is ``<!-- test -->``;
elsewhere in docs/ only marked blocks run. The python blocks of one page share a namespace.
sh blocks run with bash, with ``bluezone`` and ``python`` on PATH; the sh blocks of one page
behave as one terminal session: the first starts at the repository root, and each later one
starts in the directory the previous one ended in, with the variables it exported. A
process a block leaves running in the background must be stopped by a later block of the
page: one still running when the page ends fails the page (and is stopped).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIALS = DOCS / "tutorials"
MARK = "<!-- test -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<language>[\w+-]*)")
SHELLS = ("sh", "bash", "shell")
TIMEOUT_S = 600
# Wrapped around each sh block: take the previous block's exported variables and directory,
# hand on this block's. The state file's path is the only argument ($1).
SESSION_START = 'if [ -s "$1" ]; then . "$1"; fi\n'
SESSION_END = '\n{ export -p; printf "cd %q\\n" "$PWD"; } > "$1"\n'
# How long background processes get to end by themselves, then after SIGTERM.
LEFTOVER_GRACE_S = 3.0


@dataclass(frozen=True, slots=True)
class Block:
    """A fenced code block: its language, first code line (1-based), code, and mark."""

    language: str
    line: int
    code: str
    marked: bool


def code_blocks(text: str) -> list[Block]:
    """Return the fenced code blocks of a markdown text, indentation of the fence removed."""
    lines = text.splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = index + 1
        while end < len(lines):
            closing = FENCE.match(lines[end])
            if (
                closing
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["language"]
            ):
                break
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line
            for line in lines[index + 1 : end]
        ]
        before = [line.strip() for line in lines[:index] if line.strip()]
        marked = bool(before) and before[-1] == MARK
        found.append(Block(opening["language"], index + 2, "\n".join(body) + "\n", marked))
        index = end + 1
    return found


def runnable(block: Block, tutorial: bool) -> bool:
    """Say whether a block runs: python in tutorials, otherwise only marked blocks."""
    if block.language == "python":
        return tutorial or block.marked
    return block.language in SHELLS and block.marked


def is_tutorial(path: Path) -> bool:
    """Say whether a page is a tutorial (all its python blocks run)."""
    return path.parent == TUTORIALS


def pages() -> list[Path]:
    """Return every docs page with at least one block that runs."""
    return [
        path
        for path in sorted(DOCS.rglob("*.md"))
        if any(runnable(b, is_tutorial(path)) for b in code_blocks(path.read_text()))
    ]


def command_dir(directory: Path) -> Path:
    """Put ``bluezone`` (this checkout's CLI) and ``python`` in ``directory``; return it."""
    bluezone = directory / "bluezone"
    bluezone.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -c '
        "'import sys; from bluezone.reference_node.cli import main; sys.exit(main())' \"$@\"\n"
    )
    bluezone.chmod(0o755)
    # A wrapper, not a symlink: a symlinked venv interpreter outside its venv loses the venv.
    python = directory / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return directory


def run_page(path: Path, tutorial: bool, bin_dir: Path) -> None:
    """Run the blocks of one page in order; raise on the first failure."""
    namespace: dict = {"__name__": "__tutorial__"}
    environment = dict(os.environ)
    environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), environment.get("PYTHONPATH", "")) if p
    )
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    groups: list[int] = []
    with tempfile.TemporaryDirectory(prefix="bluezone-docs-") as session:
        state = Path(session) / "shell-state"
        try:
            for block in code_blocks(path.read_text()):
                if not runnable(block, tutorial):
                    continue
                if block.language == "python":
                    # Padding keeps line numbers in tracebacks equal to the page's own.
                    source = "\n" * (block.line - 1) + block.code
                    exec(compile(source, str(where), "exec"), namespace)
                    continue
                run_shell_block(block, where, state, environment, groups)
        except BaseException:
            stop_groups(groups)
            raise
        leftover = stop_groups(groups)
        assert not leftover, f"{where}: the page left background processes running: {leftover}"


def run_shell_block(
    block: Block, where: Path, state: Path, environment: dict[str, str], groups: list[int]
) -> None:
    """Run one sh block in the page's shell session (see the module docstring)."""
    script = SESSION_START + block.code + SESSION_END
    # Its own process group, so that what it leaves in the background can be found.
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script, "bash", str(state)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    groups.append(process.pid)
    stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, (
        f"{where}:{block.line}: exit {process.returncode}\n{block.code}\n"
        f"--- stdout\n{stdout}\n--- stderr\n{stderr}"
    )


def running(group: int) -> bool:
    """Say whether a process group has a member that is not a zombie."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: any member, zombies included, counts
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, parent pid, process group.
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            return True
    return False


def stop_groups(groups: list[int]) -> list[int]:
    """Stop what is left of these process groups; return the groups that were still running.

    A process that is ending by itself (a server a block just told to stop) gets a moment.
    """
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while any(running(group) for group in groups) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [group for group in groups if running(group)]
    for group in alive:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    for group in alive:
        while running(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running(group):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
    return alive


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    return command_dir(tmp_path_factory.mktemp("bin"))


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_runs(path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    run_page(path, is_tutorial(path), bin_dir)


def test_every_tutorial_has_code_that_runs() -> None:
    tutorials = sorted(TUTORIALS.glob("*.md"))
    assert tutorials
    for path in tutorials:
        assert path in pages(), f"{path.name} has no block that runs"


def test_blocks_are_found_and_marked() -> None:
    text = "\n".join(
        [
            "```python",
            "a = 1",
            "```",
            "<!-- test -->",
            "",
            "```sh",
            "echo run",
            "```",
            "```sh",
            "echo not run",
            "```",
            "!!! note",
            "    ```python",
            "    b = 2",
            "    ```",
            "````text",
            "```python",
            "inside another fence",
            "```",
            "````",
        ]
    )
    found = code_blocks(text)
    assert [(b.language, b.line, b.code, b.marked) for b in found] == [
        ("python", 2, "a = 1\n", False),
        ("sh", 7, "echo run\n", True),
        ("sh", 10, "echo not run\n", False),
        ("python", 14, "b = 2\n", False),
        ("text", 17, "```python\ninside another fence\n```\n", False),
    ]
    assert [runnable(b, tutorial=True) for b in found] == [True, True, False, True, False]
    assert [runnable(b, tutorial=False) for b in found] == [False, True, False, False, False]


@pytest.mark.parametrize(
    "page",
    [
        "```python\nx = 1\n```\n```python\nassert x == 2, 'wrong'\n```\n",
        "```python\nraise ValueError('boom')\n```\n",
        "<!-- test -->\n```sh\nfalse\necho never\n```\n",
        "<!-- test -->\n```sh\nbluezone no-such-command\n```\n",
    ],
)
def test_a_failing_block_fails_the_page(page: str, tmp_path: Path, bin_dir: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(page)
    with pytest.raises((AssertionError, ValueError)):
        run_page(path, tutorial=True, bin_dir=bin_dir)


def test_blocks_share_a_session_and_report_page_lines(tmp_path: Path, bin_dir: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text("text\n\n```python\nx = 41\n```\n\n```python\nx += 1\nassert x == 0\n```\n")
    with pytest.raises(AssertionError) as raised:
        run_page(path, tutorial=True, bin_dir=bin_dir)
    assert raised.traceback[-1].lineno + 1 == 9  # pytest counts lines from 0


def test_shell_blocks_share_a_session(tmp_path: Path, bin_dir: Path) -> None:
    path = tmp_path / "page.md"
    work = tmp_path / "work"
    path.write_text(
        "<!-- test -->\n```sh\n"
        f"mkdir {work} && cd {work}\nexport GREETING=hello\nkept=no\n```\n"
        "<!-- test -->\n```sh\n"
        f'test "$PWD" = {work}\ntest "$GREETING" = hello\ntest -z "${{kept:-}}"\n```\n'
    )
    run_page(path, tutorial=True, bin_dir=bin_dir)


def _running_pid(pid: int) -> bool:
    """Say whether the process group of ``pid`` (its own block's) still runs anything."""
    try:
        return running(os.getpgid(pid))
    except ProcessLookupError:
        return False


def test_a_background_process_left_running_fails_the_page_and_is_stopped(
    tmp_path: Path, bin_dir: Path
) -> None:
    pid_file = tmp_path / "pid"
    path = tmp_path / "page.md"
    block = f"sleep 300 >/dev/null 2>&1 &\necho $! > {pid_file}\n"
    path.write_text(f"<!-- test -->\n```sh\n{block}```\n")
    with pytest.raises(AssertionError, match="background processes"):
        run_page(path, tutorial=True, bin_dir=bin_dir)
    pid = int(pid_file.read_text())
    assert not _running_pid(pid)


def test_a_background_process_a_later_block_stops_is_fine(tmp_path: Path, bin_dir: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(
        "<!-- test -->\n```sh\nsleep 300 >/dev/null 2>&1 &\nexport SLEEPER=$!\n```\n"
        '<!-- test -->\n```sh\nkill "$SLEEPER"\n```\n'
    )
    run_page(path, tutorial=True, bin_dir=bin_dir)
