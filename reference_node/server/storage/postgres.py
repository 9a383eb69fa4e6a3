"""PostgreSQL storage for the key server through asyncpg (spec SRV-10).

The same interface and transactions as the SQLite storage. Codes and tokens are used by a
conditional UPDATE (``used = false`` in its WHERE clause): PostgreSQL's row lock makes a
second, concurrent UPDATE of the same row wait and then find it used, so exactly one wins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bluezone.protocol.errors import InvalidReportTypeTransitionError
from bluezone.protocol.params import EMBARGO_INTERVALS
from bluezone.reference_node.server.errors import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeUsedError,
    NotFoundError,
    QuotaExceededError,
    StaffExistsError,
    StorageError,
    TokenExpiredError,
    TokenNotFoundError,
    TokenUsedError,
)
from bluezone.reference_node.server.ratelimit import Rate, SharedBuckets, wait_s
from bluezone.reference_node.server.storage import schema
from bluezone.reference_node.server.storage.base import (
    BATCHES,
    CODES_ISSUED,
    CODES_USED,
    KEYS_PUBLISHED,
    KEYS_UPLOADED,
    UPLOADS,
    AuditEvent,
    BatchRecord,
    CheckpointRecord,
    CodeKind,
    CodeStatus,
    NewKey,
    PendingKey,
    Revision,
    StaffRecord,
    Storage,
    StoredKeyState,
    TokenRecord,
    random_row_id,
    session_alive,
    utc_day,
)

_BATCH_COLUMNS = (
    "number, leaf_hash, export_bin_sha256, archive_sha256, archive_size, start_s, end_s, key_count"
)
_STAFF_COLUMNS = (
    "id, username, role, password_hash, totp_secret, totp_last_step, failed_logins, "
    "locked_until_s, disabled, must_change_password, created_s"
)
# Serialises batch publication across server processes sharing one database.
_PUBLISH_LOCK_ID = 0x426C7A31


async def schema_version(conn) -> tuple[int, bool]:
    """Return the store's schema version (0 when empty) and whether it has a version table."""
    if await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL"):
        version = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        return int(version), True
    if await conn.fetchval("SELECT to_regclass('meta') IS NOT NULL"):
        value = await conn.fetchval(
            "SELECT value FROM meta WHERE name = $1", schema.LEGACY_VERSION_NAME
        )
        return schema.legacy_version(value), False
    return 0, False


async def migrate(conn, now_s: int, migrations: Sequence[Sequence[str]] = schema.MIGRATIONS) -> int:
    """Bring the schema to the last of ``migrations`` in one transaction (spec SRV-19).

    The transaction holds the publication lock, so processes starting together migrate one
    after the other. Returns the version reached. Raises StorageSchemaTooNewError, writing
    nothing, when the store is newer than ``migrations``; a failing migration rolls back.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PUBLISH_LOCK_ID)
        version, has_table = await schema_version(conn)
        for statement in schema.upgrade(version, has_table, "postgres", now_s, migrations):
            await conn.execute(statement)
    return len(migrations)


def _batch(row) -> BatchRecord:
    return BatchRecord(
        row[0], bytes(row[1]), bytes(row[2]), bytes(row[3]), row[4], row[5], row[6], row[7]
    )


class PostgresStorage(Storage, SharedBuckets):
    """Key-server storage in PostgreSQL; see the module docstring."""

    def __init__(self, pool) -> None:
        """Prefer ``PostgresStorage.open``."""
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, min_size: int = 2, max_size: int = 10) -> PostgresStorage:
        """Connect to ``dsn`` (postgresql://...), create the schema if needed."""
        import asyncpg  # optional dependency: only PostgreSQL deployments need it

        try:
            pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
        except (OSError, asyncpg.PostgresError) as exc:
            raise StorageError("cannot connect to the server database") from exc
        try:
            async with pool.acquire() as conn:
                await migrate(conn, int(time.time()))
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def take_token(self, key: bytes, rate: Rate, now_s: float) -> float:
        """Spend one token of a bucket every server process shares (spec SRV-14).

        One statement: the row lock serialises concurrent requests of one client.
        """
        refilled = "LEAST($3::float8, b.tokens + GREATEST(0, $4 - b.updated_s) * $2)"
        row = await self._pool.fetchrow(
            "INSERT INTO rate_buckets AS b VALUES ($1, $3::float8 - 1, $4, true) "
            f"ON CONFLICT (bucket) DO UPDATE SET granted = {refilled} >= 1, "
            f"tokens = CASE WHEN {refilled} >= 1 THEN {refilled} - 1 ELSE {refilled} END, "
            "updated_s = GREATEST(b.updated_s, $4) RETURNING tokens, granted",
            key,
            rate.per_minute / 60.0,
            float(rate.burst),
            now_s,
        )
        return 0.0 if row["granted"] else wait_s(row["tokens"], rate)

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.close()

    async def get_meta(self, name: str) -> str | None:
        """Return a stored configuration value or None."""
        return await self._pool.fetchval("SELECT value FROM meta WHERE name = $1", name)

    async def set_meta(self, name: str, value: str) -> None:
        """Store a configuration value."""
        await self._pool.execute(
            "INSERT INTO meta VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
            name,
            value,
        )

    async def add_code(
        self,
        code_digest: bytes,
        report_type: int,
        onset_interval: int | None,
        expires_s: int,
        exposure_interval: int | None = None,
        revision: bool = False,
        *,
        now_s: int,
        daily_quota: int | None = None,
    ) -> bool:
        """Store a new code unless its digest exists (spec SRV-3, SRV-20), and count it.

        The daily quota is PORTAL-10: the count's row lock serialises concurrent issuers, and
        a refusal rolls the code back with the count.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "INSERT INTO codes (digest, report_type, onset_interval, expires_s) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
                code_digest,
                report_type,
                onset_interval,
                expires_s,
            )
            if status != "INSERT 0 1":
                return False
            issued = await _count(conn, utc_day(now_s), CODES_ISSUED, 1)
            if daily_quota is not None and issued > daily_quota:
                raise QuotaExceededError("PORTAL-10: the daily quota of codes is used up")
            if exposure_interval is not None or revision:
                await conn.execute(
                    "INSERT INTO code_kinds VALUES ($1, $2, $3)",
                    code_digest,
                    exposure_interval,
                    revision,
                )
            return True

    async def exchange_code(
        self,
        code_digest: bytes,
        now_s: int,
        token_digest: bytes,
        key_hmac: bytes,
        token_expires_s: int,
    ) -> None:
        """Use the code and store the token in one transaction (spec SRV-4)."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE codes SET used = true WHERE digest = $1 AND NOT used AND expires_s > $2 "
                "RETURNING report_type, onset_interval",
                code_digest,
                now_s,
            )
            if row is None:
                found = await conn.fetchrow(
                    "SELECT expires_s, used FROM codes WHERE digest = $1", code_digest
                )
                if found is None:
                    raise CodeNotFoundError("SRV-4: no such code")
                if found["used"]:
                    raise CodeUsedError("SRV-4: the code was already used")
                raise CodeExpiredError("SRV-4: the code expired")
            await conn.execute(
                "INSERT INTO tokens (digest, key_hmac, report_type, onset_interval, expires_s) "
                "VALUES ($1, $2, $3, $4, $5)",
                token_digest,
                key_hmac,
                row["report_type"],
                row["onset_interval"],
                token_expires_s,
            )
            await conn.execute(
                "INSERT INTO token_kinds SELECT $1, exposure_interval, revision FROM code_kinds "
                "WHERE digest = $2",
                token_digest,
                code_digest,
            )
            await _count(conn, utc_day(now_s), CODES_USED, 1)

    async def peek_code(self, code_digest: bytes) -> CodeKind | None:
        """Return a code's kind without using it (spec GAPI-3)."""
        row = await self._pool.fetchrow(
            "SELECT c.report_type, c.onset_interval, k.exposure_interval, k.revision "
            "FROM codes c LEFT JOIN code_kinds k ON k.digest = c.digest WHERE c.digest = $1",
            code_digest,
        )
        if row is None:
            return None
        return CodeKind(row[0], row[1], row[2], bool(row[3]))

    async def bind_token(
        self, token_digest: bytes, now_s: int, key_hmac: bytes, unbound: bytes
    ) -> TokenRecord:
        """Bind an unbound token to a key-list HMAC in one transaction (spec GAPI-4)."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE tokens SET key_hmac = $1 WHERE digest = $2 AND NOT used "
                "AND key_hmac = $3 AND expires_s > $4 RETURNING digest",
                key_hmac,
                token_digest,
                unbound,
                now_s,
            )
            if row is None:
                found = await conn.fetchrow(
                    "SELECT expires_s, used, key_hmac FROM tokens WHERE digest = $1",
                    token_digest,
                )
                if found is None:
                    raise TokenNotFoundError("GAPI-4: no such token")
                if found["used"] or bytes(found["key_hmac"]) != unbound:
                    raise TokenUsedError("GAPI-4: the token was already used")
                raise TokenExpiredError("GAPI-4: the token expired")
        return await self.get_token(token_digest)

    async def get_token(self, token_digest: bytes) -> TokenRecord:
        """Return a token's record (spec SRV-7)."""
        row = await self._pool.fetchrow(
            "SELECT key_hmac, report_type, onset_interval, expires_s, used FROM tokens "
            "WHERE digest = $1",
            token_digest,
        )
        if row is None:
            raise TokenNotFoundError("SRV-7: no such token")
        kind = await self._pool.fetchrow(
            "SELECT exposure_interval, revision FROM token_kinds WHERE digest = $1", token_digest
        )
        exposure, revision = (kind[0], kind[1]) if kind is not None else (None, False)
        return TokenRecord(bytes(row[0]), row[1], row[2], row[3], row[4], exposure, revision)

    async def use_token(self, token_digest: bytes, now_s: int, keys: Sequence[NewKey]) -> int:
        """Use the token and store its keys in one transaction (spec SRV-7)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await _spend_token(conn, token_digest, now_s)
            inserted = await conn.fetch(
                "INSERT INTO keys (key_data, rolling_start, rolling_period, report_type, "
                "days_since_onset, publish_after, id) SELECT * FROM unnest($1::bytea[], "
                "$2::bigint[], $3::integer[], $4::integer[], $5::integer[], $6::bigint[], "
                "$7::bigint[]) ON CONFLICT (key_data) DO NOTHING RETURNING key_data",
                [k.key_data for k in keys],
                [k.rolling_start for k in keys],
                [k.rolling_period for k in keys],
                [k.report_type for k in keys],
                [k.days_since_onset for k in keys],
                [k.rolling_start + k.rolling_period + EMBARGO_INTERVALS for k in keys],
                [random_row_id() for _ in keys],
            )
            # spec SRV-23: only the upload that stored a key gives it a tag.
            stored = {bytes(r[0]) for r in inserted}
            tagged = [k for k in keys if k.key_data in stored and k.revision_tag is not None]
            if tagged:
                await conn.executemany(
                    "INSERT INTO key_tags VALUES ($1, $2)",
                    [(k.key_data, k.revision_tag) for k in tagged],
                )
            await _count(conn, utc_day(now_s), UPLOADS, 1)
            await _count(conn, utc_day(now_s), KEYS_UPLOADED, len(inserted))
            return len(inserted)

    async def key_states(self, key_data: Sequence[bytes]) -> list[StoredKeyState | None]:
        """Return each key's current state and revision tag (spec SRV-24)."""
        states: list[StoredKeyState | None] = []
        async with self._pool.acquire() as conn:
            for data in key_data:
                row = await conn.fetchrow(
                    "SELECT k.rolling_start, k.rolling_period, k.report_type, "
                    "k.days_since_onset, t.tag FROM keys k "
                    "LEFT JOIN key_tags t ON t.key_data = k.key_data WHERE k.key_data = $1",
                    data,
                )
                if row is None:
                    states.append(None)
                    continue
                tag = None if row[4] is None else bytes(row[4])
                states.append(StoredKeyState(NewKey(data, row[0], row[1], row[2], row[3], tag)))
        return states

    async def revise(self, token_digest: bytes, now_s: int, revisions: Sequence[Revision]) -> int:
        """Use the revision token, update report types, queue the revisions (SRV-24)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await _spend_token(conn, token_digest, now_s)
            for revision in revisions:
                key = revision.key
                status = await conn.execute(
                    "UPDATE keys SET report_type = $1 WHERE key_data = $2 "
                    "AND report_type IS NOT DISTINCT FROM $3",
                    key.report_type,
                    key.key_data,
                    revision.current,
                )
                if status != "UPDATE 1":
                    raise InvalidReportTypeTransitionError("SRV-24: the key was revised meanwhile")
                await conn.execute(
                    "INSERT INTO revisions (key_data, rolling_start, rolling_period, report_type,"
                    " days_since_onset) VALUES ($1, $2, $3, $4, $5)",
                    key.key_data,
                    key.rolling_start,
                    key.rolling_period,
                    key.report_type,
                    key.days_since_onset,
                )
            await _count(conn, utc_day(now_s), UPLOADS, 1)
        return len(revisions)

    async def pending_revisions(self, limit: int) -> list[PendingKey]:
        """Return up to ``limit`` unpublished revisions, oldest first (SRV-25)."""
        rows = await self._pool.fetch(
            "SELECT id, key_data, rolling_start, rolling_period, report_type, days_since_onset "
            "FROM revisions WHERE batch IS NULL ORDER BY id LIMIT $1",
            limit,
        )
        return [PendingKey(r[0], NewKey(bytes(r[1]), r[2], r[3], r[4], r[5])) for r in rows]

    async def pending_keys(self, limit: int, now_interval: int) -> list[PendingKey]:
        """Return up to ``limit`` publishable, unpublished keys, by row id (SRV-6, SRV-8)."""
        rows = await self._pool.fetch(
            "SELECT id, key_data, rolling_start, rolling_period, report_type, days_since_onset "
            "FROM keys WHERE batch IS NULL AND publish_after <= $2 ORDER BY id LIMIT $1",
            limit,
            now_interval,
        )
        return [PendingKey(r[0], NewKey(bytes(r[1]), r[2], r[3], r[4], r[5])) for r in rows]

    async def pending_count(self, now_interval: int) -> int:
        """Return how many publishable keys and revisions wait for publication (SRV-6)."""
        return await self._pool.fetchval(
            "SELECT (SELECT count(*) FROM keys WHERE batch IS NULL AND publish_after <= $1)"
            " + (SELECT count(*) FROM revisions WHERE batch IS NULL)",
            now_interval,
        )

    async def add_batch(
        self,
        batch: BatchRecord,
        archive: bytes,
        row_ids: Sequence[int],
        checkpoint: CheckpointRecord,
        revision_ids: Sequence[int] = (),
    ) -> None:
        """Record a batch with its keys and checkpoint in one transaction (spec SRV-10)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _PUBLISH_LOCK_ID)
            count = await conn.fetchval("SELECT count(*) FROM batches")
            if count != batch.number or checkpoint.tree_size != batch.number + 1:
                raise StorageError("SRV-10: the batch number is not the next leaf index")
            await conn.execute(
                f"INSERT INTO batches ({_BATCH_COLUMNS}, archive) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                batch.number,
                batch.leaf_hash,
                batch.export_bin_sha256,
                batch.archive_sha256,
                batch.archive_size,
                batch.start_s,
                batch.end_s,
                batch.key_count,
                archive,
            )
            status = await conn.execute(
                "UPDATE keys SET batch = $1 WHERE id = ANY($2::bigint[]) AND batch IS NULL",
                batch.number,
                list(row_ids),
            )
            if status != f"UPDATE {len(row_ids)}":
                raise StorageError("SRV-10: a key of the batch is no longer pending")
            status = await conn.execute(
                "UPDATE revisions SET batch = $1 WHERE id = ANY($2::bigint[]) AND batch IS NULL",
                batch.number,
                list(revision_ids),
            )
            if status != f"UPDATE {len(revision_ids)}":
                raise StorageError("SRV-25: a revision of the batch is no longer pending")
            await conn.execute(
                "INSERT INTO checkpoints VALUES ($1, $2)", checkpoint.tree_size, checkpoint.note
            )
            await _count(conn, utc_day(batch.end_s), BATCHES, 1)
            await _count(conn, utc_day(batch.end_s), KEYS_PUBLISHED, len(row_ids))

    async def batches(self, first: int = 0) -> list[BatchRecord]:
        """Return batch records from ``first`` on, in order."""
        rows = await self._pool.fetch(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE number >= $1 ORDER BY number", first
        )
        return [_batch(r) for r in rows]

    async def batch_archive(self, number: int) -> bytes:
        """Return a batch's export file bytes."""
        archive = await self._pool.fetchval("SELECT archive FROM batches WHERE number = $1", number)
        if not archive:
            raise NotFoundError("SRV-11, SRV-27: no such batch, or past its retention")
        return bytes(archive)

    async def expire_archives(self, ended_before_s: int) -> list[int]:
        """Empty the archives of batches that ended before ``ended_before_s`` (SRV-27)."""
        rows = await self._pool.fetch(
            "UPDATE batches SET archive = ''::bytea WHERE end_s < $1 AND length(archive) > 0 "
            "RETURNING number",
            ended_before_s,
        )
        return sorted(r[0] for r in rows)

    async def scrub(self) -> None:
        """VACUUM FULL the tables that held keys (spec SRV-27).

        VACUUM FULL writes each table and its TOAST data to new files and unlinks the old
        ones, so the table files no longer hold deleted rows. PostgreSQL's write-ahead log
        keeps them until its segments are recycled (after the next checkpoints), and the file
        system may keep freed blocks: encrypt the disk where that matters.
        """
        await self._pool.execute("VACUUM FULL keys, revisions, batches, key_tags")

    async def checkpoints(self, first_size: int = 0) -> list[CheckpointRecord]:
        """Return checkpoints from ``first_size`` up."""
        rows = await self._pool.fetch(
            "SELECT tree_size, note FROM checkpoints WHERE tree_size >= $1 ORDER BY tree_size",
            first_size,
        )
        return [CheckpointRecord(r[0], bytes(r[1])) for r in rows]

    async def replace_checkpoint(self, checkpoint: CheckpointRecord) -> None:
        """Replace the note stored for an existing tree size."""
        status = await self._pool.execute(
            "UPDATE checkpoints SET note = $1 WHERE tree_size = $2",
            checkpoint.note,
            checkpoint.tree_size,
        )
        if status != "UPDATE 1":
            raise NotFoundError("SRV-16: no checkpoint of that size")

    async def prune(self, expired_before_s: int, oldest_interval: int) -> int:
        """Delete expired codes and tokens and published keys past retention."""
        total = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for query, arg in (
                ("DELETE FROM codes WHERE expires_s < $1", expired_before_s),
                ("DELETE FROM tokens WHERE expires_s < $1", expired_before_s),
                (
                    "DELETE FROM keys WHERE batch IS NOT NULL "
                    "AND rolling_start + rolling_period < $1",
                    oldest_interval,
                ),
                (
                    "DELETE FROM revisions WHERE batch IS NOT NULL "
                    "AND rolling_start + rolling_period < $1",
                    oldest_interval,
                ),
                # spec SRV-14: a bucket untouched this long is full again, as if absent.
                ("DELETE FROM rate_buckets WHERE updated_s < $1", float(expired_before_s)),
                # PORTAL-5: sessions this old are long past their idle limit.
                ("DELETE FROM staff_sessions WHERE last_seen_s < $1", expired_before_s),
            ):
                status = await conn.execute(query, arg)
                total += int(status.split()[-1])
            for query in (
                "DELETE FROM code_kinds WHERE digest NOT IN (SELECT digest FROM codes)",
                "DELETE FROM token_kinds WHERE digest NOT IN (SELECT digest FROM tokens)",
                "DELETE FROM key_tags WHERE key_data NOT IN (SELECT key_data FROM keys)",
            ):
                await conn.execute(query)
        return total

    async def add_staff(
        self,
        username: str,
        role: str,
        password_hash: bytes,
        totp_secret: bytes | None,
        now_s: int,
        must_change_password: bool,
    ) -> int:
        """Create a portal account; raise StaffExistsError if the name is taken (PORTAL-2)."""
        staff_id = await self._pool.fetchval(
            "INSERT INTO staff (username, role, password_hash, totp_secret, created_s, "
            "must_change_password) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (username) DO NOTHING RETURNING id",
            username,
            role,
            password_hash,
            totp_secret,
            now_s,
            must_change_password,
        )
        if staff_id is None:
            raise StaffExistsError("PORTAL-2: an account with this username exists")
        return staff_id

    async def staff_by_name(self, username: str) -> StaffRecord | None:
        """Return the account of ``username``, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE username = $1", username
        )
        return None if row is None else StaffRecord.from_row(row)

    async def staff_by_id(self, staff_id: int) -> StaffRecord | None:
        """Return the account ``staff_id``, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE id = $1", staff_id
        )
        return None if row is None else StaffRecord.from_row(row)

    async def list_staff(self) -> list[StaffRecord]:
        """Return every account, by username."""
        rows = await self._pool.fetch(f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY username")
        return [StaffRecord.from_row(r) for r in rows]

    async def login_failed(
        self, staff_id: int, now_s: int, max_failures: int, lockout_s: int
    ) -> StaffRecord:
        """Count a failed sign-in; lock the account at ``max_failures`` (PORTAL-4).

        One statement: the row lock serialises concurrent failures of one account.
        """
        # SET expressions read the row as it was before the update.
        row = await self._pool.fetchrow(
            "UPDATE staff SET "
            "locked_until_s = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until_s END, "
            "failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END "
            f"WHERE id = $1 RETURNING {_STAFF_COLUMNS}",
            staff_id,
            max_failures,
            now_s + lockout_s,
        )
        if row is None:
            raise NotFoundError("PORTAL-4: no such account")
        return StaffRecord.from_row(row)

    async def login_succeeded(self, staff_id: int) -> None:
        """Reset the account's failed sign-ins (PORTAL-4)."""
        await self._update_staff("failed_logins = 0", staff_id)

    async def set_password(
        self, staff_id: int, password_hash: bytes, must_change_password: bool
    ) -> None:
        """Replace the account's password hash (PORTAL-3)."""
        await self._update_staff(
            "password_hash = $2, must_change_password = $3",
            staff_id,
            password_hash,
            must_change_password,
        )

    async def set_totp(self, staff_id: int, secret: bytes | None) -> None:
        """Set or clear the account's TOTP secret and forget its last step (PORTAL-14)."""
        await self._update_staff("totp_secret = $2, totp_last_step = 0", staff_id, secret)

    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        """Accept a TOTP step only if later than the last accepted one (PORTAL-14)."""
        status = await self._pool.execute(
            "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
            staff_id,
            step,
        )
        return status == "UPDATE 1"

    async def set_disabled(self, staff_id: int, disabled: bool) -> None:
        """Disable (ending its sessions) or enable an account (PORTAL-2)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._update_staff("disabled = $2", staff_id, disabled, conn=conn)
            if disabled:
                await conn.execute("DELETE FROM staff_sessions WHERE staff_id = $1", staff_id)

    async def _update_staff(self, assignments: str, staff_id: int, *values, conn=None) -> None:
        """Update one account (``$1`` is its id); raise NotFoundError when there is none."""
        status = await (conn or self._pool).execute(
            f"UPDATE staff SET {assignments} WHERE id = $1", staff_id, *values
        )
        if status != "UPDATE 1":
            raise NotFoundError("PORTAL-2: no such account")

    async def add_session(self, digest: bytes, staff_id: int, now_s: int) -> None:
        """Store a new session by its cookie's digest (PORTAL-5)."""
        await self._pool.execute(
            "INSERT INTO staff_sessions VALUES ($1, $2, $3, $3)", digest, staff_id, now_s
        )

    async def touch_session(
        self, digest: bytes, now_s: int, idle_s: int, max_age_s: int
    ) -> StaffRecord | None:
        """Return a live session's account and mark it seen; end a dead one (PORTAL-5)."""
        async with self._pool.acquire() as conn, conn.transaction():
            session = await conn.fetchrow(
                "SELECT staff_id, created_s, last_seen_s FROM staff_sessions WHERE digest = $1 "
                "FOR UPDATE",
                digest,
            )
            if session is None:
                return None
            row = await conn.fetchrow(
                f"SELECT {_STAFF_COLUMNS} FROM staff WHERE id = $1", session["staff_id"]
            )
            staff = None if row is None else StaffRecord.from_row(row)
            if not session_alive(
                session["created_s"], session["last_seen_s"], staff, now_s, idle_s, max_age_s
            ):
                await conn.execute("DELETE FROM staff_sessions WHERE digest = $1", digest)
                return None
            await conn.execute(
                "UPDATE staff_sessions SET last_seen_s = GREATEST(last_seen_s, $2) "
                "WHERE digest = $1",
                digest,
                now_s,
            )
            return staff

    async def delete_session(self, digest: bytes) -> None:
        """End one session."""
        await self._pool.execute("DELETE FROM staff_sessions WHERE digest = $1", digest)

    async def delete_sessions_of(self, staff_id: int) -> None:
        """End every session of an account."""
        await self._pool.execute("DELETE FROM staff_sessions WHERE staff_id = $1", staff_id)

    async def add_audit(self, at_s: int, actor: str, action: str, detail: str) -> None:
        """Append an event to the audit trail (PORTAL-12)."""
        await self._pool.execute(
            "INSERT INTO audit_events (at_s, actor, action, detail) VALUES ($1, $2, $3, $4)",
            at_s,
            actor,
            action,
            detail,
        )

    async def audit_events(self, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        """Return up to ``limit`` audit events, newest first, before ``before_id``."""
        rows = await self._pool.fetch(
            "SELECT id, at_s, actor, action, detail FROM audit_events "
            "WHERE $2::bigint IS NULL OR id < $2 ORDER BY id DESC LIMIT $1",
            limit,
            before_id,
        )
        return [AuditEvent(*r) for r in rows]

    async def code_status(self, code_digest: bytes) -> CodeStatus | None:
        """Return a code's kind and state without using it (PORTAL-9)."""
        row = await self._pool.fetchrow(
            "SELECT c.report_type, c.onset_interval, c.expires_s, c.used, k.exposure_interval, "
            "k.revision FROM codes c LEFT JOIN code_kinds k ON k.digest = c.digest "
            "WHERE c.digest = $1",
            code_digest,
        )
        if row is None:
            return None
        return CodeStatus(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    async def expire_code(self, code_digest: bytes, now_s: int) -> bool:
        """End an unused, unexpired code's validity at ``now_s`` (PORTAL-9)."""
        status = await self._pool.execute(
            "UPDATE codes SET expires_s = $2 WHERE digest = $1 AND NOT used AND expires_s > $2",
            code_digest,
            now_s,
        )
        return status == "UPDATE 1"

    async def daily_counts(self, first_day: int, last_day: int) -> dict[int, dict[str, int]]:
        """Return the counts of the days ``first_day`` to ``last_day`` (PORTAL-11)."""
        rows = await self._pool.fetch(
            "SELECT day, name, count FROM daily_counts WHERE day BETWEEN $1 AND $2 "
            "ORDER BY day, name",
            first_day,
            last_day,
        )
        counts: dict[int, dict[str, int]] = {}
        for day, name, count in rows:
            counts.setdefault(day, {})[name] = count
        return counts


async def _count(conn, day: int, name: str, added: int) -> int:
    """Add ``added`` to a daily count and return the new count (PORTAL-11)."""
    return await conn.fetchval(
        "INSERT INTO daily_counts AS d VALUES ($1, $2, $3) ON CONFLICT (day, name) "
        "DO UPDATE SET count = d.count + excluded.count RETURNING count",
        day,
        name,
        added,
    )


async def _spend_token(conn, token_digest: bytes, now_s: int) -> None:
    """Mark a token used, or raise why it cannot be (spec SRV-7, SRV-24)."""
    used = await conn.fetchval(
        "UPDATE tokens SET used = true WHERE digest = $1 AND NOT used AND expires_s > $2 "
        "RETURNING true",
        token_digest,
        now_s,
    )
    if used is None:
        found = await conn.fetchrow("SELECT used FROM tokens WHERE digest = $1", token_digest)
        if found is None:
            raise TokenNotFoundError("SRV-7: no such token")
        if found["used"]:
            raise TokenUsedError("SRV-7: the token was already used")
        raise TokenExpiredError("SRV-7: the token expired")
