"""Generate spec/vectors/gaen-api.json: GAEN's key-list HMAC forms and certificates (GAPI-5..7).

Written from spec/06-gaen-api.md alone; imports nothing from the protocol package. The
HMAC cases carry the values published in Google's exposure-notifications-server tests; the
certificates are signed with RFC 6979 deterministic ECDSA under a fixed key, so the file is
the same bytes on every run.

Usage: python spec/tools/generate_gaen_api_vectors.py
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

GAEN_HMAC_SOURCE = (
    "google/exposure-notifications-server:pkg/verification/utils_test.go"
    "@08cec3782e4895eab50243de2c921939163b7f18"
)
INVALID = "health_authority_verification_certificate_invalid"
ISSUER, AUDIENCE = "example.org/verify", "example.org/publish"
NOW = 1_800_000_000
NOTES = {
    "gaen_published": "the value Google's exposure-notifications-server tests publish",
    "order_independent": "keys given in another order than the sorted strings",
    "risk_set": "a key with a transmission risk: only the full form is accepted",
    "expiry": "a certificate at or past its exp, or before its nbf",
    "wrong_party": "a certificate for another issuer or audience",
    "signature": "a bad signature, another key or another algorithm",
    "malformed": "a certificate that is not a compact JWS",
}


def forms(secret: bytes, keys: list[dict[str, Any]]) -> list[str]:
    """GAPI-6: the full form, and the short one when every transmission risk is 0."""
    base = [f"{k['key']}.{k['rollingStartNumber']}.{k['rollingPeriod']}" for k in keys]
    risks = [k.get("transmissionRisk", 0) for k in keys]
    full = [f"{b}.{r}" for b, r in zip(base, risks, strict=True)]
    out = [hmac.new(secret, ",".join(sorted(full)).encode(), hashlib.sha256).digest()]
    if not any(risks):
        out.append(hmac.new(secret, ",".join(sorted(base)).encode(), hashlib.sha256).digest())
    return [base64.b64encode(m).decode() for m in out]


def hmac_group() -> Group:
    group = Group("TekmacForms", "the key-list HMACs a certificate's tekmac may hold")
    secret = bytes(range(1, 17))
    a, b = "z2Cx9hdz2SlxZ8GEgqTYpA==", "dPCphLzfG4uzXneNimkPRQ=="
    gaen_risk = [_key(a, 1, 144, 3), _key(b, 144, 144, 5)]
    gaen_zero = [_key(a, 1, 144, 0), _key(b, 144, 144, 0)]
    published = {
        "risk": ["2u1nHt5WWurJytFLF3xitNzM99oNrad2y4YGOL53AeY="],
        "zero": [
            "mFNI9zhTA17n4ndd1Vu5tsn4XQX0gPrIKyjeh/9noUE=",
            "J9S7xVebH/66dm14wGsIcAnSUR3PHD4NtDQEOGZbDUo=",
        ],
    }
    cases = [
        ("GAEN TestCalculateHMAC", gaen_risk, ["gaen_published", "risk_set"], "risk"),
        ("GAEN TestCalculateDualHMACs", gaen_zero, ["gaen_published"], "zero"),
        ("GAEN dual case, keys reversed", gaen_zero[::-1], ["order_independent"], None),
        ("one risk set among zeros", [gaen_zero[0], gaen_risk[1]], ["risk_set"], None),
    ]
    for comment, keys, flags, value in cases:
        tekmacs = forms(secret, keys)
        if value is not None and tekmacs != published[value]:
            raise AssertionError(f"{comment}: {tekmacs} != {published[value]}")
        source = GAEN_HMAC_SOURCE if "gaen_published" in flags else "generated"
        inputs = {"secret": secret.hex(), "keys": [_hex_key(k) for k in keys]}
        expected = {"tekmacs": [base64.b64decode(m).hex() for m in tekmacs]}
        group.add(comment, ["GAPI-6"], flags, inputs, expected=expected, source=source)
    return group


def _hex_key(key: dict[str, Any]) -> dict[str, Any]:
    """A key as the file carries it: the key bytes in hex (their base64 is what is MACed)."""
    return {**key, "key": base64.b64decode(key["key"]).hex()}


def _key(key: str, start: int, period: int, risk: int) -> dict[str, Any]:
    return {
        "key": key,
        "rollingStartNumber": start,
        "rollingPeriod": period,
        "transmissionRisk": risk,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: ec.EllipticCurvePrivateKey, header: dict, claims: dict) -> str:
    """GAPI-5: a compact ES256 JWS, signature r || s."""
    signing_input = (
        _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
    )
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def check(public_key: ec.EllipticCurvePublicKey, token: str, now_s: int) -> dict[str, Any]:
    """GAPI-7's certificate checks, in order; returns the claims or {"error": ...}."""
    parts = token.split(".")
    if len(parts) != 3:
        return {"error": INVALID}
    header = json.loads(_unb64url(parts[0]))
    signature = _unb64url(parts[2])
    if header.get("alg") != "ES256" or len(signature) != 64:
        return {"error": INVALID}
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return {"error": INVALID}
    claims = json.loads(_unb64url(parts[1]))
    aud = claims.get("aud")
    if claims.get("iss") != ISSUER or not (
        aud == AUDIENCE or (isinstance(aud, list) and AUDIENCE in aud)
    ):
        return {"error": INVALID}
    if now_s >= claims["exp"] or claims.get("nbf", 0) > now_s:
        return {"error": INVALID}
    return {"claims": claims}


def certificate_group() -> Group:
    group = Group("CertificateCheck", "an ES256 certificate checked at publish")
    key = ec.derive_private_key(0x6A0E_5EED_0000_0000_0000_0000_0000_0000_0000_0001, ec.SECP256R1())
    other = ec.derive_private_key(0x0BAD, ec.SECP256R1())
    public = key.public_key()
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ).hex()
    header = {"alg": "ES256", "kid": "v1", "typ": "JWT"}
    claims = {
        "aud": AUDIENCE,
        "exp": NOW + 900,
        "iat": NOW,
        "iss": ISSUER,
        "jti": _b64url(hashlib.sha256(b"token").digest()),
        "nbf": NOW,
        "reportType": "confirmed",
        "symptomOnsetInterval": 2_999_808,
        "tekmac": forms(bytes(range(1, 17)), [_key("z2Cx9hdz2SlxZ8GEgqTYpA==", 1, 144, 3)])[0],
    }
    good = sign(key, header, claims)
    cases = [
        ("a good certificate", good, NOW, []),
        ("a good certificate, one second before exp", good, NOW + 899, []),
        (
            "audience given as a list",
            sign(key, header, {**claims, "aud": ["x", AUDIENCE]}),
            NOW,
            [],
        ),
        ("at exp", good, NOW + 900, ["expiry"]),
        ("before nbf", sign(key, header, {**claims, "nbf": NOW + 60}), NOW, ["expiry"]),
        ("another audience", sign(key, header, {**claims, "aud": "x"}), NOW, ["wrong_party"]),
        ("another issuer", sign(key, header, {**claims, "iss": "x"}), NOW, ["wrong_party"]),
        ("signed by another key", sign(other, header, claims), NOW, ["signature"]),
        ("alg none", sign(key, {**header, "alg": "none"}, claims), NOW, ["signature"]),
        ("claims changed after signing", _swap_claims(good, claims), NOW, ["signature"]),
        ("two parts", good.rsplit(".", 1)[0], NOW, ["malformed"]),
    ]
    for comment, token, now_s, flags in cases:
        inputs = {
            "public_key": spki,
            "certificate": text_hex(token),
            "issuer": text_hex(ISSUER),
            "audience": text_hex(AUDIENCE),
            "now_s": now_s,
        }
        outcome = check(public, token, now_s)
        if "claims" in outcome:
            text = json.dumps(outcome["claims"], sort_keys=True, separators=(",", ":"))
            outcome = {"claims": text_hex(text)}
        group.add(comment, ["GAPI-5", "GAPI-7"], flags, inputs, expected=outcome)
    return group


def _swap_claims(token: str, claims: dict) -> str:
    head, _, sig = token.split(".")
    changed = _b64url(json.dumps({**claims, "reportType": "likely"}).encode())
    return f"{head}.{changed}.{sig}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "gaen-api.json",
        "GAEN-compatible API: key-list HMAC forms (HMAC-SHA256), ES256 certificates",
        "spec/tools/generate_gaen_api_vectors.py",
        NOTES,
        [hmac_group(), certificate_group()],
    )


if __name__ == "__main__":
    main()
