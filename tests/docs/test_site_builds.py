"""The documentation site builds with ``mkdocs build --strict``: no broken link, no warning.

The build also checks the site's generated parts: every spec file becomes a page, every rule
has its anchor on its spec page and a row on the traceability page, and every public module
of the library has an API page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sitegen import api_modules
from traceability import collect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert result.returncode == 0, "\n".join(warnings) or result.stderr[-4000:]
    return out


def test_site_builds_strictly(site: Path):
    assert (site / "index.html").is_file()


def test_every_spec_file_is_a_page(site: Path):
    for path in sorted((ROOT / "spec").glob("*.md")):
        name = "index" if path.stem == "README" else f"{path.stem}/index"
        assert (site / "spec" / f"{name}.html").is_file(), path.name


def test_every_rule_has_its_anchor_and_its_traceability_row(site: Path):
    page = (site / "reference" / "traceability" / "index.html").read_text()
    for rule in collect(ROOT).rules.values():
        path = Path(rule.path)
        folder = path.parent if path.stem in ("README", "index") else path.with_suffix("")
        spec_page = site / folder / "index.html"
        assert f'id="{rule.id}"' in spec_page.read_text(), f"{rule.id} anchor"
        assert f'id="{rule.id}"' in page, f"{rule.id} traceability row"


def test_every_public_module_has_an_api_page(site: Path):
    for module in api_modules(ROOT, ("protocol", "reference_node")):
        page = site / "reference" / "api" / module / "index.html"
        assert page.is_file(), module
    keys = (site / "reference" / "api" / "bluezone.protocol.keys" / "index.html").read_text()
    assert "derive_rpi" in keys


def test_vector_files_are_published(site: Path):
    for path in sorted((ROOT / "spec" / "vectors").glob("*.json")):
        assert (site / "spec" / "vectors" / path.name).is_file(), path.name


def _text(page: Path) -> str:
    """A built page as plain text (tags dropped, whitespace folded)."""
    import html
    import re

    text = re.sub(r"<[^>]+>", " ", page.read_text())
    return re.sub(r"\s+", " ", html.unescape(text))


def test_the_api_reference_shows_constructors_fields_and_the_params_comments(site: Path):
    api = site / "reference" / "api"
    keys = _text(api / "bluezone.protocol.keys" / "index.html")
    assert "TemporaryExposureKey ( key_data : bytes , rolling_start : int" in keys
    assert "rolling_period : int = params . MAX_ROLLING_PERIOD" in keys  # a dataclass field
    params = _text(api / "bluezone.protocol.params" / "index.html")
    assert "TEK_LENGTH : Final = 16 spec KS-1 : a temporary exposure key is 16 bytes" in params
    # A constant of a group takes the comment above the group.
    assert "AEM_LENGTH : Final = METADATA_LENGTH spec KS-8 , KS-9 : associated" in params


def test_risk_page_is_in_the_nav_and_the_traceability_table_fits(site: Path):
    assert 'href="risk/"' in (site / "index.html").read_text()
    page = (site / "reference" / "traceability" / "index.html").read_text()
    assert page.count('<div class="traceability">') == page.count("<table>") > 0
    assert ".traceability table" in (site / "stylesheets" / "extra.css").read_text()
