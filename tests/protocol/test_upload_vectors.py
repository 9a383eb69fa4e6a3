"""Upload rules against spec/vectors/upload.json (spec SRV-3, SRV-5, SRV-6)."""

from __future__ import annotations

import pytest

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.upload import (
    canonical_key_list,
    check_upload,
    key_list_hmac,
    normalize_code,
    publish_after,
)
from tests.vectorfiles import cases

FILE = "upload.json"


def _keys(items: list[dict]) -> list[TemporaryExposureKey]:
    return [
        TemporaryExposureKey(bytes.fromhex(k["key_data"]), k["rolling_start"], k["rolling_period"])
        for k in items
    ]


@pytest.mark.parametrize("case", cases(FILE, "KeyListHmac"))
def test_key_list_hmac(case):
    keys = _keys(case["inputs"]["keys"])
    secret = bytes.fromhex(case["inputs"]["secret"])
    assert canonical_key_list(keys).hex() == case["expected"]["canonical_list"]
    assert key_list_hmac(secret, keys).hex() == case["expected"]["key_hmac"]


@pytest.mark.parametrize("case", cases(FILE, "UploadKeys"))
def test_upload_keys(case):
    inputs = case["inputs"]
    try:
        keys = _keys(inputs["keys"])
        checked = check_upload(
            keys, inputs["now_interval"], inputs["max_keys"], inputs["max_same_start"]
        )
    except ProtocolError as error:
        assert case["result"] == "invalid", error
        assert error.code == case["expected"]["error"]
    else:
        assert case["result"] == "valid"
        expected = case["expected"]
        assert checked.keys == tuple(keys[i] for i in expected["stored"])
        assert [publish_after(k) for k in checked.keys] == expected["publish_after"]
        warnings: dict[str, list[int]] = {}
        for warning in checked.warnings:
            warnings.setdefault(warning.warning, []).append(warning.index)
        assert warnings == expected["warnings"]


@pytest.mark.parametrize("case", cases(FILE, "VerificationCode"))
def test_verification_code(case):
    text = bytes.fromhex(case["inputs"]["text"]).decode("utf-8")
    try:
        code = normalize_code(text)
    except ProtocolError as error:
        assert case["result"] == "invalid"
        assert error.code == case["expected"]["error"]
    else:
        assert case["result"] == "valid"
        assert code.encode().hex() == case["expected"]["code"]
