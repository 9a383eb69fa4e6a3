"""The portal's storage: accounts, sessions, audit trail, code status and daily counts.

Every test runs on SQLite and on PostgreSQL. Rules: SRV-19 (migration 5), PORTAL-2 (accounts),
PORTAL-4 (lockout), PORTAL-5 (sessions), PORTAL-9 (code status, early expiry), PORTAL-10
(daily quota), PORTAL-11 (daily counts), PORTAL-12 (audit trail), PORTAL-14 (TOTP steps).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
import sqlite3
from hashlib import sha256

import pytest

from bluezone.reference_node.server.errors import (
    CodeExpiredError,
    CodeUsedError,
    NotFoundError,
    QuotaExceededError,
    StaffExistsError,
    TokenUsedError,
)
from bluezone.reference_node.server.storage import (
    BatchRecord,
    CheckpointRecord,
    NewKey,
    Storage,
    open_storage,
    postgres,
    sqlite,
)
from bluezone.reference_node.server.storage.base import (
    DAY_S,
    AuditEvent,
    CodeStatus,
    Revision,
    utc_day,
)
from bluezone.reference_node.server.storage.schema import LATEST_VERSION, MIGRATIONS

from .conftest import FAR_FUTURE, fresh_postgres_database, run

NOW = 1_800_000_000  # 2027-01-15 08:00 UTC
TODAY = utc_day(NOW)
IDLE_S = 20 * 60
MAX_AGE_S = 12 * 3600


class Store:
    """A database of the parametrised kind: its name, and raw SQL on it (``?`` parameters)."""

    def __init__(self, kind: str, database: str) -> None:
        self.kind = kind
        self.database = database

    async def open(self) -> Storage:
        return await open_storage(self.database)

    async def sql(self, statement: str, *params) -> list[tuple]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.database, isolation_level=None)
            try:
                return conn.execute(statement, params).fetchall()
            finally:
                conn.close()
        import asyncpg

        numbered = iter(range(1, len(params) + 1))
        conn = await asyncpg.connect(self.database)
        try:
            text = re.sub(r"\?", lambda _: f"${next(numbered)}", statement)
            return [tuple(r) for r in await conn.fetch(text, *params)]
        finally:
            await conn.close()

    async def migrate(self, migrations) -> int:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.database, isolation_level=None)
            try:
                return sqlite.migrate(conn, NOW, migrations)
            finally:
                conn.close()
        import asyncpg

        conn = await asyncpg.connect(self.database)
        try:
            return await postgres.migrate(conn, NOW, migrations)
        finally:
            await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path) -> Store:
    """An empty database of the parametrised kind."""
    if request.param == "sqlite":
        return Store("sqlite", str(tmp_path / "server.sqlite3"))
    dsn = request.getfixturevalue("postgres_dsn")
    return Store("postgres", run(fresh_postgres_database(dsn)))


def on(store: Store, body):
    """Run ``body(storage)`` on the store, opened, and close it after."""

    async def go():
        storage = await store.open()
        try:
            return await body(storage)
        finally:
            await storage.close()

    return run(go())


def _digest(label: str) -> bytes:
    return sha256(label.encode()).digest()


async def _add_admin(storage: Storage, username: str = "lan") -> int:
    return await storage.add_staff(username, "admin", b"hash-" + username.encode(), None, NOW, True)


def test_a_version_4_store_migrates_to_5_and_keeps_its_data(store):
    """SRV-19: migration 5 adds the portal's tables and leaves the earlier rows as they were."""
    code = _digest("code")

    async def body():
        assert await store.migrate(MIGRATIONS[:4]) == 4
        await store.sql(
            "INSERT INTO codes (digest, report_type, onset_interval, expires_s) "
            "VALUES (?, ?, ?, ?)",
            code,
            4,
            2_900_000,
            NOW + 100,
        )
        await store.sql("INSERT INTO code_kinds VALUES (?, ?, ?)", code, 2_900_144, False)
        await store.sql(
            "INSERT INTO keys (key_data, rolling_start, rolling_period, report_type) "
            "VALUES (?, ?, ?, ?)",
            bytes(16),
            2_900_000,
            144,
            1,
        )
        await store.sql(
            "INSERT INTO rate_buckets VALUES (?, ?, ?, ?)", b"bucket", 3.0, float(NOW), True
        )
        storage = await store.open()
        try:
            status = await storage.code_status(code)
            pending = await storage.pending_keys(9, FAR_FUTURE)
            staff_id = await _add_admin(storage)
            staff = await storage.staff_by_id(staff_id)
        finally:
            await storage.close()
        versions = await store.sql("SELECT version FROM schema_version ORDER BY version")
        meta = await store.sql("SELECT value FROM meta WHERE name = 'schema_version'")
        buckets = await store.sql("SELECT tokens FROM rate_buckets")
        return status, pending, staff, versions, meta, buckets

    status, pending, staff, versions, meta, buckets = run(body())
    assert status == CodeStatus(4, 2_900_000, NOW + 100, False, 2_900_144, False)
    assert [(p.key.key_data, p.key.rolling_start) for p in pending] == [(bytes(16), 2_900_000)]
    assert staff is not None and staff.username == "lan"
    assert LATEST_VERSION == 5
    assert [v for (v,) in versions] == [1, 2, 3, 4, 5]
    assert meta == [("5",)]
    assert buckets == [(3.0,)]


def test_accounts_are_created_once_and_read_back(store):
    """PORTAL-2: one account per username; the record never prints its secrets."""

    async def body(storage):
        first = await storage.add_staff("mai", "case_worker", b"h1", None, NOW, True)
        second = await storage.add_staff("an", "admin", b"h2", b"s" * 20, NOW + 1, False)
        with pytest.raises(StaffExistsError) as caught:
            await storage.add_staff("mai", "admin", b"h3", None, NOW + 2, False)
        await storage.set_password(first, b"h4", False)
        with pytest.raises(NotFoundError):
            await storage.set_password(9999, b"h5", False)
        return (
            first,
            second,
            caught.value,
            await storage.staff_by_name("mai"),
            await storage.staff_by_id(second),
            await storage.staff_by_name("nobody"),
            await storage.staff_by_id(9999),
            await storage.list_staff(),
        )

    first, second, error, mai, an, nobody, unknown, everyone = on(store, body)
    assert first != second
    assert (error.status, error.code) == (409, "staff_exists")
    assert (mai.id, mai.role, mai.password_hash, mai.totp_secret) == (
        first,
        "case_worker",
        b"h4",
        None,
    )
    assert (mai.must_change_password, mai.disabled, mai.created_s) == (False, False, NOW)
    assert (an.totp_secret, an.must_change_password, an.totp_last_step) == (b"s" * 20, False, 0)
    assert (an.failed_logins, an.locked_until_s) == (0, 0)
    assert nobody is None and unknown is None
    assert [s.username for s in everyone] == ["an", "mai"]
    assert "h2" not in repr(an) and "sssss" not in repr(an)


def test_five_failures_lock_an_account_for_the_lockout(store):
    """PORTAL-4: the count grows to the limit, then locks and starts again at 0."""

    async def body(storage):
        staff_id = await _add_admin(storage)
        seen = [await storage.login_failed(staff_id, NOW + i, 5, 900) for i in range(4)]
        locked = await storage.login_failed(staff_id, NOW + 10, 5, 900)
        again = await storage.login_failed(staff_id, NOW + 2000, 5, 900)
        await storage.login_succeeded(staff_id)
        reset = await storage.staff_by_id(staff_id)
        with pytest.raises(NotFoundError):
            await storage.login_failed(9999, NOW, 5, 900)
        return seen, locked, again, reset

    seen, locked, again, reset = on(store, body)
    assert [(s.failed_logins, s.locked_until_s) for s in seen] == [(1, 0), (2, 0), (3, 0), (4, 0)]
    assert (locked.failed_logins, locked.locked_until_s) == (0, NOW + 910)
    assert (again.failed_logins, again.locked_until_s) == (1, NOW + 910)
    assert (reset.failed_logins, reset.locked_until_s) == (0, NOW + 910)


def test_concurrent_failures_are_each_counted(store):
    """PORTAL-4: failures at the same moment neither get lost nor skip a lockout."""

    async def body(storage):
        staff_id = await _add_admin(storage)
        return await asyncio.gather(
            *(storage.login_failed(staff_id, NOW + i, 5, 900) for i in range(10))
        )

    records = on(store, body)
    assert sorted(r.failed_logins for r in records) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert sum(r.locked_until_s > 0 and r.failed_logins == 0 for r in records) == 2


def test_a_totp_step_is_used_once(store):
    """PORTAL-14: only a step later than the last accepted one passes; replays are refused."""

    async def body(storage):
        staff_id = await _add_admin(storage)
        await storage.set_totp(staff_id, b"k" * 20)
        results = [await storage.use_totp_step(staff_id, step) for step in (100, 100, 99, 101)]
        after = await storage.staff_by_id(staff_id)
        together = await asyncio.gather(*(storage.use_totp_step(staff_id, 200) for _ in range(8)))
        await storage.set_totp(staff_id, None)
        cleared = await storage.staff_by_id(staff_id)
        unknown = await storage.use_totp_step(9999, 5)
        with pytest.raises(NotFoundError):
            await storage.set_totp(9999, None)
        return results, after, together, cleared, unknown

    results, after, together, cleared, unknown = on(store, body)
    assert results == [True, False, False, True]
    assert (after.totp_secret, after.totp_last_step) == (b"k" * 20, 101)
    assert sorted(together) == [False] * 7 + [True]
    assert (cleared.totp_secret, cleared.totp_last_step) == (None, 0)
    assert unknown is False


def test_sessions_end_when_idle(store):
    """PORTAL-5: each use moves the idle limit; idle for IDLE_S ends the session."""
    digest = _digest("cookie")

    async def body(storage):
        staff_id = await _add_admin(storage)
        await storage.add_session(digest, staff_id, NOW)
        first = await storage.touch_session(digest, NOW + IDLE_S - 1, IDLE_S, MAX_AGE_S)
        second = await storage.touch_session(digest, NOW + 2 * IDLE_S - 2, IDLE_S, MAX_AGE_S)
        late = await storage.touch_session(digest, NOW + 3 * IDLE_S - 2, IDLE_S, MAX_AGE_S)
        # Once ended, the session is gone, even for a time it would have been alive at.
        gone = await storage.touch_session(digest, NOW + 2 * IDLE_S, IDLE_S, MAX_AGE_S)
        return staff_id, first, second, late, gone

    staff_id, first, second, late, gone = on(store, body)
    assert first.id == second.id == staff_id
    assert late is None and gone is None


def test_sessions_end_at_their_absolute_age(store):
    """PORTAL-5: a session used all the time still ends MAX_AGE_S after it began."""
    digest = _digest("cookie")

    async def body(storage):
        staff_id = await _add_admin(storage)
        await storage.add_session(digest, staff_id, NOW)
        alive = []
        for now_s in range(NOW + 600, NOW + MAX_AGE_S, 600):
            alive.append(await storage.touch_session(digest, now_s, IDLE_S, MAX_AGE_S))
        end = await storage.touch_session(digest, NOW + MAX_AGE_S, IDLE_S, MAX_AGE_S)
        unknown = await storage.touch_session(_digest("other"), NOW, IDLE_S, MAX_AGE_S)
        return alive, end, unknown

    alive, end, unknown = on(store, body)
    assert len(alive) == MAX_AGE_S // 600 - 1 and all(a is not None for a in alive)
    assert end is None and unknown is None


def test_disabling_an_account_ends_its_sessions(store):
    """PORTAL-2, PORTAL-5: a disabled account has no session, and gets none back."""

    async def body(storage):
        staff_id = await _add_admin(storage)
        other = await _add_admin(storage, "binh")
        await storage.add_session(_digest("a"), staff_id, NOW)
        await storage.add_session(_digest("b"), staff_id, NOW)
        await storage.add_session(_digest("c"), other, NOW)
        await storage.set_disabled(staff_id, True)
        disabled = await storage.staff_by_id(staff_id)
        ended = [await storage.touch_session(_digest(d), NOW + 1, IDLE_S, MAX_AGE_S) for d in "ab"]
        # A session stored for a disabled account (a sign-in racing the disabling) is refused.
        await storage.add_session(_digest("d"), staff_id, NOW + 2)
        raced = await storage.touch_session(_digest("d"), NOW + 3, IDLE_S, MAX_AGE_S)
        await storage.set_disabled(staff_id, False)
        await storage.add_session(_digest("e"), staff_id, NOW + 4)
        back = await storage.touch_session(_digest("e"), NOW + 5, IDLE_S, MAX_AGE_S)
        kept = await storage.touch_session(_digest("c"), NOW + 5, IDLE_S, MAX_AGE_S)
        with pytest.raises(NotFoundError):
            await storage.set_disabled(9999, True)
        return disabled, ended, raced, back, kept

    disabled, ended, raced, back, kept = on(store, body)
    assert disabled.disabled
    assert ended == [None, None] and raced is None
    assert back is not None and not back.disabled
    assert kept is not None and kept.username == "binh"


def test_sessions_are_deleted_one_by_one_or_per_account_and_by_prune(store):
    """PORTAL-5: sign-out, sign-out everywhere, and sessions idle for a day pruned."""

    async def body(storage):
        staff_id = await _add_admin(storage)
        other = await _add_admin(storage, "binh")
        for name, who, at in (("a", staff_id, NOW), ("b", staff_id, NOW), ("c", other, NOW)):
            await storage.add_session(_digest(name), who, at)
        await storage.add_session(_digest("old"), other, NOW - DAY_S - 1)
        await storage.delete_session(_digest("a"))
        await storage.delete_session(_digest("never"))
        removed = await storage.prune(NOW - DAY_S, 0)
        await storage.delete_sessions_of(staff_id)
        return removed, await store.sql("SELECT digest FROM staff_sessions")

    removed, rows = on(store, body)
    assert removed == 1
    assert [bytes(d) for (d,) in rows] == [_digest("c")]


def test_the_audit_trail_pages_newest_first(store):
    """PORTAL-12: events come back newest first, a page at a time."""

    async def body(storage):
        for i in range(7):
            await storage.add_audit(NOW + i, f"user{i % 2}", f"action{i}", f"detail {i}")
        pages, before = [], None
        while True:
            page = await storage.audit_events(3, before)
            if not page:
                return pages, await storage.audit_events(100)
            pages.append(page)
            before = page[-1].id

    pages, everything = on(store, body)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [e.action for p in pages for e in p] == [f"action{i}" for i in range(6, -1, -1)]
    assert [e for p in pages for e in p] == everything
    assert everything[0] == AuditEvent(everything[0].id, NOW + 6, "user0", "action6", "detail 6")
    ids = [e.id for e in everything]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7


def test_code_status_reads_a_code_without_using_it(store):
    """PORTAL-9: kind and state of a code; unknown codes give None."""
    plain, recursive = _digest("plain"), _digest("recursive")

    async def body(storage):
        await storage.add_code(plain, 1, 2_900_000, NOW + 60, now_s=NOW)
        await storage.add_code(recursive, 4, None, NOW + 60, 2_900_144, now_s=NOW)
        before = await storage.code_status(plain)
        await storage.exchange_code(plain, NOW, _digest("token"), bytes(32), NOW + 60)
        return (
            before,
            await storage.code_status(plain),
            await storage.code_status(recursive),
            await storage.code_status(_digest("unknown")),
        )

    before, used, recursive_status, unknown = on(store, body)
    assert before == CodeStatus(1, 2_900_000, NOW + 60, False, None, False)
    assert used == dataclasses.replace(before, used=True)
    assert recursive_status == CodeStatus(4, None, NOW + 60, False, 2_900_144, False)
    assert unknown is None


def test_expire_code_ends_only_unused_live_codes(store):
    """PORTAL-9: early expiry of an unused code; used, expired and unknown codes stay."""
    live, used, old = _digest("live"), _digest("used"), _digest("old")

    async def body(storage):
        for code, expires_s in ((live, NOW + 600), (used, NOW + 600), (old, NOW - 1)):
            await storage.add_code(code, 1, None, expires_s, now_s=NOW - 100)
        await storage.exchange_code(used, NOW, _digest("token"), bytes(32), NOW + 60)
        changed = [
            await storage.expire_code(code, NOW) for code in (live, live, used, old, _digest("x"))
        ]
        with pytest.raises(CodeExpiredError):
            await storage.exchange_code(live, NOW, _digest("token2"), bytes(32), NOW + 60)
        return changed, [await storage.code_status(c) for c in (live, used, old)]

    changed, (live_s, used_s, old_s) = on(store, body)
    assert changed == [True, False, False, False, False]
    assert (live_s.expires_s, live_s.used) == (NOW, False)
    assert (used_s.expires_s, used_s.used) == (NOW + 600, True)
    assert old_s.expires_s == NOW - 1


def _batch(number: int, end_s: int, keys: int) -> tuple[BatchRecord, bytes, CheckpointRecord]:
    archive = f"archive {number}".encode()
    digest = sha256(archive).digest()
    record = BatchRecord(number, digest, digest, digest, len(archive), end_s - 1, end_s, keys)
    return record, archive, CheckpointRecord(number + 1, f"note {number + 1}\n".encode())


def test_daily_counts_follow_codes_uploads_and_batches(store):
    """PORTAL-11: each count grows in the transaction of what it counts, and only then."""
    rng = random.Random(15)

    async def token(storage, label: str, now_s: int) -> bytes:
        code, digest = _digest("code " + label), _digest("token " + label)
        assert await storage.add_code(code, 1, None, now_s + 600, now_s=now_s)
        await storage.exchange_code(code, now_s, digest, bytes(32), now_s + 600)
        return digest

    async def body(storage):
        # Today: 3 codes issued (one never used), 2 used, 2 uploads of 3 and 1 new keys.
        keys = [NewKey(rng.randbytes(16), 2_900_000 + i, 144, 1, None) for i in range(3)]
        first = await token(storage, "a", NOW)
        assert await storage.use_token(first, NOW, keys) == 3
        second = await token(storage, "b", NOW + 5)
        replayed = [keys[0], NewKey(rng.randbytes(16), 2_900_100, 144, 1, None)]
        assert await storage.use_token(second, NOW + 5, replayed) == 1
        assert await storage.add_code(_digest("unused"), 1, None, NOW + 600, now_s=NOW)
        assert not await storage.add_code(_digest("unused"), 1, None, NOW + 600, now_s=NOW)
        # Refused attempts count nothing.
        with pytest.raises(CodeUsedError):
            await storage.exchange_code(_digest("code a"), NOW, _digest("t"), bytes(32), NOW)
        with pytest.raises(TokenUsedError):
            await storage.use_token(
                first, NOW, [NewKey(rng.randbytes(16), 2_900_000, 144, 1, None)]
            )
        # Tomorrow: a revision of two keys is an upload; a batch of 4 real keys ending
        # tomorrow and a padding-only batch.
        tomorrow = NOW + DAY_S
        revisions = [Revision(dataclasses.replace(k, report_type=5), 1) for k in keys[:2]]
        assert await storage.revise(await token(storage, "c", tomorrow), tomorrow, revisions) == 2
        pending = await storage.pending_keys(10, FAR_FUTURE)
        for number, row_ids in ((0, [p.row_id for p in pending]), (1, [])):
            record, archive, checkpoint = _batch(number, tomorrow, 20)
            await storage.add_batch(record, archive, row_ids, checkpoint)
        every_day = await storage.daily_counts(TODAY - 1, TODAY + 2)
        return every_day, await storage.daily_counts(TODAY + 1, TODAY + 1)

    counts, tomorrow_only = on(store, body)
    assert counts == {
        TODAY: {"codes_issued": 3, "codes_used": 2, "uploads": 2, "keys_uploaded": 4},
        TODAY + 1: {
            "codes_issued": 1,
            "codes_used": 1,
            "uploads": 1,
            "batches": 2,
            "keys_published": 4,
        },
    }
    assert tomorrow_only == {TODAY + 1: counts[TODAY + 1]}


def test_the_daily_quota_refuses_codes_and_writes_nothing(store):
    """PORTAL-10: at the quota, a code is refused whole: neither stored nor counted."""

    async def body(storage):
        for i in range(3):
            assert await storage.add_code(
                _digest(f"c{i}"), 1, None, NOW + 600, now_s=NOW, daily_quota=3
            )
        with pytest.raises(QuotaExceededError) as caught:
            await storage.add_code(_digest("c3"), 1, None, NOW + 600, now_s=NOW, daily_quota=3)
        refused = await storage.code_status(_digest("c3"))
        # Without a quota, or on the next UTC day, codes are issued again.
        assert await storage.add_code(_digest("c4"), 1, None, NOW + 600, now_s=NOW)
        assert await storage.add_code(
            _digest("c5"), 1, None, NOW + DAY_S, now_s=NOW + DAY_S, daily_quota=3
        )
        return caught.value, refused, await storage.daily_counts(TODAY, TODAY + 1)

    error, refused, counts = on(store, body)
    assert (error.status, error.code) == (429, "quota_exceeded") and "PORTAL-10" in str(error)
    assert refused is None
    assert counts == {TODAY: {"codes_issued": 4}, TODAY + 1: {"codes_issued": 1}}


def test_concurrent_issuers_never_pass_the_quota(store):
    """PORTAL-10: codes issued at the same moment stop exactly at the quota."""

    async def body(storage):
        results = await asyncio.gather(
            *(
                storage.add_code(_digest(f"q{i}"), 1, None, NOW + 600, now_s=NOW, daily_quota=5)
                for i in range(12)
            ),
            return_exceptions=True,
        )
        stored = [await storage.code_status(_digest(f"q{i}")) for i in range(12)]
        return results, stored, await storage.daily_counts(TODAY, TODAY)

    results, stored, counts = on(store, body)
    assert sum(r is True for r in results) == 5
    assert sum(isinstance(r, QuotaExceededError) for r in results) == 7
    assert sum(s is not None for s in stored) == 5
    assert counts == {TODAY: {"codes_issued": 5}}
