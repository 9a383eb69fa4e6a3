"""GAEN verification certificates (ES256 JWTs) and GAEN's two key-list HMACs (spec GAPI-5..7).

A certificate is a compact JWS: base64url(header) "." base64url(claims) "." base64url(r || s),
signed with ECDSA P-256 and SHA-256 as RFC 7518 section 3.4 says. Signing and checking use
``cryptography`` only. Every malformed input raises CertificateError, never another error.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from bluezone.reference_node.server.errors import ServerError

# spec GAPI-5: GAEN's report type names and ours (1 confirmed test, 2 clinical, 3 self
# report, 5 revoked).
REPORT_TYPE_NAMES = {1: "confirmed", 2: "likely", 3: "user-report", 5: "negative"}
REPORT_TYPES_BY_NAME = {name: number for number, name in REPORT_TYPE_NAMES.items()}
_P256_BYTES = 32
_MAX_JWT_CHARS = 4096


class CertificateError(ServerError):
    """A verification certificate is malformed, badly signed, expired or for someone else."""

    code = "health_authority_verification_certificate_invalid"
    status = 401


@dataclass(frozen=True, slots=True)
class GaenKey:
    """One key of a GAEN publish request, with its optional transmission risk (GAPI-6)."""

    key: str  # standard padded base64 of the 16 key bytes, as the client sent it
    rolling_start: int
    rolling_period: int
    transmission_risk: int


def _mac(secret: bytes, items: Sequence[str]) -> bytes:
    return hmac.digest(secret, ",".join(sorted(items)).encode("ascii"), "sha256")


def tekmac_forms(secret: bytes, keys: Sequence[GaenKey]) -> list[bytes]:
    """Return the key-list HMACs a certificate's ``tekmac`` may hold (spec GAPI-6).

    The first form covers "key.rollingStartNumber.rollingPeriod.transmissionRisk" of each key;
    the second, allowed only when every transmission risk is 0, leaves the risk out and is
    exactly our own key-list HMAC (SRV-5). Items are sorted by their bytes and joined by ",".
    """
    items = [f"{k.key}.{k.rolling_start}.{k.rolling_period}" for k in keys]
    full = _mac(secret, [f"{i}.{k.transmission_risk}" for i, k in zip(items, keys, strict=True)])
    if any(k.transmission_risk for k in keys):
        return [full]
    return [full, _mac(secret, items)]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise CertificateError("GAPI-7: a certificate part is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("GAPI-7: a certificate part is not base64url") from exc
    if _b64url(raw) != text:
        raise CertificateError("GAPI-7: a certificate part is not canonical base64url")
    return raw


def sign_certificate(key: ec.EllipticCurvePrivateKey, kid: str, claims: dict[str, Any]) -> str:
    """Return the ES256 JWT of ``claims`` with header ``{"alg":"ES256","kid":kid,"typ":"JWT"}``."""
    header = {"alg": "ES256", "kid": kid, "typ": "JWT"}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    return signing_input + "." + _b64url(signature)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CertificateError("GAPI-7: a certificate part is not JSON") from exc
    if not isinstance(value, dict):
        raise CertificateError("GAPI-7: a certificate part is not a JSON object")
    return value


def verify_certificate(
    token: str, public_key: ec.EllipticCurvePublicKey, issuer: str, audience: str, now_s: int
) -> dict[str, Any]:
    """Return the claims of a certificate after checking it (spec GAPI-7).

    Checks: three base64url parts, header ``alg`` ES256, the signature under ``public_key``,
    ``iss`` equal to ``issuer``, ``aud`` equal to (or a list holding) ``audience``, ``exp``
    after ``now_s`` and ``nbf`` (if any) not after it. Raises CertificateError.
    """
    if not isinstance(token, str) or len(token) > _MAX_JWT_CHARS or token.count(".") != 2:
        raise CertificateError("GAPI-7: the certificate is not a compact JWT")
    head, body, sig = token.split(".")
    header = _json_object(_unb64url(head))
    if header.get("alg") != "ES256":
        raise CertificateError("GAPI-7: the certificate is not signed with ES256")
    signature = _unb64url(sig)
    if len(signature) != 2 * _P256_BYTES:
        raise CertificateError("GAPI-7: the certificate signature is not 64 bytes")
    der = encode_dss_signature(
        int.from_bytes(signature[:_P256_BYTES], "big"),
        int.from_bytes(signature[_P256_BYTES:], "big"),
    )
    try:
        public_key.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CertificateError("GAPI-7: the certificate signature does not verify") from exc
    claims = _json_object(_unb64url(body))
    _check_claims(claims, issuer, audience, now_s)
    return claims


def _check_claims(claims: dict[str, Any], issuer: str, audience: str, now_s: int) -> None:
    if claims.get("iss") != issuer:
        raise CertificateError("GAPI-7: the certificate's issuer is not this verifier")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise CertificateError("GAPI-7: the certificate is for another audience")
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not _is_int(exp) or not _is_int(nbf):
        raise CertificateError("GAPI-7: the certificate's exp or nbf is not an integer")
    if now_s >= exp:
        raise CertificateError("GAPI-7: the certificate expired")
    if nbf > now_s:
        raise CertificateError("GAPI-7: the certificate is not valid yet")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
