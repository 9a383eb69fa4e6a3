"""The health authority's web portal on aiohttp (spec PORTAL-1..PORTAL-13).

Staff sign in, issue codes one by one or from a CSV file, look codes up and expire them;
administrators manage accounts and read statistics and the audit trail. Every code goes
through ``KeyServer.issue``, the path of the HTTP API (PORTAL-1), and every record lives in
the server's storage, so several server processes share accounts, sessions and limits.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import interval_number
from bluezone.protocol.params import INTERVALS_PER_DAY, ONSET_MAX_AGE_DAYS
from bluezone.protocol.upload import normalize_code
from bluezone.reference_node.server.app import IssuedCode, KeyServer
from bluezone.reference_node.server.errors import (
    InvalidRequestError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    StaffExistsError,
    WeakPasswordError,
)
from bluezone.reference_node.server.keyfiles import derive_key
from bluezone.reference_node.server.portal import accounts, bulk, pages
from bluezone.reference_node.server.portal.admins import USERNAME
from bluezone.reference_node.server.portal.config import PortalConfig
from bluezone.reference_node.server.portal.i18n import Translate, pick_language, translator
from bluezone.reference_node.server.ratelimit import Limiter, SharedBuckets
from bluezone.reference_node.server.requests import CodeRequest
from bluezone.reference_node.server.storage.base import StaffRecord

log = logging.getLogger("bluezone.server.portal")

SESSION_COOKIE = "bz_session"
VISIT_COOKIE = "bz_visit"
LANGUAGE_COOKIE = "bz_lang"
# A page of the portal the language switch may send back to.
_PORTAL_PATH = re.compile(r"/portal/[A-Za-z0-9/_.=&?-]{0,200}")
# Form fields are short; a longer one is refused before any work.
MAX_FIELD_CHARS = 1024
# spec PORTAL-8: a bulk file's size and rows.
MAX_BULK_BYTES = 64 * 1024
# Argon2id takes 256 MiB per hash (PORTAL-3): at most this many run at once.
HASHING_AT_ONCE = 2
# spec PORTAL-7: how long a code issued in the portal stays valid: short when read aloud and
# entered at once, a day when it travels by text message (as GAEN's short and long codes).
VALIDITIES_S = {"15m": 15 * 60, "1h": 3600, "24h": 24 * 3600}
DEFAULT_VALIDITY_S = VALIDITIES_S["1h"]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Access(Enum):
    """Who may reach a route."""

    PUBLIC = "public"
    SIGNED_IN = "signed_in"  # even with a password change or TOTP enrolment due
    STAFF = "staff"
    ADMIN = "admin"


@dataclass(frozen=True)
class Visit:
    """One request's visitor: language, account (or None), and the form token's binding."""

    language: str
    t: Translate
    user: StaffRecord | None
    session_token: str | None
    visit_token: str | None
    form: Mapping[str, str | bytes]


Handler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _field(form: Mapping[str, str | bytes], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def group_code(code: str) -> str:
    """A code in groups of 3 for reading aloud (spec PORTAL-7): ``7KQ 4MZ 9TX H``."""
    return " ".join(code[i : i + 3] for i in range(0, len(code), 3))


def _add_security_headers(response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def see_other(location: str) -> web.Response:
    """A 303 redirect to ``location`` (after a POST, the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location})


def app_link(base: str, code: str) -> str:
    """The link of the text message: ``base`` with the query ``c=<code>`` (spec PORTAL-7)."""
    return f"{base}{'&' if '?' in base else '?'}c={code}"


class Portal:
    """The portal's state and handlers; mounted under ``/portal/``."""

    def __init__(
        self,
        server: KeyServer,
        config: PortalConfig,
        secret: bytes,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve the staff of ``server``; form tokens and TOTP offers derive from ``secret``."""
        self.server = server
        self.storage = server.storage
        self.config = config
        self.clock = server.clock
        self._csrf_key = derive_key(secret, "portal-forms")
        self._totp_key = derive_key(secret, "portal-totp-enrolment")
        shared = self.storage if isinstance(self.storage, SharedBuckets) else None
        self._code_limit = Limiter(
            b"staff-codes:", config.staff_code_rate, shared, self.clock, monotonic
        )
        self._bulk_limit = Limiter(
            b"staff-bulk:", config.staff_bulk_rate, shared, self.clock, monotonic
        )
        self._lookup_limit = Limiter(
            b"staff-lookups:", config.staff_code_rate, shared, self.clock, monotonic
        )
        self._hashing = asyncio.Semaphore(HASHING_AT_ONCE)
        self._offset = datetime.timezone(datetime.timedelta(minutes=config.utc_offset_minutes))

    # -- wiring -------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The portal as an application, to mount at ``/portal/`` (spec PORTAL-1)."""
        app = web.Application(middlewares=[self._headers])
        routes: list[tuple[str, str, Handler, Access]] = [
            ("GET", "/", self.home, Access.PUBLIC),
            ("GET", "/language", self.language, Access.PUBLIC),
            ("GET", "/login", self.login_form, Access.PUBLIC),
            ("POST", "/login", self.login, Access.PUBLIC),
            ("POST", "/logout", self.logout, Access.SIGNED_IN),
            ("GET", "/account/password", self.password_form, Access.SIGNED_IN),
            ("POST", "/account/password", self.change_password, Access.SIGNED_IN),
            ("GET", "/account/totp", self.totp_form, Access.SIGNED_IN),
            ("POST", "/account/totp", self.enrol_totp, Access.SIGNED_IN),
            ("GET", "/codes/new", self.issue_form, Access.STAFF),
            ("POST", "/codes/new", self.issue, Access.STAFF),
            ("GET", "/codes/bulk", self.bulk_form, Access.STAFF),
            ("POST", "/codes/bulk", self.bulk_issue, Access.STAFF),
            ("GET", "/codes/status", self.status_form, Access.STAFF),
            ("POST", "/codes/status", self.status, Access.STAFF),
            ("POST", "/codes/expire", self.expire, Access.STAFF),
            ("GET", "/stats", self.stats, Access.ADMIN),
            ("GET", "/stats.csv", self.stats_csv, Access.ADMIN),
            ("GET", "/staff", self.staff, Access.ADMIN),
            ("POST", "/staff", self.add_staff, Access.ADMIN),
            (
                "POST",
                "/staff/{staff_id:[0-9]{1,18}}/{action:enable|disable}",
                self.toggle_staff,
                Access.ADMIN,
            ),
            ("GET", "/audit", self.audit, Access.ADMIN),
        ]
        for method, path, handler, access in routes:
            app.router.add_route(method, path, self._guarded(handler, access))
        # The stylesheet needs no visitor: no session look-up (a write) per page view.
        app.router.add_get("/style.css", self.style)
        return app

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _add_security_headers(exc)
            raise
        _add_security_headers(response)
        return response

    def _guarded(
        self, handler: Handler, access: Access
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            visit = await self._visit(request)
            if request.method == "POST":
                try:
                    visit = replace(visit, form=await self._read_form(request))
                except ServerError:
                    return self._refusal(request, visit, 400, visit.t("form_unreadable"))
                if not self._csrf_ok(visit):
                    return self._refusal(
                        request, visit, 403, visit.t("csrf_refused")
                    )  # spec PORTAL-6
            redirect = self._redirect_for(visit, access)
            if redirect is not None:
                return see_other(redirect)
            if access is Access.ADMIN and (visit.user is None or visit.user.role != "admin"):
                return self._refusal(request, visit, 403, visit.t("admins_only"))
            response = await handler(request, visit)
            if visit.visit_token is not None and VISIT_COOKIE not in request.cookies:
                self._set_cookie(response, VISIT_COOKIE, visit.visit_token)
            return response

        return guarded

    def _redirect_for(self, visit: Visit, access: Access) -> str | None:
        """Where a visitor goes instead (spec PORTAL-3, PORTAL-4): sign in, then any due step."""
        user = visit.user
        if access is Access.PUBLIC:
            return None
        if user is None:
            return "/portal/login"
        if access is Access.SIGNED_IN:
            return None
        if user.must_change_password:
            return "/portal/account/password"
        if user.role == "admin" and user.totp_secret is None:
            return "/portal/account/totp"
        return None

    async def _visit(self, request: web.Request) -> Visit:
        language = pick_language(
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("Accept-Language", ""),
            self.config.default_language,
        )
        user = None
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            user = await self.storage.touch_session(
                _digest(session),
                self._now(),
                self.config.session_idle_s,
                self.config.session_max_s,
            )  # spec PORTAL-5
        if user is None:
            session = None
        visit = request.cookies.get(VISIT_COOKIE) or secrets.token_urlsafe(32)
        return Visit(language, translator(language), user, session, visit, {})

    async def _read_form(self, request: web.Request) -> dict[str, str | bytes]:
        """The POSTed fields: text as str, files as bytes, within MAX_BULK_BYTES in all.

        A body aiohttp cannot parse is InvalidRequestError; one over the size limits is
        refused by aiohttp (413) or here.
        """
        try:
            if request.content_type.startswith("multipart/"):
                return await self._read_multipart(request)
            posted = await request.post()
        except (ValueError, RuntimeError, AssertionError, HttpProcessingError) as exc:
            raise InvalidRequestError(f"PORTAL-6: unreadable form ({type(exc).__name__})") from exc
        return {k: v for k, v in posted.items() if isinstance(v, str) and len(v) <= MAX_FIELD_CHARS}

    async def _read_multipart(self, request: web.Request) -> dict[str, str | bytes]:
        form: dict[str, str | bytes] = {}
        total = 0
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = bytearray()
            while chunk := await part.read_chunk(8192):
                data += chunk
                total += len(chunk)
                if total > MAX_BULK_BYTES:
                    raise InvalidRequestError("PORTAL-8: the form is too large")
            form[part.name] = bytes(data) if part.filename else data.decode("utf-8", "replace")
        return form

    def _csrf_for(self, visit: Visit) -> str:
        """The form token of this visitor (spec PORTAL-6): bound to its session or visit."""
        binding = visit.session_token or visit.visit_token or ""
        mac = hmac.digest(self._csrf_key, binding.encode(), "sha256")
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _csrf_ok(self, visit: Visit) -> bool:
        sent = _field(visit.form, "csrf")
        return bool(sent) and hmac.compare_digest(sent.encode(), self._csrf_for(visit).encode())

    def _set_cookie(
        self, response: web.StreamResponse, name: str, value: str, max_age: int | None = None
    ) -> None:
        response.set_cookie(
            name,
            value,
            path="/portal/",
            max_age=max_age,
            secure=self.config.secure_cookies,
            httponly=True,
            samesite="Strict",
        )

    def _view(self, request: web.Request, visit: Visit, **messages: str | None) -> pages.View:
        return pages.View(
            visit.t,
            visit.language,
            self.config.authority,
            visit.user,
            self._csrf_for(visit),
            request.path_qs if request.method == "GET" else request.path,
            messages.get("notice"),
            messages.get("error"),
        )

    def _page(self, text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    def _refusal(
        self, request: web.Request, visit: Visit, status: int, message: str
    ) -> web.Response:
        view = self._view(request, visit, error=message)
        return self._page(pages.message_page(view, visit.t("refused_title")), status)

    def _now(self) -> int:
        return int(self.clock())

    def _local(self, unix_s: int) -> str:
        moment = datetime.datetime.fromtimestamp(unix_s, self._offset)
        return moment.strftime("%d/%m/%Y %H:%M (UTC%z)").replace("UTC+0700", "UTC+07:00")

    def _today(self) -> datetime.date:
        return datetime.datetime.fromtimestamp(self._now(), self._offset).date()

    async def _audit(self, visit: Visit, action: str, detail: str = "") -> None:
        """Record who did what (spec PORTAL-12); never a code, a password or a phone number."""
        actor = visit.user.username if visit.user is not None else "-"
        await self.storage.add_audit(self._now(), actor, action, detail)

    # -- public pages --------------------------------------------------------------------

    async def home(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return see_other("/portal/codes/new" if visit.user else "/portal/login")

    async def style(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=pages.stylesheet(),
            content_type="text/css",
            headers={"Cache-Control": "max-age=3600"},
        )

    async def language(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Remember the chosen language (spec PORTAL-13) and go back to a portal page."""
        chosen = pick_language(request.query.get("to"), "", self.config.default_language)
        target = request.query.get("next", "/portal/")
        if not _PORTAL_PATH.fullmatch(target):
            target = "/portal/"  # never another site, never a header break
        response = see_other(target)
        self._set_cookie(response, LANGUAGE_COOKIE, chosen, max_age=365 * 86400)
        return response

    async def login_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        if visit.user is not None:
            return see_other("/portal/codes/new")
        return self._page(pages.login_page(self._view(request, visit)))

    async def login(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Sign in (spec PORTAL-4): password, then TOTP when enrolled; lockout on failures."""
        username = _field(visit.form, "username").lower()
        staff = await self.storage.staff_by_name(username) if USERNAME.match(username) else None
        now = self._now()
        ok = await self._verify(staff, _field(visit.form, "password"))
        if staff is not None and (staff.disabled or staff.locked_until_s > now):
            ok = False
        if ok and staff is not None and staff.totp_secret is not None:
            step = accounts.totp_match(staff.totp_secret, _field(visit.form, "totp"), now)
            ok = step is not None and await self.storage.use_totp_step(staff.id, step)
        if not ok or staff is None:
            if staff is not None and not staff.disabled and staff.locked_until_s <= now:
                after = await self.storage.login_failed(
                    staff.id, now, self.config.max_login_failures, self.config.lockout_s
                )
                locked = after.locked_until_s > now
                await self.storage.add_audit(
                    now, staff.username, "locked_out" if locked else "sign_in_failed", ""
                )
            view = self._view(
                request,
                visit,
                error=visit.t(
                    "sign_in_failed",
                    failures=self.config.max_login_failures,
                    minutes=self.config.lockout_s // 60,
                ),
            )
            return self._page(pages.login_page(view, username), 401)
        await self.storage.login_succeeded(staff.id)
        await self.storage.add_audit(now, staff.username, "sign_in", "")
        return await self._start_session(replace(visit, user=staff))

    async def _start_session(self, visit: Visit) -> web.Response:
        """A new session for ``visit.user`` (spec PORTAL-5), sent on to its first due page."""
        assert visit.user is not None
        token = secrets.token_urlsafe(32)
        await self.storage.add_session(_digest(token), visit.user.id, self._now())
        response = see_other(self._redirect_for(visit, Access.STAFF) or "/portal/codes/new")
        self._set_cookie(response, SESSION_COOKIE, token)
        return response

    async def _verify(self, staff: StaffRecord | None, password: str) -> bool:
        """Check a password in a thread; unknown accounts cost the same work (PORTAL-3)."""
        async with self._hashing:
            stored = staff.password_hash if staff else await asyncio.to_thread(_decoy_hash)
            ok = await asyncio.to_thread(accounts.verify_password, stored, password)
        return ok and staff is not None

    async def _hash(self, password: str) -> bytes:
        async with self._hashing:
            return await asyncio.to_thread(accounts.hash_password, password)

    async def logout(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        if visit.session_token is not None:
            await self.storage.delete_session(_digest(visit.session_token))
            await self._audit(visit, "sign_out")
        response = see_other("/portal/login")
        response.del_cookie(SESSION_COOKIE, path="/portal/")
        return response

    # -- own account ----------------------------------------------------------------------

    async def password_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        notice = visit.t("password_due") if visit.user and visit.user.must_change_password else None
        return self._page(pages.password_page(self._view(request, visit, notice=notice)))

    async def change_password(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Change one's password (spec PORTAL-3): the current one, the policy, twice the same."""
        assert visit.user is not None
        new = _field(visit.form, "new")
        error = None
        if not await self._verify(visit.user, _field(visit.form, "current")):
            error = visit.t("password_current_wrong")
        elif new != _field(visit.form, "repeat"):
            error = visit.t("password_mismatch")
        else:
            try:
                accounts.check_password_policy(new, visit.user.username)
            except WeakPasswordError as exc:
                error = visit.t("weak_" + exc.reason)
        if error is not None:
            return self._page(pages.password_page(self._view(request, visit, error=error)), 400)
        await self.storage.set_password(visit.user.id, await self._hash(new), False)
        await self.storage.delete_sessions_of(visit.user.id)
        await self._audit(visit, "password_changed")
        user = replace(visit.user, must_change_password=False)
        return await self._start_session(replace(visit, user=user))

    def _pending_totp(self, visit: Visit) -> bytes:
        """The secret offered for enrolment, derived from the session: a reload shows the same."""
        assert visit.session_token is not None
        return hmac.digest(self._totp_key, visit.session_token.encode(), "sha256")[:20]

    async def totp_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        assert visit.user is not None
        secret = self._pending_totp(visit)
        due = visit.user.role == "admin" and visit.user.totp_secret is None
        view = self._view(request, visit, notice=visit.t("totp_due") if due else None)
        uri = accounts.otpauth_uri(secret, visit.user.username, self.config.authority)
        return self._page(pages.totp_page(view, accounts.base32(secret), uri))

    async def enrol_totp(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Enrol an authenticator (spec PORTAL-4): a code from it proves the secret was taken."""
        assert visit.user is not None
        secret = self._pending_totp(visit)
        step = accounts.totp_match(secret, _field(visit.form, "totp"), self._now())
        if step is None:
            view = self._view(request, visit, error=visit.t("totp_wrong"))
            uri = accounts.otpauth_uri(secret, visit.user.username, self.config.authority)
            return self._page(pages.totp_page(view, accounts.base32(secret), uri), 400)
        await self.storage.set_totp(visit.user.id, secret)
        await self.storage.use_totp_step(visit.user.id, step)
        await self._audit(visit, "totp_enrolled")
        return see_other("/portal/codes/new")

    # -- codes ------------------------------------------------------------------------------

    def _earliest(self) -> datetime.date:
        return self._today() - datetime.timedelta(days=ONSET_MAX_AGE_DAYS - 1)

    async def issue_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        view = self._view(request, visit)
        return self._page(pages.issue_page(view, self._earliest(), self._today(), {}))

    def _interval(self, text: str) -> int | None:
        """A date of the form as the interval of its UTC midnight, never after now (PORTAL-7)."""
        if not text:
            return None
        day = datetime.date.fromisoformat(text)
        if not self._earliest() <= day <= self._today():
            raise ValueError(text)
        midnight = (day - datetime.date(1970, 1, 1)).days * INTERVALS_PER_DAY
        return min(midnight, interval_number(self._now()))

    def code_request(
        self, kind: str, onset_date: str, exposure_date: str, validity: str = ""
    ) -> CodeRequest:
        """The API request a form's kind and dates stand for (spec PORTAL-7, SRV-20).

        Raises ValueError for a date outside the allowed range and InvalidRequestError for a
        kind the rules refuse; CodeRequest.parse applies the API's own checks.
        """
        body: dict[str, object] = {}
        if kind in ("confirm_revision", "revoke"):
            body = {"revision": True, "report_type": 1 if kind == "confirm_revision" else 5}
        else:
            report_type = {"confirmed": 1, "clinical": 2, "self_report": 3, "recursive": 4}.get(
                kind
            )
            if report_type is None:
                raise InvalidRequestError("PORTAL-7: unknown kind of code")
            body = {"report_type": report_type, "onset_interval": self._interval(onset_date)}
            if kind == "recursive":
                body["exposure_interval"] = self._interval(exposure_date)
        body["validity_s"] = VALIDITIES_S.get(validity, DEFAULT_VALIDITY_S)
        return CodeRequest.parse(body, self.server.config.code_validity_s)

    async def _issue_one(self, visit: Visit, ask: CodeRequest, limit: Limiter) -> IssuedCode:
        assert visit.user is not None
        wait = await limit.take(str(visit.user.id).encode())  # spec PORTAL-10
        if wait:
            raise RateLimitedError(
                "PORTAL-10: this account issued too many codes", max(1, round(wait))
            )
        return await self.server.issue(ask)

    def text_message(self, t: Translate, kind: str, issued: IssuedCode) -> str:
        """The text message for the person (spec PORTAL-7): code, expiry, link into the app."""
        template = {
            "recursive": "sms_contact",
            "confirm_revision": "sms_revision",
            "revoke": "sms_revision",
        }
        return t(
            template.get(kind, "sms_case"),
            authority=self.config.authority,
            code=group_code(issued.code),
            expires=self._local(issued.expires_s),
            link=app_link(self.config.app_link, issued.code),
        )

    def _issue_error(self, t: Translate, exc: Exception) -> str:
        if isinstance(exc, ValueError):
            return t("date_out_of_range", days=ONSET_MAX_AGE_DAYS)
        if isinstance(exc, QuotaExceededError):
            return t("quota_exceeded")
        if isinstance(exc, RateLimitedError):
            return t("rate_limited", minutes=max(1, exc.retry_after_s // 60))
        if isinstance(exc, InvalidRequestError) and "exposure_interval" in str(exc):
            return t("exposure_needed")
        return t("invalid_request", detail=str(exc))

    async def issue(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Issue one code (spec PORTAL-7) under the account's rate limit (PORTAL-10)."""
        kind = _field(visit.form, "kind")
        names = ("kind", "onset_date", "exposure_date", "validity")
        values = {n: _field(visit.form, n) for n in names}
        try:
            ask = self.code_request(
                kind, values["onset_date"], values["exposure_date"], values["validity"]
            )
            issued = await self._issue_one(visit, ask, self._code_limit)
        except (ValueError, ServerError, ProtocolError) as exc:
            view = self._view(request, visit, error=self._issue_error(visit.t, exc))
            page = pages.issue_page(view, self._earliest(), self._today(), values)
            return self._page(
                page, 429 if isinstance(exc, RateLimitedError | QuotaExceededError) else 400
            )
        await self._audit(visit, "code_issued", kind)
        sms = self.text_message(visit.t, kind, issued)
        view = self._view(request, visit)
        page = pages.issued_page(
            view, kind, issued.code, group_code(issued.code), self._local(issued.expires_s), sms
        )
        return self._page(page, 201)

    async def bulk_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return self._page(pages.bulk_page(self._view(request, visit), bulk.MAX_ROWS))

    async def bulk_issue(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Issue a code per row of a CSV file; answer the file with codes added (PORTAL-8).

        Every row is checked before any code is issued; a refused file issues nothing.
        Phone numbers pass through to the answer and are never stored or logged.
        """
        data = visit.form.get("file")
        try:
            header, rows = bulk.parse(data if isinstance(data, bytes) else b"")
            asks = [self._bulk_request(visit.t, row) for row in rows]
        except ServerError as exc:
            view = self._view(request, visit, error=visit.t("bulk_refused", detail=str(exc)))
            return self._page(pages.bulk_page(view, bulk.MAX_ROWS), 400)
        results: list[tuple[str, str, str] | str] = []
        for row, ask in zip(rows, asks, strict=True):
            try:
                issued = await self._issue_one(visit, ask, self._bulk_limit)
            except (RateLimitedError, QuotaExceededError) as exc:
                results.append(exc.code)
            else:
                message = self.text_message(visit.t, row.kind, issued)
                results.append((issued.code, self._local(issued.expires_s), message))
        done = sum(isinstance(r, tuple) for r in results)
        kinds = ",".join(sorted({r.kind for r in rows}))
        await self._audit(visit, "codes_bulk_issued", f"{done}/{len(rows)} {kinds}")
        return web.Response(
            body=bulk.answer(header, rows, results),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="codes.csv"'},
        )

    def _bulk_request(self, t: Translate, row: bulk.Row) -> CodeRequest:
        try:
            return self.code_request(row.kind, row.onset_date, row.exposure_date, "24h")
        except (ValueError, ServerError, ProtocolError) as exc:
            raise bulk.BulkFileError(f"{row.number}: {self._issue_error(t, exc)}") from None

    async def status_form(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return self._page(pages.status_page(self._view(request, visit)))

    async def _lookup(self, visit: Visit) -> tuple[str, bytes]:
        assert visit.user is not None
        wait = await self._lookup_limit.take(str(visit.user.id).encode())  # spec PORTAL-10
        if wait:
            raise RateLimitedError("PORTAL-10: too many look-ups", max(1, round(wait)))
        code = normalize_code(_field(visit.form, "code"))
        return code, self.server.code_digest(code)

    async def status(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """A code's state (spec PORTAL-9): unused, used or expired, with kind and expiry."""
        try:
            code, digest = await self._lookup(visit)
        except (ServerError, ProtocolError) as exc:
            error = (
                self._issue_error(visit.t, exc)
                if isinstance(exc, RateLimitedError)
                else visit.t("code_invalid")
            )
            return self._page(pages.status_page(self._view(request, visit, error=error)), 400)
        found = await self.storage.code_status(digest)
        await self._audit(visit, "code_looked_up")
        if found is None:
            view = self._view(request, visit, error=visit.t("code_unknown"))
            return self._page(pages.status_page(view, group_code(code)), 404)
        state = "used" if found.used else "expired" if self._now() >= found.expires_s else "unused"
        detail = visit.t(
            "state_detail",
            kind=visit.t(f"report_type_{found.report_type}"),
            expires=self._local(found.expires_s),
        )
        return self._page(
            pages.status_page(self._view(request, visit), group_code(code), state, detail)
        )

    async def expire(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Expire an unused code now (spec PORTAL-9)."""
        try:
            code, digest = await self._lookup(visit)
        except (ServerError, ProtocolError):
            return self._page(
                pages.status_page(self._view(request, visit, error=visit.t("code_invalid"))), 400
            )
        if not await self.storage.expire_code(digest, self._now()):
            view = self._view(request, visit, error=visit.t("code_not_expirable"))
            return self._page(pages.status_page(view, group_code(code)), 409)
        await self._audit(visit, "code_expired")
        view = self._view(request, visit, notice=visit.t("code_expired_now"))
        return self._page(pages.status_page(view, group_code(code), "expired"))

    # -- administration ---------------------------------------------------------------------

    async def _daily_rows(self, days: int = 30) -> list[tuple[datetime.date, dict[str, int]]]:
        today = self._now() // 86_400
        counts = await self.storage.daily_counts(today - days + 1, today)
        epoch = datetime.date(1970, 1, 1)
        return [
            (epoch + datetime.timedelta(days=day), dict(counts.get(day, {})))
            for day in range(today, today - days, -1)
        ]

    async def stats(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Daily counts of the last 30 UTC days (spec PORTAL-11)."""
        return self._page(pages.stats_page(self._view(request, visit), await self._daily_rows()))

    async def stats_csv(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["day", *pages.COUNT_NAMES])
        for day, counts in await self._daily_rows():
            writer.writerow([day.isoformat(), *(counts.get(n, 0) for n in pages.COUNT_NAMES)])
        return web.Response(
            text=out.getvalue(),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
        )

    async def staff(
        self, request: web.Request, visit: Visit, **messages: str | None
    ) -> web.StreamResponse:
        view = self._view(request, visit, **messages)
        return self._page(
            pages.staff_page(view, await self.storage.list_staff()),
            400 if messages.get("error") else 200,
        )

    async def add_staff(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Create an account (spec PORTAL-2) with an initial password to change at first use."""
        username = _field(visit.form, "username").lower()
        role = _field(visit.form, "role")
        password = _field(visit.form, "password")
        if not USERNAME.match(username) or role not in ("admin", "case_worker"):
            return await self.staff(request, visit, error=visit.t("username_rules"))
        try:
            accounts.check_password_policy(password, username)
            hashed = await self._hash(password)
            await self.storage.add_staff(username, role, hashed, None, self._now(), True)
        except WeakPasswordError as exc:
            return await self.staff(request, visit, error=visit.t("weak_" + exc.reason))
        except StaffExistsError:
            return await self.staff(request, visit, error=visit.t("username_taken"))
        await self._audit(visit, "staff_created", f"{username} ({role})")
        return await self.staff(request, visit, notice=visit.t("staff_created", username=username))

    async def toggle_staff(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """Disable (ending its sessions) or enable an account (spec PORTAL-2)."""
        assert visit.user is not None
        target = await self.storage.staff_by_id(int(request.match_info["staff_id"]))
        if target is None or target.id == visit.user.id:
            return await self.staff(request, visit, error=visit.t("staff_not_found"))
        disable = request.match_info["action"] == "disable"
        await self.storage.set_disabled(target.id, disable)
        await self._audit(visit, "staff_disabled" if disable else "staff_enabled", target.username)
        return see_other("/portal/staff")

    async def audit(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """The newest 200 audit events (spec PORTAL-12)."""
        events = await self.storage.audit_events(200)
        when = {e.id: self._local(e.at_s) for e in events}
        return self._page(pages.audit_page(self._view(request, visit), events, when))


@cache
def _decoy_hash() -> bytes:
    """A real hash to verify against for unknown accounts, made once (spec PORTAL-3)."""
    return accounts.hash_password(secrets.token_urlsafe(16))
