"""The type checker finds no error in the checked packages (mypy, configured in pyproject.toml).

The repository's folders become ``bluezone.*`` only through setuptools' package-dir mapping,
which an editable install implements with an import hook that mypy cannot follow. So the
test lays the namespace out as links in a scratch directory and points mypy at it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Extend this list to check more of the public surface (each entry a dotted package name).
CHECKED = ["bluezone.protocol", "bluezone.reference_node.server.portal"]


def package_dirs() -> dict[str, str]:
    """Return pyproject's package-dir mapping: ``bluezone.protocol`` -> ``protocol``, ..."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return config["tool"]["setuptools"]["package-dir"]


def namespace_links(root: Path) -> Path:
    """Lay out the ``bluezone`` namespace under ``root`` as links to the repository folders."""
    for package, folder in package_dirs().items():
        link = root.joinpath(*package.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / folder, target_is_directory=True)
    return root


def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    root = namespace_links(tmp_path / "src")
    command = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")]
    command += ["--cache-dir", str(tmp_path / "cache")]
    for package in CHECKED:
        command += ["-p", package]
    result = subprocess.run(
        command,
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
