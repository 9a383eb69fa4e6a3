"""The suite judges the library without importing it: only the reference adapter may."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bluezone.interop_tests

PACKAGE = Path(bluezone.interop_tests.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
ALLOWED_TO_IMPORT_PROTOCOL = {PACKAGE / "reference_adapter.py"}
ADAPTERS = ("bluezone.interop_tests.reference_adapter", "bluezone.interop_tests.mutants")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_reference_adapter_imports_protocol(path: Path):
    uses_protocol = any(name.startswith("bluezone.protocol") for name in imported(path))
    assert uses_protocol == (path in ALLOWED_TO_IMPORT_PROTOCOL)


@pytest.mark.parametrize(
    "path",
    [p for p in SOURCES if p != PACKAGE / "reference_adapter.py" and "mutants" not in p.parts],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_harness_does_not_import_an_adapter(path: Path):
    assert not any(name.startswith(ADAPTERS) for name in imported(path))


def test_the_node_example_uses_only_built_in_modules():
    source = (PACKAGE / "examples" / "node" / "adapter.js").read_text()
    required = {line.split('"')[1] for line in source.splitlines() if "require(" in line}
    assert required == {"node:crypto", "node:net"}
