"""The HTTP API's normal paths: codes, tokens, uploads, downloads, proofs (SRV-3..SRV-13)."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest

from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile
from bluezone.protocol.keys import day_start_interval, interval_number
from bluezone.protocol.merkle import EMPTY_ROOT, verify_consistency, verify_inclusion
from bluezone.protocol.params import CODE_ALPHABET, CODE_LENGTH
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.server.errors import ServerResponseError
from bluezone.reference_node.server.index import BatchIndex
from bluezone.reference_node.server.ratelimit import Rate

from .conftest import (
    FAR_FUTURE,
    HA_API_KEY,
    ORIGIN,
    Clock,
    config_for,
    ha_headers,
    http,
    past_keys,
    run,
    running,
    serving,
)


def test_issue_code_gives_an_unambiguous_code_valid_24_hours(tmp_path):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_server, client):
            issued = await client.issue_code(HA_API_KEY, report_type=2)
        assert len(issued.code) == CODE_LENGTH >= 8
        assert set(issued.code) <= set(CODE_ALPHABET)
        assert not set(issued.code) & set("01ILO")
        # spec SRV-3: rounded up to the next 10 minutes, so it does not pin the issuing second.
        expiry = int(clock.now) + 24 * 3600
        assert expiry <= issued.expires_s < expiry + 600 and issued.expires_s % 600 == 0
        assert issued.report_type == 2

    run(scenario())


def test_codes_are_distinct(tmp_path):
    async def scenario():
        async with serving(config_for(tmp_path)) as (_server, client):
            return {(await client.issue_code(HA_API_KEY)).code for _ in range(50)}

    assert len(run(scenario())) == 50


@pytest.mark.parametrize("header", [None, "Bearer wrong-key-0123456789", "Basic " + HA_API_KEY])
def test_issue_code_needs_the_api_key(tmp_path, header):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            headers = {} if header is None else {"Authorization": header}
            return await http("POST", f"{server.url}/v1/ha/codes", json={}, headers=headers)

    status, _, answer = run(scenario())
    body = json.loads(answer)
    assert (status, body["error"]) == (401, "unauthorized")


def test_issue_code_is_rate_limited(tmp_path):
    config = config_for(tmp_path, ha_rate=Rate(per_minute=1, burst=3))

    async def scenario():
        async with running(config) as server, aiohttp.ClientSession() as session:
            results = []
            for _ in range(5):
                async with session.post(
                    f"{server.url}/v1/ha/codes",
                    json={},
                    headers={"Authorization": f"Bearer {HA_API_KEY}"},
                ) as r:
                    results.append((r.status, r.headers.get("Retry-After")))
            return results

    results = run(scenario())
    assert [s for s, _ in results] == [201, 201, 201, 429, 429]
    assert int(results[3][1]) >= 1


def test_token_requests_are_rate_limited_per_client(tmp_path):
    config = config_for(tmp_path, client_rate=Rate(per_minute=1, burst=2))

    async def scenario():
        async with running(config) as server, aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(3):
                async with session.post(f"{server.url}/v1/token", json={}) as r:
                    statuses.append(r.status)
            return statuses

    assert run(scenario()) == [400, 400, 429]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"report_type": 6}, "report_type"),
        ({"report_type": True}, "report_type"),
        # spec SRV-20: the kinds of code and what each carries.
        ({"report_type": 4}, "exposure_interval"),
        ({"report_type": 5}, "report_type"),
        ({"report_type": 1, "exposure_interval": 100}, "exposure_interval"),
        ({"report_type": 2, "revision": True}, "report_type"),
        ({"report_type": 5, "revision": True, "onset_interval": 1}, "onset"),
        ({"report_type": 1, "revision": "yes"}, "revision"),
        ({"validity_s": 86401}, "validity_s"),
        ({"validity_s": 59}, "validity_s"),
        ({"onset_interval": -1}, "onset_interval"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_issue_code_checks_its_fields(tmp_path, body, field):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            return await http("POST", f"{server.url}/v1/ha/codes", json=body, headers=ha_headers())

    status, _, raw = run(scenario())
    answer = json.loads(raw)
    assert (status, answer["error"]) == (400, "invalid_request")
    assert field in answer["message"]


def test_report_then_publish_then_verified_download(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=5)
            issued = await client.issue_code(HA_API_KEY, onset_interval=keys[2].rolling_start)
            assert await client.report(issued.code, keys) == 5
            assert await server.storage.pending_count(FAR_FUTURE) == 5
            batch = await server.publisher.publish_once()
            trust = TrustConfig.from_server_keys(await client.server_keys())
            result = await client.download(trust)
            return keys, batch, result

    keys, batch, result = run(scenario())
    assert batch.number == 0 and batch.key_count == 20
    assert result.checkpoint.tree_size == 1 and result.checkpoint.origin == ORIGIN
    published = {k.key_data: k for k in result.diagnosis_keys()}
    assert len(published) == 20
    for day, key in enumerate(keys, start=1):
        got = published[key.key_data]
        assert (got.rolling_start, got.rolling_period) == (key.rolling_start, key.rolling_period)
        assert got.report_type == 1
        assert got.days_since_onset == 3 - day


def test_batch_files_are_cdn_ready_static_files(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            await client.report(
                (await client.issue_code(HA_API_KEY)).code, past_keys(rng, clock.now)
            )
            await server.publisher.publish_once()
            await server.publisher.publish_once()
            _, headers, archive = await http("GET", f"{server.url}/v1/batches/1.zip")
            served = (archive, headers["Cache-Control"], headers["Content-Type"])
            index = await client.index()
            keys = await client.server_keys()
            return served, index, keys

    (archive, cache, content_type), index, keys = run(scenario())
    public = tmp_path / "server" / "public" / "v1"
    assert archive == (public / "batches" / "1.zip").read_bytes()
    assert "immutable" in cache and content_type == "application/zip"
    assert (public / "checkpoint").read_bytes() == (public / "checkpoints" / "2").read_bytes()
    assert BatchIndex.from_bytes((public / "batches" / "index.cbor").read_bytes()) == index
    assert [e.number for e in index.batches] == [0, 1]
    assert index.tree_size == 2
    export = ExportFile.from_zip(archive)
    export.verify(keys.export)
    assert export.payload.region == "TEST"
    assert json.loads((public / "keys").read_bytes())["log_key"] == keys.log.vkey


def test_proofs_verify_against_signed_checkpoints(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            for _ in range(7):
                await server.publisher.publish_once(force=True)
            async with KeyServerClient(server.url) as client:
                keys = await client.server_keys()
                notes = {n: await client.checkpoint(n) for n in range(1, 8)}
                proofs = {
                    (m, n): await client.consistency_proof(m, n)
                    for m in range(0, 8)
                    for n in range(max(m, 1), 8)
                }
                leaves = [server.publisher.tree.leaf_hash_at(i) for i in range(7)]
                inclusion = [await client.inclusion_proof(i, 7) for i in range(7)]
            return keys, notes, proofs, leaves, inclusion

    keys, notes, proofs, leaves, inclusion = run(scenario())
    checkpoints = {n: verify_checkpoint(note, keys.log).checkpoint for n, note in notes.items()}
    assert [c.tree_size for c in checkpoints.values()] == list(range(1, 8))
    for (m, n), proof in proofs.items():
        first_root = checkpoints[m].root_hash if m else EMPTY_ROOT
        verify_consistency(m, n, first_root, checkpoints[n].root_hash, proof)
    for i, proof in enumerate(inclusion):
        verify_inclusion(leaves[i], i, 7, proof, checkpoints[7].root_hash)


@pytest.mark.parametrize(
    "query",
    [
        "inclusion?batch=3&tree_size=3",
        "inclusion?batch=0&tree_size=9",
        "inclusion?batch=x&tree_size=1",
        "inclusion?tree_size=1",
        "consistency?first=2&second=1",
        "consistency?first=0&second=99",
        "consistency?first=-1&second=2",
    ],
)
def test_bad_proof_requests_are_not_found(tmp_path, query):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            for _ in range(3):
                await server.publisher.publish_once(force=True)
            return await http("GET", f"{server.url}/v1/proof/{query}")

    status, _, raw = run(scenario())
    body = json.loads(raw)
    assert (status, body["error"]) == (404, "not_found")


def test_missing_batch_is_not_found(tmp_path):
    async def scenario():
        async with serving(config_for(tmp_path)) as (_server, client):
            with pytest.raises(ServerResponseError) as caught:
                await client.batch_archive(0)
            return caught.value

    error = run(scenario())
    assert (error.status, error.error) == (404, "not_found")


def test_padding_field_is_accepted_and_ignored(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_server, client):
            keys = past_keys(rng, clock.now)
            issued = await client.issue_code(HA_API_KEY)
            grant = await client.request_token(issued.code, keys)
            body = {
                "token": base64.b64encode(grant.token).decode(),
                "hmac_secret": base64.b64encode(grant.hmac_secret).decode(),
                "keys": [
                    {
                        "key_data": base64.b64encode(k.key_data).decode(),
                        "rolling_start": k.rolling_start,
                        "rolling_period": k.rolling_period,
                    }
                    for k in keys
                ],
                "padding": "x" * 4000,
            }
            return await client.post("v1/publish", json.dumps(body).encode())

    answer = run(scenario())
    assert len(answer.pop("padding")) > 0  # answers are padded too (DENY-2)
    assert answer == {"accepted": 3, "warnings": []}


@pytest.mark.parametrize(
    ("days_before_today", "status"), [(-30, 400), (0, 201), (28, 201), (29, 400)]
)
def test_onsets_lie_within_the_28_days_up_to_now(tmp_path, days_before_today, status):
    clock = Clock()
    today = day_start_interval(interval_number(clock.now))

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            body = {"onset_interval": today - 144 * days_before_today}
            return await http("POST", f"{server.url}/v1/ha/codes", json=body, headers=ha_headers())

    answer_status, _, raw = run(scenario())
    assert answer_status == status
    if status == 400:
        assert json.loads(raw)["error"] == "invalid_request"


def test_accepted_counts_only_keys_newly_stored(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=4)
            first = await client.report((await client.issue_code(HA_API_KEY)).code, keys[:3])
            again = await client.report((await client.issue_code(HA_API_KEY)).code, keys)
            return first, again, await server.storage.pending_count(FAR_FUTURE)

    assert run(scenario()) == (3, 1, 4)


@pytest.mark.parametrize(
    ("report_type", "onset_days_ago", "assumed", "risk"),
    [(1, None, 4, 2), (2, 2, 4, 4), (3, None, 4, None), (1, None, None, 2)],
)
def test_exports_carry_transmission_risk_and_days_since_onset_as_gaen_writes_them(
    tmp_path, rng, report_type, onset_days_ago, assumed, risk
):
    clock = Clock()
    today = day_start_interval(interval_number(clock.now))
    config = config_for(tmp_path, assumed_onset_days_ago=assumed)

    async def scenario():
        async with serving(config, clock) as (server, client):
            keys = past_keys(rng, clock.now, days=6)
            onset = None if onset_days_ago is None else today - 144 * onset_days_ago
            issued = await client.issue_code(HA_API_KEY, report_type, onset_interval=onset)
            await client.report(issued.code, keys)
            await server.publisher.publish_once()
            trust = TrustConfig.from_server_keys(await client.server_keys())
            result = await client.download(trust)
            return keys, [k for b in result.batches for k in b.export.payload.keys]

    keys, published = run(scenario())
    by_data = {k.key_data: k for k in published}
    # No onset from the authority: GAEN's key server assumes symptoms began 4 days ago.
    onset_day = today // 144 - (onset_days_ago if onset_days_ago is not None else assumed or 0)
    for key in keys:
        got = by_data[key.key_data]
        assert got.transmission_risk_level == risk
        if onset_days_ago is None and assumed is None:
            assert got.days_since_onset_of_symptoms is None
        else:
            assert got.days_since_onset_of_symptoms == key.rolling_start // 144 - onset_day
    # Padding keys copy the transmission risk too, so it tells no real key from padding.
    assert {k.transmission_risk_level for k in published} == {risk}
