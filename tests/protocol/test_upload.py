"""Upload and batch rules of the key server (spec SRV-3, SRV-5, SRV-6, SRV-9)."""

from __future__ import annotations

import collections
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.errors import (
    DuplicateKeyError,
    HmacMismatchError,
    HmacSecretError,
    InvalidCodeError,
    NoKeysInWindowError,
    OverlappingKeysError,
    ProtocolError,
    TooFewKeysError,
    TooManyKeysError,
)
from bluezone.protocol.export import ExportKey
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.params import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MIN_CODE_LENGTH,
    PADDING_KEY_RANDOM_BYTES,
)
from bluezone.protocol.upload import (
    UploadWarning,
    batch_order,
    canonical_key_list,
    check_key_list_hmac,
    check_upload,
    days_since_onset,
    key_list_hmac,
    normalize_code,
    padding_key_count,
    padding_keys,
    publish_after,
)

NOW = 2_900_000 * 600 // 600  # an interval number
TODAY = NOW - NOW % 144


def _key(data: bytes, start: int, period: int = 144) -> TemporaryExposureKey:
    return TemporaryExposureKey(data, start, period)


def _days(rng: random.Random, count: int) -> list[TemporaryExposureKey]:
    return [_key(rng.randbytes(16), TODAY - 144 * d) for d in range(1, count + 1)]


def test_canonical_key_list_is_sorted_text():
    keys = [_key(bytes([2]) * 16, 100, 144), _key(bytes([1]) * 16, 244, 7)]
    assert (
        canonical_key_list(keys)
        == b"AQEBAQEBAQEBAQEBAQEBAQ==.244.7,AgICAgICAgICAgICAgICAg==.100.144"
    )


def test_hmac_is_hmac_sha256_of_the_canonical_list():
    import hmac

    keys = _days(random.Random(1), 3)
    secret = bytes(range(32))
    expected = hmac.new(secret, canonical_key_list(keys), "sha256").digest()
    assert key_list_hmac(secret, keys) == expected
    check_key_list_hmac(secret, list(reversed(keys)), expected)
    with pytest.raises(HmacMismatchError):
        check_key_list_hmac(secret, keys[:2], expected)


@pytest.mark.parametrize("length", [0, 15, 65])
def test_hmac_secret_length_is_checked(length):
    with pytest.raises(HmacSecretError):
        key_list_hmac(bytes(length), _days(random.Random(2), 1))


def test_key_count_limits():
    rng = random.Random(3)
    fifteen = [*_days(rng, 14), _key(rng.randbytes(16), TODAY)]
    assert len(check_upload(fifteen, NOW).keys) == 15
    with pytest.raises(TooFewKeysError):
        check_upload([], NOW)
    with pytest.raises(TooManyKeysError):
        check_upload([*fifteen, _key(rng.randbytes(16), NOW - 1, 1)], NOW)
    with pytest.raises(TooManyKeysError):
        check_upload(fifteen, NOW, max_keys=14)


def test_duplicate_key_data():
    rng = random.Random(4)
    keys = _days(rng, 2)
    with pytest.raises(DuplicateKeyError):
        check_upload([*keys, _key(keys[0].key_data, TODAY - 3 * 144)], NOW)


def test_keys_inside_their_embargo_are_kept_with_their_publish_after():
    rng = random.Random(5)
    ended = _key(rng.randbytes(16), TODAY - 144, 134)  # ended at TODAY - 10
    today = _key(rng.randbytes(16), TODAY, 144)
    checked = check_upload([ended, today], TODAY + 1)
    assert checked.keys == (ended, today) and checked.warnings == ()
    assert [publish_after(k) for k in checked.keys] == [TODAY + 2, TODAY + 144 + 12]


def test_keys_outside_the_window_are_dropped_with_a_warning():
    rng = random.Random(6)
    good = _key(rng.randbytes(16), TODAY - 14 * 144, 144)
    old = _key(rng.randbytes(16), TODAY - 15 * 144, 144)
    future = _key(rng.randbytes(16), NOW + 1, 3)
    checked = check_upload([old, good, future], NOW)
    assert checked.keys == (good,)
    assert checked.warnings == (
        UploadWarning(0, "key_too_old"),
        UploadWarning(2, "key_in_future"),
    )
    with pytest.raises(NoKeysInWindowError):
        check_upload([old, future], NOW)


def test_overlapping_keys_must_share_their_start_and_stay_few():
    rng = random.Random(8)
    shared = [_key(rng.randbytes(16), TODAY - 144, p) for p in (144, 60, 6)]
    check_upload([*shared, _key(rng.randbytes(16), TODAY, 30)], NOW)
    with pytest.raises(OverlappingKeysError):
        check_upload([*shared, _key(rng.randbytes(16), TODAY - 144, 7)], NOW)
    check_upload([*shared, _key(rng.randbytes(16), TODAY - 144, 7)], NOW, max_same_start=4)
    with pytest.raises(OverlappingKeysError):
        check_upload([shared[0], _key(rng.randbytes(16), TODAY - 1, 30)], NOW)
    with pytest.raises(OverlappingKeysError):  # one code, the same day of 14 devices
        check_upload([_key(rng.randbytes(16), TODAY - 144) for _ in range(14)], NOW)


def test_days_since_onset_is_clamped():
    assert days_since_onset(TODAY, None) is None
    assert days_since_onset(TODAY - 144, TODAY + 5) == -1
    assert days_since_onset(TODAY + 144 * 30, TODAY) == 14
    assert days_since_onset(TODAY - 144 * 30, TODAY) == -14


@given(
    st.lists(st.binary(min_size=16, max_size=16), unique=True, max_size=40),
    st.binary(min_size=32, max_size=32),
)
def test_batch_order_is_a_permutation(datas, secret):
    keys = [ExportKey(d, 1000) for d in datas]
    ordered = batch_order(keys, secret)
    assert sorted(k.key_data for k in ordered) == sorted(datas)
    assert batch_order(list(reversed(keys)), secret) == ordered


def test_batch_order_depends_on_the_secret():
    keys = [ExportKey(bytes([i]) * 16, 1000) for i in range(30)]
    assert batch_order(keys, bytes(32)) != batch_order(keys, bytes([1]) * 32)


def test_padding_draws_each_field_from_the_real_keys_and_fills_without_them():
    rng = random.Random(7)
    templates = [
        ExportKey(
            rng.randbytes(16), TODAY - 144, 100, report_type=2, days_since_onset_of_symptoms=3
        )
    ]
    count = padding_key_count(1, 5)
    padded = padding_keys(count, templates, NOW, rng.randbytes(count * PADDING_KEY_RANDOM_BYTES))
    assert len(padded) == 4
    assert {
        (
            k.rolling_start_interval_number,
            k.rolling_period,
            k.report_type,
            k.days_since_onset_of_symptoms,
        )
        for k in padded
    } == {(TODAY - 144, 100, 2, 3)}
    alone = padding_keys(50, [], NOW, rng.randbytes(50 * PADDING_KEY_RANDOM_BYTES))
    starts = {k.rolling_start_interval_number for k in alone}
    assert starts <= {TODAY - 144 * d for d in range(1, 15)} and len(starts) > 5
    assert padding_key_count(30, 5) == 0
    with pytest.raises(ValueError):
        padding_keys(2, [], NOW, bytes(55))


def test_padding_does_not_show_how_many_people_reported():
    # spec SRV-9: three reporters with onsets 3, 5 and 9 days ago, ten keys each. Copying
    # real keys left exactly three onset days in the batch; independent fields spread them.
    rng = random.Random(11)
    real = [
        ExportKey(
            rng.randbytes(16),
            TODAY - 144 * day,
            144,
            report_type=1,
            days_since_onset_of_symptoms=onset - day,
        )
        for onset in (3, 5, 9)
        for day in range(1, 11)
    ]
    count = padding_key_count(len(real), 1000)
    padded = padding_keys(count, real, NOW, rng.randbytes(count * PADDING_KEY_RANDOM_BYTES))

    def onset_day(key: ExportKey) -> int:
        return key.rolling_start_interval_number // 144 - key.days_since_onset_of_symptoms

    assert len({onset_day(k) for k in real}) == 3
    onsets = collections.Counter(onset_day(k) for k in (*real, *padded))
    assert len(onsets) > 10
    # Every real onset day is hidden among padding keys of the same onset.
    assert all(onsets[onset_day(k)] > 30 for k in real)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abcd-efgh-jk", "ABCDEFGHJK"),
        ("2345 6789 XY", "23456789XY"),
        ("abcd-efgh", "ABCDEFGH"),
        ("ABCDEFGHJ", "ABCDEFGHJ"),
        # spec PORTAL-7: the link of a text message stands for its code
        ("bluezone://verify?c=7KQ4MZ9TXH", "7KQ4MZ9TXH"),
        (" https://app.example/v?r=VN&c=7kq4mz9txh ", "7KQ4MZ9TXH"),
    ],
)
def test_codes_are_normalised(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEFG",
        "ABCDEFGHJKM",
        "ABCDEFGHJ0",
        "ABCDEFGHJI",
        "",
        12,
        "bluezone://verify?c=7KQ4MZ9TXH&c=7KQ4MZ9TXJ",  # two codes: none
        "bluezone://verify?code=7KQ4MZ9TXH",
        "bluezone://verify?c=",
        "bluezone://verify?c=" + "A" * 600,
    ],
)
def test_malformed_codes_are_refused(typed):
    with pytest.raises(InvalidCodeError):
        normalize_code(typed)


@given(st.text(max_size=60) | st.text(max_size=60).map(lambda t: "x://[" + t + "?c=" + t))
def test_normalize_code_raises_only_its_error(text):
    try:
        code = normalize_code(text)
    except ProtocolError as error:
        assert error.code == "invalid_code"
    else:
        assert MIN_CODE_LENGTH <= len(code) <= CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
