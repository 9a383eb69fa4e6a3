"""Key upload and batch assembly rules of the key server (spec SRV-5, SRV-6, SRV-9).

The key-list HMAC binds an upload token to exactly the keys a device will upload, as the
GAEN verification server does: the device keeps a random secret, sends only the HMAC when it
exchanges its code, and reveals the secret with the keys. Batch assembly orders keys by a
keyed hash and pads them with random keys, so a batch never shows which keys came together.
Every secret and every random byte is an argument: nothing here draws randomness.
"""

from __future__ import annotations

import base64
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b

from bluezone.protocol.errors import (
    DuplicateKeyError,
    HmacMismatchError,
    HmacSecretError,
    InvalidCodeError,
    NoKeysInWindowError,
    OverlappingKeysError,
    TooFewKeysError,
    TooManyKeysError,
    UploadError,
)
from bluezone.protocol.export import ExportKey
from bluezone.protocol.keys import TemporaryExposureKey, day_start_interval
from bluezone.protocol.params import (
    BATCH_ORDER_DIGEST_BYTES,
    BATCH_ORDER_SECRET_BYTES,
    CHAFF_MAX_PAUSE_S,
    CHAFF_RANDOM_BYTES,
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_ONSET_DAYS_AGO,
    EMBARGO_INTERVALS,
    INTERVALS_PER_DAY,
    KEY_HMAC_LENGTH,
    MAX_CODE_LINK_CHARS,
    MAX_HMAC_SECRET_BYTES,
    MAX_ROLLING_PERIOD,
    MAX_SAME_START_KEYS,
    MAX_UPLOAD_KEYS,
    MIN_CODE_LENGTH,
    MIN_HMAC_SECRET_BYTES,
    MIN_UPLOAD_KEYS,
    ONSET_MAX_AGE_DAYS,
    PADDING_KEY_RANDOM_BYTES,
    RETENTION_DAYS,
    RETENTION_INTERVALS,
    TEK_LENGTH,
    TRANSMISSION_RISK_BY_REPORT_TYPE,
)

_CODE_SYMBOLS = frozenset(CODE_ALPHABET)


def canonical_key_list(keys: Sequence[TemporaryExposureKey]) -> bytes:
    """Return the canonical text of a key list that the key-list HMAC covers (spec SRV-5).

    Each key becomes "base64(key data).rolling_start.rolling_period" (standard padded
    base64, decimal integers); the strings are sorted by their bytes and joined with ",".
    The order of the keys in the upload therefore does not matter.
    """
    items = sorted(
        f"{base64.b64encode(k.key_data).decode('ascii')}.{k.rolling_start}.{k.rolling_period}"
        for k in keys
    )
    return ",".join(items).encode("ascii")


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or not (
        MIN_HMAC_SECRET_BYTES <= len(secret) <= MAX_HMAC_SECRET_BYTES
    ):
        length = len(secret) if isinstance(secret, bytes) else "non-bytes"
        raise HmacSecretError(f"SRV-5: HMAC secret must be 16..64 bytes, got {length}")


def key_list_hmac(secret: bytes, keys: Sequence[TemporaryExposureKey]) -> bytes:
    """Return HMAC-SHA256(secret, canonical key list), 32 bytes (spec SRV-5)."""
    _check_secret(secret)
    return hmac.digest(secret, canonical_key_list(keys), "sha256")


def check_key_list_hmac(
    secret: bytes, keys: Sequence[TemporaryExposureKey], expected: bytes
) -> None:
    """Raise HmacMismatchError unless the keys' HMAC under ``secret`` equals ``expected``.

    The comparison takes the same time wherever the values differ (spec SRV-5).
    """
    if not isinstance(expected, bytes) or len(expected) != KEY_HMAC_LENGTH:
        raise HmacSecretError("SRV-5: a key-list HMAC is 32 bytes")
    if not hmac.compare_digest(key_list_hmac(secret, keys), expected):
        raise HmacMismatchError("SRV-5: the keys do not match the token's HMAC")


# spec SRV-6: names of the warnings of an upload answer, one per dropped key.
WARNING_KEY_TOO_OLD = "key_too_old"
WARNING_KEY_IN_FUTURE = "key_in_future"


@dataclass(frozen=True, slots=True)
class UploadWarning:
    """A key of an upload that was dropped: its position in the upload and why (SRV-6)."""

    index: int
    warning: str


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """The keys of an upload to store, in upload order, and the warnings of the dropped ones."""

    keys: tuple[TemporaryExposureKey, ...]
    warnings: tuple[UploadWarning, ...]


def publish_after(key: TemporaryExposureKey) -> int:
    """The first interval at which a stored key may be published (spec SRV-6, KS-12)."""
    return key.end_interval + EMBARGO_INTERVALS


def check_upload(
    keys: Sequence[TemporaryExposureKey],
    now_interval: int,
    max_keys: int = MAX_UPLOAD_KEYS,
    max_same_start: int = MAX_SAME_START_KEYS,
) -> CheckedUpload:
    """Check an upload's keys against spec SRV-6 at ``now_interval``; return what to store.

    Raises, for the whole upload: TooFewKeysError or TooManyKeysError (1..``max_keys``),
    DuplicateKeyError (same key data twice), OverlappingKeysError (keys whose periods
    overlap without the same rolling start, or more than ``max_same_start`` keys with one
    start) and NoKeysInWindowError (no key left). Drops, with a warning, a key that ended 14
    days or more before today's UTC midnight and a key that starts after ``now_interval``.
    Keys still valid or inside their embargo are kept: the server publishes them from
    ``publish_after(key)`` on. Key lengths and periods are checked when each
    TemporaryExposureKey is built (KS-1, KS-4).
    """
    if len(keys) < MIN_UPLOAD_KEYS:
        raise TooFewKeysError("SRV-6: an upload holds at least one key")
    if len(keys) > max_keys:
        raise TooManyKeysError(f"SRV-6: an upload holds at most {max_keys} keys, got {len(keys)}")
    if len({k.key_data for k in keys}) != len(keys):
        raise DuplicateKeyError("SRV-6: two keys carry the same key data")
    _check_overlaps(keys, max_same_start)
    oldest_end = day_start_interval(now_interval) - RETENTION_INTERVALS
    kept, warnings = [], []
    for index, key in enumerate(keys):
        if key.end_interval <= oldest_end:
            warnings.append(UploadWarning(index, WARNING_KEY_TOO_OLD))
        elif key.rolling_start > now_interval:
            warnings.append(UploadWarning(index, WARNING_KEY_IN_FUTURE))
        else:
            kept.append(key)
    if not kept:
        raise NoKeysInWindowError(
            f"SRV-6: every key ended {RETENTION_DAYS} days ago or more, or starts later"
        )
    return CheckedUpload(tuple(kept), tuple(warnings))


def _check_overlaps(keys: Sequence[TemporaryExposureKey], max_same_start: int) -> None:
    """Refuse overlapping keys that do not share their start, and crowded starts (SRV-6)."""
    ordered = sorted(keys, key=lambda k: (k.rolling_start, k.rolling_period))
    same_start, start, end = 0, -1, -1
    for key in ordered:
        if key.rolling_start == start:
            same_start += 1
            if same_start > max_same_start:
                raise OverlappingKeysError(
                    f"SRV-6: more than {max_same_start} keys start in one interval"
                )
        elif key.rolling_start < end:
            raise OverlappingKeysError("SRV-6: two keys overlap without sharing their start")
        else:
            same_start, start = 1, key.rolling_start
        end = max(end, key.end_interval)


def onset_in_window(onset_interval: int, now_interval: int) -> bool:
    """Whether a symptom onset lies from 28 days before today up to ``now_interval`` (SRV-3)."""
    earliest = day_start_interval(now_interval) - ONSET_MAX_AGE_DAYS * INTERVALS_PER_DAY
    return earliest <= onset_interval <= now_interval


def default_onset_interval(now_interval: int, days_ago: int = DEFAULT_ONSET_DAYS_AGO) -> int:
    """The onset a server may assume when a code gives none (SRV-7): ``days_ago`` days
    before today's midnight, 4 as GAEN's key server assumes."""
    return day_start_interval(now_interval) - days_ago * INTERVALS_PER_DAY


def transmission_risk(report_type: int | None) -> int | None:
    """The transmission risk written for a key of ``report_type``, or None (spec SRV-10)."""
    return None if report_type is None else TRANSMISSION_RISK_BY_REPORT_TYPE.get(report_type)


def days_since_onset(rolling_start: int, onset_interval: int | None) -> int | None:
    """Return the key's day minus the symptom-onset day, clamped to -14..14 (spec SRV-7).

    None when the health authority gave no onset.
    """
    if onset_interval is None:
        return None
    days = rolling_start // INTERVALS_PER_DAY - onset_interval // INTERVALS_PER_DAY
    return max(-RETENTION_DAYS, min(RETENTION_DAYS, days))


def batch_order(keys: Sequence[ExportKey], secret: bytes) -> list[ExportKey]:
    """Return the keys in batch order: by keyed BLAKE2b-128 of their key data (spec SRV-9).

    ``secret`` is 32 fresh random bytes per batch, never published; the order then carries
    no trace of upload order or of which keys were uploaded together.
    """
    if not isinstance(secret, bytes) or len(secret) != BATCH_ORDER_SECRET_BYTES:
        raise UploadError("SRV-9: the batch order secret is 32 bytes")

    def order_key(key: ExportKey) -> bytes:
        return blake2b(key.key_data, key=secret, digest_size=BATCH_ORDER_DIGEST_BYTES).digest()

    return sorted(keys, key=order_key)


def padding_key_count(real_keys: int, minimum: int) -> int:
    """Return how many padding keys bring a batch of ``real_keys`` to ``minimum`` (SRV-9)."""
    return max(0, minimum - real_keys)


def padding_keys(
    count: int,
    templates: Sequence[ExportKey],
    now_interval: int,
    randomness: bytes,
) -> tuple[ExportKey, ...]:
    """Return ``count`` padding keys drawn from the batch's real keys (spec SRV-9).

    ``randomness`` holds exactly ``count * 28`` random bytes (else UploadError): per key,
    16 bytes of key data and three 4-byte big-endian numbers, each choosing a real key:
    the first gives the rolling start and period, the second the report type and the
    transmission risk (which follows from it), the third the days since onset. The fields
    are drawn independently, so a padding key follows each field's distribution in the
    batch without copying any real key's combination: a reporter's keys share one onset
    day (start day minus days since onset), padding keys spread over many, and counting
    onset groups no longer counts reporters. A batch with no real key uses full-day keys
    of one of the 14 days before today's midnight, reported as confirmed tests (with their
    transmission risk).
    """
    if len(randomness) != count * PADDING_KEY_RANDOM_BYTES:
        raise UploadError("SRV-9: padding needs 28 random bytes per key")
    start_today = day_start_interval(now_interval)
    result = []
    for i in range(count):
        chunk = randomness[i * PADDING_KEY_RANDOM_BYTES : (i + 1) * PADDING_KEY_RANDOM_BYTES]
        key_data = chunk[:TEK_LENGTH]
        picks = [
            int.from_bytes(chunk[TEK_LENGTH + 4 * j : TEK_LENGTH + 4 * (j + 1)], "big")
            for j in range(3)
        ]
        if templates:
            timing, kind, onset = (templates[pick % len(templates)] for pick in picks)
            result.append(
                ExportKey(
                    key_data,
                    timing.rolling_start_interval_number,
                    timing.rolling_period,
                    transmission_risk_level=kind.transmission_risk_level,
                    report_type=kind.report_type,
                    days_since_onset_of_symptoms=onset.days_since_onset_of_symptoms,
                )
            )
        else:
            day = 1 + picks[0] % RETENTION_DAYS
            start = start_today - day * INTERVALS_PER_DAY
            result.append(
                ExportKey(
                    key_data,
                    start,
                    MAX_ROLLING_PERIOD,
                    transmission_risk_level=transmission_risk(1),
                    report_type=1,
                )
            )
    return tuple(result)


def chaff_schedule(randomness: bytes, mean_gap_s: float) -> tuple[float, float]:
    """Return (gap before the next chaff, pause between its two requests) in seconds (DENY-3).

    ``randomness`` is 16 bytes from a CSPRNG (else UploadError): the first 8 give an
    exponentially distributed gap of mean ``mean_gap_s`` (a Poisson process), the last 8 a
    pause uniform in [0, CHAFF_MAX_PAUSE_S).
    """
    if len(randomness) != CHAFF_RANDOM_BYTES:
        raise UploadError("DENY-3: a chaff schedule needs 16 random bytes")
    if not mean_gap_s > 0:
        raise UploadError("DENY-3: the mean gap between chaff must be positive")
    # 53 bits each: uniform floats in [0, 1) that never round up to 1.
    u = (int.from_bytes(randomness[:8], "big") >> 11) / 2**53
    v = (int.from_bytes(randomness[8:], "big") >> 11) / 2**53
    return -mean_gap_s * math.log1p(-u), v * CHAFF_MAX_PAUSE_S


def _code_of_link(link: str) -> str:
    """The single ``c`` query parameter of a link (spec PORTAL-7), else ""."""
    query = link.strip().partition("?")[2].partition("#")[0]
    values = [v for k, _, v in (part.partition("=") for part in query.split("&")) if k == "c"]
    return values[0] if len(values) == 1 else ""


def normalize_code(text: str) -> str:
    """Return a verification code as typed, in canonical form (spec SRV-3).

    Spaces and hyphens are dropped and letters upper-cased; the result must be
    ``MIN_CODE_LENGTH``..``CODE_LENGTH`` symbols of ``CODE_ALPHABET`` (a server may issue
    codes as short as 8), else InvalidCodeError. The link of a text message (spec PORTAL-7:
    any URL whose query holds ``c=<code>``) stands for its code.
    """
    if isinstance(text, str) and "://" in text and len(text) <= MAX_CODE_LINK_CHARS:
        text = _code_of_link(text)
    if not isinstance(text, str) or len(text) > 4 * CODE_LENGTH:
        raise InvalidCodeError("SRV-3: a code is a short string")
    code = text.replace(" ", "").replace("-", "").upper()
    if not MIN_CODE_LENGTH <= len(code) <= CODE_LENGTH or not set(code) <= _CODE_SYMBOLS:
        raise InvalidCodeError(
            f"SRV-3: a code is {MIN_CODE_LENGTH} to {CODE_LENGTH} symbols of the code alphabet"
        )
    return code


def coarse_expiry(now_s: int, validity_s: int, step_s: int) -> int:
    """``now_s + validity_s`` rounded up to a multiple of ``step_s`` (spec SRV-3, SRV-4)."""
    return -(-(now_s + validity_s) // step_s) * step_s


def code_digest(code: str, key: bytes) -> bytes:
    """Return HMAC-SHA256(key, code's ASCII text), what a server stores (spec SRV-8).

    ``key`` is a server secret kept outside its database: a plain hash of a 49.5-bit code
    could be reversed by trying every code.
    """
    return hmac.digest(key, code.encode("ascii"), "sha256")


def token_digest(token: bytes, key: bytes) -> bytes:
    """Return HMAC-SHA256(key, upload token), what a server stores (spec SRV-8)."""
    return hmac.digest(key, token, "sha256")
