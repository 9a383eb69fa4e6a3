"""Reporting from the device: which keys, the code exchange, the upload after the embargo.

A fake key server stands in for the HTTP client (the real one is exercised end to end in
tests/reference_node/node/test_key_server_e2e.py); it checks the HMAC binding as SRV-5 says.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.upload import key_list_hmac
from bluezone.reference_node.client.client import UploadGrant, UploadOutcome
from bluezone.reference_node.errors import ReportError
from bluezone.reference_node.node.identity import AsyncDeviceIdentity
from bluezone.reference_node.node.reporting import Reporter, keys_to_upload
from bluezone.reference_node.node.runtime import Node, NodeConfig
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.server.errors import ClientError, ServerResponseError
from bluezone.reference_node.store import AsyncStore, StoredKey
from bluezone.reference_node.vtime import clock as vclock
from bluezone.reference_node.vtime.inline import open_inline_store

DAY = 2_940_624  # 2025-11-23 00:00 UTC as an ENIntervalNumber
S = params.INTERVAL_SECONDS
CODE = "7KQ4MX2P9H"
URL = "http://keys.test"


def at(interval: int, seconds: float = 0.0) -> float:
    """Unix seconds ``interval`` intervals (and ``seconds``) after DAY's midnight."""
    return (DAY + interval) * S + seconds


class FakeKeyServer:
    """Answers token requests and uploads like the key server (SRV-4, SRV-5, SRV-7)."""

    def __init__(self) -> None:
        self.bound: dict[bytes, bytes] = {}
        self.uploaded: list[list[TemporaryExposureKey]] = []
        self.exchange_error: Exception | None = None
        self.upload_errors: list[Exception] = []
        self.calls: list[str] = []
        self.on_exchange = lambda: None

    def client(self, url: str) -> FakeClient:
        assert url == URL
        return FakeClient(self)


class FakeClient:
    def __init__(self, server: FakeKeyServer) -> None:
        self.server = server

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def request_token(self, code, keys, secret) -> UploadGrant:
        self.server.calls.append("token")
        self.server.on_exchange()
        if self.server.exchange_error is not None:
            raise self.server.exchange_error
        token = bytes([len(self.server.bound)]) * 32
        self.server.bound[token] = key_list_hmac(secret, keys)
        return UploadGrant(token, secret, int(at(200)))

    async def upload(self, grant: UploadGrant, keys) -> int:
        self.server.calls.append("upload")
        if self.server.upload_errors:
            raise self.server.upload_errors.pop(0)
        if key_list_hmac(grant.hmac_secret, keys) != self.server.bound.pop(grant.token):
            raise ServerResponseError("hmac_mismatch", 400, "hmac_mismatch")
        self.server.uploaded.append(list(keys))
        return len(keys)

    async def upload_keys(self, grant: UploadGrant, keys, revision_secret) -> UploadOutcome:
        assert revision_secret is not None and len(revision_secret) == 32  # spec SRV-23
        return UploadOutcome(await self.upload(grant, keys))


def refused(error: str, status: int = 400) -> ServerResponseError:
    return ServerResponseError(f"{error}: refused", status, error)


@pytest.fixture
def server() -> FakeKeyServer:
    return FakeKeyServer()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AsyncStore]:
    opened = open_inline_store(tmp_path / "node")
    yield opened
    asyncio.run(opened.close())


def reporter(store: AsyncStore, server: FakeKeyServer) -> Reporter:
    return Reporter(store, client_factory=server.client, random_bytes=random.Random(3).randbytes)


async def device_with_three_keys(store: AsyncStore):
    """Keys of the day before yesterday, yesterday and today (from interval 60); report at 70."""
    identity = AsyncDeviceIdentity(store, random.Random(1).randbytes)
    for moment in (at(-288), at(-144), at(60)):
        await identity.current_key(moment)
    return await identity.report(at(70))


def test_a_report_uploads_every_key_together_once_the_cut_key_is_past_its_embargo(store, server):
    async def scenario():
        report = await device_with_three_keys(store)
        sender = reporter(store, server)
        upload = await sender.submit(report, "7kq4-mx2p-9h", URL, at(70, 30))
        assert upload.state == "waiting" and server.calls == ["token"]
        assert upload.due_interval == DAY + 71 + params.EMBARGO_INTERVALS  # KS-12
        assert await sender.next_due_s() == at(71 + params.EMBARGO_INTERVALS)
        assert await sender.upload_due(at(71 + params.EMBARGO_INTERVALS, -1)) == []
        (done,) = await sender.upload_due(at(71 + params.EMBARGO_INTERVALS))
        return done, await store.reports()

    done, (report,) = asyncio.run(scenario())
    assert (done.state, done.accepted) == ("uploaded", 3)
    (keys,) = server.uploaded
    assert [(k.rolling_start, k.rolling_period) for k in keys] == [
        (DAY - 288, 144),
        (DAY - 144, 144),
        (DAY + 60, 11),  # today's key, cut at the report's interval (KS-13)
    ]
    assert all(k.uploaded_wall_time == at(83) for k in report.keys)


def test_keys_already_past_their_embargo_go_up_at_once(store, server):
    async def scenario():
        identity = AsyncDeviceIdentity(store, random.Random(1).randbytes)
        await identity.current_key(at(-144))  # yesterday's key only; none today
        report = await identity.report(at(70))
        return await reporter(store, server).submit(report, CODE, URL, at(70))

    upload = asyncio.run(scenario())
    assert upload.state == "uploaded" and server.calls == ["token", "upload"]


@pytest.mark.parametrize("error", ["code_used", "code_expired", "code_not_found"])
def test_a_refused_code_fails_the_report_and_is_recorded(store, server, error):
    server.exchange_error = refused(error, 409)

    async def scenario():
        report = await device_with_three_keys(store)
        with pytest.raises(ReportError) as raised:
            await reporter(store, server).submit(report, CODE, URL, at(70))
        return raised.value, await store.uploads()

    raised, (upload,) = asyncio.run(scenario())
    assert raised.reason == error
    assert (upload.state, upload.failure) == ("failed", error)


def test_an_unreachable_server_fails_the_exchange(store, server):
    server.exchange_error = ClientError("cannot reach the key server")

    async def scenario():
        report = await device_with_three_keys(store)
        with pytest.raises(ClientError):
            await reporter(store, server).submit(report, CODE, URL, at(70))
        return await store.uploads()

    (upload,) = asyncio.run(scenario())
    assert upload.failure == "unreachable"


@pytest.mark.parametrize("code", ["", "7KQ4MX2P9", "7KQ4MX2P9I", "0" * 10])
def test_a_malformed_code_is_refused_before_anything_is_sent(store, server, code):
    async def scenario():
        report = await device_with_three_keys(store)
        with pytest.raises(ReportError) as raised:
            await reporter(store, server).submit(report, code, URL, at(70))
        return raised.value, await store.uploads()

    raised, uploads = asyncio.run(scenario())
    assert raised.reason == "invalid_code" and uploads == [] and server.calls == []


def test_an_upload_worth_retrying_stays_waiting_and_goes_up_later(store, server):
    server.upload_errors = [refused("rate_limited", 429), ClientError("connection reset")]

    async def scenario():
        report = await device_with_three_keys(store)
        sender = reporter(store, server)
        await sender.submit(report, CODE, URL, at(70))
        states = []
        for _ in range(3):
            (upload,) = await sender.upload_due(at(90))
            states.append(upload.state)
        return states

    assert asyncio.run(scenario()) == ["waiting", "waiting", "uploaded"]


@pytest.mark.parametrize("error", ["hmac_mismatch", "token_used", "key_too_old"])
def test_a_final_refusal_fails_the_upload(store, server, error):
    server.upload_errors = [refused(error)]

    async def scenario():
        report = await device_with_three_keys(store)
        sender = reporter(store, server)
        await sender.submit(report, CODE, URL, at(70))
        (upload,) = await sender.upload_due(at(90))
        return upload, await sender.next_due_s()

    upload, due = asyncio.run(scenario())
    assert (upload.state, upload.failure) == ("failed", error)
    assert due is None


def test_an_expired_token_is_not_sent(store, server):
    async def scenario():
        report = await device_with_three_keys(store)
        sender = reporter(store, server)
        await sender.submit(report, CODE, URL, at(70))
        return await sender.upload_due(at(200))  # the fake's tokens expire at interval 200

    (upload,) = asyncio.run(scenario())
    assert (upload.state, upload.failure) == ("failed", "token_expired")
    assert server.calls == ["token"]


def test_a_waiting_upload_survives_a_restart(tmp_path, server):
    async def before():
        store = await AsyncStore.open(tmp_path)
        try:
            report = await device_with_three_keys(store)
            await reporter(store, server).submit(report, CODE, URL, at(70))
        finally:
            await store.close()

    async def after():
        store = await AsyncStore.open(tmp_path)
        try:
            return await reporter(store, server).upload_due(at(90))
        finally:
            await store.close()

    asyncio.run(before())
    (upload,) = asyncio.run(after())
    assert upload.state == "uploaded" and len(server.uploaded[0]) == 3


def test_an_exchange_cut_short_is_abandoned_at_the_next_start(store, server):
    async def scenario():
        report = await device_with_three_keys(store)
        server.exchange_error = asyncio.CancelledError()  # the process dies mid-request
        with pytest.raises(asyncio.CancelledError):
            await reporter(store, server).submit(report, CODE, URL, at(70))
        return await reporter(store, server).abandon_interrupted()

    (upload,) = asyncio.run(scenario())
    assert (upload.state, upload.failure) == ("failed", "exchange_interrupted")


def test_a_later_report_leaves_out_keys_already_uploaded(store, server):
    async def scenario():
        report = await device_with_three_keys(store)
        sender = reporter(store, server)
        await sender.submit(report, CODE, URL, at(70))
        await sender.upload_due(at(90))
        identity = AsyncDeviceIdentity(store, random.Random(2).randbytes)
        second = await identity.report(at(100))
        upload = await sender.submit(second, CODE, URL, at(100))
        return [(await store.own_key(key_id)).key for key_id in upload.key_ids]

    (key,) = asyncio.run(scenario())  # the key started at the first report, cut at the second
    assert (key.rolling_start, key.rolling_period) == (DAY + 70, 31)


def test_a_report_without_earlier_keys_has_nothing_to_upload(store, server):
    async def scenario():
        report = await AsyncDeviceIdentity(store).report(at(70))
        return await reporter(store, server).submit(report, CODE, URL, at(70))

    assert asyncio.run(scenario()) is None
    assert server.calls == []


def stored(key_id: int, start: int, period: int = 144) -> StoredKey:
    return StoredKey(key_id, TemporaryExposureKey(bytes([key_id]) * 16, start, period), 1.0)


def test_keys_to_upload_are_the_newest_fourteen_not_too_old_not_sent_before():
    now = DAY + 100
    history = [stored(n, DAY - 144 * n) for n in range(1, 17)]  # 1..16 days ago
    history.append(stored(20, DAY, 101))  # today's, cut
    chosen = keys_to_upload(history, {1}, now)
    # Day 15 and 16 ended 14 days or more before the upload day's midnight (SRV-6);
    # yesterday's key (id 1) went up with an earlier report.
    assert [s.key_id for s in chosen] == [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 20]
    assert len(keys_to_upload(history, set(), now)) == params.MAX_UPLOAD_KEYS


def test_keys_to_upload_count_the_age_from_the_last_moment_the_token_allows():
    # A report at 23:00: the upload may happen after midnight, when one more day is too old.
    late = DAY + 138
    history = [stored(n, DAY - 144 * n) for n in range(1, 15)]
    oldest = keys_to_upload(history, set(), late)[0]
    assert oldest.key_id == 13


def test_a_running_node_re_keys_before_the_code_goes_out_and_uploads_when_due(tmp_path, server):
    """The node's own loop uploads at the end of the embargo, under virtual time."""
    channel = Channel(PathLossModel(), random.Random(1))
    channel.place("a", Placement(Position(0, 0)))
    medium = SimMedium(channel)
    on_air_at_exchange = []

    async def scenario():
        store = open_inline_store(tmp_path / "a")
        node = Node(
            NodeConfig(name="a", duty_cycle=DutyCycle.always(60.0), status_interval_s=None),
            radio=medium.radio("a"),
            store=store,
            random_bytes=random.Random(5).randbytes,
            client_factory=server.client,
        )
        server.on_exchange = lambda: on_air_at_exchange.append(node.on_air)
        async with node:
            await asyncio.sleep(30 * 60)
            before = node.on_air
            upload = await node.report_to_server(CODE, URL)
            due_s = upload.due_interval * S
            await asyncio.sleep(due_s - node.clock.wall() - 1)
            waiting = (await store.upload(upload.report_id)).state
            await asyncio.sleep(61)
            uploaded = await store.upload(upload.report_id)
        await store.close()
        return before, waiting, uploaded

    before, waiting, uploaded = vclock.run(scenario(), wall_start=at(60))
    (at_exchange,) = on_air_at_exchange
    assert at_exchange.key_rolling_start != before.key_rolling_start  # KS-13: re-keyed first
    assert waiting == "waiting" and uploaded.state == "uploaded"
    assert [(k.rolling_start, k.rolling_period) for k in server.uploaded[0]] == [(DAY + 60, 4)]
