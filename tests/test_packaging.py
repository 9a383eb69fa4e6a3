"""One import name: every folder is installed under ``bluezone``, and nothing imports the old names.

The repository keeps its folders (``protocol/``, ``reference_node/``, ``interop_tests/``,
``spec/``); pyproject.toml maps them under ``bluezone``. Importing a folder by its own name
would work only from a checkout, and would load a second copy of a module beside the
installed one, so it is forbidden everywhere, prose included.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("protocol", "reference_node", "interop_tests")
PYTHON_SOURCES = sorted(
    path
    for folder in (*FOLDERS, "tests", "benchmarks", "docs", "spec")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)
PROSE = sorted(
    path
    for pattern in ("*.md", "docs/**/*.md", "spec/**/*.md", "interop_tests/**/*.md")
    for path in ROOT.glob(pattern)
)
OLD_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:protocol|reference_node|interop_tests)\b", re.M)
OLD_MODULE_FLAG = re.compile(r"-m\s+(?:protocol|reference_node|interop_tests)\b")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def old_imports(tree: ast.AST) -> list[str]:
    """The imports in ``tree`` of a folder by its own top-level name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name.split(".")[0] in FOLDERS]
    return found


def test_the_checker_sees_old_imports():
    tree = ast.parse("import protocol.keys\nfrom reference_node import cli\nimport bluezone.keys\n")
    assert old_imports(tree) == ["protocol.keys", "reference_node"]


@pytest.mark.parametrize("path", PYTHON_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_imports_a_folder_by_its_own_name(path: Path):
    assert old_imports(ast.parse(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_shows_an_old_import(path: Path):
    text = path.read_text(encoding="utf-8")
    assert OLD_IMPORT.findall(text) == []
    assert OLD_MODULE_FLAG.findall(text) == []


def test_every_package_folder_is_installed():
    """Each folder with an ``__init__.py`` is listed in pyproject.toml, under ``bluezone``."""
    setuptools = _pyproject()["tool"]["setuptools"]
    mapping = setuptools["package-dir"]
    listed = set(setuptools["packages"])
    expected = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((name, *relative)))
    assert expected - listed == set()
    assert {name for name in listed if not name.startswith("bluezone.")} == set()


def test_the_namespace_maps_each_folder_to_its_own_name():
    mapping = _pyproject()["tool"]["setuptools"]["package-dir"]
    assert mapping == {f"bluezone.{folder}": folder for folder in (*FOLDERS, "spec")}
