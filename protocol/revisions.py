"""Recursive reports and revisions: which keys an upload publishes, who may revise, what wins.

The rules of spec SRV-21 (a recursive upload keeps the keys from the exposure day on),
SRV-23 and SRV-24 (the per-key revision tag and the allowed report-type transitions) and
MATCH-11 (a device resolves revised keys across batches before matching). Pure functions:
secrets come in as arguments.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bluezone.protocol.errors import (
    HmacSecretError,
    InvalidReportTypeTransitionError,
    NoKeyAfterExposureError,
)
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.params import (
    INTERVALS_PER_DAY,
    REVISION_SECRET_BYTES,
    REVISION_TAG_LABEL,
    REVISION_TRANSITIONS,
    TEK_LENGTH,
)

BEFORE_EXPOSURE_DAY = "before_exposure_day"


@dataclass(frozen=True, slots=True)
class RecursiveSplit:
    """The positions of an upload's keys a recursive code keeps and drops (SRV-21)."""

    kept: tuple[int, ...]
    dropped: tuple[int, ...]


def split_recursive(keys: Sequence[TemporaryExposureKey], exposure_interval: int) -> RecursiveSplit:
    """Keep the keys whose day is the exposure day or later; drop the others (spec SRV-21).

    A key's day is ``rolling_start // 144``. Raises NoKeyAfterExposureError when every key
    would be dropped.
    """
    exposure_day = exposure_interval // INTERVALS_PER_DAY
    kept = tuple(
        i for i, k in enumerate(keys) if k.rolling_start // INTERVALS_PER_DAY >= exposure_day
    )
    if not kept:
        raise NoKeyAfterExposureError("SRV-21: every key is from before the exposure day")
    dropped = tuple(i for i in range(len(keys)) if i not in set(kept))
    return RecursiveSplit(kept, dropped)


def revision_tag(revision_secret: bytes, key_data: bytes) -> bytes:
    """HMAC-SHA256(secret, "bluezone-revision-tag/v1" || key_data), 32 bytes (spec SRV-23)."""
    if not isinstance(revision_secret, bytes) or len(revision_secret) != REVISION_SECRET_BYTES:
        raise HmacSecretError("SRV-23: a revision secret is 32 bytes")
    if not isinstance(key_data, bytes) or len(key_data) != TEK_LENGTH:
        raise HmacSecretError("SRV-23: key data is 16 bytes")
    return hmac.digest(revision_secret, REVISION_TAG_LABEL + key_data, "sha256")


def tag_matches(revision_secret: bytes, key_data: bytes, stored_tag: bytes | None) -> bool:
    """Whether ``stored_tag`` is the key's tag under the secret, in constant time (SRV-24)."""
    if stored_tag is None:
        return False
    return hmac.compare_digest(revision_tag(revision_secret, key_data), stored_tag)


def check_transition(current: int | None, new: int) -> None:
    """Raise InvalidReportTypeTransitionError unless ``current`` may become ``new`` (SRV-24)."""
    if new not in REVISION_TRANSITIONS.get(current if current is not None else -1, ()):
        raise InvalidReportTypeTransitionError(
            f"SRV-24: report type {current} may not become {new}"
        )


def resolve_revisions(
    batches: Iterable[tuple[Sequence[TemporaryExposureKey], Sequence[TemporaryExposureKey]]],
) -> list[TemporaryExposureKey]:
    """Resolve keys across batches given in log order as ``(keys, revised_keys)`` (MATCH-11).

    Each key data appears once, in the order of its first copy, with the rolling start and
    period of its first copy and the report type and days since onset of its last.
    """
    resolved: dict[bytes, TemporaryExposureKey] = {}
    for keys, revised in batches:
        for key in (*keys, *revised):
            first = resolved.get(key.key_data)
            if first is None:
                resolved[key.key_data] = key
            else:
                resolved[key.key_data] = replace(
                    first, report_type=key.report_type, days_since_onset=key.days_since_onset
                )
    return list(resolved.values())
