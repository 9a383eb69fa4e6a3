"""The pure library stays sans-I/O: no clock, no randomness, no I/O modules (STYLE)."""

import ast
from pathlib import Path

import pytest

FORBIDDEN = {
    "asyncio",
    "socket",
    "time",
    "random",
    "secrets",
    "bleak",
    "bumble",
    "aiohttp",
    "os",
    "subprocess",
    "urllib",
    "http",
    "requests",
    "sqlite3",
    "datetime",
}
SOURCES = sorted((Path(__file__).resolve().parents[2] / "protocol").rglob("*.py"))


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_there_are_sources_to_check():
    assert len(SOURCES) >= 5


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_io_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    assert imported_modules(tree) & FORBIDDEN == set()


def test_the_checker_sees_forbidden_imports():
    tree = ast.parse("import os.path\nfrom time import monotonic\nimport hmac\n")
    assert imported_modules(tree) & FORBIDDEN == {"os", "time"}
