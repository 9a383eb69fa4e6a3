"""Rate limits behind a reverse proxy, per client, shared by processes (spec SRV-14)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging

import pytest
from multidict import CIMultiDict

from bluezone.reference_node.cli.commands import build_parser
from bluezone.reference_node.cli.server import server_config
from bluezone.reference_node.server.errors import ConfigError
from bluezone.reference_node.server.ratelimit import ClientAddresses, ClientKeys, Rate
from bluezone.reference_node.server.runner import log_metrics

from .conftest import config_for, fresh_postgres_database, http, run, running

PROXY = "127.0.0.1/32"
STRICT = Rate(per_minute=30, burst=10)
TOKEN_BODY = {"code": "23456789AB", "key_hmac": base64.b64encode(bytes(32)).decode()}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request):
    """None for SQLite (the default), or the DSN of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return run(fresh_postgres_database(request.getfixturevalue("postgres_dsn")))


async def _statuses(url: str, forwarded_for: str, count: int, header="X-Forwarded-For"):
    statuses = []
    for _ in range(count):
        status, _, _ = await http(
            "POST", f"{url}/v1/token", json=TOKEN_BODY, headers={header: forwarded_for}
        )
        statuses.append(status)
    return statuses


def test_behind_one_proxy_a_flood_from_one_client_never_blocks_another(tmp_path, database):
    config = config_for(tmp_path, database=database, client_rate=STRICT, trusted_proxies=(PROXY,))

    async def scenario():
        async with running(config) as server:
            # The flooder forges entries on the left; the proxy appends its real address.
            flood = await _statuses(server.url, "10.9.9.9, 198.51.100.7", 30)
            other = await _statuses(server.url, "198.51.100.8", 10)
            return flood, other, server.key_server.code_not_found_total

    flood, other, not_found = run(scenario())
    assert flood[:10] == [404] * 10 and set(flood[10:]) == {429}
    assert other == [404] * 10
    assert not_found == 20


def test_forwarding_headers_from_an_untrusted_peer_are_ignored(tmp_path):
    config = config_for(tmp_path, client_rate=STRICT)

    async def scenario():
        async with running(config) as server:
            statuses = []
            for i in range(12):
                statuses += await _statuses(server.url, f"198.51.100.{i}", 1)
            return statuses

    statuses = run(scenario())
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]


def test_processes_on_one_postgres_share_their_buckets(tmp_path, postgres_dsn):
    database = run(fresh_postgres_database(postgres_dsn))
    config = config_for(tmp_path, database=database, client_rate=STRICT, trusted_proxies=(PROXY,))

    async def scenario():
        async with running(config) as first, running(config) as second:
            spent = await _statuses(first.url, "203.0.113.5", 10)
            return spent, await _statuses(second.url, "203.0.113.5", 2)

    spent, elsewhere = run(scenario())
    assert spent == [404] * 10 and elsewhere == [429, 429]


def test_ipv6_clients_are_bucketed_by_their_64():
    keys = ClientKeys(bytes(32))
    assert keys.key("2001:db8:1:2::1") == keys.key("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert keys.key("2001:db8:1:2::1") != keys.key("2001:db8:1:3::1")
    assert keys.key("::ffff:198.51.100.7") == keys.key("198.51.100.7")
    assert keys.key("198.51.100.7") != keys.key("198.51.100.8")


@pytest.mark.parametrize(
    ("header", "value", "client"),
    [
        ("x-forwarded-for", "10.0.0.1, 198.51.100.7", "198.51.100.7"),
        ("x-forwarded-for", "198.51.100.7, 10.0.0.2", "198.51.100.7"),  # a second proxy
        ("x-forwarded-for", "10.0.0.3", "10.0.0.3"),  # every hop a proxy: the first
        (
            "forwarded",
            'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"',
            "2001:db8:cafe::17",
        ),
        ("forwarded", "for=192.0.2.43:4711", "192.0.2.43"),
    ],
)
def test_the_client_is_the_rightmost_hop_that_is_not_a_trusted_proxy(header, value, client):
    addresses = ClientAddresses(["127.0.0.1", "10.0.0.2/32", "10.0.0.3"], header)
    assert addresses.address("127.0.0.1", CIMultiDict({header: value})) == client
    # The same header from a peer that is not a proxy is the peer's own doing.
    assert addresses.address("192.0.2.99", CIMultiDict({header: value})) == "192.0.2.99"


def test_bad_proxy_settings_are_refused():
    with pytest.raises(ConfigError, match="SRV-14"):
        ClientAddresses(["not-a-network"])
    with pytest.raises(ConfigError, match="SRV-14"):
        ClientAddresses(["127.0.0.1"], "x-real-ip")


def test_every_limit_is_settable_at_start(tmp_path):
    args = build_parser().parse_args(
        [
            "server",
            "run",
            "--data-dir",
            str(tmp_path),
            "--origin",
            "proxy.test/log",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "fd00::/8",
            "--proxy-header",
            "forwarded",
            "--client-rate",
            "120/20",
            "--ha-rate",
            "60/5",
        ]
    )
    config = server_config(args)
    assert config.trusted_proxies == ("10.0.0.0/8", "fd00::/8")
    assert config.proxy_header == "forwarded"
    assert (config.client_rate, config.ha_rate) == (Rate(120, 20), Rate(60, 5))
    with pytest.raises(SystemExit):
        build_parser().parse_args(["server", "run", "--data-dir", "x", "--client-rate", "5"])


def test_code_not_found_answers_are_logged_for_alerting(tmp_path, caplog):
    async def scenario():
        async with running(dataclasses.replace(config_for(tmp_path))) as server:
            await _statuses(server.url, "", 3)
            task = asyncio.create_task(log_metrics(server.key_server, 0))
            for _ in range(1000):
                if any("metric code_not_found" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0)
            task.cancel()

    with caplog.at_level(logging.INFO, logger="bluezone.server"):
        run(scenario())
    lines = [r.getMessage() for r in caplog.records if "metric code_not_found" in r.getMessage()]
    assert lines[0] == "metric code_not_found=3 total=3 period_s=0"
