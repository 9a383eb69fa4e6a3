"""The threats of the key-server issue, each with its own test (spec SRV-2..SRV-17)."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil

import pytest

from bluezone.protocol.keys import TemporaryExposureKey, day_start_interval, interval_number
from bluezone.protocol.note import NoteSigner
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1
from bluezone.protocol.upload import key_list_hmac, publish_after
from bluezone.reference_node.client.audit import AuditState, audit
from bluezone.reference_node.client.client import TrustConfig, UploadGrant
from bluezone.reference_node.client.witness import Witness
from bluezone.reference_node.server.errors import (
    ConfigError,
    LogVerificationError,
    ServerResponseError,
)

from .conftest import (
    FAR_FUTURE,
    HA_API_KEY,
    Clock,
    config_for,
    ha_headers,
    http,
    past_keys,
    run,
    running,
    serving,
)
from .tamper import rewrite_log


def _key_json(key: TemporaryExposureKey) -> dict:
    return {
        "key_data": base64.b64encode(key.key_data).decode(),
        "rolling_start": key.rolling_start,
        "rolling_period": key.rolling_period,
    }


def _upload_body(grant: UploadGrant, keys: list[TemporaryExposureKey]) -> dict:
    return {
        "token": base64.b64encode(grant.token).decode(),
        "hmac_secret": base64.b64encode(grant.hmac_secret).decode(),
        "keys": [_key_json(k) for k in keys],
    }


async def _post(url: str, body: bytes) -> tuple[int, dict]:
    """POST; return the status and the answer without its padding (DENY-2, tested apart)."""
    status, _, raw = await http(
        "POST", url, data=body, headers={"Content-Type": "application/json"}
    )
    answer = json.loads(raw)
    answer.pop("padding", None)
    return status, answer


async def _error_of(call) -> tuple[int, str]:
    with pytest.raises(ServerResponseError) as caught:
        await call
    return caught.value.status, caught.value.error


async def _outcome(call) -> tuple[int, str] | None:
    """None when the call succeeds, else the server's status and error name."""
    try:
        await call
    except ServerResponseError as exc:
        return exc.status, exc.error
    return None


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"not json",
        b"",
        b"[1, 2, 3]",
        b'"a string"',
        b"\xff\xfe{}",
        b"[" * 2500 + b"]" * 2500,
        b'{"token": NaN}',
    ],
    ids=["truncated", "text", "empty", "array", "string", "bad-utf8", "deep", "nan"],
)
@pytest.mark.parametrize("path", ["v1/token", "v1/publish"])
def test_bad_json_is_rejected(tmp_path, body, path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            return await _post(f"{server.url}/{path}", body)

    status, answer = run(scenario())
    assert (status, answer["error"]) == (400, "malformed_json")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_json_is_rejected_unread(tmp_path, chunked):
    body = json.dumps({"padding": "x" * 20_000}).encode()

    async def chunks():
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    async def scenario():
        async with running(config_for(tmp_path)) as server:
            status, _, raw = await http(
                "POST",
                f"{server.url}/v1/publish",
                data=chunks() if chunked else body,
                headers={"Content-Type": "application/json"},
            )
            return status, json.loads(raw)

    status, answer = run(scenario())
    assert (status, answer["error"]) == (413, "request_too_large")


@pytest.mark.parametrize(
    "change",
    [
        {"token": 12345},
        {"hmac_secret": None},
        {"keys": {"key_data": "AAAA"}},
        {"keys": ["AAAAAAAAAAAAAAAAAAAAAA=="]},
        {"keys": [{"key_data": 7, "rolling_start": 1, "rolling_period": 144}]},
        {
            "keys": [
                {
                    "key_data": "AAAAAAAAAAAAAAAAAAAAAA==",
                    "rolling_start": "1",
                    "rolling_period": 144,
                }
            ]
        },
        {
            "keys": [
                {"key_data": "AAAAAAAAAAAAAAAAAAAAAA==", "rolling_start": 1, "rolling_period": True}
            ]
        },
        {
            "keys": [
                {
                    "key_data": "AAAAAAAAAAAAAAAAAAAAAA==",
                    "rolling_start": 1.5,
                    "rolling_period": 144,
                }
            ]
        },
        {
            "keys": [
                {
                    "key_data": "AAAAAAAAAAAAAAAAAAAAAA==",
                    "rolling_start": 1,
                    "rolling_period": 144,
                    "transmission_risk": 2,
                }
            ]
        },
        {"padding": 17},
        {"extra": "field"},
    ],
    ids=lambda change: "-".join(change),
)
def test_wrong_types_are_rejected(tmp_path, change):
    body = {
        "token": base64.b64encode(bytes(32)).decode(),
        "hmac_secret": base64.b64encode(bytes(32)).decode(),
        "keys": [],
        **change,
    }

    async def scenario():
        async with running(config_for(tmp_path)) as server:
            return await _post(f"{server.url}/v1/publish", json.dumps(body).encode())

    status, answer = run(scenario())
    assert (status, answer["error"]) == (400, "invalid_request")


def test_ten_thousand_keys_in_one_upload_are_rejected(tmp_path, rng):
    clock = Clock()
    keys = [TemporaryExposureKey(rng.randbytes(16), 2_000_000 + i, 144) for i in range(10_000)]

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            answer = await _post(
                f"{server.url}/v1/publish", json.dumps(_upload_body(grant, keys)).encode()
            )
            return answer, await server.storage.pending_count(FAR_FUTURE)

    (status, answer), pending = run(scenario())
    assert (status, answer["error"]) == (413, "request_too_large")
    assert pending == 0


@pytest.mark.parametrize("maximum", [15, 20])
def test_uploads_hold_up_to_the_configured_number_of_keys(tmp_path, rng, maximum):
    clock = Clock()
    today = day_start_interval(interval_number(clock.now))

    async def scenario():
        config = config_for(tmp_path, max_upload_keys=maximum)
        async with serving(config, clock) as (server, client):
            # GAEN devices send 14 days and today's key; one more key of today is the 16th.
            keys = [
                *past_keys(rng, clock.now, days=14),
                TemporaryExposureKey(rng.randbytes(16), today, 144),
                TemporaryExposureKey(rng.randbytes(16), today, 1),
            ]
            results = []
            for upload in (keys[:15], keys):
                grant = await client.request_token(
                    (await client.issue_code(HA_API_KEY)).code, upload
                )
                results.append(await _outcome(client.upload(grant, upload)))
            return results, await server.storage.pending_count(FAR_FUTURE)

    results, pending = run(scenario())
    if maximum == 15:
        assert results == [None, (400, "too_many_keys")] and pending == 15
    else:
        assert results == [None, None] and pending == 16


@pytest.mark.parametrize("maximum", [14, 31])
def test_a_maximum_outside_its_range_is_refused_at_start(tmp_path, maximum):
    async def start():
        async with running(config_for(tmp_path, max_upload_keys=maximum)):
            pass

    with pytest.raises(ConfigError, match="SRV-6"):
        run(start())


def test_keys_of_one_day_for_many_devices_are_refused(tmp_path, rng):
    clock = Clock()
    yesterday = day_start_interval(interval_number(clock.now)) - 144

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = [TemporaryExposureKey(rng.randbytes(16), yesterday, 144) for _ in range(14)]
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            error = await _error_of(client.upload(grant, keys))
            # Nothing was spent: the same token still carries the keys of one device.
            return error, await _error_of(client.upload(grant, keys[:1]))

    assert run(scenario()) == ((400, "overlapping_keys"), (400, "hmac_mismatch"))


@pytest.mark.parametrize("length", [0, 15, 17, 32])
def test_keys_with_bad_lengths_are_rejected(tmp_path, rng, length):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now)
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            body = _upload_body(grant, keys)
            body["keys"][1]["key_data"] = base64.b64encode(rng.randbytes(length)).decode()
            return await _post(f"{server.url}/v1/publish", json.dumps(body).encode())

    status, answer = run(scenario())
    assert (status, answer["error"]) == (400, "invalid_key")


def test_replayed_code_is_rejected(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = past_keys(rng, clock.now)
            code = (await client.issue_code(HA_API_KEY)).code
            assert await client.report(code, keys) == 3
            return await _error_of(client.request_token(code, past_keys(rng, clock.now)))

    assert run(scenario()) == (409, "code_used")


def test_a_code_exchanged_twice_at_once_gives_one_token(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            code = (await client.issue_code(HA_API_KEY)).code
            attempts = [client.request_token(code, past_keys(rng, clock.now)) for _ in range(12)]
            return await asyncio.gather(*attempts, return_exceptions=True)

    results = run(scenario())
    grants = [r for r in results if isinstance(r, UploadGrant)]
    errors = [(r.status, r.error) for r in results if isinstance(r, ServerResponseError)]
    assert len(grants) == 1
    assert errors == [(409, "code_used")] * 11


def test_a_token_used_by_two_uploads_at_once_stores_keys_once(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=7)
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            results = await asyncio.gather(
                *[client.upload(grant, keys) for _ in range(12)], return_exceptions=True
            )
            return results, await server.storage.pending_count(FAR_FUTURE)

    results, pending = run(scenario())
    assert [r for r in results if isinstance(r, int)] == [7]
    errors = [(r.status, r.error) for r in results if isinstance(r, ServerResponseError)]
    assert errors == [(409, "token_used")] * 11
    assert pending == 7


def test_expired_code_is_rejected(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            issued = await client.issue_code(HA_API_KEY)
            assert 24 * 3600 <= issued.expires_s - clock.now < 24 * 3600 + 600  # SRV-3
            clock.now = issued.expires_s
            return await _error_of(client.request_token(issued.code, past_keys(rng, clock.now)))

    assert run(scenario()) == (410, "code_expired")


def test_code_still_valid_one_second_before_expiry(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            issued = await client.issue_code(HA_API_KEY)
            clock.now = issued.expires_s - 1
            return await client.request_token(issued.code, past_keys(rng, clock.now))

    assert isinstance(run(scenario()), UploadGrant)


def test_expired_token_is_rejected(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = past_keys(rng, clock.now)
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            # spec SRV-4: 4 hours, rounded up to the hour.
            assert 4 * 3600 <= grant.expires_s - clock.now < 5 * 3600
            assert grant.expires_s % 3600 == 0
            clock.now = grant.expires_s
            return await _error_of(client.upload(grant, keys))

    assert run(scenario()) == (410, "token_expired")


def test_unknown_code_and_token_are_rejected(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = past_keys(rng, clock.now)
            unknown_code = await _error_of(client.request_token("2345-6789-AB", keys))
            grant = UploadGrant(rng.randbytes(32), rng.randbytes(32), 0)
            unknown_token = await _error_of(client.upload(grant, keys))
            return unknown_code, unknown_token

    assert run(scenario()) == ((404, "code_not_found"), (404, "token_not_found"))


@pytest.mark.parametrize("mismatch", ["other-keys", "other-secret", "one-key-more", "period"])
def test_token_whose_hmac_does_not_match_the_keys_is_rejected(tmp_path, rng, mismatch):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=4)
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            sent, presented = keys, grant
            if mismatch == "other-keys":
                sent = past_keys(rng, clock.now, days=4)
            elif mismatch == "other-secret":
                presented = UploadGrant(grant.token, rng.randbytes(32), grant.expires_s)
            elif mismatch == "one-key-more":
                sent = past_keys(rng, clock.now, days=5)[4:] + keys
            else:
                sent = [
                    *keys[:-1],
                    TemporaryExposureKey(keys[-1].key_data, keys[-1].rolling_start, 143),
                ]
            error = await _error_of(client.upload(presented, sent))
            # The token was not spent: the bound keys still go through.
            accepted = await client.upload(grant, keys)
            return error, accepted, await server.storage.pending_count(FAR_FUTURE)

    assert run(scenario()) == ((400, "hmac_mismatch"), 4, 4)


def test_hmac_binding_ignores_key_order(rng):
    keys = past_keys(rng, 1_700_000_000, days=6)
    secret = rng.randbytes(32)
    assert key_list_hmac(secret, keys) == key_list_hmac(secret, list(reversed(keys)))


@pytest.mark.parametrize("ended_minutes_ago", [-300, 0, 60, 119])
def test_keys_inside_their_embargo_are_held_back_until_it_ends(tmp_path, rng, ended_minutes_ago):
    clock = Clock()
    now_interval = interval_number(clock.now)
    end = now_interval - ended_minutes_ago // 10
    start = max(day_start_interval(now_interval), end - 144)
    fresh = TemporaryExposureKey(rng.randbytes(16), start, end - start)

    async def published_keys(client, trust, batches) -> set[bytes]:
        result = await client.download(trust)
        return {k.key_data for b in result.batches[batches:] for k in b.export.payload.keys}

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = [*past_keys(rng, clock.now, days=2), fresh]
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            answer = await _post(
                f"{server.url}/v1/publish", json.dumps(_upload_body(grant, keys)).encode()
            )
            await server.publisher.publish_pending()
            trust = TrustConfig.from_server_keys(await client.server_keys())
            first = await published_keys(client, trust, 0)
            clock.now = (publish_after(fresh) - 1) * 600  # one interval early: still held
            await server.publisher.publish_pending()
            early = await published_keys(client, trust, 1)
            clock.now = publish_after(fresh) * 600
            await server.publisher.publish_pending()
            late = await published_keys(client, trust, 2)
            return answer, keys, first, early, late

    answer, keys, first, early, late = run(scenario())
    assert answer == (200, {"accepted": 3, "warnings": []})
    assert {k.key_data for k in keys[:2]} <= first and fresh.key_data not in first | early
    assert fresh.key_data in late


def test_duplicate_keys_in_one_upload_are_rejected(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (_, client):
            keys = past_keys(rng, clock.now)
            keys.append(TemporaryExposureKey(keys[0].key_data, keys[0].rolling_start - 144, 144))
            grant = await client.request_token((await client.issue_code(HA_API_KEY)).code, keys)
            return await _error_of(client.upload(grant, keys))

    assert run(scenario()) == (400, "duplicate_key")


def test_keys_outside_the_window_are_dropped_with_a_warning(tmp_path, rng):
    clock = Clock()
    now_interval = interval_number(clock.now)

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            old = past_keys(rng, clock.now, days=15)[-1]
            future = TemporaryExposureKey(rng.randbytes(16), now_interval + 1, 6)
            keys = [old, *past_keys(rng, clock.now, days=2), future]
            answers = []
            for upload in ([old], [future], keys):
                grant = await client.request_token(
                    (await client.issue_code(HA_API_KEY)).code, upload
                )
                answers.append(
                    await _post(
                        f"{server.url}/v1/publish", json.dumps(_upload_body(grant, upload)).encode()
                    )
                )
            return answers, await server.storage.pending_count(FAR_FUTURE)

    (only_old, only_future, mixed), pending = run(scenario())
    assert only_old[0] == only_future[0] == 400
    assert only_old[1]["error"] == only_future[1]["error"] == "no_keys_in_window"
    assert mixed == (
        200,
        {
            "accepted": 2,
            "warnings": [
                {"index": 0, "warning": "key_too_old"},
                {"index": 3, "warning": "key_in_future"},
            ],
        },
    )
    assert pending == 2


# --- the log ----------------------------------------------------------------------------


async def _publish(server, count: int) -> None:
    for _ in range(count):
        await server.publisher.publish_once(force=True)


def test_forged_checkpoint_signature_is_caught(tmp_path):
    async def scenario():
        async with serving(config_for(tmp_path)) as (server, client):
            await _publish(server, 2)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            # An impostor signs a checkpoint under the log's name with its own key.
            impostor = NoteSigner(trust.log.name, bytes(range(32)))
            from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint

            forged = sign_checkpoint(
                Checkpoint(trust.log.name, 2, server.publisher.tree.root()), impostor
            )
            server.publisher.files.write("v1/checkpoint", forged)
            with pytest.raises(LogVerificationError) as caught:
                await client.download(trust)
            state = AuditState(trust.log.name)
            report = await audit(client, trust, state)
            return caught.value.kind, report

    kind, report = run(scenario())
    assert kind == "bad_signature"
    assert not report.ok and report.findings[0].kind == "bad_signature"


def test_tampered_checkpoint_bytes_are_caught(tmp_path):
    async def scenario():
        async with serving(config_for(tmp_path)) as (server, client):
            await _publish(server, 1)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            note = bytearray(server.publisher.files.read("v1/checkpoint"))
            note[len(note) // 3] ^= 0x01  # a bit of the root hash line
            server.publisher.files.write("v1/checkpoint", bytes(note))
            with pytest.raises(LogVerificationError) as caught:
                await client.download(trust)
            return caught.value.kind

    assert run(scenario()) == "bad_signature"


async def _audited(config, state: AuditState | None = None) -> tuple[AuditState, object]:
    async with serving(config) as (_, client):
        trust = TrustConfig.from_server_keys(await client.server_keys())
        state = state or AuditState(trust.log.name)
        return state, await audit(client, trust, state)


@pytest.mark.parametrize(
    ("order", "more", "kind"),
    [
        ([0, 2, 3], 0, "rewritten_history"),  # batch 1 removed: the log shrank
        ([0, 2, 3], 3, "rewritten_history"),  # removed, then grown past the old size
        ([0, 2, 1, 3], 0, "rewritten_history"),  # reordered, same size
        ([0, 1, 3, 2], 2, "rewritten_history"),  # reordered, then grown
    ],
    ids=["removed", "removed-then-grown", "reordered", "reordered-then-grown"],
)
def test_log_that_removes_or_reorders_a_batch_is_caught(tmp_path, order, more, kind):
    config = config_for(tmp_path)

    async def scenario():
        async with running(config) as server:
            await _publish(server, 4)
        state, first = await _audited(config)
        assert first.ok and first.tree_size == 4
        rewrite_log(config.data_dir, order)
        async with running(config) as server:
            await _publish(server, more)
        _, second = await _audited(config, state)
        return state, second

    state, report = run(scenario())
    assert not report.ok
    assert report.findings[0].kind == kind
    assert state.checkpoint.tree_size == 4  # the state keeps the last good checkpoint
    assert state.evidence and state.evidence[-1]["notes"]


def test_batch_file_changed_after_publication_is_caught_by_an_audit(tmp_path):
    config = config_for(tmp_path)

    async def scenario():
        async with serving(config) as (server, client):
            await _publish(server, 3)
            other = server.publisher.files.read("v1/batches/2.zip")
            server.publisher.files.write("v1/batches/1.zip", other)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            return await audit(client, trust, AuditState(trust.log.name))

    report = run(scenario())
    assert not report.ok and report.findings[0].kind == "not_included"


def _fork(config, tmp_path):
    """A copy of the server's data directory: the same log, keys and database."""
    import dataclasses

    twin = dataclasses.replace(config, data_dir=tmp_path / "fork")
    shutil.copytree(config.data_dir, twin.data_dir)
    return twin


def test_split_view_is_caught_by_comparing_audit_states(tmp_path):
    config = config_for(tmp_path)

    async def scenario():
        async with running(config) as server:
            await _publish(server, 3)
        fork = _fork(config, tmp_path)
        # The operator keeps one log for one auditor and grows a fork for another.
        async with running(config) as server:
            await _publish(server, 2)
        async with running(fork) as server:
            await _publish(server, 1)
        alice, alice_report = await _audited(config)
        bob, bob_report = await _audited(fork)
        assert alice_report.ok and bob_report.ok  # each view is consistent on its own
        async with serving(config) as (_, client):
            trust = TrustConfig.from_server_keys(await client.server_keys())
            compared = await audit(client, trust, alice, peers=[bob])
        async with serving(fork) as (_, client):
            trust = TrustConfig.from_server_keys(await client.server_keys())
            reverse = await audit(client, trust, bob, peers=[alice])
        return compared, reverse

    compared, reverse = run(scenario())
    assert [f.kind for f in compared.findings] == ["split_view"]
    assert [f.kind for f in reverse.findings] == ["split_view"]
    assert len(compared.findings[0].evidence) == 2


def test_split_view_is_caught_by_a_witness(tmp_path):
    witness_signer = NoteSigner("witness.test", bytes(range(1, 33)), SIGNATURE_TYPE_COSIGNATURE_V1)
    config = config_for(tmp_path, witnesses=(witness_signer.verifier(),))
    clock = Clock()

    async def scenario():
        async with running(config) as server:
            await _publish(server, 2)
        fork = _fork(config, tmp_path)
        witness = Witness(witness_signer, tmp_path / "witness.json")
        async with serving(config, clock) as (server, client):
            await _publish(server, 1)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            note = await client.latest_checkpoint()
            cosigned = witness.cosign(note, trust.log, (), int(clock.now))
            status, _, _ = await http(
                "POST", f"{server.url}/v1/checkpoints/3/cosignatures", data=cosigned
            )
            assert status == 200
            assert trust.witnesses == (witness_signer.verifier(),)
            quorum = TrustConfig.from_server_keys(await client.server_keys(), quorum=1)
            honest = await client.download(quorum)
        async with serving(fork, clock) as (server, client):
            await _publish(server, 1)
            note = await client.latest_checkpoint()
            proof = await client.consistency_proof(witness.last_size(trust.log.name), 3)
            with pytest.raises(LogVerificationError) as refused:
                witness.cosign(note, trust.log, proof, int(clock.now))
            with pytest.raises(LogVerificationError) as unwitnessed:
                await client.download(quorum)
        return honest, refused.value.kind, unwitnessed.value.kind

    honest, refused, unwitnessed = run(scenario())
    assert honest.checkpoint.tree_size == 3 and len(honest.batches) == 3
    assert refused == "split_view"
    # The fork's checkpoint is refused as not cosigned (WIT-5): never used, not a finding.
    assert unwitnessed == "not_cosigned"


def test_server_refuses_to_start_on_a_database_behind_its_files(tmp_path):
    config = config_for(tmp_path)

    async def scenario():
        async with running(config) as server:
            await _publish(server, 2)
        backup = tmp_path / "backup.sqlite3"
        shutil.copy(config.data_dir / "server.sqlite3", backup)
        async with running(config) as server:
            await _publish(server, 1)
        shutil.copy(backup, config.data_dir / "server.sqlite3")
        for suffix in ("-wal", "-shm"):
            (config.data_dir / f"server.sqlite3{suffix}").unlink(missing_ok=True)
        from bluezone.reference_node.server.errors import ConfigError

        with pytest.raises(ConfigError, match="restore the database"):
            async with running(config):
                pass

    run(scenario())


def test_client_rejects_a_log_it_was_not_configured_for(tmp_path):
    """A device pinned to one log's keys refuses another log's checkpoint (LOG-10)."""
    other = config_for(tmp_path / "other", origin="other.test/log")

    async def scenario():
        async with serving(config_for(tmp_path)) as (server, client):
            await _publish(server, 1)
            trust = TrustConfig.from_server_keys(await client.server_keys())
        async with serving(other) as (server, client):
            await _publish(server, 1)
            with pytest.raises(LogVerificationError) as caught:
                await client.download(trust)
            return caught.value.kind

    assert run(scenario()) == "bad_signature"


def test_download_of_a_grown_log_checks_consistency(tmp_path):
    async def scenario():
        async with serving(config_for(tmp_path)) as (server, client):
            await _publish(server, 2)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            first = await client.download(trust)
            await _publish(server, 3)
            second = await client.download(trust, first.note, first.checkpoint.tree_size)
            return first, second

    first, second = run(scenario())
    assert [b.number for b in first.batches] == [0, 1]
    assert [b.number for b in second.batches] == [2, 3, 4]


def test_cosignatures_from_unknown_witnesses_or_on_other_text_are_refused(tmp_path):
    known = NoteSigner("witness.test", bytes(range(1, 33)), SIGNATURE_TYPE_COSIGNATURE_V1)
    stranger = NoteSigner("stranger.test", bytes(range(2, 34)), SIGNATURE_TYPE_COSIGNATURE_V1)
    config = config_for(tmp_path, witnesses=(known.verifier(),))

    async def scenario():
        async with serving(config) as (server, client):
            await _publish(server, 2)
            trust = TrustConfig.from_server_keys(await client.server_keys())
            note = await client.checkpoint(2)
            url = f"{server.url}/v1/checkpoints"
            from bluezone.protocol.checkpoint import cosign_checkpoint

            answers = [
                await http(
                    "POST", f"{url}/2/cosignatures", data=cosign_checkpoint(note, stranger, 5)
                ),
                await http("POST", f"{url}/1/cosignatures", data=cosign_checkpoint(note, known, 5)),
                await http("POST", f"{url}/9/cosignatures", data=cosign_checkpoint(note, known, 5)),
                await http("POST", f"{url}/2/cosignatures", data=b"not a note"),
            ]
            stored = await client.checkpoint(2)
            return (
                [(status, json.loads(body)["error"]) for status, _, body in answers],
                stored,
                note,
                trust,
            )

    answers, stored, note, _trust = run(scenario())
    assert answers == [
        (400, "invalid_request"),
        (400, "invalid_request"),
        (404, "not_found"),
        (400, "note_malformed"),
    ]
    assert stored == note


# --- small faults the review found -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "inclusion?batch=%C2%B2&tree_size=1",  # superscript two
        "consistency?first=%C2%B9&second=%C2%B2",
        "inclusion?batch=%D9%A3&tree_size=%D9%A4",  # Arabic-Indic digits
    ],
)
def test_query_values_are_ascii_digits_only(tmp_path, query):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            await server.publisher.publish_once(force=True)
            status, _, raw = await http("GET", f"{server.url}/v1/proof/{query}")
            return status, json.loads(raw)["error"]

    assert run(scenario()) == (404, "not_found")


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/cbor"]
)
@pytest.mark.parametrize("path", ["v1/token", "v1/publish", "v1/ha/codes"])
def test_json_endpoints_need_a_json_content_type(tmp_path, content_type, path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            headers = {**ha_headers(), "Content-Type": content_type or ""}
            if content_type is None:
                headers.pop("Content-Type")
            answers = []
            for kind in (content_type, "application/json; charset=utf-8"):
                if kind is not None:
                    headers["Content-Type"] = kind
                status, _, raw = await http(
                    "POST", f"{server.url}/{path}", data=b"{}", headers=headers
                )
                answers.append((status, json.loads(raw).get("error")))
            return answers

    refused, accepted_type = run(scenario())
    assert refused == (415, "unsupported_media_type")
    assert accepted_type[0] in (201, 400)  # the body is then checked: {} lacks fields


def test_a_client_that_disconnects_mid_body_is_logged_once_without_a_traceback(tmp_path, caplog):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            host, port = server.url.removeprefix("http://").rsplit(":", 1)
            for _ in range(5):
                _, writer = await asyncio.open_connection(host, int(port))
                writer.write(
                    b"POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 500\r\n\r\n{"token": '
                )
                await writer.drain()
                writer.transport.abort()
            # The server logs each request when it ends; wait for all five lines.
            for _ in range(500):
                if sum("499" in r.getMessage() for r in caplog.records) >= 5:
                    break
                await asyncio.sleep(0.01)

    with caplog.at_level("INFO", logger="bluezone.server"):
        run(scenario())
    closed = [r for r in caplog.records if "/v1/publish 499" in r.getMessage()]
    assert len(closed) == 5
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]
