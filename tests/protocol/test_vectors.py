"""The library against every case of spec/vectors/{key-schedule,advertisement,matching}.json."""

from __future__ import annotations

import pytest

from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    interval_number,
    new_temporary_exposure_key,
    padded_data,
    rpi_from_rpik,
)
from bluezone.protocol.matching import (
    KeyBatch,
    Sighting,
    SightingTable,
    check_exposures,
    find_matches,
    merge_matches,
)
from tests.vectorfiles import cases, group_types

KEYS, ADS, MATCHING = "key-schedule.json", "advertisement.json", "matching.json"


def outcome(test: dict, compute) -> None:
    """Run ``compute`` and compare with the vector's expected output or error code."""
    if test["result"] == "invalid":
        with pytest.raises(ProtocolError) as raised:
            compute()
        assert raised.value.code == test["expected"]["error"]
    else:
        assert compute() == test["expected"]


def test_every_group_type_is_exercised():
    handled = {
        KEYS: {
            "KeyDerivation",
            "RpiDerivation",
            "RpiFromRpik",
            "AemEncryption",
            "IntervalNumber",
            "MetadataDecode",
            "KeyValidity",
            "NewKey",
            "Embargo",
        },
        ADS: {"AdvertisementEncode", "AdvertisementDecode"},
        MATCHING: {"Match", "ExposureCheck"},
    }
    for name, types in handled.items():
        assert group_types(name) == types


@pytest.mark.parametrize("test", cases(KEYS, "KeyDerivation"))
def test_key_derivation(test):
    tek = bytes.fromhex(test["inputs"]["tek"])
    outcome(test, lambda: {"rpik": derive_rpik(tek).hex(), "aemk": derive_aemk(tek).hex()})


@pytest.mark.parametrize("test", cases(KEYS, "RpiDerivation"))
def test_rpi_derivation(test):
    tek, interval = bytes.fromhex(test["inputs"]["tek"]), test["inputs"]["interval"]
    outcome(
        test,
        lambda: {
            "padded_data": padded_data(interval).hex(),
            "rpi": derive_rpi(tek, interval).hex(),
        },
    )


@pytest.mark.parametrize("test", cases(KEYS, "RpiFromRpik"))
def test_rpi_from_rpik(test):
    rpik, interval = bytes.fromhex(test["inputs"]["rpik"]), test["inputs"]["interval"]
    outcome(test, lambda: {"rpi": rpi_from_rpik(rpik, interval).hex()})


@pytest.mark.parametrize("test", cases(KEYS, "AemEncryption"))
def test_aem_encryption(test):
    inputs = test["inputs"]
    tek, metadata = bytes.fromhex(inputs["tek"]), bytes.fromhex(inputs["metadata"])

    def compute():
        rpi = derive_rpi(tek, inputs["interval"])
        aem = encrypt_aem(tek, rpi, metadata)
        assert decrypt_aem(tek, rpi, aem) == metadata
        return {"rpi": rpi.hex(), "aem": aem.hex()}

    outcome(test, compute)


@pytest.mark.parametrize("test", cases(KEYS, "IntervalNumber"))
def test_interval_number(test):
    outcome(test, lambda: {"interval": interval_number(test["inputs"]["unix_seconds"])})


@pytest.mark.parametrize("test", cases(KEYS, "MetadataDecode"))
def test_metadata_decode(test):
    def compute():
        metadata = Metadata.from_bytes(bytes.fromhex(test["inputs"]["metadata"]))
        return {
            "major": metadata.major,
            "minor": metadata.minor,
            "calibration_confidence": metadata.calibration_confidence,
            "tx_power": metadata.tx_power,
        }

    outcome(test, compute)


def make_key(fields: dict) -> TemporaryExposureKey:
    return TemporaryExposureKey(
        bytes.fromhex(fields["key"]), fields["rolling_start"], fields["rolling_period"]
    )


@pytest.mark.parametrize("test", cases(KEYS, "KeyValidity"))
def test_key_validity(test):
    outcome(test, lambda: make_key(test["inputs"]) and {})


@pytest.mark.parametrize("test", cases(KEYS, "NewKey"))
def test_new_key(test):
    def compute():
        key = new_temporary_exposure_key(bytes(16), test["inputs"]["interval"])
        return {"rolling_start": key.rolling_start, "rolling_period": key.rolling_period}

    outcome(test, compute)


@pytest.mark.parametrize("test", cases(KEYS, "Embargo"))
def test_embargo(test):
    inputs = test["inputs"]
    key = TemporaryExposureKey(bytes(16), inputs["rolling_start"], inputs["rolling_period"])
    outcome(test, lambda: key.check_publishable(inputs["now_interval"]) or {})


@pytest.mark.parametrize("test", cases(ADS, "AdvertisementEncode"))
def test_advertisement_encode(test):
    inputs = test["inputs"]

    def compute():
        adv = Advertisement(bytes.fromhex(inputs["rpi"]), bytes.fromhex(inputs["aem"]))
        return {"ad": adv.to_bytes(flags=inputs["flags"]).hex()}

    outcome(test, compute)


@pytest.mark.parametrize("test", cases(ADS, "AdvertisementDecode"))
def test_advertisement_decode(test):
    def compute():
        adv = Advertisement.from_bytes(bytes.fromhex(test["inputs"]["ad"]))
        return {"rpi": adv.rpi.hex(), "aem": adv.aem.hex()}

    outcome(test, compute)


def make_sightings(items: list[dict]) -> list[Sighting]:
    return [
        Sighting(
            bytes.fromhex(s["rpi"]),
            s["interval"],
            bytes.fromhex(s["aem"]) if s.get("aem") is not None else None,
        )
        for s in items
    ]


def pairs(items: list[tuple[int, int]]) -> list[dict]:
    return [{"key_index": k, "sighting_index": s} for k, s in items]


def chunked_matches(keys, sightings):
    """The pure matcher's pieces, one key per chunk, matched last chunk first (MATCH-9)."""
    if not keys or not sightings:
        return []
    table = SightingTable.build(sightings)
    return merge_matches(table.match(c) for c in reversed(KeyBatch.build(keys).chunks(1)))


@pytest.mark.parametrize("test", cases(MATCHING, "Match"))
@pytest.mark.parametrize("matcher", [find_matches, chunked_matches], ids=["serial", "chunked"])
def test_match(test, matcher):
    def compute():
        keys = [make_key(k) for k in test["inputs"]["keys"]]
        sightings = make_sightings(test["inputs"]["sightings"])
        return {"matches": pairs(matcher(keys, sightings))}

    outcome(test, compute)


@pytest.mark.parametrize("test", cases(MATCHING, "ExposureCheck"))
def test_exposure_check(test):
    inputs = test["inputs"]
    keys, kept, rejected = [], [], []
    for index, record in enumerate(inputs["keys"]):
        try:  # spec MATCH-1: an invalid key record is rejected on its own
            keys.append(make_key(record))
            kept.append(index)
        except ProtocolError as error:
            rejected.append({"key_index": index, "error": error.code})
    result = check_exposures(keys, make_sightings(inputs["sightings"]), inputs["now_interval"])
    rejected += [{"key_index": kept[r.index], "error": r.code} for r in result.rejected_keys]
    assert {
        "matches": pairs((kept[k], s) for k, s in result.matches),
        "rejected_keys": sorted(rejected, key=lambda r: r["key_index"]),
        "discarded_sightings": [
            {"sighting_index": r.index, "error": r.code} for r in result.discarded_sightings
        ],
    } == test["expected"]
