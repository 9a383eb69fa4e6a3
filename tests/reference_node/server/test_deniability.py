"""Deniability: chaff requests, answers of fixed sizes, batches on schedule (SRV-9, DENY-1, DENY-2).

Timing is not asserted here (no wall-time asserts in tests): ``benchmarks/chaff.py``
measures the latency envelope of chaff and real answers.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random

from bluezone.protocol.upload import key_list_hmac
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.deniability import (
    CHAFF_HEADER,
    TOKEN_ANSWER_BYTES,
    UPLOAD_ANSWER_BYTES,
    LatencyEnvelope,
    padded_json,
)
from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate

from .conftest import HA_API_KEY, Clock, config_for, http, past_keys, run, running

JSON = {"Content-Type": "application/json"}


class Untouchable:
    """Storage that fails the test on any use: chaff must not reach it (DENY-1)."""

    def __getattr__(self, name: str):
        raise AssertionError(f"chaff touched storage ({name})")


def _token_body(code: str = "23456789AB") -> bytes:
    hmac = base64.b64encode(bytes(32)).decode()
    return json.dumps({"code": code, "key_hmac": hmac, "padding": "x" * 300}).encode()


def _upload_body(token: bytes, secret: bytes, keys) -> bytes:
    return json.dumps(
        {
            "token": base64.b64encode(token).decode(),
            "hmac_secret": base64.b64encode(secret).decode(),
            "keys": [
                {
                    "key_data": base64.b64encode(k.key_data).decode(),
                    "rolling_start": k.rolling_start,
                    "rolling_period": k.rolling_period,
                }
                for k in keys
            ],
        }
    ).encode()


def test_chaff_is_answered_without_touching_storage(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            real_storage = server.key_server.storage
            server.key_server.storage = Untouchable()
            try:
                headers = {**JSON, CHAFF_HEADER: "1"}
                token = await http(
                    "POST", f"{server.url}/v1/token", data=_token_body(), headers=headers
                )
                keys = past_keys(random.Random(2), server.key_server.clock())
                upload = await http(
                    "POST",
                    f"{server.url}/v1/publish",
                    data=_upload_body(bytes(32), bytes(32), keys),
                    headers=headers,
                )
            finally:
                server.key_server.storage = real_storage
            return token, upload

    (token_status, _, token), (upload_status, _, upload) = run(scenario())
    assert token_status == 200 and len(token) == TOKEN_ANSWER_BYTES
    assert set(json.loads(token)) == {"token", "expires_s", "padding"}
    assert upload_status == 200 and len(upload) == UPLOAD_ANSWER_BYTES
    assert set(json.loads(upload)) == {"accepted", "warnings", "padding"}


def test_real_answers_success_and_error_have_the_chaff_answers_sizes(tmp_path):
    async def scenario():
        sizes: dict[str, tuple[int, int]] = {}
        async with running(config_for(tmp_path)) as server, KeyServerClient(server.url) as client:

            async def post(name: str, path: str, body: bytes, chaff: bool = False) -> bytes:
                headers = {**JSON, CHAFF_HEADER: "1"} if chaff else JSON
                status, _, answer = await http(
                    "POST", f"{server.url}/{path}", data=body, headers=headers
                )
                sizes[name] = (status, len(answer))
                return answer

            keys = past_keys(random.Random(4), server.key_server.clock())
            code = (await client.issue_code(HA_API_KEY)).code
            secret = bytes(range(32))
            hmac = base64.b64encode(key_list_hmac(secret, keys)).decode()
            answer = await post(
                "token ok", "v1/token", json.dumps({"code": code, "key_hmac": hmac}).encode()
            )
            token = base64.b64decode(json.loads(answer)["token"])
            await post("token unknown", "v1/token", _token_body())
            await post("token chaff", "v1/token", _token_body(), chaff=True)
            await post("upload bad secret", "v1/publish", _upload_body(token, bytes(32), keys))
            await post("upload malformed", "v1/publish", b"{")
            await post("upload chaff", "v1/publish", _upload_body(token, secret, keys), True)
            answer = await post("upload ok", "v1/publish", _upload_body(token, secret, keys))
            assert json.loads(answer)["accepted"] == 3
        return sizes

    assert run(scenario()) == {
        "token ok": (200, TOKEN_ANSWER_BYTES),
        "token unknown": (404, TOKEN_ANSWER_BYTES),
        "token chaff": (200, TOKEN_ANSWER_BYTES),
        "upload bad secret": (400, UPLOAD_ANSWER_BYTES),
        "upload malformed": (400, UPLOAD_ANSWER_BYTES),
        "upload chaff": (200, UPLOAD_ANSWER_BYTES),
        "upload ok": (200, UPLOAD_ANSWER_BYTES),
    }


def test_rate_limited_answers_are_padded_and_chaff_is_not_limited(tmp_path):
    config = dataclasses.replace(config_for(tmp_path), client_rate=Rate(per_minute=1, burst=1))

    async def scenario():
        async with running(config) as server:
            url = f"{server.url}/v1/token"
            first = await http("POST", url, data=_token_body(), headers=JSON)
            limited = await http("POST", url, data=_token_body(), headers=JSON)
            chaff = await http("POST", url, data=_token_body(), headers={**JSON, CHAFF_HEADER: "1"})
            return first, limited, chaff

    first, limited, chaff = run(scenario())
    assert first[0] == 404 and limited[0] == 429 and "Retry-After" in limited[1]
    assert len(limited[2]) == len(first[2]) == TOKEN_ANSWER_BYTES
    assert chaff[0] == 200 and len(chaff[2]) == TOKEN_ANSWER_BYTES


def test_padding_fills_to_the_size_and_grows_by_whole_sizes():
    assert len(padded_json({"a": 1}, 512)) == 512
    assert len(padded_json({"a": "x" * 600}, 512)) == 1024
    assert json.loads(padded_json({"a": 1}, 64))["a"] == 1


def test_chaff_waits_as_long_as_a_recent_real_request():
    envelope = LatencyEnvelope(window=3, choose=max)
    assert envelope.draw("/v1/token") > 0  # a default before any real request
    for seconds in (0.5, 0.1, 0.2, 0.3):
        envelope.record("/v1/token", seconds)
    assert envelope.draw("/v1/token") == 0.3  # the oldest fell out of the window
    assert envelope.draw("/v1/publish") == envelope.draw("/v1/other")


# --- batches stay on schedule (SRV-9) ---------------------------------------------------------


def test_uploads_during_a_publication_wait_for_the_next_period(tmp_path):
    clock = Clock()
    config = config_for(tmp_path, publisher=PublisherConfig(region="TEST", min_batch_keys=20))

    async def scenario():
        async with running(config, clock) as server, KeyServerClient(server.url) as client:
            rng = random.Random(8)

            async def report() -> None:
                keys = past_keys(rng, clock.now)
                await client.report((await client.issue_code(HA_API_KEY)).code, keys)

            await report()
            publisher = server.publisher
            original = publisher.publish_once

            async def publish_and_upload(force: bool = False):
                record = await original(force)
                await report()  # arrives while the period's publication is under way
                return record

            publisher.publish_once = publish_and_upload
            first_period = await publisher.publish_pending()
            publisher.publish_once = original
            next_period = await publisher.publish_pending()
            return first_period, next_period

    first_period, next_period = run(scenario())
    assert len(first_period) == 1  # no extra batch for the late upload
    assert len(next_period) == 1


def test_a_backlog_of_full_batches_is_published_in_one_period(tmp_path):
    clock = Clock()
    publisher_config = PublisherConfig(region="TEST", min_batch_keys=20, max_batch_keys=4)

    async def scenario():
        async with (
            running(config_for(tmp_path, publisher=publisher_config), clock) as server,
            KeyServerClient(server.url) as client,
        ):
            rng = random.Random(9)
            for _ in range(3):  # 9 keys: batches of 4, 4 and 1 real keys
                keys = past_keys(rng, clock.now)
                await client.report((await client.issue_code(HA_API_KEY)).code, keys)
            return await server.publisher.publish_pending()

    assert len(run(scenario())) == 3
