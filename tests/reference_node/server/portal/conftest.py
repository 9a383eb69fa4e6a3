"""Fixtures of the portal tests: a headless Chromium per test (see browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver

from .browser import chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile, desktop-sized (browser.as_phone shrinks it)."""
    with chromium(tmp_path / "chromium-profile") as session:
        yield session
