"""The pure library stays sans-I/O (STYLE): no clock, randomness, files, threads or processes."""

import ast
from pathlib import Path

import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
FORBIDDEN = {
    # clocks and randomness: they come in as arguments
    "time",
    "datetime",
    "random",
    "secrets",
    # the operating system, files and package data
    "os",
    "pathlib",
    "shutil",
    "tempfile",
    "importlib",
    "signal",
    "subprocess",
    # execution policy: the caller decides where the work runs
    "asyncio",
    "threading",
    "multiprocessing",
    "concurrent",
    # networks, databases and radios
    "socket",
    "urllib",
    "http",
    "requests",
    "aiohttp",
    "sqlite3",
    "bleak",
    "bumble",
}
# io is allowed for its in-memory streams only (zipfile and csv read bytes and text through
# them); io.open, FileIO and the rest touch files.
IO_IN_MEMORY = {"BytesIO", "StringIO"}
FORBIDDEN_CALLS = {"open"}
SOURCES = sorted(PROTOCOL.rglob("*.py"))


def violations(tree: ast.AST) -> set[str]:
    """Return what ``tree`` imports or calls that the pure library must not."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            found.add(top)
            if node.module == "io":
                found.update(f"io.{a.name}" for a in node.names if a.name not in IO_IN_MEMORY)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "io"
            and node.attr not in IO_IN_MEMORY
        ):
            found.add(f"io.{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_CALLS
        ):
            found.add(f"{node.func.id}()")
    return {name for name in found if name in FORBIDDEN or "." in name or "(" in name}


def relative(path: Path) -> str:
    return path.relative_to(PROTOCOL).as_posix()


def test_there_are_sources_to_check():
    assert len(SOURCES) >= 5


@pytest.mark.parametrize("path", SOURCES, ids=relative)
def test_no_io_imports_or_calls(path: Path):
    assert violations(ast.parse(path.read_text(), filename=str(path))) == set()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os.path\nfrom time import monotonic\nimport hmac\n", {"os", "time"}),
        ("import threading, multiprocessing\n", {"threading", "multiprocessing"}),
        ("from concurrent.futures import ProcessPoolExecutor\n", {"concurrent"}),
        ("from importlib import resources\nimport pathlib\n", {"importlib", "pathlib"}),
        ("import shutil, tempfile, signal\n", {"shutil", "tempfile", "signal"}),
        ("import io\nio.BytesIO(b'')\nio.StringIO('')\n", set()),
        ("import io\nio.open('f')\n", {"io.open"}),
        ("from io import BytesIO, FileIO\n", {"io.FileIO"}),
        ("data = open('f').read()\n", {"open()"}),
        ("import zipfile, struct, hmac\n", set()),
    ],
)
def test_the_checker_sees_what_is_forbidden(source: str, expected: set[str]):
    assert violations(ast.parse(source)) == expected
