"""Key schedule: properties and rules that the vector files do not enumerate."""

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol import params
from bluezone.protocol.errors import (
    EmbargoedKeyError,
    InvalidIntervalError,
    InvalidKeyError,
    InvalidMetadataError,
    InvalidRollingPeriodError,
    ProtocolError,
    UnsupportedVersionError,
)
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    cut_for_report,
    day_start_interval,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    derive_rpis,
    encrypt_aem,
    hkdf16,
    interval_number,
    new_temporary_exposure_key,
    rpi_from_rpik,
)

teks = st.binary(min_size=16, max_size=16)
intervals = st.integers(0, params.MAX_INTERVAL)


@given(st.binary(max_size=64))
def test_metadata_from_random_bytes_raises_only_protocol_errors(data):
    try:
        metadata = Metadata.from_bytes(data)
    except ProtocolError:
        return
    assert metadata.major == 1 and len(data) == 4


@given(st.integers(0, 3), st.integers(0, 3), st.integers(-128, 127))
def test_metadata_round_trip(minor, confidence, tx_power):
    metadata = Metadata(1, minor, confidence, tx_power)
    assert Metadata.from_bytes(bytes(metadata)) == metadata


@given(st.integers(0, 255), st.binary(min_size=3, max_size=3))
def test_receivers_check_only_the_major_version(first, rest):
    data = bytes([first]) + rest
    if first >> 6 != 1:
        with pytest.raises(UnsupportedVersionError):
            Metadata.from_bytes(data)
    else:
        metadata = Metadata.from_bytes(data)
        assert (metadata.minor, metadata.calibration_confidence) == (
            (first >> 4) & 3,
            (first >> 2) & 3,
        )
        assert metadata.tx_power == int.from_bytes(rest[:1], "big", signed=True)


def test_metadata_sent_by_this_version():
    assert bytes(Metadata.for_tx_power(-14)) == bytes.fromhex("40f20000")
    assert bytes(Metadata.for_tx_power(8, calibration_confidence=3)) == bytes.fromhex("4c080000")


@pytest.mark.parametrize("fields", [(4, 0, 0, 0), (1, 0, 0, 128), (1, 0, -1, 0)])
def test_metadata_fields_out_of_range(fields):
    with pytest.raises(InvalidMetadataError):
        Metadata(*fields)


@given(teks, st.integers(0, params.MAX_INTERVAL - 200), st.integers(0, 200))
def test_bulk_identifiers_equal_one_at_a_time(tek, first, count):
    rpis = derive_rpis(tek, first, count)
    assert len(rpis) == count
    for offset in {0, count // 2, count - 1} if count else set():
        assert rpis[offset] == derive_rpi(tek, first + offset)


@given(teks, intervals)
def test_rpi_is_aes_under_rpik(tek, interval):
    assert derive_rpi(tek, interval) == rpi_from_rpik(derive_rpik(tek), interval)


@given(teks, st.binary(min_size=16, max_size=16), st.binary(min_size=4, max_size=4))
def test_aem_decrypts_to_the_metadata(tek, rpi, metadata):
    aem = encrypt_aem(tek, rpi, metadata)
    assert len(aem) == 4
    assert decrypt_aem(tek, rpi, aem) == metadata


def test_rpik_and_aemk_differ():
    tek = bytes(range(16))
    assert derive_rpik(tek) != derive_aemk(tek)


@pytest.mark.parametrize("length", [0, 15, 17, 32])
def test_keys_of_the_wrong_length_are_rejected(length):
    with pytest.raises(InvalidKeyError, match="KS-1"):
        derive_rpik(bytes(length))
    with pytest.raises(InvalidKeyError):
        TemporaryExposureKey(bytes(length), 0, 144)


def test_non_bytes_key_is_rejected():
    with pytest.raises(InvalidKeyError):
        derive_rpik("0" * 16)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [-1, -0.5, 600 * 2**32])
def test_interval_number_out_of_range(seconds):
    with pytest.raises(InvalidIntervalError):
        interval_number(seconds)


def test_interval_number_edges():
    assert interval_number(0) == 0
    assert interval_number(599.999) == 0
    assert interval_number(600) == 1
    assert interval_number(1585785600) == 2642976
    assert interval_number(600 * 2**32 - 1) == params.MAX_INTERVAL


@pytest.mark.parametrize("period", [0, 145, -1])
def test_rolling_period_out_of_range(period):
    with pytest.raises(InvalidRollingPeriodError):
        TemporaryExposureKey(bytes(16), 2642976, period)


def test_key_may_not_run_past_the_last_interval():
    TemporaryExposureKey(bytes(16), params.MAX_INTERVAL, 1)
    with pytest.raises(InvalidRollingPeriodError):
        TemporaryExposureKey(bytes(16), params.MAX_INTERVAL, 2)


def test_new_key_runs_to_midnight():
    midnight = 2642976
    assert day_start_interval(midnight + 5) == midnight
    key = new_temporary_exposure_key(bytes(16), midnight)
    assert (key.rolling_start, key.rolling_period) == (midnight, 144)
    key = new_temporary_exposure_key(bytes(16), midnight + 100)
    assert (key.rolling_start, key.rolling_period, key.end_interval) == (
        midnight + 100,
        44,
        midnight + 144,
    )


def test_embargo_edges():
    key = TemporaryExposureKey(bytes(16), 2642976, 144)
    key.check_publishable(2642976 + 144 + 12)
    with pytest.raises(EmbargoedKeyError, match="KS-12"):
        key.check_publishable(2642976 + 144 + 11)


def test_cut_for_report():
    key = TemporaryExposureKey(bytes(16), 2642976, 144)
    cut = cut_for_report(key, 2642976 + 50)
    assert (cut.rolling_start, cut.rolling_period) == (2642976, 51)
    assert cut_for_report(key, 2642976).rolling_period == 1
    assert cut_for_report(key, 2642976 + 500).rolling_period == 144
    with pytest.raises(InvalidRollingPeriodError):
        cut_for_report(key, 2642975)


def test_repr_never_shows_key_material():
    key = TemporaryExposureKey(bytes.fromhex("75c734c6dd1a782de7a965da5eb93125"), 2642976)
    assert "75c7" not in repr(key) and "x75" not in repr(key)


@given(st.binary(max_size=40), st.sampled_from([params.RPIK_INFO, params.AEMK_INFO, b""]))
def test_the_one_hkdf_is_rfc_5869_with_no_salt(material: bytes, info: bytes):
    # spec KS-5, KS-7: "no salt" is HashLen zero bytes (RFC 5869 section 2.2), as params says.
    expected = HKDF(hashes.SHA256(), 16, salt=None, info=info).derive(material)
    assert hkdf16(material, info) == expected
    assert bytes(32) == params.HKDF_SALT
