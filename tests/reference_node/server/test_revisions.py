"""Recursive codes, revision secrets and revisions on the key server (spec SRV-20..SRV-26)."""

from __future__ import annotations

import aiohttp
import pytest

from bluezone.protocol.params import INTERVALS_PER_DAY
from bluezone.protocol.revisions import revision_tag
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.server.errors import ServerResponseError
from bluezone.reference_node.server.ratelimit import Rate

from .conftest import HA_API_KEY, Clock, config_for, past_keys, run, running, serving

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))


async def _upload(client: KeyServerClient, keys, secret=SECRET, **code):
    issued = await client.issue_code(HA_API_KEY, **code)
    grant = await client.request_token(issued.code, keys)
    return await client.upload_keys(grant, keys, secret)


async def _revise(client: KeyServerClient, keys, report_type: int, secret=SECRET) -> int:
    issued = await client.issue_code(HA_API_KEY, report_type=report_type, revision=True)
    assert issued.revision and issued.report_type == report_type
    grant = await client.request_token(issued.code, keys)
    return await client.revise(grant, keys, secret)


async def _error(awaitable) -> tuple[int, str]:
    with pytest.raises(ServerResponseError) as caught:
        await awaitable
    return caught.value.status, caught.value.error


async def _published(server, client) -> tuple[dict, dict]:
    trust = TrustConfig.from_server_keys(await client.server_keys())
    result = await client.download(trust)
    keys = {k.key_data: k for b in result.batches for k in b.diagnosis_keys()}
    revised = {k.key_data: k for b in result.batches for k in b.revised_keys()}
    return keys, revised


def test_recursive_upload_keeps_keys_from_the_exposure_day_on(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=5)  # newest first: 1..5 days ago
            exposure = keys[2].rolling_start + 70  # mid-day, 3 days ago
            issued = await client.issue_code(HA_API_KEY, report_type=4, exposure_interval=exposure)
            assert issued.exposure_interval == exposure
            outcome = await _upload(client, keys, report_type=4, exposure_interval=exposure)
            await server.publisher.publish_once()
            return keys, outcome, await _published(server, client)

    keys, outcome, (published, revised) = run(scenario())
    assert outcome.accepted == 3 and outcome.dropped == (3, 4)
    for key in keys[:3]:
        assert published[key.key_data].report_type == 4
    for key in keys[3:]:
        assert key.key_data not in published  # before the exposure day: never published
    assert revised == {}


def test_recursive_upload_of_only_earlier_keys_is_refused_and_spends_nothing(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=2)
            tomorrow = keys[0].rolling_start + 2 * INTERVALS_PER_DAY
            issued = await client.issue_code(HA_API_KEY, report_type=4, exposure_interval=tomorrow)
            grant = await client.request_token(issued.code, keys)
            refused = await _error(client.upload_keys(grant, keys))
            token = await server.storage.get_token(server.key_server.token_digest(grant.token))
            return refused, token.used

    refused, spent = run(scenario())
    assert refused == (400, "no_key_after_exposure")
    assert not spent


def test_revision_to_revoked_is_a_new_batch_and_the_old_one_stays(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=2)
            exposure = keys[1].rolling_start
            await _upload(client, keys, report_type=4, exposure_interval=exposure)
            first = await server.publisher.publish_once()
            first_archive = (tmp_path / "server/public/v1/batches/0.zip").read_bytes()
            assert await _revise(client, keys, report_type=1) == 2  # positive: RECURSIVE -> 1
            await server.publisher.publish_once()
            assert await _revise(client, keys, report_type=5) == 2  # then negative -> REVOKED
            await server.publisher.publish_once()
            again = await _error(_revise(client, keys, report_type=5))
            published, _ = await _published(server, client)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            batches = (await client.download(trust)).batches
            after = (tmp_path / "server/public/v1/batches/0.zip").read_bytes()
            return keys, first, first_archive, after, batches, published, again

    keys, first, before, after, batches, published, again = run(scenario())
    assert before == after and first.number == 0  # the log keeps history (LOG-5, SRV-25)
    assert [len(b.revised_keys()) for b in batches] == [0, 2, 2]
    assert {k.report_type for k in batches[1].revised_keys()} == {1}
    assert {k.report_type for k in batches[2].revised_keys()} == {5}
    assert {published[k.key_data].report_type for k in keys} == {4}
    assert again == (409, "invalid_report_type_transition")  # REVOKED is final


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("wrong_secret", (403, "revision_denied")),
        ("no_secret_at_upload", (403, "revision_denied")),
        ("unknown_key", (403, "revision_denied")),
        ("upload_code", (400, "wrong_code_kind")),
        ("confirmed_to_confirmed", (409, "invalid_report_type_transition")),
    ],
)
def test_only_the_original_uploader_can_revise(tmp_path, rng, who, expected):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=2)
            await _upload(client, keys, None if who == "no_secret_at_upload" else SECRET)
            await server.publisher.publish_once()
            if who in ("wrong_secret", "no_secret_at_upload"):
                return await _error(_revise(client, keys, 5, OTHER_SECRET))
            if who == "unknown_key":
                return await _error(_revise(client, past_keys(rng, clock.now, days=1), 5))
            if who == "upload_code":
                issued = await client.issue_code(HA_API_KEY)
                grant = await client.request_token(issued.code, keys)
                return await _error(client.revise(grant, keys, SECRET))
            return await _error(_revise(client, keys, 1))

    assert run(scenario()) == expected


def test_a_replayed_key_does_not_gain_a_tag(tmp_path, rng):
    """An attacker re-uploading published keys with their own secret cannot revise them."""
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=2)
            await _upload(client, keys, None)  # the owner kept no secret
            await _upload(client, keys, OTHER_SECRET)  # the replay: stored once, untagged
            states = await server.storage.key_states([k.key_data for k in keys])
            refused = await _error(_revise(client, keys, 5, OTHER_SECRET))
            return states, refused

    states, refused = run(scenario())
    assert all(s is not None and s.key.revision_tag is None for s in states)
    assert refused == (403, "revision_denied")


def test_revision_tag_is_an_hmac_of_the_key():
    tag = revision_tag(SECRET, bytes(16))
    assert len(tag) == 32 and tag != revision_tag(OTHER_SECRET, bytes(16))
    assert tag != revision_tag(SECRET, bytes(15) + b"\x01")


def test_revisions_share_the_per_client_rate_limit(tmp_path):
    """spec SRV-26: /v1/revise draws from the bucket of /v1/token and /v1/publish."""
    config = config_for(tmp_path, client_rate=Rate(per_minute=1, burst=2))

    async def scenario():
        async with running(config) as server, aiohttp.ClientSession() as session:
            statuses = []
            for path in ("v1/token", "v1/revise", "v1/revise"):
                async with session.post(f"{server.url}/{path}", json={}) as r:
                    statuses.append(r.status)
            return statuses

    assert run(scenario()) == [400, 400, 429]
