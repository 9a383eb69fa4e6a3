"""Starting and stopping a key server: storage, keys, recovery, HTTP site, schedule.

``start_server(config)`` returns a ``RunningServer`` whose ``url`` is ready for requests;
``stop()`` ends the schedule, the site and the storage. Tests and the CLI use the same path.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bluezone.protocol.keys import day_start_interval, interval_number
from bluezone.protocol.note import NoteVerifier
from bluezone.protocol.params import (
    INTERVALS_PER_DAY,
    MAX_UPLOAD_KEYS,
    MAX_UPLOAD_KEYS_LIMIT,
)
from bluezone.reference_node.server.app import (
    DEFAULT_CLIENT_RATE,
    DEFAULT_HA_RATE,
    ApiConfig,
    KeyServer,
)
from bluezone.reference_node.server.connections import ConnectionLimits, GuardedAppRunner
from bluezone.reference_node.server.defaults import (
    DEFAULT_DAILY_CODE_QUOTA,
    DEFAULT_EXPORT_KEY_ID,
    DEFAULT_RETENTION_DAYS,
)
from bluezone.reference_node.server.errors import ConfigError
from bluezone.reference_node.server.files import KEYS_PATH, PublicFiles
from bluezone.reference_node.server.gaen import GaenApi, GaenConfig
from bluezone.reference_node.server.keyfiles import (
    EXPORT_KEY_FILE,
    HA_API_KEY_FILE,
    LOG_KEY_FILE,
    SERVER_SECRET_FILE,
    ServerKeys,
    check_ha_api_key,
    export_signer,
    export_verification_key,
    load_or_create_export_key,
    load_or_create_ha_api_key,
    load_or_create_log_signer,
    load_or_create_server_secret,
)
from bluezone.reference_node.server.leadership import (
    LEADERSHIP_RETRY_S,
    Leadership,
    PostgresLeadership,
    SoleLeadership,
)
from bluezone.reference_node.server.portal.app import Portal
from bluezone.reference_node.server.portal.config import PortalConfig
from bluezone.reference_node.server.publisher import Publisher, PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.requests import BODY_TIMEOUT
from bluezone.reference_node.server.storage import Storage, open_storage
from bluezone.reference_node.server.witnessing import HttpWitnesses, WitnessPolicy

log = logging.getLogger("bluezone.server")

DATABASE_FILE = "server.sqlite3"
PUBLIC_DIR = "public"
# spec GAPI-5: the ES256 key that signs GAEN verification certificates.
GAEN_CERTIFICATE_KEY_FILE = "gaen-certificate.pem"
# Codes and tokens stay a day past expiry so a late retry learns "expired", not "unknown".
PRUNE_GRACE_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything ``bluezone server run`` takes."""

    data_dir: Path
    origin: str
    database: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    region: str = ""
    export_key_id: str = DEFAULT_EXPORT_KEY_ID
    export_key_version: str = "v1"
    ha_api_key: str | None = None
    batch_period_s: float = 3600.0
    publisher: PublisherConfig = field(default_factory=PublisherConfig)
    ha_rate: Rate = DEFAULT_HA_RATE
    client_rate: Rate = DEFAULT_CLIENT_RATE
    durable: bool = True
    witnesses: tuple[NoteVerifier, ...] = ()
    # spec WIT-3, WIT-4: witnesses the log asks at publication, and cosignatures required
    # before a checkpoint is served as v1/checkpoint.
    witness_urls: tuple[str, ...] = ()
    witness_quorum: int = 0
    schedule: bool = True
    max_upload_keys: int = MAX_UPLOAD_KEYS
    # spec OPS-1, OPS-2: deadlines for slow clients and the connection cap.
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    # spec OPS-4: how often a process that does not publish tries to take over.
    leadership_retry_s: float = LEADERSHIP_RETRY_S
    test_identity: bool = False
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: str = "x-forwarded-for"
    metrics_period_s: float = 60.0
    log_counts_only: bool = False
    # spec GAPI-1: the GAEN-compatible API, off unless configured.
    gaen: GaenConfig | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    assumed_onset_days_ago: int | None = None
    # spec PORTAL-10: codes per UTC day, by API and portal together.
    daily_code_quota: int = DEFAULT_DAILY_CODE_QUOTA
    # spec PORTAL-1: the health authority's web portal, off unless configured.
    portal: PortalConfig | None = None


class _RedactAddresses(logging.Filter):
    """Drops client addresses from aiohttp's own log records (spec SRV-8)."""

    _ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\[?[0-9a-fA-F]*:[0-9a-fA-F:]+\]?")

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if " from %s" in message and isinstance(record.args, tuple) and record.args:
            record.msg = message.replace(" from %s", "", 1)
            record.args = record.args[1:]
        record.msg = self._ADDRESS.sub("<address>", str(record.getMessage()))
        record.args = ()
        return True


def install_log_redaction() -> None:
    """Attach the address filter to aiohttp's loggers (idempotent)."""
    for name in ("aiohttp.server", "aiohttp.web", "aiohttp.access", "aiohttp.internal"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactAddresses) for f in logger.filters):
            logger.addFilter(_RedactAddresses())


@dataclass
class RunningServer:
    """A started server: its URL, parts, and how to stop it."""

    url: str
    key_server: KeyServer
    publisher: Publisher
    storage: Storage
    runner: GuardedAppRunner
    keys: ServerKeys
    tasks: list[asyncio.Task[None]]
    # spec PORTAL-1: the portal's base URL (ending in /portal/) when configured, and its
    # own runner when it listens apart from the device API.
    portal_url: str | None = None
    portal_runner: GuardedAppRunner | None = None

    async def stop(self) -> None:
        """Stop the schedule, then the HTTP sites, then the storage."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.portal_runner is not None:
            await self.portal_runner.cleanup()
        await self.runner.cleanup()
        await self.storage.close()


def check_config(config: ServerConfig) -> None:
    """Refuse settings outside their spec ranges with a one-line ConfigError.

    Outside tests (``test_identity``), the export files' region and signature key ID must be
    the identity the health authority registered with Apple and Google (spec SRV-10).
    """
    if not config.test_identity and (
        config.export_key_id == DEFAULT_EXPORT_KEY_ID or not config.publisher.region
    ):
        raise ConfigError(
            "SRV-10: give --region and --export-key-id, the identity registered with Apple "
            "and Google (--test-identity allows the defaults, for tests only)"
        )
    if config.ha_api_key is not None:
        check_ha_api_key(config.ha_api_key)  # spec SRV-3
    if config.retention_days < DEFAULT_RETENTION_DAYS:
        raise ConfigError(
            f"SRV-27: the retention must be at least {DEFAULT_RETENTION_DAYS} days, "
            f"got {config.retention_days}"
        )
    if not MAX_UPLOAD_KEYS <= config.max_upload_keys <= MAX_UPLOAD_KEYS_LIMIT:
        raise ConfigError(
            f"SRV-6: the maximum keys per upload must be {MAX_UPLOAD_KEYS}.."
            f"{MAX_UPLOAD_KEYS_LIMIT}, got {config.max_upload_keys}"
        )


async def _check_origin(storage: Storage, origin: str) -> None:
    stored = await storage.get_meta("origin")
    if stored is None:
        await storage.set_meta("origin", origin)
    elif stored != origin:
        raise ConfigError(f"LOG-8: this database belongs to origin {stored!r}")


async def prepare(
    config: ServerConfig,
    clock: Callable[[], float] = time.time,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    on_step: Callable[[str], None] | None = None,
) -> tuple[KeyServer, Storage]:
    """Open storage and keys, recover the log, write ``v1/keys``; return the server."""
    check_config(config)
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_signer = load_or_create_log_signer(data_dir / LOG_KEY_FILE, config.origin)
    export_key = load_or_create_export_key(data_dir / EXPORT_KEY_FILE)
    api_key = config.ha_api_key or load_or_create_ha_api_key(data_dir / HA_API_KEY_FILE)
    server_secret = load_or_create_server_secret(data_dir / SERVER_SECRET_FILE)
    storage = await open_storage(
        config.database or data_dir / DATABASE_FILE, durable=config.durable
    )
    try:
        await _check_origin(storage, config.origin)
        files = PublicFiles(data_dir / PUBLIC_DIR)
        extra = {} if on_step is None else {"on_step": on_step}
        try:
            policy = WitnessPolicy(config.witnesses, config.witness_quorum)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        cosigners = HttpWitnesses(config.witness_urls) if config.witness_urls else None
        publisher = Publisher(
            storage,
            files,
            log_signer,
            export_signer(export_key, config.export_key_id, config.export_key_version),
            config.publisher,
            clock,
            random_bytes,
            witnesses=policy,
            cosigners=cosigners,
            **extra,
        )
        if is_postgres(config.database):
            # spec OPS-4: several processes may share this store; only the one that holds
            # the publisher lock writes files, and it recovers them when it takes the lock.
            await publisher.load()
        else:
            await publisher.recover()
        keys = ServerKeys(
            config.origin,
            log_signer.verifier(),
            export_verification_key(export_key, config.export_key_id, config.export_key_version),
            config.witnesses,
        )
        await asyncio.to_thread(files.write, KEYS_PATH, keys.to_json())
        api = ApiConfig(
            api_key,
            config.ha_rate,
            config.client_rate,
            witnesses=config.witnesses,
            max_upload_keys=config.max_upload_keys,
            server_secret=server_secret,
            trusted_proxies=config.trusted_proxies,
            proxy_header=config.proxy_header,
            log_counts_only=config.log_counts_only,
            assumed_onset_days_ago=config.assumed_onset_days_ago,
            daily_code_quota=config.daily_code_quota,
        )
        server = KeyServer(storage, publisher, files, keys, api, clock)
        if config.gaen is not None:
            certificate_key = load_or_create_export_key(data_dir / GAEN_CERTIFICATE_KEY_FILE)
            server.gaen = GaenApi(server, config.gaen, certificate_key)
        return server, storage
    except BaseException:
        await storage.close()
        raise


async def apply_retention(server: KeyServer, retention_days: int) -> int:
    """Delete what is past retention, then scrub the database files (spec SRV-27).

    Codes and tokens a day after expiry; key rows once they ended ``retention_days`` before
    today's midnight; batch export files (in storage and in ``public/``) once the batch
    ended ``retention_days`` ago. Returns how many rows and files went.
    """
    now_s = int(server.clock())
    oldest = day_start_interval(interval_number(now_s)) - retention_days * INTERVALS_PER_DAY
    removed = await server.storage.prune(now_s - PRUNE_GRACE_S, oldest)
    removed += len(await server.publisher.apply_retention(now_s - retention_days * 86400))
    if removed:
        await server.storage.scrub()
    return removed


async def _prune_hourly(server: KeyServer, retention_days: int) -> None:
    while True:
        try:
            removed = await apply_retention(server, retention_days)
            log.info("pruned %d expired rows and files", removed)
        except Exception:
            log.exception("pruning failed; it will be retried")
        await asyncio.sleep(3600)


def is_postgres(database: str | None) -> bool:
    """Return whether a ``--database`` value names PostgreSQL (a store processes share)."""
    return database is not None and str(database).startswith(("postgresql://", "postgres://"))


def leadership_for(config: ServerConfig) -> Leadership:
    """Return how this process learns whether it publishes (spec OPS-4)."""
    if is_postgres(config.database):
        assert config.database is not None
        return PostgresLeadership(str(config.database), config.origin)
    return SoleLeadership()


async def publish_while_leading(
    publisher: Publisher, leadership: Leadership, period_s: float, retry_s: float
) -> None:
    """Publish on schedule whenever this process holds the publisher lock (spec OPS-4).

    A process that takes the lock over first recovers the files from storage (SRV-10); one
    that loses it stops publishing at once and tries again every ``retry_s`` seconds.
    """
    try:
        while True:
            if await leadership.acquire():
                if leadership.shared:
                    log.info("this process holds the publisher lock and publishes")
                    try:
                        await publisher.recover()
                    except Exception:
                        log.exception("recovery failed; the publisher lock is given up")
                        await leadership.release()
                        await asyncio.sleep(retry_s)
                        continue
                task = asyncio.create_task(publisher.run(period_s))
                try:
                    while not task.done():
                        await asyncio.wait({task}, timeout=retry_s)
                        if not task.done() and not await leadership.held():
                            log.warning(
                                "the publisher lock was lost; this process stops publishing"
                            )
                            break
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await asyncio.sleep(retry_s)
    finally:
        await leadership.release()


async def log_metrics(server: KeyServer, period_s: float) -> None:
    """Log, every ``period_s``, the code_not_found answers to all clients (spec SRV-14).

    One line ``metric code_not_found=<in this period> total=<since start> period_s=<s>``
    that alerting can parse: guessing spread over many addresses shows up here. With
    ``log_counts_only`` (SRV-8), it also logs the requests of the period, counted by method,
    route and status, instead of one line per request.
    """
    reported = 0
    while True:
        await asyncio.sleep(period_s)
        total = server.code_not_found_total
        log.info("metric code_not_found=%d total=%d period_s=%g", total - reported, total, period_s)
        reported = total
        counts, server.request_counts = server.request_counts, collections.Counter()
        for request, count in sorted(counts.items()):
            log.info("metric requests %s count=%d period_s=%g", request, count, period_s)


async def start_server(
    config: ServerConfig,
    clock: Callable[[], float] = time.time,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    on_step: Callable[[str], None] | None = None,
) -> RunningServer:
    """Start a key server on ``config.host:config.port`` (port 0 picks a free one).

    ``on_step`` is the publisher's step hook (tests use it to crash at a chosen step).
    """
    install_log_redaction()
    server, storage = await prepare(config, clock, random_bytes, on_step)
    app = server.build_app()
    app[BODY_TIMEOUT] = config.connections.body_timeout_s
    portal = None if config.portal is None else Portal(server, config.portal, server.secret)
    if portal is not None and not portal.config.own_address:
        app.add_subapp("/portal/", portal.build_app())
    runner = GuardedAppRunner(app, config.connections, access_log=None, handle_signals=False)
    portal_runner = None
    try:
        url = await _listen(runner, config.host, config.port)
        portal_url = None if portal is None else url + "/portal/"
        if portal is not None and portal.config.own_address:
            portal_root = web.Application()
            portal_root.add_subapp("/portal/", portal.build_app())
            portal_runner = GuardedAppRunner(
                portal_root, config.connections, access_log=None, handle_signals=False
            )
            portal_url = await _listen(
                portal_runner, portal.config.host or config.host, portal.config.port or 0
            )
            portal_url += "/portal/"
    except BaseException:
        if portal_runner is not None:
            await portal_runner.cleanup()
        await runner.cleanup()
        await storage.close()
        raise
    tasks = []
    if config.schedule:
        tasks.append(
            asyncio.create_task(
                publish_while_leading(
                    server.publisher,
                    leadership_for(config),
                    config.batch_period_s,
                    config.leadership_retry_s,
                )
            )
        )
        tasks.append(asyncio.create_task(_prune_hourly(server, config.retention_days)))
        tasks.append(asyncio.create_task(log_metrics(server, config.metrics_period_s)))
    return RunningServer(
        url,
        server,
        server.publisher,
        storage,
        runner,
        server.keys,
        tasks,
        portal_url,
        portal_runner,
    )


async def _listen(runner: GuardedAppRunner, host: str, port: int) -> str:
    """Set ``runner`` up on ``host:port`` (0: a free port); return its base URL."""
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    return f"http://{bound_host}:{bound_port}"
