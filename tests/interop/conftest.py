"""Shared helpers of the interop suite's tests: paths, adapter commands, TCP adapters."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_VECTORS = Path(__file__).resolve().parent / "fixtures" / "vectors"
NODE_ADAPTER = ROOT / "interop_tests" / "examples" / "node" / "adapter.js"


def python_module(module: str, *args: str) -> str:
    """The command line that runs ``python -m module args`` with this interpreter."""
    return " ".join([f'"{sys.executable}"', "-m", module, *args])


def fake(mode: str) -> str:
    """The command line of a misbehaving adapter (tests/interop/fake_adapter.py)."""
    return python_module("tests.interop.fake_adapter", mode)


REFERENCE = python_module("bluezone.interop_tests.reference_adapter")
NODE = f'node "{NODE_ADAPTER}"'


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adapters started as ``python -m ...`` find the packages from the checkout root."""
    monkeypatch.chdir(ROOT)


@contextmanager
def listening(argv: list[str]) -> Iterator[int]:
    """Start an adapter with ``--listen 127.0.0.1:0`` and yield the port it announces."""
    proc = subprocess.Popen(
        [*argv, "--listen", "127.0.0.1:0"], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("listening on "), line
        yield int(line.rsplit(":", 1)[1])
    finally:
        proc.kill()
        proc.wait(timeout=10)
