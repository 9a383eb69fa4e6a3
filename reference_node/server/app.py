"""The key server's HTTP API on aiohttp (spec SRV-1..SRV-16).

``KeyServer`` ties storage, publisher, rate limits, clock and randomness together and builds
the ``web.Application``. Handlers stay thin: they read and check a body, call storage, and
answer JSON. Every error becomes ``{"error": name, "message": text}`` with the status of
spec SRV-15. Logs carry method, route, status and duration: never a client address, a
code, a token, a secret or a key (SRV-8).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bluezone.protocol.errors import (
    DuplicateKeyError,
    ProtocolError,
    RevisionDeniedError,
    TooFewKeysError,
    TooManyKeysError,
)
from bluezone.protocol.keys import interval_number
from bluezone.protocol.note import NoteVerifier
from bluezone.protocol.params import (
    CODE_ALPHABET,
    CODE_DEFAULT_VALIDITY_S,
    CODE_EXPIRY_STEP_S,
    CODE_LENGTH,
    MAX_SAME_START_KEYS,
    MAX_SMALL_REQUEST_BYTES,
    MAX_UPLOAD_KEYS,
    MAX_UPLOAD_REQUEST_BYTES,
    MIN_UPLOAD_KEYS,
    TOKEN_BYTES,
    TOKEN_EXPIRY_STEP_S,
    TOKEN_VALIDITY_S,
)
from bluezone.protocol.revisions import (
    BEFORE_EXPOSURE_DAY,
    revision_tag,
    split_recursive,
    tag_matches,
)
from bluezone.protocol.upload import (
    check_key_list_hmac,
    check_upload,
    coarse_expiry,
    code_digest,
    days_since_onset,
    default_onset_interval,
    onset_in_window,
    token_digest,
)
from bluezone.reference_node.server.defaults import (
    DEFAULT_CLIENT_RATE,
    DEFAULT_DAILY_CODE_QUOTA,
    DEFAULT_HA_RATE,
)
from bluezone.reference_node.server.deniability import (
    CHAFF_HEADER,
    PADDED_ANSWERS,
    LatencyEnvelope,
    chaff_answer,
    padded_json,
)
from bluezone.reference_node.server.errors import (
    CodeNotFoundError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    StorageError,
    UnauthorizedError,
    WrongCodeKindError,
)
from bluezone.reference_node.server.files import (
    CHECKPOINT_PATH,
    INDEX_PATH,
    INDEX_TEXT_PATH,
    KEYS_PATH,
    LATEST_CHECKPOINT_PATH,
    PublicFiles,
)
from bluezone.reference_node.server.keyfiles import ApiKeyCheck, ServerKeys, derive_key
from bluezone.reference_node.server.publisher import Publisher
from bluezone.reference_node.server.ratelimit import (
    ClientAddresses,
    ClientKeys,
    Limiter,
    Rate,
    SharedBuckets,
)
from bluezone.reference_node.server.requests import (
    CodeRequest,
    RevisionRequest,
    TokenRequest,
    UploadRequest,
    read_body,
    read_json,
)
from bluezone.reference_node.server.storage import NewKey, Storage

if TYPE_CHECKING:
    from bluezone.reference_node.server.gaen import GaenApi

log = logging.getLogger("bluezone.server")

# spec SRV-11: cache lifetimes of the static files.
IMMUTABLE = "public, max-age=31536000, immutable"
# spec SRV-27: a batch file never changes but is deleted after retention; a CDN may keep it
# a day, so that it is gone from caches a day after the server deleted it.
BATCH_CACHE = "public, max-age=86400, immutable"
SHORT_LIVED = "public, max-age=60"
# spec SRV-15: the status logged for a request whose client disconnected (nginx's 499).
CLIENT_CLOSED_REQUEST = 499
# spec SRV-13: proofs for a given size never change.
PROOF_CACHE = IMMUTABLE
# spec SRV-14: when storage fails, clients are asked to come back after this many seconds.
STORAGE_RETRY_AFTER_S = 30
# spec SRV-15: protocol errors answered with another status than 400.
PROTOCOL_STATUS = {"revision_denied": 403, "invalid_report_type_transition": 409}


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the HTTP layer needs besides storage and publisher."""

    ha_api_key: str
    ha_rate: Rate = DEFAULT_HA_RATE
    client_rate: Rate = DEFAULT_CLIENT_RATE
    code_validity_s: int = CODE_DEFAULT_VALIDITY_S
    token_validity_s: int = TOKEN_VALIDITY_S
    witnesses: tuple[NoteVerifier, ...] = field(default=())
    max_upload_keys: int = MAX_UPLOAD_KEYS
    server_secret: bytes | None = None
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: str = "x-forwarded-for"
    log_counts_only: bool = False
    assumed_onset_days_ago: int | None = None
    # spec PORTAL-10: codes the authority may issue in one UTC day, by API and portal.
    daily_code_quota: int = DEFAULT_DAILY_CODE_QUOTA


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A verification code as issued (spec SRV-3, SRV-20)."""

    code: str
    expires_s: int
    report_type: int
    exposure_interval: int | None = None
    revision: bool = False


def _json(value: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(value, status=status, headers=headers)


def _padded(response: web.Response, size: int) -> web.Response:
    """Return a JSON answer padded to ``size`` bytes, status and headers kept (DENY-2)."""
    assert isinstance(response.body, bytes)
    value = json.loads(response.body)
    headers = {
        k: v for k, v in response.headers.items() if k not in ("Content-Type", "Content-Length")
    }
    padded = web.Response(
        body=padded_json(value, size),
        status=response.status,
        content_type="application/json",
        headers=headers,
    )
    if not response.keep_alive and response.keep_alive is not None:
        padded.force_close()
    return padded


def _error(exc: ServerError | ProtocolError, status: int) -> web.Response:
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after_s)
    elif status == 503:
        headers["Retry-After"] = str(STORAGE_RETRY_AFTER_S)
    response = _json({"error": exc.code, "message": str(exc)}, status, headers)
    if isinstance(exc, RequestTimeoutError):
        response.force_close()  # spec OPS-1: the rest of a slow body is not waited for
    return response


def draw_code() -> str:
    """Return a fresh verification code from the CSPRNG (spec SRV-3)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class KeyServer:
    """The key server's state and HTTP handlers."""

    # spec GAPI-1: the GAEN-compatible endpoints, set when the operator configured them.
    gaen: GaenApi | None = None

    def __init__(
        self,
        storage: Storage,
        publisher: Publisher,
        files: PublicFiles,
        keys: ServerKeys,
        config: ApiConfig,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve ``storage`` and ``publisher``; ``clock`` is unix seconds."""
        self.storage = storage
        self.publisher = publisher
        self.files = files
        self.keys = keys
        self.config = config
        self.clock = clock
        self._api_key = ApiKeyCheck(config.ha_api_key)
        # spec DENY-1: recent real latencies, which chaff answers imitate.
        self.latencies = LatencyEnvelope()
        # spec SRV-14: shared by every process when the storage keeps buckets (PostgreSQL).
        shared = storage if isinstance(storage, SharedBuckets) else None
        self._ha_limit = Limiter(b"ha:", config.ha_rate, shared, clock, monotonic)
        self._client_limit = Limiter(b"client:", config.client_rate, shared, clock, monotonic)
        secret = config.server_secret or secrets.token_bytes(32)  # tests may omit it
        # spec PORTAL-6: the portal derives its form-token key from the same secret.
        self.secret = secret
        self._client_keys = ClientKeys(derive_key(secret, "client-addresses"))
        self._digest_key = derive_key(secret, "code-and-token-digests")
        self._addresses = ClientAddresses(config.trusted_proxies, config.proxy_header)
        # spec SRV-14: code_not_found answers across all clients, for alerting.
        self.code_not_found_total = 0
        # spec SRV-8: with log_counts_only, requests are counted, not logged one by one.
        self.request_counts: collections.Counter[str] = collections.Counter()

    def build_app(self) -> web.Application:
        """Return the aiohttp application of spec SRV-1."""
        app = web.Application(
            middlewares=[self._errors, self._chaff], client_max_size=MAX_UPLOAD_REQUEST_BYTES
        )
        app.router.add_post("/v1/ha/codes", self.issue_code)
        app.router.add_post("/v1/token", self.exchange_code)
        app.router.add_post("/v1/publish", self.upload)
        app.router.add_post("/v1/revise", self.revise)
        app.router.add_get("/v1/checkpoint", self.latest_checkpoint)
        app.router.add_get("/v1/checkpoints/latest", self.newest_checkpoint)
        app.router.add_get("/v1/checkpoints/{size:[0-9]{1,20}}", self.checkpoint)
        app.router.add_get("/v1/batches/index.cbor", self.index)
        app.router.add_get("/v1/batches/{number:[0-9]{1,20}}.zip", self.batch)
        app.router.add_get("/v1/keys", self.server_keys)
        app.router.add_get("/v1/proof/inclusion", self.inclusion_proof)
        app.router.add_get("/v1/proof/consistency", self.consistency_proof)
        app.router.add_post("/v1/checkpoints/{size:[0-9]{1,20}}/cosignatures", self.cosign)
        app.router.add_get("/v1/batches/index.txt", self.index_text)
        if self.gaen is not None:
            self.gaen.mount(app)
        return app

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        try:
            response = await handler(request)
        except ConnectionResetError:
            # spec SRV-15: the client left mid-request; nobody reads an answer, and a
            # traceback per abandoned request would flood the log.
            response = web.Response(status=CLIENT_CLOSED_REQUEST)
        except ServerError as exc:
            if isinstance(exc, CodeNotFoundError):
                self.code_not_found_total += 1
            response = _error(exc, exc.status)
        except ProtocolError as exc:
            response = _error(exc, PROTOCOL_STATUS.get(exc.code, 400))
        except web.HTTPException as exc:
            response = _json(
                {"error": _http_error_name(exc.status), "message": exc.reason}, exc.status
            )
        except Exception:
            log.exception("unexpected failure in %s %s", request.method, name)
            response = _json({"error": "internal_error", "message": "internal error"}, 500)
        size = PADDED_ANSWERS.get(request.path) if request.method == "POST" else None
        if (
            size is not None
            and isinstance(response, web.Response)
            and response.content_type == "application/json"
        ):
            response = _padded(response, size)  # spec DENY-2: success and error alike
            if CHAFF_HEADER not in request.headers:
                self.latencies.record(request.path, time.perf_counter() - started)
        if self.config.log_counts_only:
            self.request_counts[f"{request.method} {name} {response.status}"] += 1
        else:
            log.info(
                "%s %s %d %.1fms",
                request.method,
                name,
                response.status,
                (time.perf_counter() - started) * 1000,
            )
        return response

    @web.middleware
    async def _chaff(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Answer a chaff request before any storage access (spec DENY-1)."""
        if (
            request.method != "POST"
            or request.path not in PADDED_ANSWERS
            or CHAFF_HEADER not in request.headers
        ):
            return await handler(request)
        limit = (
            MAX_UPLOAD_REQUEST_BYTES if request.path == "/v1/publish" else MAX_SMALL_REQUEST_BYTES
        )
        started = time.perf_counter()
        await read_body(request, limit)
        # As long as a real request took in all, body reading included.
        spent = time.perf_counter() - started
        await asyncio.sleep(max(0.0, self.latencies.draw(request.path) - spent))
        now_s = int(self.clock())
        return _json(chaff_answer(request.path, now_s, self.config.token_validity_s))

    def code_digest(self, code: str) -> bytes:
        """What the storage keeps of a code: its HMAC under the server's key (SRV-8)."""
        return code_digest(code, self._digest_key)

    def token_digest(self, token: bytes) -> bytes:
        """What the storage keeps of a token: its HMAC under the server's key (SRV-8)."""
        return token_digest(token, self._digest_key)

    def client_key(self, request: web.Request) -> bytes:
        """The opaque bucket key of the request's client, behind trusted proxies (SRV-14)."""
        return self._client_keys.key(self._addresses.address(request.remote, request.headers))

    async def _limit_client(self, request: web.Request) -> None:
        wait = await self._client_limit.take(self.client_key(request))
        if wait:
            raise RateLimitedError("SRV-14: too many requests", max(1, round(wait)))

    async def issue_code(self, request: web.Request) -> web.Response:
        """POST /v1/ha/codes: issue a verification code (spec SRV-3)."""
        auth = request.headers.get("Authorization", "")
        scheme, _, presented = auth.partition(" ")
        if scheme.lower() != "bearer" or not self._api_key.matches(presented.strip()):
            await self._limit_client(request)
            raise UnauthorizedError("SRV-3: a valid health-authority API key is required")
        wait = await self._ha_limit.take(b"ha")
        if wait:
            raise RateLimitedError("SRV-14: too many codes issued", max(1, round(wait)))
        body = await read_json(request, MAX_SMALL_REQUEST_BYTES)
        issued = await self.issue(CodeRequest.parse(body, self.config.code_validity_s))
        answer: dict[str, object] = {
            "code": issued.code,
            "expires_s": issued.expires_s,
            "report_type": issued.report_type,
        }
        if issued.exposure_interval is not None:
            answer["exposure_interval"] = issued.exposure_interval  # spec SRV-20
        if issued.revision:
            answer["revision"] = True
        return _json(answer, status=201)

    async def issue(self, ask: CodeRequest) -> IssuedCode:
        """Draw, store and return a code (spec SRV-3, SRV-20): the one path for the API and
        the portal (PORTAL-1), under the authority's daily quota (PORTAL-10)."""
        now_s = int(self.clock())
        if ask.onset_interval is not None and not onset_in_window(
            ask.onset_interval, interval_number(now_s)
        ):
            raise InvalidRequestError(
                "SRV-3: field 'onset_interval' must lie within the 28 days up to now"
            )
        expires_s = coarse_expiry(now_s, ask.validity_s, CODE_EXPIRY_STEP_S)  # spec SRV-3
        for _ in range(8):
            code = draw_code()
            if await self.storage.add_code(
                self.code_digest(code),
                ask.report_type,
                ask.onset_interval,
                expires_s,
                ask.exposure_interval,
                ask.revision,
                now_s=now_s,
                daily_quota=self.config.daily_code_quota,
            ):
                return IssuedCode(
                    code, expires_s, ask.report_type, ask.exposure_interval, ask.revision
                )
        raise StorageError("SRV-3: could not draw an unused code")

    async def exchange_code(self, request: web.Request) -> web.Response:
        """POST /v1/token: exchange a code for an upload token bound to a key-list HMAC."""
        await self._limit_client(request)
        body = await read_json(request, MAX_SMALL_REQUEST_BYTES)
        ask = TokenRequest.parse(body)
        token = secrets.token_bytes(TOKEN_BYTES)
        now_s = int(self.clock())
        expires_s = coarse_expiry(now_s, self.config.token_validity_s, TOKEN_EXPIRY_STEP_S)
        await self.storage.exchange_code(
            self.code_digest(ask.code), now_s, self.token_digest(token), ask.key_hmac, expires_s
        )
        return _json({"token": base64.b64encode(token).decode(), "expires_s": expires_s})

    async def upload(self, request: web.Request) -> web.Response:
        """POST /v1/publish: upload keys with a token (spec SRV-6, SRV-7)."""
        await self._limit_client(request)
        body = await read_json(request, MAX_UPLOAD_REQUEST_BYTES)
        ask = UploadRequest.parse(body, self.config.max_upload_keys)
        now_s = int(self.clock())
        checked = check_upload(
            ask.keys, interval_number(now_s), self.config.max_upload_keys, MAX_SAME_START_KEYS
        )
        digest = self.token_digest(ask.token)
        token = await self.storage.get_token(digest)
        if token.revision:
            raise WrongCodeKindError("SRV-21: a revision token uploads at /v1/revise")
        check_key_list_hmac(ask.hmac_secret, ask.keys, token.key_hmac)
        warnings = {w.index: w.warning for w in checked.warnings}
        kept = [i for i in range(len(ask.keys)) if i not in warnings]
        if token.exposure_interval is not None:  # spec SRV-21: a recursive code
            split = split_recursive([ask.keys[i] for i in kept], token.exposure_interval)
            warnings.update((kept[i], BEFORE_EXPOSURE_DAY) for i in split.dropped)
            kept = [kept[i] for i in split.kept]
        onset = token.onset_interval
        if onset is None and self.config.assumed_onset_days_ago is not None:
            # spec SRV-7: GAEN's backfill, when the operator asks for it.
            onset = default_onset_interval(
                interval_number(now_s), self.config.assumed_onset_days_ago
            )
        keys = [
            NewKey(
                k.key_data,
                k.rolling_start,
                k.rolling_period,
                token.report_type,
                days_since_onset(k.rolling_start, onset),
                None
                if ask.revision_secret is None
                else revision_tag(ask.revision_secret, k.key_data),  # spec SRV-23
            )
            for k in (ask.keys[i] for i in kept)
        ]
        accepted = await self.storage.use_token(digest, now_s, keys)
        listed = [{"index": i, "warning": warnings[i]} for i in sorted(warnings)]
        return _json({"accepted": accepted, "warnings": listed})

    async def revise(self, request: web.Request) -> web.Response:
        """POST /v1/revise: change the report type of keys uploaded before (spec SRV-24)."""
        await self._limit_client(request)  # spec SRV-26: the same bucket as uploads
        body = await read_json(request, MAX_UPLOAD_REQUEST_BYTES)
        ask = RevisionRequest.parse(body, self.config.max_upload_keys)
        assert ask.revision_secret is not None
        _check_revision_keys(ask)
        now_s = int(self.clock())
        digest = self.token_digest(ask.token)
        token = await self.storage.get_token(digest)
        if not token.revision:
            raise WrongCodeKindError("SRV-24: revisions need a revision code")
        check_key_list_hmac(ask.hmac_secret, ask.keys, token.key_hmac)
        states = await self.storage.key_states([k.key_data for k in ask.keys])
        for key, state in zip(ask.keys, states, strict=True):
            if (
                state is None
                or (state.key.rolling_start, state.key.rolling_period)
                != (key.rolling_start, key.rolling_period)
                or not tag_matches(ask.revision_secret, key.key_data, state.key.revision_tag)
            ):
                raise RevisionDeniedError("SRV-24: the keys cannot be revised with this secret")
        revisions = [state.revised_to(token.report_type) for state in states if state is not None]
        revised = await self.storage.revise(digest, now_s, revisions)
        log.info("revision of %d keys to report type %d", revised, token.report_type)
        return _json({"revised": revised})

    def _static(self, relative: str, content_type: str, cache: str) -> web.Response:
        data = self.files.read(relative)
        if data is None:
            raise NotFoundError("SRV-11: not published")
        return web.Response(body=data, content_type=content_type, headers={"Cache-Control": cache})

    async def latest_checkpoint(self, request: web.Request) -> web.Response:
        """GET /v1/checkpoint: the latest checkpoint the witness quorum cosigned (WIT-4)."""
        return self._static(CHECKPOINT_PATH, "text/plain", SHORT_LIVED)

    async def newest_checkpoint(self, request: web.Request) -> web.Response:
        """GET /v1/checkpoints/latest: the newest signed checkpoint, cosigned or not (WIT-4)."""
        return self._static(LATEST_CHECKPOINT_PATH, "text/plain", SHORT_LIVED)

    async def checkpoint(self, request: web.Request) -> web.Response:
        """GET /v1/checkpoints/{size}: the checkpoint signed at a tree size (SRV-11)."""
        size = int(request.match_info["size"])
        return self._static(f"v1/checkpoints/{size}", "text/plain", IMMUTABLE)

    async def index(self, request: web.Request) -> web.Response:
        """GET /v1/batches/index.cbor: recent batches (spec SRV-12)."""
        return self._static(INDEX_PATH, "application/cbor", SHORT_LIVED)

    async def index_text(self, request: web.Request) -> web.Response:
        """GET /v1/batches/index.txt: the batch files as GAEN's index lists them (GAPI-12)."""
        return self._static(INDEX_TEXT_PATH, "text/plain", SHORT_LIVED)

    async def batch(self, request: web.Request) -> web.Response:
        """GET /v1/batches/{n}.zip: a batch's export file (spec SRV-11)."""
        number = int(request.match_info["number"])
        return self._static(f"v1/batches/{number}.zip", "application/zip", BATCH_CACHE)

    async def server_keys(self, request: web.Request) -> web.Response:
        """GET /v1/keys: the server's public keys (spec SRV-11)."""
        return self._static(KEYS_PATH, "application/json", SHORT_LIVED)

    def _query_int(self, request: web.Request, name: str) -> int:
        text = request.query.get(name, "")
        if not _DECIMAL.fullmatch(text):
            raise NotFoundError(f"SRV-13: query parameter {name!r} must be a decimal integer")
        return int(text)

    async def _tree_of_size(self, size: int) -> None:
        if size > self.publisher.tree.size:
            # Another server process may have published: pick up its leaves.
            await self.publisher.refresh()
        if size > self.publisher.tree.size or size < 1:
            raise NotFoundError("SRV-13: no checkpoint of that tree size")

    async def inclusion_proof(self, request: web.Request) -> web.Response:
        """GET /v1/proof/inclusion?batch=N&tree_size=S (spec SRV-13)."""
        number = self._query_int(request, "batch")
        size = self._query_int(request, "tree_size")
        await self._tree_of_size(size)
        if number >= size:
            raise NotFoundError("SRV-13: the batch is not below the tree size")
        tree = self.publisher.tree
        proof = tree.inclusion_proof(number, size)
        return _json(
            {
                "batch": number,
                "tree_size": size,
                "leaf_hash": base64.b64encode(tree.leaf_hash_at(number)).decode(),
                "proof": [base64.b64encode(h).decode() for h in proof],
            },
            headers={"Cache-Control": PROOF_CACHE},
        )

    async def consistency_proof(self, request: web.Request) -> web.Response:
        """GET /v1/proof/consistency?first=M&second=N (spec SRV-13)."""
        first = self._query_int(request, "first")
        second = self._query_int(request, "second")
        await self._tree_of_size(second)
        if first > second:
            raise NotFoundError("SRV-13: first must not exceed second")
        proof = self.publisher.tree.consistency_proof(first, second)
        return _json(
            {
                "first": first,
                "second": second,
                "proof": [base64.b64encode(h).decode() for h in proof],
            },
            headers={"Cache-Control": PROOF_CACHE},
        )

    async def cosign(self, request: web.Request) -> web.Response:
        """POST /v1/checkpoints/{size}/cosignatures: add witness cosignatures (SRV-16)."""
        from bluezone.reference_node.client.witness import merge_cosignatures

        await self._limit_client(request)
        size = int(request.match_info["size"])
        body = await read_body(request, MAX_SMALL_REQUEST_BYTES * 4)
        stored = await self.storage.checkpoints(size)
        if not stored or stored[0].tree_size != size:
            raise NotFoundError("SRV-16: no checkpoint of that tree size")
        merged = merge_cosignatures(stored[0].note, body, self.keys.log, self.config.witnesses)
        if merged != stored[0].note:
            await self.publisher.store_cosigned(size, merged)
        return _json({"tree_size": size, "accepted": True})


def _check_revision_keys(ask: UploadRequest) -> None:
    """1..15 keys without duplicates (spec SRV-24); embargo and age were checked at upload."""
    if len(ask.keys) < MIN_UPLOAD_KEYS:
        raise TooFewKeysError("SRV-24: a revision holds at least one key")
    if len(ask.keys) > MAX_UPLOAD_KEYS:
        raise TooManyKeysError(f"SRV-24: a revision holds at most {MAX_UPLOAD_KEYS} keys")
    if len({k.key_data for k in ask.keys}) != len(ask.keys):
        raise DuplicateKeyError("SRV-24: two keys carry the same key data")


# spec SRV-13: ASCII digits only; str.isdigit() would take "²" or "٣" and int() may then fail.
_DECIMAL = re.compile(r"[0-9]{1,20}")


def _http_error_name(status: int) -> str:
    return {
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
    }.get(status, "invalid_request" if status < 500 else "internal_error")
