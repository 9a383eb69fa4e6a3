"""GAEN certificates and key-list HMAC forms against spec/vectors/gaen-api.json (GAPI-5..7)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from hypothesis import given
from hypothesis import strategies as st

from bluezone.reference_node.server.gaen_cert import (
    CertificateError,
    GaenKey,
    tekmac_forms,
    verify_certificate,
)
from tests.vectorfiles import cases, load

FILE = "gaen-api.json"


@pytest.mark.parametrize("case", cases(FILE, "TekmacForms"))
def test_tekmac_forms(case):
    keys = [
        GaenKey(
            base64.b64encode(bytes.fromhex(k["key"])).decode(),
            k["rollingStartNumber"],
            k["rollingPeriod"],
            k["transmissionRisk"],
        )
        for k in case["inputs"]["keys"]
    ]
    macs = tekmac_forms(bytes.fromhex(case["inputs"]["secret"]), keys)
    assert [m.hex() for m in macs] == case["expected"]["tekmacs"]


@pytest.mark.parametrize("case", cases(FILE, "CertificateCheck"))
def test_certificate_check(case):
    inputs = case["inputs"]
    key = load_der_public_key(bytes.fromhex(inputs["public_key"]))
    text = [bytes.fromhex(inputs[n]).decode() for n in ("certificate", "issuer", "audience")]
    args = (text[0], key, text[1], text[2], inputs["now_s"])
    if case["result"] == "invalid":
        with pytest.raises(CertificateError) as caught:
            verify_certificate(*args)
        assert caught.value.code == case["expected"]["error"]
    else:
        assert verify_certificate(*args) == json.loads(bytes.fromhex(case["expected"]["claims"]))


_GROUPS = {group["type"]: group for group in load(FILE)["testGroups"]}
_KEY = load_der_public_key(
    bytes.fromhex(_GROUPS["CertificateCheck"]["tests"][0]["inputs"]["public_key"])
)


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_certificates_raise_only_certificate_error(text):
    """Hostile text: CertificateError, never another exception (GAPI-7)."""
    for candidate in (text, f"{text}.{text}.{text}", "eyJhbGciOiJFUzI1NiJ9." + text + ".AA"):
        with pytest.raises(CertificateError):
            verify_certificate(candidate, _KEY, "i", "a", 0)
