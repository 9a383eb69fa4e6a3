"""Reporting a diagnosis from the device: exchange the code, upload the keys after the embargo.

After the user reports, the device has re-keyed (spec KS-13, ``DeviceIdentity.report``) and
holds the keys to upload: those of earlier days, already past their embargo, and today's key,
cut at the report, whose embargo ends 2 hours after the report's interval (KS-12). A code
can be exchanged once and its token used for one upload, bound by an HMAC to exactly the keys
it will carry (SRV-4, SRV-5, SRV-7), and the token lives 4 hours, long enough to wait out
that embargo. So the device exchanges the code at once, binding every key of the report,
and uploads them all together once the last embargo is over.

Every step is durable before the next: the upload (with its HMAC secret) is stored before
the code is exchanged, the token as soon as it arrives, and the outcome after the server's
answer. A node restarted in between uploads when due; an exchange cut short (the code may
be spent, the token is lost) is marked ``exchange_interrupted``, and the user needs a new
code. Network and disk work never block the event loop: the store runs in its thread and
the client is aiohttp.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence

from bluezone.protocol import params
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import day_start_interval, interval_number
from bluezone.protocol.schedule import uniform_fraction
from bluezone.protocol.upload import check_upload, normalize_code
from bluezone.reference_node.client.client import KeyServerClient, UploadGrant
from bluezone.reference_node.errors import ReportError
from bluezone.reference_node.node.identity import AsyncDeviceIdentity
from bluezone.reference_node.node.log import LOGGER_NAME
from bluezone.reference_node.server.errors import (
    BadServerDataError,
    ClientError,
    ServerResponseError,
)
from bluezone.reference_node.store import (
    AsyncStore,
    StoredKey,
    StoredReport,
    StoredUpload,
    UploadRecord,
)

log = logging.getLogger(LOGGER_NAME)

ClientFactory = Callable[[str], KeyServerClient]
RandomBytes = Callable[[int], bytes]

# spec SRV-5: 32 bytes recommended for the HMAC secret.
HMAC_SECRET_BYTES = 32
# A token outlives the report by this many intervals (SRV-4: 4 hours).
TOKEN_VALIDITY_INTERVALS = params.TOKEN_VALIDITY_S // params.INTERVAL_SECONDS
# Answers after which the same upload may succeed later; every other error name is final.
RETRYABLE = frozenset(
    {"rate_limited", "storage_unavailable", "internal_error", "http_error", "embargoed_key"}
)
# spec SRV-14: retries of an upload back off exponentially from a minute to an hour.
UPLOAD_RETRY_BASE_S = 60.0
UPLOAD_RETRY_CAP_S = 3600.0
INTERRUPTED = "exchange_interrupted"
UNREACHABLE = "unreachable"


def keys_to_upload(
    reported: Sequence[StoredKey], already_uploaded: set[int], now_interval: int
) -> list[StoredKey]:
    """Choose the keys of a report to upload at ``now_interval`` (spec KS-13, SRV-6).

    Keys another report already uploaded are left out, and so are keys the server would
    refuse as too old at any time the token allows (SRV-6 counts from the upload day's
    midnight, up to 4 hours later); of the rest, the newest 14 (SRV-6), oldest first.
    """
    latest_upload = now_interval + TOKEN_VALIDITY_INTERVALS
    oldest_end = day_start_interval(latest_upload) - params.RETENTION_INTERVALS
    fresh = [
        stored
        for stored in reported
        if stored.key_id not in already_uploaded and stored.key.end_interval > oldest_end
    ]
    fresh.sort(key=lambda s: (s.key.end_interval, s.key_id))
    newest = fresh[-params.MAX_UPLOAD_KEYS :]
    return sorted(newest, key=lambda s: (s.key.rolling_start, s.key_id))


def check_code(code: str) -> str:
    """Return the code in canonical form (SRV-3); ReportError (``invalid_code``) if it is not one.

    Check it before re-keying, so a typo costs nothing.
    """
    try:
        return normalize_code(code)
    except ProtocolError as exc:
        raise ReportError(f"SRV-3: not a verification code ({exc.code})", exc.code) from exc


# What a person can do after each failure of a report (the spec's error names, SRV-3/4/7).
ADVICE = {
    UNREACHABLE: "the key server could not be reached and the code was not used:"
    " report again with the same code",
    INTERRUPTED: "the code exchange was cut short and the code may be used:"
    " report again with the same code; if it is refused as used, ask for a new code",
    "code_not_found": "the key server does not know this code: check it, or ask the health"
    " authority for a new one",
    "invalid_code": "this is not a verification code: check it, or ask for a new one",
    "code_used": "the code was already used: ask the health authority for a new code",
    "code_expired": "the code has expired: ask the health authority for a new code",
    "token_expired": "the upload token expired before the keys could go up:"
    " ask the health authority for a new code",
}


def refusal(failure: str) -> str:
    """One sentence: why a report failed (the spec's error name) and what to do."""
    return ADVICE.get(failure, f"the key server refused the report ({failure}): ask for a new code")


def due_interval(keys: Sequence[StoredKey]) -> int:
    """The first interval at which every key is past its embargo (spec KS-12)."""
    return max(stored.key.end_interval for stored in keys) + params.EMBARGO_INTERVALS


def retry_delay_s(failures: int, retry_after_s: float | None, fraction: float) -> float:
    """Seconds to wait after the ``failures``-th failed upload attempt in a row (spec SRV-14).

    Exponential backoff with full jitter: ``fraction`` (uniform in [0, 1), drawn by the
    caller) of min(1 h, 60 s * 2**(failures - 1)), and never less than the server's
    ``Retry-After``, so devices turned away together do not come back together.
    """
    ceiling = min(UPLOAD_RETRY_CAP_S, UPLOAD_RETRY_BASE_S * 2 ** min(max(failures, 1) - 1, 16))
    return max(fraction * ceiling, retry_after_s or 0.0)


def default_client(server_url: str) -> KeyServerClient:
    """A client of ``server_url`` with its own HTTP session."""
    return KeyServerClient(server_url)


class Reporter:
    """Sends a device's reports to key servers and uploads their keys when due.

    ``client_factory(url)`` makes the key-server client (an async context manager);
    ``random_bytes`` is the CSPRNG the HMAC secrets and the retry jitter come from. After
    a failure worth retrying, no upload is tried before ``retry_at_s`` (spec SRV-14).
    """

    def __init__(
        self,
        store: AsyncStore,
        *,
        client_factory: ClientFactory = default_client,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self.store = store
        self.client_factory = client_factory
        self.random_bytes = random_bytes
        self.failures = 0
        self.retry_at_s: float | None = None

    async def submit(
        self, report: StoredReport, code: str, server_url: str, now_s: float
    ) -> StoredUpload | None:
        """Exchange ``code`` for a token bound to the report's keys; upload them if due.

        Returns the upload (state "waiting" until the last embargo is over, then
        "uploaded"), or None when the report holds no key to upload. Raises ReportError
        for a malformed, unknown, used or expired code and for a refused upload, with the
        spec's error name in ``reason``; ClientError when the server cannot be reached.
        """
        code = check_code(code)
        now = interval_number(now_s)
        uploaded = await self.store.uploaded_key_ids()
        keys = keys_to_upload([k.key for k in report.keys], uploaded, now)
        if not keys:
            log.info("report %d: no key to upload", report.report_id)
            return None
        secret = self.random_bytes(HMAC_SECRET_BYTES)
        upload = await self.store.add_upload(
            UploadRecord(
                report.report_id,
                server_url,
                secret,
                tuple(k.key_id for k in keys),
                due_interval(keys),
                now_s,
                # spec SRV-23: kept with the upload, so only this device can revise the keys.
                revision_secret=self.random_bytes(params.REVISION_SECRET_BYTES),
            )
        )
        async with self.client_factory(server_url) as client:
            try:
                grant = await client.request_token(code, [k.key for k in keys], secret)
            except ServerResponseError as exc:
                await self.store.fail_upload(report.report_id, exc.error)
                raise ReportError(f"the code was refused: {exc.error}", exc.error) from exc
            except (ClientError, TimeoutError) as exc:
                await self.store.fail_upload(report.report_id, UNREACHABLE)
                if isinstance(exc, ClientError):
                    raise
                raise ClientError("the key server did not answer in time") from exc
            upload = await self.store.set_upload_token(
                report.report_id, grant.token, grant.expires_s
            )
            log.info(
                "report %d: code exchanged, %d keys to upload from interval %d",
                report.report_id,
                len(keys),
                upload.due_interval,
                extra={
                    "event": "report_token",
                    "fields": {"keys": len(keys), "due_interval": upload.due_interval},
                },
            )
            upload = await self._send_if_due(client, upload, now_s)
        return upload

    async def report_checked(
        self,
        identity: AsyncDeviceIdentity,
        code: str,
        server_url: str,
        now_s: float,
        first_interval: int | None = None,
    ) -> tuple[StoredReport, StoredUpload | None]:
        """Have ``code`` accepted first, then re-key and record the report (KS-13).

        The code is exchanged for a token bound to the keys the report will carry
        (``planned_report`` at ``now_s``) before anything is written: an unreachable
        server (ClientError) or a refused code (ReportError) leaves the device as it was,
        and a code the server did not accept can be tried again. Only a crash between the
        server's answer and the store's write loses the token, with the code spent.
        Returns the report and its upload (None when no key is to be uploaded); the keys
        go up at once when none is embargoed (KS-12), else later (``upload_due``).
        """
        code = check_code(code)
        now = interval_number(now_s)
        planned = await identity.planned_report(now_s, first_interval)
        keys = keys_to_upload(planned, await self.store.uploaded_key_ids(), now)
        if not keys:
            report = await identity.report(now_s, first_interval)
            log.info("report %d: no key to upload", report.report_id)
            return report, None
        secret = self.random_bytes(HMAC_SECRET_BYTES)
        async with self.client_factory(server_url) as client:
            try:
                grant = await client.request_token(code, [k.key for k in keys], secret)
            except ServerResponseError as exc:
                raise ReportError(refusal(exc.error), exc.error) from exc
            except TimeoutError as exc:
                raise ClientError(f"the key server at {server_url} did not answer") from exc
            report = await identity.report(now_s, first_interval)
            key_ids = tuple(k.key_id for k in keys)
            assert set(key_ids) <= {reported.key.key_id for reported in report.keys}
            record = UploadRecord(
                report.report_id,
                server_url,
                secret,
                key_ids,
                due_interval(keys),
                now_s,
                # spec SRV-23: kept with the upload, so only this device can revise the keys.
                revision_secret=self.random_bytes(params.REVISION_SECRET_BYTES),
            )
            await self.store.add_upload(record)
            upload = await self.store.set_upload_token(
                report.report_id, grant.token, grant.expires_s
            )
            upload = await self._send_if_due(client, upload, now_s)
        return report, upload

    async def _send_if_due(
        self, client: KeyServerClient, upload: StoredUpload, now_s: float
    ) -> StoredUpload:
        """Upload now when no key is embargoed any more (KS-12); a failure backs off (SRV-14)."""
        if interval_number(now_s) < upload.due_interval:
            return upload
        try:
            upload = await self._send(client, upload, now_s)
        except (ClientError, TimeoutError) as exc:
            log.warning("report %d: upload failed, will retry: %r", upload.report_id, exc)
            self._back_off([exc], now_s)
        else:
            self._reset_backoff(upload)
        return upload

    async def upload_due(self, now_s: float) -> list[StoredUpload]:
        """Upload every waiting upload whose keys are all past their embargo at ``now_s``.

        Returns the uploads tried, as they are afterwards: "uploaded", "failed" (a final
        refusal, or the token expired), or still "waiting" after a failure worth retrying
        (network, rate limit, server trouble).
        """
        now = interval_number(now_s)
        tried: list[StoredUpload] = []
        if self.retry_at_s is not None and now_s < self.retry_at_s:
            return tried
        failures: list[Exception] = []
        for upload in await self.store.uploads():
            if upload.state != "waiting" or now < upload.due_interval:
                continue
            if upload.token_expires_s is not None and now_s >= upload.token_expires_s:
                tried.append(await self._fail(upload, "token_expired"))
                continue
            try:
                async with self.client_factory(upload.server_url) as client:
                    tried.append(await self._send(client, upload, now_s))
            except (ClientError, TimeoutError) as exc:
                log.warning(
                    "report %d: upload failed, will retry: %r",
                    upload.report_id,
                    exc,
                    extra={"event": "upload_retry", "fields": {"report": upload.report_id}},
                )
                failures.append(exc)
                tried.append(upload)
        if failures:
            self._back_off(failures, now_s)
        else:
            self._reset_backoff(*tried)
        return tried

    async def next_due_s(self) -> float | None:
        """The unix time to try the next waiting upload (embargo end, or backoff), or None."""
        waiting = [u.due_interval for u in await self.store.uploads() if u.state == "waiting"]
        if not waiting:
            return None
        due = min(waiting) * params.INTERVAL_SECONDS
        return due if self.retry_at_s is None else max(due, self.retry_at_s)

    async def abandon_interrupted(self) -> list[StoredUpload]:
        """Mark uploads whose code exchange never finished as failed; return them.

        Call it only when no exchange can be in flight (at start, holding the store).
        """
        return [
            await self._fail(upload, INTERRUPTED)
            for upload in await self.store.uploads()
            if upload.state == "exchanging"
        ]

    async def _send(
        self, client: KeyServerClient, upload: StoredUpload, now_s: float
    ) -> StoredUpload:
        """Upload the keys bound to ``upload``'s token (spec SRV-7); store the outcome."""
        assert upload.token is not None and upload.token_expires_s is not None
        keys = [(await self.store.own_key(key_id)).key for key_id in upload.key_ids]
        try:
            check_upload(keys, interval_number(now_s))  # spec KS-12, SRV-6, on the device too
        except ProtocolError as exc:
            return await self._fail(upload, exc.code)
        grant = UploadGrant(upload.token, upload.hmac_secret, upload.token_expires_s)
        try:
            outcome = await client.upload_keys(grant, keys, upload.revision_secret)
        except ServerResponseError as exc:
            if exc.error in RETRYABLE:
                raise
            return await self._fail(upload, exc.error)
        if any(i >= len(upload.key_ids) for i in outcome.dropped):
            raise BadServerDataError("SRV-21: a dropped key that was not sent")
        dropped = tuple(upload.key_ids[i] for i in outcome.dropped)
        done = await self.store.finish_upload(upload.report_id, outcome.accepted, now_s, dropped)
        log.info(
            "report %d: %d keys uploaded, %d dropped as before the exposure day",
            upload.report_id,
            outcome.accepted,
            len(dropped),
            extra={
                "event": "report_uploaded",
                "fields": {"keys": outcome.accepted, "dropped": len(dropped)},
            },
        )
        return done

    def _back_off(self, errors: Sequence[Exception], now_s: float) -> None:
        """Put the next attempt off after failures worth retrying (spec SRV-14)."""
        self.failures += 1
        waits = [e.retry_after_s for e in errors if isinstance(e, ServerResponseError)]
        longest = max((wait for wait in waits if wait is not None), default=None)
        fraction = uniform_fraction(self.random_bytes(4))
        self.retry_at_s = now_s + retry_delay_s(self.failures, longest, fraction)

    def _reset_backoff(self, *uploads: StoredUpload | None) -> None:
        """After an upload went up, the next failure starts the backoff afresh."""
        if any(upload is not None and upload.state == "uploaded" for upload in uploads):
            self.failures, self.retry_at_s = 0, None

    async def revise(self, code: str, server_url: str, now_s: float) -> StoredUpload:
        """Revise the keys of this device's last upload to ``server_url`` with a revision code.

        The keys the server stored are sent again with the revision secret kept since that
        upload (spec SRV-24); nothing is re-keyed and nothing waits for an embargo. Raises
        ReportError (``nothing_to_revise`` when no finished upload with a revision secret is
        held, else the server's error name) and ClientError when the server cannot be reached.
        """
        code = check_code(code)
        done = [
            u
            for u in await self.store.uploads()
            if u.state == "uploaded" and u.server_url == server_url and u.revision_secret
        ]
        if not done:
            raise ReportError("no upload to this server can be revised", "nothing_to_revise")
        upload = done[-1]
        keys = [(await self.store.own_key(k)).key for k in upload.published_key_ids]
        secret = self.random_bytes(HMAC_SECRET_BYTES)
        assert upload.revision_secret is not None
        async with self.client_factory(server_url) as client:
            try:
                grant = await client.request_token(code, keys, secret)
                revised = await client.revise(grant, keys, upload.revision_secret)
            except ServerResponseError as exc:
                raise ReportError(f"the revision was refused: {exc.error}", exc.error) from exc
            except TimeoutError as exc:
                raise ClientError("the key server did not answer in time") from exc
        log.info(
            "report %d: %d keys revised",
            upload.report_id,
            revised,
            extra={"event": "report_revised", "fields": {"keys": revised}},
        )
        return upload

    async def _fail(self, upload: StoredUpload, reason: str) -> StoredUpload:
        log.error(
            "report %d: the upload cannot be made (%s); a new code is needed",
            upload.report_id,
            reason,
            extra={"event": "upload_failed", "fields": {"reason": reason}},
        )
        return await self.store.fail_upload(upload.report_id, reason)
