"""The key server's storage interface and its records (spec SRV-4, SRV-7, SRV-10).

One interface, two implementations: SQLite (embedded, the default) and PostgreSQL. Every
method is one transaction: it happens whole or not at all, and a method that returns has
made its effects durable. Codes and tokens are stored only as SHA-256 digests (SRV-8), and
nothing links a code to its token or a token to the keys it uploaded.

The health authority's portal keeps its accounts, sessions and audit trail here too, and
counts per UTC day what the key server did (PORTAL-11): the methods that issue and use codes,
accept uploads and publish batches add to those counts in their own transaction, so a crash
never loses nor doubles one.
"""

from __future__ import annotations

import abc
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bluezone.protocol.revisions import check_transition

DAY_S = 86400
# The counts of daily_counts (PORTAL-11), each kept per UTC day.
CODES_ISSUED = "codes_issued"
CODES_USED = "codes_used"
UPLOADS = "uploads"
KEYS_UPLOADED = "keys_uploaded"
BATCHES = "batches"
KEYS_PUBLISHED = "keys_published"


def utc_day(unix_s: int) -> int:
    """The UTC day number of a time in unix seconds (day 0 is 1970-01-01)."""
    return unix_s // DAY_S


def random_row_id() -> int:
    """A key row's id: 63 random bits, so ids show neither upload order nor grouping (SRV-8)."""
    return secrets.randbelow(2**63 - 1) + 1


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An upload token: the key-list HMAC it carries and what the code said (SRV-4)."""

    key_hmac: bytes
    report_type: int
    onset_interval: int | None
    expires_s: int
    used: bool
    exposure_interval: int | None = None  # spec SRV-20: a recursive code's exposure day
    revision: bool = False  # spec SRV-20: a revision code's token


@dataclass(frozen=True, slots=True)
class CodeKind:
    """What a code says, read without using it (spec GAPI-3)."""

    report_type: int
    onset_interval: int | None
    exposure_interval: int | None
    revision: bool


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key accepted from an upload, waiting for publication (SRV-7)."""

    key_data: bytes
    rolling_start: int
    rolling_period: int
    report_type: int | None
    days_since_onset: int | None
    revision_tag: bytes | None = None  # spec SRV-23

    def __repr__(self) -> str:
        # Never print key material (STYLE: messages never carry secrets).
        return f"NewKey(rolling_start={self.rolling_start}, rolling_period={self.rolling_period})"


@dataclass(frozen=True, slots=True)
class PendingKey:
    """A stored key not yet in a batch, with its storage row id."""

    row_id: int
    key: NewKey


@dataclass(frozen=True, slots=True)
class StoredKeyState:
    """A stored key as a revision sees it: its current report type and revision tag (SRV-24)."""

    key: NewKey

    def revised_to(self, report_type: int) -> Revision:
        """The revision giving this key ``report_type`` (spec SRV-24, GAPI-11).

        Raises InvalidReportTypeTransitionError for a change SRV-24 does not allow.
        """
        check_transition(self.key.report_type, report_type)
        return Revision(replace(self.key, report_type=report_type), self.key.report_type)


@dataclass(frozen=True, slots=True)
class Revision:
    """A key's report type changing from ``current`` to ``key.report_type`` (SRV-24)."""

    key: NewKey
    current: int | None


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A published batch: its number (= leaf index), leaf hash and export file facts."""

    number: int
    leaf_hash: bytes
    export_bin_sha256: bytes
    archive_sha256: bytes
    archive_size: int
    start_s: int
    end_s: int
    key_count: int


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    """A signed checkpoint note for a tree size (SRV-10)."""

    tree_size: int
    note: bytes


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A portal account (PORTAL-2): its role, password hash, TOTP state and lockout state.

    ``locked_until_s`` is the unix second the lockout ends (0: never locked, PORTAL-4);
    ``totp_last_step`` the last TOTP time step accepted (PORTAL-14).
    """

    id: int
    username: str
    role: str
    password_hash: bytes = field(repr=False)
    totp_secret: bytes | None = field(repr=False)
    totp_last_step: int
    failed_logins: int
    locked_until_s: int
    disabled: bool
    must_change_password: bool
    created_s: int

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> StaffRecord:
        """The account of a ``staff`` row, columns in table order (both backends)."""
        secret = None if row[4] is None else bytes(row[4])
        flags = bool(row[8]), bool(row[9])
        return cls(
            row[0], row[1], row[2], bytes(row[3]), secret, row[5], row[6], row[7], *flags, row[10]
        )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the portal's audit trail (PORTAL-12); ``id`` grows with time."""

    id: int
    at_s: int
    actor: str
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class CodeStatus:
    """What a stored code says and its state, read without using it (PORTAL-9).

    A code is expired when ``now_s >= expires_s`` (SRV-4).
    """

    report_type: int
    onset_interval: int | None
    expires_s: int
    used: bool
    exposure_interval: int | None
    revision: bool


def session_alive(
    created_s: int,
    last_seen_s: int,
    staff: StaffRecord | None,
    now_s: int,
    idle_s: int,
    max_age_s: int,
) -> bool:
    """Whether a portal session may go on at ``now_s`` (PORTAL-5).

    It may not once idle for ``idle_s``, ``max_age_s`` after it began, or when its account
    is gone or disabled.
    """
    return (
        staff is not None
        and not staff.disabled
        and now_s < last_seen_s + idle_s
        and now_s < created_s + max_age_s
    )


class Storage(abc.ABC):
    """What the key server keeps. Every method is one atomic, durable transaction."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish pending work and release the database."""

    @abc.abstractmethod
    async def get_meta(self, name: str) -> str | None:
        """Return a configuration value stored at first start, or None."""

    @abc.abstractmethod
    async def set_meta(self, name: str, value: str) -> None:
        """Store a configuration value (insert or replace)."""

    @abc.abstractmethod
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
        """Store a new code; return False (storing nothing) if the digest exists (SRV-3).

        ``exposure_interval`` (recursive codes) and ``revision`` are SRV-20's kinds. Adds one
        to ``codes_issued`` of the day of ``now_s`` (PORTAL-11). With ``daily_quota``, raises
        QuotaExceededError, storing nothing, when that count has reached it (PORTAL-10).
        """

    @abc.abstractmethod
    async def exchange_code(
        self,
        code_digest: bytes,
        now_s: int,
        token_digest: bytes,
        key_hmac: bytes,
        token_expires_s: int,
    ) -> None:
        """Mark the code used and store the token, atomically (SRV-4).

        Of concurrent calls for one code, exactly one succeeds. Raises CodeNotFoundError,
        CodeUsedError or CodeExpiredError (at ``now_s`` >= the code's expiry). Adds one to
        ``codes_used`` of the day of ``now_s`` (PORTAL-11).
        """

    @abc.abstractmethod
    async def peek_code(self, code_digest: bytes) -> CodeKind | None:
        """Return an unused code's kind without using it, or None if unknown (spec GAPI-3).

        Used and expired codes are returned too: the exchange that follows says why it fails.
        """

    @abc.abstractmethod
    async def bind_token(
        self, token_digest: bytes, now_s: int, key_hmac: bytes, unbound: bytes
    ) -> TokenRecord:
        """Set a token's key-list HMAC if it is still ``unbound``; return the record (GAPI-4).

        Of concurrent calls for one token, exactly one succeeds. Raises TokenNotFoundError,
        TokenUsedError (used, or bound already) or TokenExpiredError.
        """

    @abc.abstractmethod
    async def get_token(self, token_digest: bytes) -> TokenRecord:
        """Return the token's record; raise TokenNotFoundError."""

    @abc.abstractmethod
    async def use_token(self, token_digest: bytes, now_s: int, keys: Sequence[NewKey]) -> int:
        """Mark the token used and store its keys, atomically (SRV-7).

        Of concurrent calls for one token, exactly one succeeds. A key whose key data is
        already stored is kept once. Each key is stored with its ``publish_after`` interval
        (SRV-6). Returns how many keys were new. Raises TokenNotFoundError, TokenUsedError
        or TokenExpiredError. Adds one to ``uploads`` and the new keys to ``keys_uploaded``
        of the day of ``now_s`` (PORTAL-11).
        """

    @abc.abstractmethod
    async def key_states(self, key_data: Sequence[bytes]) -> list[StoredKeyState | None]:
        """Return each key's stored state, None for a key not stored (SRV-24)."""

    @abc.abstractmethod
    async def revise(self, token_digest: bytes, now_s: int, revisions: Sequence[Revision]) -> int:
        """Use a revision token, set each key's report type and queue the revisions (SRV-24).

        Atomic; raises the token errors of ``use_token`` and InvalidReportTypeTransitionError
        if a key's report type is no longer ``current``. Returns how many keys were revised.
        Adds one to ``uploads`` of the day of ``now_s`` (PORTAL-11): a revision is an upload.
        """

    @abc.abstractmethod
    async def pending_revisions(self, limit: int) -> list[PendingKey]:
        """Return up to ``limit`` revisions not yet in a batch, oldest first (SRV-25)."""

    @abc.abstractmethod
    async def pending_keys(self, limit: int, now_interval: int) -> list[PendingKey]:
        """Return up to ``limit`` keys not yet in a batch and publishable at ``now_interval``
        (their ``publish_after`` is not later, SRV-6), by row id (random, SRV-8)."""

    @abc.abstractmethod
    async def pending_count(self, now_interval: int) -> int:
        """Return how many keys publishable at ``now_interval`` and revisions wait for
        publication."""

    @abc.abstractmethod
    async def add_batch(
        self,
        batch: BatchRecord,
        archive: bytes,
        row_ids: Sequence[int],
        checkpoint: CheckpointRecord,
        revision_ids: Sequence[int] = (),
    ) -> None:
        """Record a batch, assign its keys and revisions and store its checkpoint (SRV-10).

        ``batch.number`` must equal the number of batches stored and every row id must
        name a pending key; otherwise nothing changes and StorageError is raised. Adds one to
        ``batches`` and ``len(row_ids)`` (the real keys, no padding) to ``keys_published`` of
        the day of ``batch.end_s`` (PORTAL-11).
        """

    @abc.abstractmethod
    async def batches(self, first: int = 0) -> list[BatchRecord]:
        """Return the batches numbered ``first`` and up, in order."""

    @abc.abstractmethod
    async def batch_archive(self, number: int) -> bytes:
        """Return a batch's export file; raise NotFoundError."""

    @abc.abstractmethod
    async def expire_archives(self, ended_before_s: int) -> list[int]:
        """Drop the export files of batches that ended before ``ended_before_s`` (SRV-27).

        Leaf hash, export digest, size and times stay. Returns the numbers of the batches
        whose file went now; ``batch_archive`` of an expired batch raises NotFoundError.
        """

    @abc.abstractmethod
    async def scrub(self) -> None:
        """Rewrite the database files so deleted rows and files leave no bytes (SRV-27)."""

    @abc.abstractmethod
    async def checkpoints(self, first_size: int = 0) -> list[CheckpointRecord]:
        """Return the checkpoints of tree size ``first_size`` and up, by size."""

    @abc.abstractmethod
    async def replace_checkpoint(self, checkpoint: CheckpointRecord) -> None:
        """Replace the note of an existing tree size (a witness added a cosignature)."""

    @abc.abstractmethod
    async def prune(self, expired_before_s: int, oldest_interval: int) -> int:
        """Delete codes and tokens that expired before ``expired_before_s``, and published
        keys that ended before ``oldest_interval``; return how many rows went.

        Portal sessions last seen before ``expired_before_s`` go too (the server passes a
        day ago): they are long past their idle limit (PORTAL-5).
        """

    # The health authority's portal (section 7).

    @abc.abstractmethod
    async def add_staff(
        self,
        username: str,
        role: str,
        password_hash: bytes,
        totp_secret: bytes | None,
        now_s: int,
        must_change_password: bool,
    ) -> int:
        """Create a portal account; return its id (PORTAL-2).

        Raises StaffExistsError, creating nothing, when the username is taken.
        """

    @abc.abstractmethod
    async def staff_by_name(self, username: str) -> StaffRecord | None:
        """Return the account of ``username``, or None."""

    @abc.abstractmethod
    async def staff_by_id(self, staff_id: int) -> StaffRecord | None:
        """Return the account ``staff_id``, or None."""

    @abc.abstractmethod
    async def list_staff(self) -> list[StaffRecord]:
        """Return every account, by username."""

    @abc.abstractmethod
    async def login_failed(
        self, staff_id: int, now_s: int, max_failures: int, lockout_s: int
    ) -> StaffRecord:
        """Count a failed sign-in and return the account as it is now (PORTAL-4).

        Atomically: ``failed_logins`` += 1; when that reaches ``max_failures``, the account
        is locked until ``now_s + lockout_s`` and ``failed_logins`` starts again at 0.
        Raises NotFoundError for an unknown account.
        """

    @abc.abstractmethod
    async def login_succeeded(self, staff_id: int) -> None:
        """Reset the account's failed sign-ins to 0 (PORTAL-4)."""

    @abc.abstractmethod
    async def set_password(
        self, staff_id: int, password_hash: bytes, must_change_password: bool
    ) -> None:
        """Replace the account's password hash (PORTAL-3). Raises NotFoundError."""

    @abc.abstractmethod
    async def set_totp(self, staff_id: int, secret: bytes | None) -> None:
        """Set or clear the account's TOTP secret; no step is used yet (PORTAL-14).

        Raises NotFoundError.
        """

    @abc.abstractmethod
    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        """Accept a TOTP time step once: store it and return True only when it is later
        than every step accepted before, atomically (PORTAL-14)."""

    @abc.abstractmethod
    async def set_disabled(self, staff_id: int, disabled: bool) -> None:
        """Disable or enable an account; disabling ends its sessions (PORTAL-2).

        Raises NotFoundError.
        """

    @abc.abstractmethod
    async def add_session(self, digest: bytes, staff_id: int, now_s: int) -> None:
        """Store a new session by the digest of its cookie (PORTAL-5)."""

    @abc.abstractmethod
    async def touch_session(
        self, digest: bytes, now_s: int, idle_s: int, max_age_s: int
    ) -> StaffRecord | None:
        """Return the session's account and mark it seen at ``now_s`` (PORTAL-5).

        Returns None, deleting the session, when it is unknown, idle for ``idle_s`` or more
        (``now_s >= last_seen_s + idle_s``), ``max_age_s`` old or more, or its account is
        disabled.
        """

    @abc.abstractmethod
    async def delete_session(self, digest: bytes) -> None:
        """End one session (sign-out); an unknown digest is no error."""

    @abc.abstractmethod
    async def delete_sessions_of(self, staff_id: int) -> None:
        """End every session of an account."""

    @abc.abstractmethod
    async def add_audit(self, at_s: int, actor: str, action: str, detail: str) -> None:
        """Append an event to the audit trail (PORTAL-12); ``detail`` never holds a code."""

    @abc.abstractmethod
    async def audit_events(self, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        """Return up to ``limit`` audit events, newest first, older than ``before_id`` if
        given (the id of the last event of the previous page)."""

    @abc.abstractmethod
    async def code_status(self, code_digest: bytes) -> CodeStatus | None:
        """Return a code's kind and state without using it, or None if unknown (PORTAL-9)."""

    @abc.abstractmethod
    async def expire_code(self, code_digest: bytes, now_s: int) -> bool:
        """End an unused, unexpired code's validity now; return whether it changed (PORTAL-9).

        A used, expired or unknown code is left as it is.
        """

    @abc.abstractmethod
    async def daily_counts(self, first_day: int, last_day: int) -> dict[int, dict[str, int]]:
        """Return the counts of the UTC days ``first_day`` to ``last_day`` (both included) by
        day and name; days without counts are left out (PORTAL-11)."""
