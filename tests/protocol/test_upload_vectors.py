"""Upload rules against spec/vectors/upload.json (spec SRV-3, SRV-5, SRV-6)."""

from __future__ import annotations

import pytest

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.upload import canonical_key_list, check_upload, key_list_hmac, normalize_code
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
    try:
        keys = _keys(case["inputs"]["keys"])
        check_upload(keys, case["inputs"]["now_interval"])
    except ProtocolError as error:
        assert case["result"] == "invalid", error
        assert error.code == case["expected"]["error"]
    else:
        assert case["result"] == "valid"
        assert len(keys) == case["expected"]["accepted"]


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
