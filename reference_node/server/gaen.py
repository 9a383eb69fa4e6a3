"""The GAEN-compatible API: Google's verification and key-server endpoints (spec GAPI-1..13).

``GaenApi`` mounts ``POST /api/verify``, ``POST /api/certificate`` and
``POST /gaen/v1/publish`` beside our own ``/v1`` API, on the same storage and rules: a code
issued at ``/v1/ha/codes`` works at ``/v1/token`` or at ``/api/verify``. Answers and errors
have GAEN's shapes (``errorCode`` on the verification endpoints, ``code`` on publish), never
ours, and every answer carries random ``padding`` (GAPI-2).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import TemporaryExposureKey, interval_number
from bluezone.protocol.params import (
    INTERVAL_SECONDS,
    KEY_HMAC_LENGTH,
    MAX_INTERVAL,
    MAX_SAME_START_KEYS,
    MAX_SMALL_REQUEST_BYTES,
    REVISION_SECRET_BYTES,
    TOKEN_BYTES,
    TOKEN_EXPIRY_STEP_S,
)
from bluezone.protocol.revisions import (
    BEFORE_EXPOSURE_DAY,
    revision_tag,
    split_recursive,
    tag_matches,
)
from bluezone.protocol.upload import (
    check_upload,
    coarse_expiry,
    days_since_onset,
    default_onset_interval,
    normalize_code,
    onset_in_window,
)
from bluezone.reference_node.server.errors import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeUsedError,
    MalformedJsonError,
    RateLimitedError,
    RequestTooLargeError,
    ServerError,
    TokenExpiredError,
    TokenNotFoundError,
    TokenUsedError,
    UnsupportedMediaTypeError,
)
from bluezone.reference_node.server.gaen_cert import (
    REPORT_TYPE_NAMES,
    CertificateError,
    GaenKey,
    sign_certificate,
    tekmac_forms,
    verify_certificate,
)
from bluezone.reference_node.server.requests import read_json
from bluezone.reference_node.server.storage import NewKey
from bluezone.reference_node.server.storage.base import TokenRecord

# spec GAPI-4: the key-list HMAC of a token /api/verify made, until /api/certificate binds it.
UNBOUND_HMAC = bytes(KEY_HMAC_LENGTH)
# spec GAPI-2: answers carry 1..2 KiB of random base64 padding, as GAEN's do.
PADDING_MIN_BYTES, PADDING_MAX_BYTES = 768, 1536
# spec GAPI-3: what "accept" may hold, and which names each entry lets through.
_ACCEPTS = {
    "confirmed": {"confirmed"},
    "likely": {"confirmed", "likely"},
    "negative": {"confirmed", "likely", "negative"},
    "user-report": {"user-report"},
}
PUBLISH_PATH = "/gaen/v1/publish"
# spec GAPI-9: GAEN's limit on a publish body.
MAX_PUBLISH_BYTES = 64_000


@dataclass(frozen=True, slots=True)
class GaenConfig:
    """Settings of the GAEN-compatible API (spec GAPI-1)."""

    api_keys: tuple[str, ...]
    health_authority_id: str
    issuer: str
    audience: str
    key_id: str = "v1"
    certificate_validity_s: int = 15 * 60
    require_date: bool = False
    maintenance: bool = False


class GaenError(ServerError):
    """An error answered in GAEN's shape: ``code`` is GAEN's error code."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _padding() -> str:
    size = PADDING_MIN_BYTES + secrets.randbelow(PADDING_MAX_BYTES - PADDING_MIN_BYTES + 1)
    return base64.b64encode(secrets.token_bytes(size)).decode()


def _answer(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response({**body, "padding": _padding()}, status=status)


async def _chaff(request: web.Request) -> web.Response:
    """Answer a fake request: its body is read up to GAEN's limit and dropped (GAPI-2)."""
    await request.content.read(MAX_PUBLISH_BYTES)
    return _answer({})


def _date(interval: int | None) -> str | None:
    if interval is None:
        return None
    when = datetime.datetime.fromtimestamp(interval * INTERVAL_SECONDS, datetime.UTC)
    return when.date().isoformat()


def _field(obj: dict[str, Any], name: str, kind: type, required: bool = False) -> Any:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GaenError("bad_request", 400, f"GAPI-2: field {name!r} has the wrong type")
    return value


def _b64(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GaenError("bad_request", 400, f"GAPI-9: field {name!r} is not base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise GaenError("bad_request", 400, f"GAPI-9: field {name!r} is not canonical base64")
    return raw


class GaenApi:
    """Handlers of the GAEN-compatible endpoints over a ``KeyServer``'s storage and clock."""

    def __init__(self, server: Any, config: GaenConfig, key: ec.EllipticCurvePrivateKey) -> None:
        """Serve ``server`` (a KeyServer); ``key`` signs and checks certificates (GAPI-5)."""
        self.server = server
        self.config = config
        self.key = key
        self.public_key = key.public_key()

    def mount(self, app: web.Application) -> None:
        """Add the GAEN routes to ``app`` (spec GAPI-1)."""
        app.router.add_post("/api/verify", self.verify)
        app.router.add_post("/api/certificate", self.certificate)
        app.router.add_post(PUBLISH_PATH, self.publish)

    async def _read(self, request: web.Request, limit: int, bad: str) -> dict[str, Any]:
        """Rate limit, then read a JSON body; errors become GAEN's ``bad`` code (GAPI-2)."""
        try:
            await self.server._limit_client(request)
            return await read_json(request, limit)
        except RateLimitedError:
            raise
        except (MalformedJsonError, RequestTooLargeError, UnsupportedMediaTypeError) as exc:
            raise GaenError(bad, exc.status, str(exc)) from exc

    def _check_device(self, request: web.Request) -> None:
        """Require a configured X-API-Key (spec GAPI-2), then refuse during maintenance."""
        presented = request.headers.get("X-API-Key", "").encode("utf-8", "surrogateescape")
        if not any(hmac.compare_digest(presented, k.encode()) for k in self.config.api_keys):
            raise GaenError("unauthorized", 401, "GAPI-2: a valid X-API-Key is required")
        if self.config.maintenance:
            raise GaenError("maintenance_mode", 429, "GAPI-2: the server is in maintenance")

    async def _verification(self, request: web.Request, handler: Any) -> web.Response:
        try:
            self._check_device(request)
            if "X-Chaff" in request.headers:
                return await _chaff(request)
            return _answer(await handler(request))
        except RateLimitedError as exc:
            return web.json_response(
                {"error": str(exc), "errorCode": "", "padding": _padding()},
                status=429,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        except GaenError as exc:
            return _answer({"error": str(exc), "errorCode": exc.code}, exc.status)

    async def verify(self, request: web.Request) -> web.Response:
        """POST /api/verify: a code for a verification token (spec GAPI-3)."""
        return await self._verification(request, self._verify)

    async def certificate(self, request: web.Request) -> web.Response:
        """POST /api/certificate: a token and key-list HMAC for a certificate (GAPI-4, GAPI-5)."""
        return await self._verification(request, self._certificate)

    async def _verify(self, request: web.Request) -> dict[str, Any]:
        body = await self._read(request, MAX_SMALL_REQUEST_BYTES, "unparsable_request")
        unknown = set(body) - {"code", "accept", "nonce", "padding"}
        if unknown:
            raise GaenError("unparsable_request", 400, "GAPI-3: unknown field in the request")
        try:
            code = normalize_code(_field(body, "code", str, required=True))
            accept = _accepted(_field(body, "accept", list) or ["confirmed"])
            _field(body, "nonce", str)
            _field(body, "padding", str)
        except GaenError as exc:
            if exc.code == "bad_request":
                raise GaenError("unparsable_request", 400, str(exc)) from exc
            raise
        except ProtocolError as exc:
            raise GaenError("code_not_found", 400, "GAPI-3: no such code") from exc
        digest = self.server.code_digest(code)
        kind = await self.server.storage.peek_code(digest)
        if kind is None:
            raise GaenError("code_not_found", 400, "GAPI-3: no such code")
        name = REPORT_TYPE_NAMES.get(kind.report_type)
        if name is None or kind.exposure_interval is not None or name not in accept:
            raise GaenError("unsupported_test_type", 412, "GAPI-3: the client cannot take it")
        if self.config.require_date and kind.onset_interval is None and not kind.revision:
            raise GaenError("missing_date", 400, "GAPI-3: the code carries no date")
        token = secrets.token_bytes(TOKEN_BYTES)
        now_s = int(self.server.clock())
        expires_s = coarse_expiry(now_s, self.server.config.token_validity_s, TOKEN_EXPIRY_STEP_S)
        try:
            await self.server.storage.exchange_code(
                digest, now_s, self.server.token_digest(token), UNBOUND_HMAC, expires_s
            )
        except CodeNotFoundError as exc:
            raise GaenError("code_not_found", 400, str(exc)) from exc
        except CodeUsedError as exc:
            raise GaenError("code_invalid", 400, str(exc)) from exc
        except CodeExpiredError as exc:
            raise GaenError("code_expired", 400, str(exc)) from exc
        answer: dict[str, Any] = {"testtype": name, "token": base64.b64encode(token).decode()}
        symptom = _date(kind.onset_interval)
        if symptom is not None:
            answer["symptomDate"] = symptom
        return answer

    async def _certificate(self, request: web.Request) -> dict[str, Any]:
        body = await self._read(request, MAX_SMALL_REQUEST_BYTES, "token_invalid")
        if set(body) - {"token", "ekeyhmac", "padding"}:
            raise GaenError("token_invalid", 400, "GAPI-4: unknown field in the request")
        token = _token_bytes(body.get("token"))
        ekeyhmac = body.get("ekeyhmac")
        mac = _hmac_bytes(ekeyhmac)
        now_s = int(self.server.clock())
        digest = self.server.token_digest(token)
        try:
            record = await self.server.storage.bind_token(digest, now_s, mac, UNBOUND_HMAC)
        except (TokenNotFoundError, TokenUsedError) as exc:
            raise GaenError("token_invalid", 400, str(exc)) from exc
        except TokenExpiredError as exc:
            raise GaenError("token_expired", 400, str(exc)) from exc
        exp = min(record.expires_s, now_s + self.config.certificate_validity_s)
        claims: dict[str, Any] = {
            "aud": self.config.audience,
            "iss": self.config.issuer,
            "iat": now_s,
            "nbf": now_s,
            "exp": exp,
            "jti": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "reportType": REPORT_TYPE_NAMES[record.report_type],
            "tekmac": ekeyhmac,
        }
        if record.onset_interval is not None:
            claims["symptomOnsetInterval"] = record.onset_interval
        return {"certificate": sign_certificate(self.key, self.config.key_id, claims)}

    async def publish(self, request: web.Request) -> web.Response:
        """POST /gaen/v1/publish: keys with a certificate (spec GAPI-8..GAPI-11)."""
        if "X-Chaff" in request.headers:
            return await _chaff(request)
        try:
            body = await self._read(request, MAX_PUBLISH_BYTES, "bad_request")
            return _answer(await self._publish(body))
        except RateLimitedError as exc:
            return web.json_response(
                {"error": str(exc), "code": "", "padding": _padding()},
                status=429,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        except (GaenError, CertificateError) as exc:
            return _answer({"error": str(exc), "code": exc.code}, exc.status)
        except ProtocolError as exc:
            code = exc.code if exc.code == "invalid_report_type_transition" else "bad_request"
            return _answer({"error": str(exc), "code": code}, 400)

    async def _publish(self, body: dict[str, Any]) -> dict[str, Any]:
        ask = _PublishRequest.parse(body)
        if ask.health_authority_id != self.config.health_authority_id:
            raise GaenError("unknown_health_authority_id", 401, "GAPI-8: unknown authority")
        now_s = int(self.server.clock())
        claims = verify_certificate(
            ask.certificate, self.public_key, self.config.issuer, self.config.audience, now_s
        )
        tekmac = _claimed_mac(claims)
        if not any(hmac.compare_digest(tekmac, m) for m in tekmac_forms(ask.hmac_key, ask.keys)):
            raise CertificateError("GAPI-6: the keys do not match the certificate's tekmac")
        digest = _claimed_token(claims)
        try:
            token = await self.server.storage.get_token(digest)
        except TokenNotFoundError as exc:
            raise CertificateError("GAPI-7: the certificate names no token") from exc
        if not hmac.compare_digest(token.key_hmac, tekmac):
            raise CertificateError("GAPI-7: the certificate does not match its token")
        keys = tuple(
            TemporaryExposureKey(base64.b64decode(k.key), k.rolling_start, k.rolling_period)
            for k in ask.keys
        )
        try:
            if token.revision:
                return await self._revise(ask, keys, digest, token, now_s)
            return await self._upload(ask, keys, digest, token, now_s)
        except (TokenUsedError, TokenExpiredError) as exc:
            raise CertificateError(f"GAPI-7: {exc}") from exc

    async def _upload(
        self,
        ask: _PublishRequest,
        keys: tuple[TemporaryExposureKey, ...],
        digest: bytes,
        token: TokenRecord,
        now_s: int,
    ) -> dict[str, Any]:
        """Store new keys as /v1/publish does and hand out a revision token (GAPI-10)."""
        now = interval_number(now_s)
        checked = check_upload(keys, now, self.server.config.max_upload_keys, MAX_SAME_START_KEYS)
        warnings = {w.index: w.warning for w in checked.warnings}
        kept = [i for i in range(len(keys)) if i not in warnings]
        if token.exposure_interval is not None:
            split = split_recursive([keys[i] for i in kept], token.exposure_interval)
            warnings.update((kept[i], BEFORE_EXPOSURE_DAY) for i in split.dropped)
            kept = [kept[i] for i in split.kept]
        notes = []
        onset = token.onset_interval
        if onset is None and ask.symptom_onset_interval is not None:
            if onset_in_window(ask.symptom_onset_interval, now):
                onset = ask.symptom_onset_interval
            else:
                notes.append("symptomOnsetInterval ignored: not within the 28 days up to now")
        assumed = self.server.config.assumed_onset_days_ago
        if onset is None and assumed is not None:  # spec SRV-7: only when the operator asks
            onset = default_onset_interval(now, assumed)
        secret = secrets.token_bytes(REVISION_SECRET_BYTES)
        stored = [
            NewKey(
                k.key_data,
                k.rolling_start,
                k.rolling_period,
                token.report_type,
                days_since_onset(k.rolling_start, onset),
                revision_tag(secret, k.key_data),
            )
            for k in (keys[i] for i in kept)
        ]
        inserted = await self.server.storage.use_token(digest, now_s, stored)
        answer: dict[str, Any] = {
            "revisionToken": base64.b64encode(secret).decode(),
            "insertedExposures": inserted,
        }
        if warnings:
            answer["code"] = "partial_failure"
            answer["error"] = "GAPI-10: some keys were dropped"
        listed = [f"key {i}: {warnings[i]}" for i in sorted(warnings)] + notes
        if listed:
            answer["warnings"] = listed
        return answer

    async def _revise(
        self,
        ask: _PublishRequest,
        keys: tuple[TemporaryExposureKey, ...],
        digest: bytes,
        token: TokenRecord,
        now_s: int,
    ) -> dict[str, Any]:
        """Change the report type of keys published before, as /v1/revise does (GAPI-11)."""
        if not ask.revision_token:
            raise GaenError("missing_revision_token", 400, "GAPI-11: a revision needs the token")
        secret = _b64(ask.revision_token, "revisionToken")
        if len(secret) != REVISION_SECRET_BYTES:
            raise GaenError("invalid_revision_token", 400, "GAPI-11: malformed revision token")
        states = await self.server.storage.key_states([k.key_data for k in keys])
        revisions = []
        for key, state in zip(keys, states, strict=True):
            if (
                state is None
                or (state.key.rolling_start, state.key.rolling_period)
                != (key.rolling_start, key.rolling_period)
                or not tag_matches(secret, key.key_data, state.key.revision_tag)
            ):
                raise GaenError("invalid_revision_token", 400, "GAPI-11: not these keys' token")
            if state.key.report_type == token.report_type:
                raise GaenError("key_already_revised", 400, "GAPI-11: a key has this type")
            revisions.append(state.revised_to(token.report_type))
        revised = await self.server.storage.revise(digest, now_s, revisions)
        return {"revisionToken": ask.revision_token, "insertedExposures": revised}


def _accepted(values: list[Any]) -> set[str]:
    """The report type names an ``accept`` list lets through (spec GAPI-3)."""
    names: set[str] = set()
    for value in values:
        if not isinstance(value, str) or value not in _ACCEPTS:
            raise GaenError("invalid_test_type", 400, "GAPI-3: unknown test type in 'accept'")
        names |= _ACCEPTS[value]
    return names


def _token_bytes(value: object) -> bytes:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == TOKEN_BYTES:
            return raw
    raise GaenError("token_invalid", 400, "GAPI-4: the token is malformed")


def _hmac_bytes(value: object) -> bytes:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        canonical = base64.b64encode(raw).decode() == value
        if len(raw) == KEY_HMAC_LENGTH and canonical and raw != UNBOUND_HMAC:
            return raw
    raise GaenError("hmac_invalid", 400, "GAPI-4: 'ekeyhmac' must be base64 of 32 bytes")


def _claimed_mac(claims: dict[str, Any]) -> bytes:
    value = claims.get("tekmac")
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == KEY_HMAC_LENGTH:
            return raw
    raise CertificateError("GAPI-7: the certificate's tekmac is malformed")


def _claimed_token(claims: dict[str, Any]) -> bytes:
    value = claims.get("jti")
    if isinstance(value, str) and value.isascii() and len(value) == 43:
        try:
            return base64.urlsafe_b64decode(value + "=")
        except (binascii.Error, ValueError):
            pass
    raise CertificateError("GAPI-7: the certificate's jti is malformed")


@dataclass(frozen=True, slots=True)
class _PublishRequest:
    """A GAEN publish body, checked field by field (spec GAPI-9)."""

    keys: tuple[GaenKey, ...]
    health_authority_id: str
    certificate: str
    hmac_key: bytes
    symptom_onset_interval: int | None
    revision_token: str

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> _PublishRequest:
        allowed = {
            "temporaryExposureKeys",
            "healthAuthorityID",
            "verificationPayload",
            "hmacKey",
            "symptomOnsetInterval",
            "traveler",
            "revisionToken",
            "padding",
        }
        if set(obj) - allowed:
            raise GaenError("bad_request", 400, "GAPI-9: unknown field in the publish request")
        items = _field(obj, "temporaryExposureKeys", list, required=True)
        if not 1 <= len(items) <= 30:
            raise GaenError("bad_request", 400, "GAPI-9: 1..30 keys per publish")
        ha = _field(obj, "healthAuthorityID", str, required=True)
        certificate = _field(obj, "verificationPayload", str, required=True)
        hmac_key = _b64(_field(obj, "hmacKey", str, required=True), "hmacKey")
        if not hmac_key:
            raise GaenError("bad_request", 400, "GAPI-9: 'hmacKey' is empty")
        onset = _field(obj, "symptomOnsetInterval", int)
        if onset is not None and not 0 <= onset <= MAX_INTERVAL:
            raise GaenError("bad_request", 400, "GAPI-9: 'symptomOnsetInterval' out of range")
        _field(obj, "traveler", bool)
        _field(obj, "padding", str)
        revision = _field(obj, "revisionToken", str) or ""
        keys = tuple(_gaen_key(item) for item in items)
        return cls(keys, ha, certificate, hmac_key, onset, revision)


def _gaen_key(item: object) -> GaenKey:
    if not isinstance(item, dict) or set(item) - {
        "key",
        "rollingStartNumber",
        "rollingPeriod",
        "transmissionRisk",
    }:
        raise GaenError("bad_request", 400, "GAPI-9: each key is an object of GAEN's fields")
    text = _field(item, "key", str, required=True)
    if len(_b64(text, "key")) != 16:
        raise GaenError("bad_request", 400, "GAPI-9: a key is base64 of 16 bytes")
    start = _field(item, "rollingStartNumber", int, required=True)
    period = _field(item, "rollingPeriod", int, required=True)
    risk = _field(item, "transmissionRisk", int) or 0
    if not 0 <= start <= MAX_INTERVAL or not 1 <= period <= 144 or not 0 <= risk <= 8:
        raise GaenError("bad_request", 400, "GAPI-9: a key's interval or risk is out of range")
    return GaenKey(text, start, period, risk)
