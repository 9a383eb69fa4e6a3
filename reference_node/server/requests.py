"""Reading and checking request bodies of the key server's API (spec SRV-2..SRV-7).

A body is read only up to its endpoint's limit, parsed as JSON, and every field checked for
presence, type and range before anything else looks at it; unknown fields are refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bluezone.protocol.errors import ProtocolError, TooManyKeysError
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.params import (
    CODE_MAX_VALIDITY_S,
    CODE_MIN_VALIDITY_S,
    CODE_REPORT_TYPES,
    KEY_HMAC_LENGTH,
    MAX_HMAC_SECRET_BYTES,
    MAX_INTERVAL,
    MAX_PADDING_CHARS,
    MIN_HMAC_SECRET_BYTES,
    RECURSIVE_CODE_REPORT_TYPE,
    REVISION_CODE_REPORT_TYPES,
    REVISION_SECRET_BYTES,
    TOKEN_BYTES,
)
from bluezone.protocol.upload import normalize_code
from bluezone.reference_node.server.errors import (
    InvalidRequestError,
    MalformedJsonError,
    RequestTimeoutError,
    RequestTooLargeError,
    UnsupportedMediaTypeError,
)

# spec OPS-1: how long a request body may take to arrive (set per application).
BODY_TIMEOUT = web.AppKey("body_timeout_s", float)
DEFAULT_BODY_TIMEOUT_S = 10.0


JSON_MEDIA_TYPE = "application/json"


async def read_json(request: web.Request, limit: int) -> dict[str, Any]:
    """Return the body as one JSON object, checking its media type first (spec SRV-2).

    Raises UnsupportedMediaTypeError unless ``Content-Type`` is ``application/json``
    (parameters such as ``charset=utf-8`` allowed), then as read_body and parse_object.
    """
    if request.content_type != JSON_MEDIA_TYPE:
        raise UnsupportedMediaTypeError(f"SRV-2: the body must be {JSON_MEDIA_TYPE}")
    return parse_object(await read_body(request, limit))


async def read_body(request: web.Request, limit: int) -> bytes:
    """Return the body, refusing one over ``limit`` bytes unread (spec SRV-2).

    A body that has not arrived whole within the application's ``BODY_TIMEOUT`` is
    ``request_timeout`` (408, spec OPS-1): a slow client holds a connection for that long
    at most.
    """
    deadline = request.config_dict.get(BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT_S)
    try:
        async with asyncio.timeout(deadline):
            return await _read_body(request, limit)
    except TimeoutError as exc:
        raise RequestTimeoutError(f"OPS-1: the body did not arrive within {deadline:g} s") from exc


async def _read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise RequestTooLargeError(f"SRV-2: body over {limit} bytes")
    chunks, total = [], 0
    while True:
        chunk = await request.content.read(limit + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise RequestTooLargeError(f"SRV-2: body over {limit} bytes")
    return b"".join(chunks)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def parse_object(body: bytes) -> dict[str, Any]:
    """Parse a body as one JSON object (spec SRV-2)."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedJsonError("SRV-2: the body is not UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise MalformedJsonError("SRV-2: the body must be a JSON object")
    return value


def _only(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise InvalidRequestError(f"SRV-2: unknown field in {where}: {sorted(unknown)[0]!r}")


def _int(obj: dict[str, Any], name: str, low: int, high: int, default: int | None = None) -> int:
    value = obj.get(name, default)
    if value is None:
        raise InvalidRequestError(f"SRV-2: field {name!r} is required")
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRequestError(f"SRV-2: field {name!r} must be an integer in {low}..{high}")
    return value


def _str(obj: dict[str, Any], name: str, max_chars: int) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) > max_chars:
        raise InvalidRequestError(f"SRV-2: field {name!r} must be a string of <= {max_chars}")
    return value


def _b64(obj: dict[str, Any], name: str, low: int, high: int) -> bytes:
    text = _str(obj, name, 4 * high)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(f"SRV-2: field {name!r} is not base64") from exc
    if base64.b64encode(raw).decode() != text or not low <= len(raw) <= high:
        raise InvalidRequestError(
            f"SRV-2: field {name!r} must be canonical base64 of {low}..{high} bytes"
        )
    return raw


def _padding(obj: dict[str, Any]) -> None:
    # spec SRV-8: accepted so bodies can be made equal in size, then ignored.
    if obj.get("padding") is not None:
        _str(obj, "padding", MAX_PADDING_CHARS)


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """POST /v1/ha/codes (spec SRV-3, SRV-20)."""

    report_type: int
    onset_interval: int | None
    validity_s: int
    exposure_interval: int | None = None
    revision: bool = False

    @classmethod
    def parse(cls, obj: dict[str, Any], default_validity_s: int) -> CodeRequest:
        """Check the fields of a code request and the kinds of code SRV-20 allows."""
        _only(
            obj,
            {"report_type", "onset_interval", "validity_s", "exposure_interval", "revision"},
            "the code request",
        )
        report_type = _int(obj, "report_type", 1, 5, default=1)
        revision = obj.get("revision", False)
        if not isinstance(revision, bool):
            raise InvalidRequestError("SRV-20: field 'revision' must be true or false")
        onset = None
        if obj.get("onset_interval") is not None:
            onset = _int(obj, "onset_interval", 0, MAX_INTERVAL)
        exposure = None
        if obj.get("exposure_interval") is not None:
            exposure = _int(obj, "exposure_interval", 0, MAX_INTERVAL)
        _check_kind(report_type, revision, onset, exposure)
        validity = _int(
            obj, "validity_s", CODE_MIN_VALIDITY_S, CODE_MAX_VALIDITY_S, default=default_validity_s
        )
        return cls(report_type, onset, validity, exposure, revision)


def _check_kind(report_type: int, revision: bool, onset: int | None, exposure: int | None) -> None:
    """Refuse the combinations SRV-20 does not allow."""
    if revision:
        if report_type not in REVISION_CODE_REPORT_TYPES:
            raise InvalidRequestError("SRV-20: a revision code has report_type 1 or 5")
        if onset is not None or exposure is not None:
            raise InvalidRequestError("SRV-20: a revision code carries no onset or exposure")
        return
    if report_type == RECURSIVE_CODE_REPORT_TYPE:
        if exposure is None:
            raise InvalidRequestError("SRV-20: a recursive code needs 'exposure_interval'")
        return
    if report_type not in CODE_REPORT_TYPES:
        raise InvalidRequestError("SRV-20: report_type 5 is only for revision codes")
    if exposure is not None:
        raise InvalidRequestError("SRV-20: only a recursive code carries 'exposure_interval'")


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """POST /v1/token (spec SRV-4)."""

    code: str
    key_hmac: bytes

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> TokenRequest:
        """Check the fields of a token request."""
        _only(obj, {"code", "key_hmac", "padding"}, "the token request")
        _padding(obj)
        try:
            code = normalize_code(_str(obj, "code", 64))
        except ProtocolError as exc:
            raise InvalidRequestError("SRV-3: field 'code' is not a well-formed code") from exc
        return cls(code, _b64(obj, "key_hmac", KEY_HMAC_LENGTH, KEY_HMAC_LENGTH))


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """POST /v1/publish (spec SRV-7)."""

    token: bytes
    hmac_secret: bytes
    keys: tuple[TemporaryExposureKey, ...]
    revision_secret: bytes | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.keys)} keys)"

    @classmethod
    def parse(cls, obj: dict[str, Any], max_keys: int) -> UploadRequest:
        """Check the fields of an upload; key rules raise the protocol's errors (KS-1, KS-4).

        ``revision_secret`` is optional here (SRV-23). A "keys" array longer than
        ``max_keys`` is refused (SRV-6) before any key is parsed: the body limit already
        bounds it, this bounds the work on a body of tiny entries.
        """
        return cls._parse(obj, max_keys, required_secret=False)

    @classmethod
    def _parse(cls, obj: dict[str, Any], max_keys: int, required_secret: bool) -> UploadRequest:
        _only(obj, {"token", "hmac_secret", "keys", "padding", "revision_secret"}, "the upload")
        _padding(obj)
        token = _b64(obj, "token", TOKEN_BYTES, TOKEN_BYTES)
        secret = _b64(obj, "hmac_secret", MIN_HMAC_SECRET_BYTES, MAX_HMAC_SECRET_BYTES)
        revision_secret = None
        if required_secret or obj.get("revision_secret") is not None:
            revision_secret = _b64(
                obj, "revision_secret", REVISION_SECRET_BYTES, REVISION_SECRET_BYTES
            )
        items = obj.get("keys")
        if not isinstance(items, list):
            raise InvalidRequestError("SRV-2: field 'keys' must be an array")
        if len(items) > max_keys:
            raise TooManyKeysError(f"SRV-6: an upload holds at most {max_keys} keys")
        return cls(token, secret, tuple(_key(item) for item in items), revision_secret)


@dataclass(frozen=True, slots=True)
class RevisionRequest(UploadRequest):
    """POST /v1/revise (spec SRV-24): an upload's fields with a required revision secret."""

    @classmethod
    def parse(cls, obj: dict[str, Any], max_keys: int) -> UploadRequest:
        """Check the fields of a revision."""
        return cls._parse(obj, max_keys, required_secret=True)


def _key(item: object) -> TemporaryExposureKey:
    if not isinstance(item, dict):
        raise InvalidRequestError("SRV-2: each key must be an object")
    _only(item, {"key_data", "rolling_start", "rolling_period"}, "a key")
    text = _str(item, "key_data", 64)
    try:
        key_data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError("SRV-2: field 'key_data' is not base64") from exc
    if base64.b64encode(key_data).decode() != text:
        raise InvalidRequestError("SRV-2: field 'key_data' is not canonical base64")
    start = _int(item, "rolling_start", 0, MAX_INTERVAL)
    period = _int(item, "rolling_period", -(2**31), 2**31)
    # KS-1 (16 bytes) and KS-4 (period 1..144) are the protocol's checks and error codes.
    return TemporaryExposureKey(key_data, start, period)
