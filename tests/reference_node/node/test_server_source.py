"""The node's key-server source: verified downloads, the log state it keeps, what it refuses.

A real key server runs in the test's event loop (spec SRV-11..SRV-13, SRV-17, LOG-10, LOG-11).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.checkpoint import cosign_checkpoint
from bluezone.protocol.export import ExportVerificationKey
from bluezone.protocol.note import NoteSigner
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.errors import KeySourceError, LogRefusedError
from bluezone.reference_node.node.server_source import (
    ServerKeySource,
    batch_id,
    trust_from_keys_file,
)
from bluezone.reference_node.store import AsyncStore
from bluezone.reference_node.vtime.inline import open_inline_store
from tests.reference_node.server.conftest import (
    HA_API_KEY,
    Clock,
    config_for,
    past_keys,
    running,
)
from tests.reference_node.server.tamper import rewrite_log


class CountingClient(KeyServerClient):
    """A client that counts the batch files it fetches."""

    fetched: list[int]

    async def batch_archive(self, number: int) -> bytes:
        self.fetched.append(number)
        return await super().batch_archive(number)


def source(server_url: str, trust: TrustConfig, store: AsyncStore, clock, fetched=None):
    log = [] if fetched is None else fetched

    def factory(url: str) -> KeyServerClient:
        client = CountingClient(url, clock=clock)
        client.fetched = log
        return client

    return ServerKeySource(server_url, trust, store, clock=clock, client_factory=factory)


def trust_of(server) -> TrustConfig:
    return trust_from_keys_file(server.keys.to_json())


async def reported(server, rng: random.Random, clock: Clock) -> None:
    async with KeyServerClient(server.url) as client:
        code = (await client.issue_code(HA_API_KEY)).code
        await client.report(code, past_keys(rng, clock.now))


@pytest.fixture
def store(tmp_path: Path):
    opened = open_inline_store(tmp_path / "node")
    yield opened
    asyncio.run(opened.close())


def test_nothing_published_yet_is_no_batch(tmp_path, store):
    clock = Clock()

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            fetched = await source(server.url, trust_of(server), store, clock).fetch()
        return fetched, await store.server_log("bluezone.test/log")

    fetched, state = asyncio.run(scenario())
    assert fetched.batches == () and fetched.rejected == () and state is None


def test_batches_are_verified_kept_and_downloaded_once(tmp_path, store):
    clock, rng = Clock(), random.Random(1)
    downloads: list[int] = []

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            keys = source(server.url, trust_of(server), store, clock, downloads)
            await reported(server, rng, clock)
            await server.publisher.publish_once()
            first = await keys.fetch()
            await server.publisher.publish_once(force=True)
            second = await keys.fetch()
            third = await keys.fetch()
        return first, second, third, await store.server_log(keys.origin)

    first, second, third, state = asyncio.run(scenario())
    assert [b.batch_id for b in first.batches] == [batch_id("bluezone.test/log", 0)]
    assert len(first.batches[0].keys) == 20  # 3 reported, padded to the minimum (SRV-9)
    assert [b.batch_id for b in second.batches] == [
        batch_id("bluezone.test/log", 0),
        batch_id("bluezone.test/log", 1),
    ]
    assert third.batches == second.batches
    assert downloads == [0, 1]  # each batch file fetched once
    assert (state.tree_size, state.next_batch) == (2, 2)


def test_a_batch_that_is_not_in_the_log_is_refused_and_fetched_again(tmp_path, store):
    clock = Clock()

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            keys = source(server.url, trust_of(server), store, clock)
            for _ in range(3):
                await server.publisher.publish_once(force=True)
            files = server.publisher.files
            original = files.read("v1/batches/1.zip")
            files.write("v1/batches/1.zip", files.read("v1/batches/2.zip"))
            tampered = await keys.fetch()
            state = await store.server_log(keys.origin)
            files.write("v1/batches/1.zip", original)
            repaired = await keys.fetch()
        return tampered, state, repaired

    tampered, state, repaired = asyncio.run(scenario())
    assert [(r.batch_id, r.code) for r in tampered.rejected] == [
        (batch_id("bluezone.test/log", 1), "not_included")
    ]
    assert [b.batch_id[-1] for b in tampered.batches] == ["0", "2"]
    assert (state.tree_size, state.next_batch) == (3, 1)
    assert [b.batch_id[-1] for b in repaired.batches] == ["0", "1", "2"]
    assert repaired.rejected == ()


def test_a_rewritten_log_is_refused_and_the_last_checkpoint_kept(tmp_path, store):
    clock = Clock()
    config = config_for(tmp_path)

    async def scenario():
        async with running(config, clock) as server:
            trust = trust_of(server)
            for _ in range(3):
                await server.publisher.publish_once(force=True)
            await source(server.url, trust, store, clock).fetch()
        rewrite_log(config.data_dir, [0, 2, 1])  # batches 1 and 2 swapped, re-signed
        async with running(config, clock) as server:
            with pytest.raises(LogRefusedError) as raised:
                await source(server.url, trust, store, clock).fetch()
        return raised.value, await store.server_log(trust.log.name)

    raised, state = asyncio.run(scenario())
    assert raised.kind == "rewritten_history" and raised.code == "log_refused"
    assert state.tree_size == 3


def test_another_log_key_for_the_same_log_is_refused(tmp_path, store):
    clock = Clock()

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            trust = trust_of(server)
            await server.publisher.publish_once(force=True)
            await source(server.url, trust, store, clock).fetch()
            impostor = NoteSigner(trust.log.name, bytes(range(32))).verifier()
            other = dataclasses.replace(trust, log=impostor)
            with pytest.raises(KeySourceError, match="log key differs"):
                await source(server.url, other, store, clock).fetch()

    asyncio.run(scenario())


def test_a_checkpoint_the_configured_key_did_not_sign_is_refused(tmp_path, store):
    clock = Clock()

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            trust = trust_of(server)
            await server.publisher.publish_once(force=True)
            impostor = NoteSigner(trust.log.name, bytes(range(32))).verifier()
            other = dataclasses.replace(trust, log=impostor)
            with pytest.raises(LogRefusedError) as raised:
                await source(server.url, other, store, clock).fetch()
        return raised.value, await store.server_log(trust.log.name)

    raised, state = asyncio.run(scenario())
    assert raised.kind == "bad_signature" and state is None


def test_exports_signed_with_another_key_are_refused(tmp_path, store):
    clock = Clock()
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = stranger.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    async def scenario():
        async with running(config_for(tmp_path), clock) as server:
            trust = trust_of(server)
            other = dataclasses.replace(trust, export=ExportVerificationKey("bluezone", "v1", der))
            await server.publisher.publish_once(force=True)
            return await source(server.url, other, store, clock).fetch()

    fetched = asyncio.run(scenario())
    assert fetched.batches == ()
    assert [r.code for r in fetched.rejected] == ["bad_signature"]


def test_an_unreachable_server_is_a_key_source_error(tmp_path, store):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            trust = trust_of(server)
        with pytest.raises(KeySourceError, match="cannot download"):
            await source("http://127.0.0.1:9", trust, store, Clock()).fetch()

    asyncio.run(scenario())


def test_the_keys_document_is_parsed_strictly(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            return server.keys.to_json()

    document = asyncio.run(scenario())
    trust = trust_from_keys_file(document)
    assert trust.log.name == "bluezone.test/log" and trust.quorum == 0
    with pytest.raises(KeySourceError):
        trust_from_keys_file(b'{"origin": "x"}')
    with pytest.raises(KeySourceError, match="quorum"):
        trust_from_keys_file(document, quorum=1)


def test_a_checkpoint_not_yet_cosigned_is_no_error_and_nothing_is_accepted(tmp_path, store, caplog):
    # spec WIT-5: a missing quorum is a wait, not a refusal of the log.
    clock = Clock()
    witness = NoteSigner("witness.test", bytes(range(32)), SIGNATURE_TYPE_COSIGNATURE_V1)
    config = config_for(tmp_path, witnesses=(witness.verifier(),))

    async def scenario():
        async with running(config, clock) as server:
            trust = trust_from_keys_file(server.keys.to_json(), quorum=1)
            keys = source(server.url, trust, store, clock)
            await server.publisher.publish_once(force=True)
            waiting = await keys.fetch()
            state = await store.server_log(keys.origin)
            note = server.publisher.latest_note
            cosigned = cosign_checkpoint(note, witness, int(clock.now) - 1)
            await server.publisher.store_cosigned(1, cosigned)
            accepted = await keys.fetch()
        return waiting, state, accepted, await store.server_log(keys.origin)

    waiting, before, accepted, after = asyncio.run(scenario())
    assert waiting.batches == () and waiting.rejected == () and before is None
    assert any(getattr(r, "event", None) == "log_not_cosigned" for r in caplog.records)
    assert len(accepted.batches) == 1 and after.tree_size == 1
