"""What the key server keeps on disk: keyed digests, owner-only files, coarse times (SRV-8)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import sqlite3
from hashlib import sha256

import pytest

from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.errors import ConfigError
from bluezone.reference_node.server.keyfiles import SERVER_SECRET_FILE, derive_key
from bluezone.reference_node.server.runner import DATABASE_FILE, log_metrics

from .conftest import HA_API_KEY, Clock, config_for, past_keys, run, running, serving


def _rows(tmp_path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "server" / DATABASE_FILE) as db:
        return db.execute(query).fetchall()


def test_codes_and_tokens_are_stored_as_hmacs_under_a_key_outside_the_database(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            issued = await client.issue_code(HA_API_KEY)
            grant = await client.request_token(issued.code, past_keys(rng, clock.now))
            return issued.code, grant.token

    code, token = run(scenario())
    secret_file = tmp_path / "server" / SERVER_SECRET_FILE
    key = derive_key(bytes.fromhex(secret_file.read_text()), "code-and-token-digests")
    (code_digest,) = [bytes(r[0]) for r in _rows(tmp_path, "SELECT digest FROM codes")]
    (token_digest,) = [bytes(r[0]) for r in _rows(tmp_path, "SELECT digest FROM tokens")]
    assert code_digest == hmac.digest(key, code.encode(), "sha256")
    assert token_digest == hmac.digest(key, token, "sha256")
    # A plain hash of a 49.5-bit code could be reversed by trying every code.
    assert code_digest != sha256(code.encode()).digest()
    database = (tmp_path / "server" / DATABASE_FILE).read_bytes()
    assert secret_file.read_text().strip().encode() not in database


def test_database_and_secret_files_are_readable_by_the_owner_only(tmp_path, rng):
    data = tmp_path / "server"
    data.mkdir()
    (data / DATABASE_FILE).touch(mode=0o644)  # as servers before this rule made it
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = past_keys(rng, clock.now)
            await client.report((await client.issue_code(HA_API_KEY)).code, keys)

    run(scenario())
    private = [p for p in data.iterdir() if p.is_file()]
    assert {p.name for p in private} >= {DATABASE_FILE, SERVER_SECRET_FILE, "log-signing.key"}
    assert {p.name: p.stat().st_mode & 0o777 for p in private} == {p.name: 0o600 for p in private}


def test_stored_expiry_times_do_not_pin_the_second_of_issue_or_exchange(tmp_path, rng):
    clock = Clock(1_800_000_123.4)

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            issued = await client.issue_code(HA_API_KEY, validity_s=3600)
            clock.now += 77
            await client.request_token(issued.code, past_keys(rng, clock.now))

    run(scenario())
    ((code_expiry,),) = _rows(tmp_path, "SELECT expires_s FROM codes")
    ((token_expiry,),) = _rows(tmp_path, "SELECT expires_s FROM tokens")
    assert code_expiry % 600 == 0 and 0 <= code_expiry - (1_800_000_123 + 3600) < 600
    assert token_expiry % 3600 == 0 and 0 <= token_expiry - (1_800_000_200 + 4 * 3600) < 3600


def test_counts_only_logging_writes_no_line_per_request(tmp_path, caplog):
    async def scenario():
        async with running(config_for(tmp_path, log_counts_only=True)) as server:
            async with KeyServerClient(server.url) as client:
                for _ in range(3):
                    await client.server_keys()
            task = asyncio.create_task(log_metrics(server.key_server, 0))
            for _ in range(1000):
                if any("metric requests" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0)
            task.cancel()

    with caplog.at_level(logging.INFO, logger="bluezone.server"):
        run(scenario())
    messages = [r.getMessage() for r in caplog.records if r.name == "bluezone.server"]
    assert not [m for m in messages if m.startswith("GET ")]
    assert "metric requests GET /v1/keys 200 count=3 period_s=0" in messages


@pytest.mark.parametrize("source", ["config", "env", "file"])
def test_a_short_health_authority_key_is_refused_wherever_it_is_read(
    tmp_path, monkeypatch, capsys, source
):
    if source == "config":
        with pytest.raises(ConfigError, match="SRV-3"):
            run(running(config_for(tmp_path, ha_api_key="a")).__aenter__())
        return
    argv = ["server", "run", "--data-dir", str(tmp_path / "d"), "--origin", "k.test/log"]
    argv += ["--test-identity", "--port", "0"]
    if source == "env":
        monkeypatch.setenv("BLUEZONE_HA_API_KEY", "a")
    else:
        (tmp_path / "key").write_text("short\n")
        argv += ["--ha-api-key-file", str(tmp_path / "key")]
    assert main(argv) == 1
    assert "SRV-3" in capsys.readouterr().err
    ha = ["ha", "issue-code", "--server", "http://127.0.0.1:9"]
    if source == "file":
        ha += ["--api-key-file", str(tmp_path / "key")]
    assert main(ha) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "at least 16 characters" in line
