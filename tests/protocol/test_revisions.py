"""Recursive uploads, revision tags, transitions and the resolution of revised keys."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.errors import (
    HmacSecretError,
    InvalidReportTypeTransitionError,
    NoKeyAfterExposureError,
)
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.revisions import (
    check_transition,
    resolve_revisions,
    revision_tag,
    split_recursive,
    tag_matches,
)

DAY = 20_000 * 144


def _key(n: int, start: int, report_type: int | None = None) -> TemporaryExposureKey:
    return TemporaryExposureKey(bytes([n]) * 16, start, 144, report_type, None)


def test_split_recursive_keeps_the_exposure_day_and_later():  # spec SRV-21
    keys = [_key(1, DAY - 144), _key(2, DAY), _key(3, DAY + 144), _key(4, DAY - 1, None)]
    split = split_recursive(keys, DAY + 143)  # any interval of the exposure day
    assert split.kept == (1, 2) and split.dropped == (0, 3)


def test_split_recursive_refuses_when_nothing_is_left():
    with pytest.raises(NoKeyAfterExposureError):
        split_recursive([_key(1, DAY - 144)], DAY)


def test_revision_tag_is_hmac_of_label_and_key():  # spec SRV-23
    secret = bytes(range(32))
    expected = hmac.digest(secret, b"bluezone-revision-tag/v1" + bytes(16), "sha256")
    assert revision_tag(secret, bytes(16)) == expected
    assert tag_matches(secret, bytes(16), expected)
    assert not tag_matches(bytes(32), bytes(16), expected)
    assert not tag_matches(secret, bytes(16), None)
    with pytest.raises(HmacSecretError):
        revision_tag(bytes(31), bytes(16))


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (4, 1, True),
        (4, 5, True),
        (1, 5, True),
        (2, 1, True),
        (3, 5, True),
        (1, 1, False),
        (1, 4, False),
        (5, 1, False),
        (5, 5, False),
        (None, 5, False),
        (2, 4, False),
    ],
)
def test_transitions(current, new, allowed):  # spec SRV-24
    if allowed:
        check_transition(current, new)
    else:
        with pytest.raises(InvalidReportTypeTransitionError):
            check_transition(current, new)


def test_resolve_takes_the_last_report_type_and_the_first_period():  # spec MATCH-11
    original = [_key(1, DAY, 4), _key(2, DAY, 1)]
    later = ([], [_key(1, DAY, 5)])
    resolved = resolve_revisions([(original, []), later])
    assert [(k.key_data[0], k.report_type) for k in resolved] == [(1, 5), (2, 1)]


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5), st.booleans()), max_size=12))
def test_resolve_holds_each_key_once_with_its_last_copy(copies):
    batches = [
        ([], [_key(n, DAY, t)]) if revised else ([_key(n, DAY, t)], []) for n, t, revised in copies
    ]
    resolved = resolve_revisions(batches)
    assert len({k.key_data for k in resolved}) == len(resolved)
    last = {n: t for n, t, _ in copies}
    assert {k.key_data[0]: k.report_type for k in resolved} == last
