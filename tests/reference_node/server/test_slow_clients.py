"""Slow and many clients: header and body deadlines, the connection cap (spec OPS-1, OPS-2).

Everything runs on loopback in the test's event loop and is bounded: every wait is a poll or
an ``asyncio.wait_for`` with a generous deadline, and every socket is closed at the end.
"""

from __future__ import annotations

import asyncio
import random
import resource

import pytest

from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server import connections
from bluezone.reference_node.server.connections import ConnectionLimits, descriptor_cap

from .conftest import HA_API_KEY, config_for, http, past_keys, running

GENEROUS_S = 60.0
SLOW_CLIENTS = 1000


async def _poll(condition, deadline_s: float = GENEROUS_S) -> None:
    """Wait until ``condition()`` holds, checking every few milliseconds, or fail."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        assert loop.time() < end, "condition not met before the deadline"
        await asyncio.sleep(0.01)


def _address(server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def _half_sent(host: str, port: int, index: int) -> asyncio.StreamWriter:
    """Open a connection and send half a request: half a head, or a head and part of a body."""
    _, writer = await asyncio.open_connection(host, port)
    if index % 2:
        writer.write(b"POST /v1/publish HTTP/1.1\r\nHost: test\r\nContent-Ty")
    else:
        writer.write(
            b"POST /v1/publish HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2048\r\n\r\n" + b'{"token": "' + b"A" * 100
        )
    await writer.drain()
    return writer


@pytest.fixture
def descriptors():
    """Enough file descriptors for both ends of every connection of the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * SLOW_CLIENTS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_thousand_half_sent_requests_do_not_stop_reads_or_uploads(tmp_path, descriptors):
    # Deadlines longer than the test: the slow clients stay connected throughout.
    limits = ConnectionLimits(header_timeout_s=300, body_timeout_s=300)
    config = config_for(tmp_path, connections=limits)

    async def scenario():
        async with running(config) as server:
            host, port = _address(server)
            writers = []
            try:
                for start in range(0, SLOW_CLIENTS, 100):
                    writers += await asyncio.gather(
                        *(_half_sent(host, port, i) for i in range(start, start + 100))
                    )
                await _poll(lambda: server.runner.open_connections >= SLOW_CLIENTS)
                status, _, body = await asyncio.wait_for(
                    http("GET", f"{server.url}/v1/keys"), GENEROUS_S
                )
                async with KeyServerClient(server.url) as client:
                    code = (await client.issue_code(HA_API_KEY)).code
                    keys = past_keys(random.Random(3), server.key_server.clock())
                    accepted = await asyncio.wait_for(client.report(code, keys), GENEROUS_S)
                held = server.runner.open_connections
            finally:
                for writer in writers:
                    writer.close()
            await _poll(lambda: server.runner.open_connections == 0)
            return status, body, accepted, held

    status, body, accepted, held = asyncio.run(scenario())
    assert status == 200 and b'"log_key"' in body
    assert accepted == 3
    assert held >= SLOW_CLIENTS  # they were all still connected while the others were served


def test_a_connection_without_a_whole_head_is_closed_at_the_header_deadline(tmp_path):
    limits = ConnectionLimits(header_timeout_s=0.2, body_timeout_s=30)

    async def scenario():
        async with running(config_for(tmp_path, connections=limits)) as server:
            host, port = _address(server)
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /v1/keys HTTP/1.1\r\nHost: te")
            await writer.drain()
            half = await asyncio.wait_for(reader.read(), GENEROUS_S)
            writer.close()
            # Keep-alive: after an answer, the next head has the same deadline.
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /v1/keys HTTP/1.1\r\nHost: test\r\n\r\n")
            await writer.drain()
            answered = await asyncio.wait_for(reader.read(), GENEROUS_S)
            writer.close()
            return half, answered, server.runner.guarded.expired

    half, answered, expired = asyncio.run(scenario())
    assert half == b""  # closed without an answer
    assert answered.startswith(b"HTTP/1.1 200") and b'"log_key"' in answered
    assert expired == 2


def test_a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closes(tmp_path):
    limits = ConnectionLimits(header_timeout_s=30, body_timeout_s=0.2)

    async def scenario():
        async with running(config_for(tmp_path, connections=limits)) as server:
            host, port = _address(server)
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(
                b"POST /v1/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{"
            )
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), GENEROUS_S)
            writer.close()
            return answer

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 408")
    assert b'"error": "request_timeout"' in answer


def test_connections_past_the_cap_are_answered_503_and_closed(tmp_path):
    limits = ConnectionLimits(max_connections=3)

    async def scenario():
        async with running(config_for(tmp_path, connections=limits)) as server:
            host, port = _address(server)
            idle = [await asyncio.open_connection(host, port) for _ in range(3)]
            await _poll(lambda: server.runner.open_connections == 3)
            reader, writer = await asyncio.open_connection(host, port)
            busy = await asyncio.wait_for(reader.read(), GENEROUS_S)
            writer.close()
            for _, idle_writer in idle:
                idle_writer.close()
            await _poll(lambda: server.runner.open_connections == 0)
            status, _, _ = await http("GET", f"{server.url}/v1/keys")
            return busy, status, server.runner.guarded.refused

    busy, status, refused = asyncio.run(scenario())
    assert busy.startswith(b"HTTP/1.1 503") and b'"server_busy"' in busy
    assert status == 200 and refused == 1


def test_the_cap_stays_below_the_descriptor_limit(monkeypatch):
    monkeypatch.setattr(connections.resource, "getrlimit", lambda _: (1024, 4096))
    assert descriptor_cap(4096) == 1024 - connections.RESERVED_DESCRIPTORS
    assert descriptor_cap(100) == 100


@pytest.mark.parametrize(
    "changes",
    [{"header_timeout_s": 0}, {"body_timeout_s": -1}, {"max_connections": 0}],
)
def test_limits_out_of_range_are_refused(changes):
    with pytest.raises(ValueError, match="OPS-"):
        ConnectionLimits(**changes)


def test_server_run_refuses_a_zero_deadline(tmp_path, capsys):
    argv = ["server", "run", "--data-dir", str(tmp_path), "--origin", "o.test/log"]
    assert main([*argv, "--header-timeout", "0"]) == 1
    assert "OPS-1" in capsys.readouterr().err
