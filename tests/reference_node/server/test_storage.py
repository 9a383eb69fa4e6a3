"""The storage interface's contract, run on SQLite and on PostgreSQL (spec SRV-4, SRV-7, SRV-10)."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from hashlib import sha256

import pytest

from bluezone.protocol.errors import InvalidReportTypeTransitionError
from bluezone.reference_node.server.errors import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeUsedError,
    NotFoundError,
    StorageError,
    TokenExpiredError,
    TokenNotFoundError,
    TokenUsedError,
)
from bluezone.reference_node.server.storage import (
    BatchRecord,
    CheckpointRecord,
    NewKey,
    Storage,
    open_storage,
)
from bluezone.reference_node.server.storage.base import CodeKind, Revision

from .conftest import (
    FAR_FUTURE,
    HA_API_KEY,
    Clock,
    config_for,
    fresh_postgres_database,
    past_keys,
    run,
    serving,
)

NOW = 1_800_000_000


@pytest.fixture(params=["sqlite", "postgres"])
def open_fresh(request, tmp_path):
    """Return an async function that opens an empty storage of the parametrised kind."""
    if request.param == "sqlite":

        async def opener() -> Storage:
            return await open_storage(tmp_path / "server.sqlite3")

        return opener
    dsn = request.getfixturevalue("postgres_dsn")

    async def opener() -> Storage:
        return await open_storage(await fresh_postgres_database(dsn))

    return opener


def _keys(rng: random.Random, count: int) -> list[NewKey]:
    return [NewKey(rng.randbytes(16), 2_900_000 + i, 144, 1, None) for i in range(count)]


async def _token(storage: Storage, rng: random.Random, expires_s: int = NOW + 60) -> bytes:
    code, token = sha256(rng.randbytes(8)).digest(), sha256(rng.randbytes(8)).digest()
    assert await storage.add_code(code, 1, None, NOW + 100, now_s=NOW)
    await storage.exchange_code(code, NOW, token, bytes(32), expires_s)
    return token


def _batch(number: int, keys: int = 1) -> tuple[BatchRecord, bytes, CheckpointRecord]:
    archive = f"archive {number}".encode()
    record = BatchRecord(
        number,
        sha256(archive + b"leaf").digest(),
        sha256(archive + b"bin").digest(),
        sha256(archive).digest(),
        len(archive),
        NOW,
        NOW + 1,
        keys,
    )
    return record, archive, CheckpointRecord(number + 1, f"note {number + 1}\n".encode())


def scenario(open_fresh):
    """Run ``body(storage)`` on a fresh storage and close it."""

    def wrap(body):
        async def go():
            storage = await open_fresh()
            try:
                return await body(storage)
            finally:
                await storage.close()

        return run(go())

    return wrap


def test_meta_values_persist(open_fresh):
    async def body(storage):
        assert await storage.get_meta("origin") is None
        await storage.set_meta("origin", "a")
        await storage.set_meta("origin", "b")
        return await storage.get_meta("origin")

    assert scenario(open_fresh)(body) == "b"


def test_code_lifecycle(open_fresh):
    async def body(storage):
        code = sha256(b"code").digest()
        assert await storage.add_code(code, 2, 2_900_000, NOW + 10, now_s=NOW)
        assert not await storage.add_code(code, 1, None, NOW + 99, now_s=NOW)
        with pytest.raises(CodeNotFoundError):
            await storage.exchange_code(sha256(b"other").digest(), NOW, b"t" * 32, bytes(32), NOW)
        with pytest.raises(CodeExpiredError):
            await storage.exchange_code(code, NOW + 10, b"t" * 32, bytes(32), NOW + 60)
        await storage.exchange_code(code, NOW + 9, b"t" * 32, b"h" * 32, NOW + 60)
        with pytest.raises(CodeUsedError):
            await storage.exchange_code(code, NOW + 9, b"u" * 32, b"h" * 32, NOW + 60)
        return await storage.get_token(b"t" * 32)

    token = scenario(open_fresh)(body)
    assert (token.key_hmac, token.report_type, token.onset_interval) == (b"h" * 32, 2, 2_900_000)
    assert (token.expires_s, token.used) == (NOW + 60, False)


def test_concurrent_exchanges_of_one_code_give_one_token(open_fresh):
    async def body(storage):
        code = sha256(b"code").digest()
        await storage.add_code(code, 1, None, NOW + 10, now_s=NOW)
        attempts = [
            storage.exchange_code(code, NOW, bytes([i]) * 32, bytes(32), NOW + 60)
            for i in range(20)
        ]
        return await asyncio.gather(*attempts, return_exceptions=True)

    results = scenario(open_fresh)(body)
    assert results.count(None) == 1
    assert all(isinstance(r, CodeUsedError) for r in results if r is not None)


def test_token_lifecycle_and_duplicate_keys(open_fresh):
    rng = random.Random(1)

    async def body(storage):
        first, second, late = await _token(storage, rng), await _token(storage, rng), None
        keys = _keys(rng, 5)
        assert await storage.use_token(first, NOW, keys) == 5
        with pytest.raises(TokenUsedError):
            await storage.use_token(first, NOW, _keys(rng, 1))
        assert await storage.use_token(second, NOW, [*keys[:2], *_keys(rng, 1)]) == 1
        late = await _token(storage, rng, expires_s=NOW + 5)
        with pytest.raises(TokenExpiredError):
            await storage.use_token(late, NOW + 5, _keys(rng, 1))
        with pytest.raises(TokenNotFoundError):
            await storage.use_token(bytes(32), NOW, _keys(rng, 1))
        with pytest.raises(TokenNotFoundError):
            await storage.get_token(bytes(32))
        assert (await storage.get_token(first)).used
        return (
            await storage.pending_count(FAR_FUTURE),
            await storage.pending_keys(100, FAR_FUTURE),
            keys,
        )

    count, pending, keys = scenario(open_fresh)(body)
    assert count == 6
    assert set(keys) <= {p.key for p in pending} and len(pending) == 6
    assert [p.row_id for p in pending] == sorted(p.row_id for p in pending)


def test_key_row_ids_show_neither_upload_order_nor_grouping(open_fresh):
    """spec SRV-8: ids are random, so neither their order nor their gaps tell uploads apart."""
    rng = random.Random(9)

    async def body(storage):
        first, second = _keys(rng, 14), _keys(rng, 14)
        await storage.use_token(await _token(storage, rng), NOW, first)
        await storage.use_token(await _token(storage, rng), NOW, second)
        ids = {p.key.key_data: p.row_id for p in await storage.pending_keys(99, FAR_FUTURE)}
        return [ids[k.key_data] for k in first], [ids[k.key_data] for k in second]

    first, second = scenario(open_fresh)(body)
    # Autoincrement ids would put every id of the first upload below the second's, in a run.
    assert max(first) > min(second)
    assert max(first + second) > 2**40


def test_concurrent_uploads_with_one_token_store_once(open_fresh):
    rng = random.Random(2)

    async def body(storage):
        token = await _token(storage, rng)
        attempts = [storage.use_token(token, NOW, _keys(rng, 14)) for _ in range(20)]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        return results, await storage.pending_count(FAR_FUTURE)

    results, pending = scenario(open_fresh)(body)
    assert [r for r in results if isinstance(r, int)] == [14]
    assert all(isinstance(r, TokenUsedError) for r in results if not isinstance(r, int))
    assert pending == 14


def test_batches_commit_whole_or_not_at_all(open_fresh):
    rng = random.Random(3)

    async def body(storage):
        await storage.use_token(await _token(storage, rng), NOW, _keys(rng, 6))
        pending = await storage.pending_keys(4, FAR_FUTURE)
        ids = [p.row_id for p in pending]
        record, archive, checkpoint = _batch(0, 4)
        with pytest.raises(StorageError):  # not the next leaf index
            await storage.add_batch(
                dataclasses.replace(record, number=1), archive, ids, CheckpointRecord(2, b"x")
            )
        with pytest.raises(StorageError):  # a key that does not exist
            await storage.add_batch(record, archive, [*ids, 10**9], checkpoint)
        assert await storage.batches() == [] and await storage.checkpoints() == []
        assert await storage.pending_count(FAR_FUTURE) == 6
        await storage.add_batch(record, archive, ids, checkpoint)
        with pytest.raises(StorageError):  # the same keys again
            second, archive2, checkpoint2 = _batch(1)
            await storage.add_batch(second, archive2, ids[:1], checkpoint2)
        await storage.replace_checkpoint(CheckpointRecord(1, b"cosigned\n"))
        with pytest.raises(NotFoundError):
            await storage.replace_checkpoint(CheckpointRecord(7, b"none\n"))
        with pytest.raises(NotFoundError):
            await storage.batch_archive(1)
        return (
            await storage.batches(),
            await storage.batch_archive(0),
            await storage.checkpoints(),
            await storage.pending_count(FAR_FUTURE),
        )

    batches, archive, checkpoints, pending = scenario(open_fresh)(body)
    assert batches == [_batch(0, 4)[0]]
    assert archive == b"archive 0"
    assert checkpoints == [CheckpointRecord(1, b"cosigned\n")]
    assert pending == 2


def test_prune_removes_expired_and_old_rows(open_fresh):
    rng = random.Random(4)

    async def body(storage):
        await storage.add_code(b"c" * 32, 1, None, NOW, now_s=NOW)
        token = await _token(storage, rng, expires_s=NOW + 1)
        keys = [NewKey(rng.randbytes(16), 1000, 144, 1, None), *_keys(rng, 1)]
        await storage.use_token(token, NOW, keys)
        record, archive, checkpoint = _batch(0, 2)
        await storage.add_batch(
            record,
            archive,
            [p.row_id for p in await storage.pending_keys(9, FAR_FUTURE)],
            checkpoint,
        )
        removed = await storage.prune(NOW + 200, 2_000)
        with pytest.raises(CodeNotFoundError):
            await storage.exchange_code(b"c" * 32, NOW, b"z" * 32, bytes(32), NOW)
        return removed

    # two codes, one token, and the key that ended at interval 1144
    assert scenario(open_fresh)(body) == 4


def test_the_whole_server_runs_on_postgres(tmp_path, postgres_dsn):
    clock = Clock()
    rng = random.Random(5)

    async def body():
        database = await fresh_postgres_database(postgres_dsn)
        config = config_for(tmp_path, database=database)
        async with serving(config, clock) as (server, client):
            keys = past_keys(rng, clock.now, days=4)
            await client.report((await client.issue_code(HA_API_KEY)).code, keys)
            await server.publisher.publish_once()
            await server.publisher.publish_once()
        # Restart on the same database: the log is recovered from PostgreSQL.
        async with serving(config, clock) as (server, client):
            from bluezone.reference_node.client.client import TrustConfig

            trust = TrustConfig.from_server_keys(await client.server_keys())
            result = await client.download(trust)
            return keys, result

    keys, result = run(body())
    assert result.checkpoint.tree_size == 2
    assert {k.key_data for k in keys} <= {k.key_data for k in result.diagnosis_keys()}


def test_missing_postgres_fails_under_ci(monkeypatch):
    from . import postgres_fixture

    monkeypatch.setattr(postgres_fixture, "find_bindir", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception), postgres_fixture.throwaway_postgres():
        pass


def test_keys_wait_for_the_end_of_their_embargo(open_fresh):
    rng = random.Random(7)

    async def body(storage):
        today = NewKey(rng.randbytes(16), 2_900_160, 144, 1, None)  # publish after 2_900_316
        await storage.use_token(await _token(storage, rng), NOW, [*_keys(rng, 1), today])
        early = await storage.pending_count(2_900_315), await storage.pending_keys(9, 2_900_315)
        due = await storage.pending_count(2_900_316), await storage.pending_keys(9, 2_900_316)
        return early, due

    (early_count, early), (due_count, due) = scenario(open_fresh)(body)
    assert early_count == 1 and [p.key.rolling_start for p in early] == [2_900_000]
    assert due_count == 2 and {p.key.rolling_start for p in due} == {2_900_000, 2_900_160}


def test_code_kinds_pass_to_their_tokens(open_fresh):
    """spec SRV-20: a recursive code's exposure interval and a revision code's kind."""

    async def body(storage):
        records = []
        for exposure, revision in ((None, False), (2_900_144, False), (None, True)):
            code = sha256(repr((exposure, revision)).encode()).digest()
            token = sha256(code).digest()
            assert await storage.add_code(
                code, 4 if exposure else 1, None, NOW + 9, exposure, revision, now_s=NOW
            )
            await storage.exchange_code(code, NOW, token, bytes(32), NOW + 60)
            records.append(await storage.get_token(token))
        return [(r.exposure_interval, r.revision) for r in records]

    assert scenario(open_fresh)(body) == [(None, False), (2_900_144, False), (None, True)]


def test_revisions_update_keys_and_are_published_once(open_fresh, rng):
    """spec SRV-23..SRV-25: tags kept per key, report types updated, revisions queued."""

    async def body(storage):
        keys = [
            NewKey(k.key_data, k.rolling_start, k.rolling_period, 4, None, bytes([i]) * 32)
            for i, k in enumerate(_keys(rng, 2))
        ]
        await storage.use_token(await _token(storage, rng), NOW, keys)
        states = await storage.key_states([k.key_data for k in keys] + [bytes(16)])
        assert states[2] is None
        assert [s.key.revision_tag for s in states[:2]] == [bytes([0]) * 32, bytes([1]) * 32]
        pending = await storage.pending_keys(10, FAR_FUTURE)
        record, archive, checkpoint = _batch(0, 2)
        await storage.add_batch(record, archive, [p.row_id for p in pending], checkpoint)
        revisions = [Revision(dataclasses.replace(k, report_type=5), 4) for k in keys]
        assert await storage.revise(await _token(storage, rng), NOW, revisions) == 2
        with pytest.raises(InvalidReportTypeTransitionError):  # already REVOKED
            await storage.revise(await _token(storage, rng), NOW, revisions)
        assert await storage.pending_count(FAR_FUTURE) == 2
        queued = await storage.pending_revisions(10)
        record, archive, checkpoint = _batch(1, 0)
        await storage.add_batch(record, archive, [], checkpoint, [q.row_id for q in queued])
        after = await storage.key_states([k.key_data for k in keys])
        return [q.key.report_type for q in queued], await storage.pending_count(FAR_FUTURE), after

    types, left, after = scenario(open_fresh)(body)
    assert types == [5, 5] and left == 0
    assert [s.key.report_type for s in after] == [5, 5]


def test_peek_code_reads_a_code_without_using_it(open_fresh):
    """spec GAPI-3: the kind of a code is read before the exchange, which still works."""

    async def body(storage):
        code = sha256(b"peek").digest()
        assert await storage.peek_code(code) is None
        await storage.add_code(code, 1, None, NOW + 10, revision=True, now_s=NOW)
        kind = await storage.peek_code(code)
        await storage.exchange_code(code, NOW, sha256(b"t").digest(), bytes(32), NOW + 60)
        return kind

    assert scenario(open_fresh)(body) == CodeKind(1, None, None, True)


def test_concurrent_binds_of_one_token_give_one_binding(open_fresh):
    """spec GAPI-4: a token is bound to one key-list HMAC once; expiry and use are checked."""

    async def body(storage):
        rng = random.Random(2)
        token = await _token(storage, rng)
        attempts = [
            storage.bind_token(token, NOW, bytes([i]) * 32, bytes(32)) for i in range(1, 21)
        ]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        stored = await storage.get_token(token)
        late = await _token(storage, rng)
        with pytest.raises(TokenExpiredError):
            await storage.bind_token(late, NOW + 60, b"\x01" * 32, bytes(32))
        with pytest.raises(TokenNotFoundError):
            await storage.bind_token(bytes(32), NOW, b"\x01" * 32, bytes(32))
        return results, stored

    results, stored = scenario(open_fresh)(body)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and winners[0].key_hmac == stored.key_hmac != bytes(32)
    assert all(isinstance(r, TokenUsedError) for r in results if isinstance(r, Exception))


def test_expired_archives_go_and_the_log_records_stay(open_fresh):
    """spec SRV-27: the export file goes; leaf hash, digests and checkpoint stay."""

    async def body(storage):
        for number in range(2):
            record, archive, checkpoint = _batch(number)
            record = dataclasses.replace(record, end_s=NOW + 100 * number)
            await storage.add_batch(record, archive, [], checkpoint)
        expired = await storage.expire_archives(NOW + 50)
        again = await storage.expire_archives(NOW + 50)
        await storage.scrub()
        with pytest.raises(NotFoundError):
            await storage.batch_archive(0)
        return expired, again, await storage.batch_archive(1), await storage.batches()

    expired, again, kept, batches = scenario(open_fresh)(body)
    assert (expired, again, kept) == ([0], [], b"archive 1")
    assert [b.leaf_hash for b in batches] == [_batch(0)[0].leaf_hash, _batch(1)[0].leaf_hash]
