"""The operator's tutorial gives the deployment settings the spec asks for (spec OPS-3)."""

from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[3] / "docs" / "tutorials" / "operate-the-key-server.md"


def test_the_operator_tutorial_gives_the_deployment_settings():
    """The proxy's deadlines, the connection cap and the file-descriptor limit (OPS-3)."""
    text = TUTORIAL.read_text()
    for setting in ("--header-timeout", "--body-timeout", "--max-connections", "LimitNOFILE"):
        assert setting in text, setting
    assert "client_header_timeout" in text
