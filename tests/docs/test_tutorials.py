"""The code in the documentation runs: every tutorial, block by block, as a reader would.

The rules (docs/tutorials/index.md, "How tutorials are tested"): in docs/tutorials/*.md every
fenced python block runs, and an sh block runs when the line before it is ``<!-- test -->``;
elsewhere in docs/ only marked blocks run. The python blocks of one page share a namespace.
sh blocks run with bash from the repository root, with ``bluezone`` and ``python`` on PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
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
        "'import sys; from reference_node.cli import main; sys.exit(main())' \"$@\"\n"
    )
    bluezone.chmod(0o755)
    python = directory / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
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
    for block in code_blocks(path.read_text()):
        if not runnable(block, tutorial):
            continue
        if block.language == "python":
            # Padding keeps line numbers in tracebacks equal to the page's own.
            source = "\n" * (block.line - 1) + block.code
            exec(compile(source, str(where), "exec"), namespace)
            continue
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, (
            f"{where}:{block.line}: exit {result.returncode}\n{block.code}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )


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
