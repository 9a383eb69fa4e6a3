"""The portal's screenshots in the docs: the script that takes them still walks the portal,
and the tutorial shows every picture it takes."""

from __future__ import annotations

from pathlib import Path

from portal_screenshots import OUT, take

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorials" / "operate-the-key-server.md"
PNG = b"\x89PNG\r\n\x1a\n"


def test_the_script_takes_every_screenshot_the_tutorial_shows(tmp_path):
    shots = take(tmp_path)
    names = {path.name for path in shots}
    assert names == {path.name for path in OUT.glob("*.png")}
    assert all(path.read_bytes().startswith(PNG) for path in shots)
    tutorial = TUTORIAL.read_text()
    for name in names:
        assert f"(../assets/portal/{name})" in tutorial, name
