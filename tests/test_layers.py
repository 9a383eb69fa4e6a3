"""What imports what: the packages import one another only as docs/architecture.md draws.

A new import between two packages is a change of the architecture: draw it in
docs/assets/layers.svg, list it in docs/architecture.md, and add it here in the same commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RN = "reference_node"
# package -> the packages it may import (besides itself); every package may import protocol.
ALLOWED = {
    "protocol": set(),
    "interop_tests": set(),  # the harness; reference_adapter.py and mutants/ drive protocol
    f"{RN}.__init__": set(),
    f"{RN}.errors": set(),
    f"{RN}.risk_profiles": set(),  # reads the shipped scoring profiles for node and lab
    f"{RN}.vtime": {f"{RN}.store"},
    f"{RN}.store": {f"{RN}.errors"},
    f"{RN}.radio": {f"{RN}.errors", f"{RN}.vtime", f"{RN}.node"},
    f"{RN}.server": {f"{RN}.errors", f"{RN}.client"},
    f"{RN}.client": {f"{RN}.errors", f"{RN}.server"},
    f"{RN}.node": {
        f"{RN}.errors",
        f"{RN}.vtime",
        f"{RN}.store",
        f"{RN}.radio",
        f"{RN}.client",
        f"{RN}.server",
        f"{RN}.risk_profiles",
    },
    # lab.evaluate.run is the handler of `bluezone risk evaluate`: it shows the command's
    # progress through cli.progress.
    f"{RN}.lab": {f"{RN}.errors", f"{RN}.radio", f"{RN}.risk_profiles", f"{RN}.cli"},
    f"{RN}.cli": {
        f"{RN}.errors",
        f"{RN}.vtime",
        f"{RN}.store",
        f"{RN}.radio",
        f"{RN}.client",
        f"{RN}.server",
        f"{RN}.node",
        f"{RN}.lab",
        f"{RN}.risk_profiles",
        "interop_tests",
    },
}
# Modules of the suite that drive our library on purpose (the harness must not).
DRIVERS = ("interop_tests/reference_adapter.py", "interop_tests/mutants/")


def package_of_file(path: Path) -> str:
    """The package a source file belongs to, as the keys of ALLOWED name it."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[0] == RN:
        return f"{RN}.{parts[1]}"
    return parts[0]


def package_of_module(module: str) -> str | None:
    """The package an absolute ``bluezone.`` import names, or None for anything else."""
    parts = module.split(".")
    if parts[0] != "bluezone" or len(parts) < 2:
        return None
    if parts[1] == RN and len(parts) > 2:
        return f"{RN}.{parts[2]}"
    return parts[1]


def imports_of(path: Path) -> set[str]:
    """The packages ``path`` imports, lazily imported ones included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module in ("bluezone", f"bluezone.{RN}"):
                modules = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {package for m in modules if (package := package_of_module(m))}
    return found


SOURCES = sorted(
    path
    for folder in ("protocol", RN, "interop_tests")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)


def test_every_package_is_in_the_table():
    assert {package_of_file(path) for path in SOURCES} == set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path):
    package = package_of_file(path)
    allowed = ALLOWED[package] | {package, "protocol", "spec"}
    if package == "interop_tests" and not path.relative_to(ROOT).as_posix().startswith(DRIVERS):
        allowed -= {"protocol"}
    assert imports_of(path) - allowed == set()


def test_the_checker_sees_lazy_and_from_package_imports(tmp_path: Path):
    source = tmp_path / "x.py"
    source.write_text(
        "def f():\n    import bluezone.reference_node.node.runtime\n"
        "from bluezone.reference_node import lab\nfrom bluezone import protocol\n"
    )
    assert imports_of(source) == {f"{RN}.node", f"{RN}.lab", "protocol"}
