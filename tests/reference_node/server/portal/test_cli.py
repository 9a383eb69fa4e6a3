"""``bluezone server portal add-admin`` and the portal options of ``server run`` (PORTAL-1, -2)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from bluezone.reference_node.cli.commands import build_parser, main
from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.storage import open_storage

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _add_admin(tmp_path, capsys, password: str, username: str = "admin.hue"):
    (tmp_path / "pw").write_text(password + "\n")
    argv = ["server", "portal", "add-admin", "--data-dir", str(tmp_path / "server")]
    argv += ["--username", username, "--password-file", str(tmp_path / "pw")]
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_the_first_administrator_gets_an_enrolled_totp_secret(tmp_path, capsys):
    # the data directory need not exist yet: add-admin may run before the first server start
    status, out, _ = _add_admin(tmp_path, capsys, "mưa rơi trên mái phố cổ")
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    secret = base64.b32decode(lines["totp-secret"].replace(" ", ""))

    async def stored():
        storage = await open_storage(tmp_path / "server" / "server.sqlite3")
        try:
            return await storage.staff_by_name("admin.hue"), await storage.audit_events(5)
        finally:
            await storage.close()

    staff, events = asyncio.run(stored())
    assert status == 0 and staff.role == "admin" and staff.totp_secret == secret
    assert lines["totp-uri"].startswith("otpauth://totp/Bluezone:admin.hue?secret=")
    assert accounts.verify_password(staff.password_hash, "mưa rơi trên mái phố cổ")
    assert [e.action for e in events] == ["admin_created"]
    assert "mưa" not in repr(events)


@pytest.mark.parametrize(
    ("password", "username", "fragment"),
    [
        ("short", "admin.hue", "fewer than 12"),
        ("admin.hue and more text", "admin.hue", "username"),
        ("a perfectly good passphrase", "Admin Huế", "user name"),
    ],
)
def test_a_refused_administrator_is_one_line_and_nothing_stored(
    tmp_path, capsys, password, username, fragment
):
    (tmp_path / "server").mkdir()
    status, out, err = _add_admin(tmp_path, capsys, password, username)
    assert status == 1 and out == "" and fragment in err.strip().splitlines()[-1]


def test_a_taken_name_is_refused(tmp_path, capsys):
    (tmp_path / "server").mkdir()
    assert _add_admin(tmp_path, capsys, "mưa rơi trên mái phố cổ")[0] == 0
    status, _, err = _add_admin(tmp_path, capsys, "another good passphrase")
    assert status == 1 and "exists" in err.strip().splitlines()[-1]


def test_portal_options_build_the_portal_configuration(tmp_path):
    from bluezone.reference_node.cli.server import server_config

    base = ["server", "run", "--data-dir", str(tmp_path), "--origin", "x.example/log"]
    off = server_config(build_parser().parse_args(base))
    beside = server_config(build_parser().parse_args([*base, "--portal"]))
    apart = server_config(
        build_parser().parse_args(
            [*base, "--portal-listen", "[::1]:8443", "--portal-language", "en"]
        )
    )
    assert off.portal is None and beside.portal.port is None and beside.portal.secure_cookies
    assert (apart.portal.host, apart.portal.port, apart.portal.default_language) == (
        "::1",
        8443,
        "en",
    )


def test_a_bad_portal_address_is_a_usage_error(tmp_path, capsys):
    argv = ["server", "run", "--data-dir", str(tmp_path), "--portal-listen", "nowhere"]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 64
    assert "HOST:PORT" in capsys.readouterr().err


def test_an_empty_password_file_creates_nobody(tmp_path, capsys):
    (tmp_path / "pw").write_text("")
    argv = ["server", "portal", "add-admin", "--data-dir", str(tmp_path / "server")]
    status = main([*argv, "--username", "admin.hue", "--password-file", str(tmp_path / "pw")])
    assert status == 1 and "empty" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "server").exists()
