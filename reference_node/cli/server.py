"""Command-line pieces: ``bluezone server run``, ``bluezone ha issue-code``, ``bluezone audit``.

Each command has ``add_*_arguments(parser)`` and ``run_*(args) -> exit status`` so that
``bluezone.reference_node.cli.commands`` can mount it.
Audit exit status: 0 all verified, 1 could not audit (network, files), 2 the log failed
verification (split view, rewritten history, bad signature, batch not included), 3 the
latest checkpoint is not yet cosigned by the witness quorum (spec WIT-5: nothing wrong is
known, nothing was accepted; audit again later), 64 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import errno
import hashlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bluezone.protocol import params
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.export import ExportVerificationKey
from bluezone.protocol.keys import interval_number
from bluezone.protocol.note import NoteSigner, NoteVerifier
from bluezone.protocol.params import MAX_UPLOAD_KEYS, MAX_UPLOAD_KEYS_LIMIT, MIN_BATCH_KEYS
from bluezone.reference_node.cli import options
from bluezone.reference_node.cli.failures import CommandError
from bluezone.reference_node.client.audit import AuditState, audit
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.errors import NodeError
from bluezone.reference_node.server.defaults import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_CLIENT_RATE,
    DEFAULT_DAILY_CODE_QUOTA,
    DEFAULT_EXPORT_KEY_ID,
    DEFAULT_HA_RATE,
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETENTION_DAYS,
)
from bluezone.reference_node.server.keyfiles import LOG_KEY_FILE, ServerKeys, check_ha_api_key
from bluezone.reference_node.server.portal.config import DEFAULT_APP_LINK, PortalConfig
from bluezone.reference_node.server.ratelimit import PROXY_HEADERS, Rate

if TYPE_CHECKING:  # the runner needs aiohttp (the server extra): imported when a server starts
    from bluezone.reference_node.server.gaen import GaenConfig
    from bluezone.reference_node.server.runner import ServerConfig

HA_API_KEY_ENV = "BLUEZONE_HA_API_KEY"
EXIT_OK, EXIT_ERROR, EXIT_FAILED, EXIT_NOT_COSIGNED = 0, 1, 2, 3


# --- bluezone server portal add-admin ------------------------------------------------------


def add_portal_admin_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone server portal add-admin``."""
    parser.add_argument(
        "--data-dir", type=options.data_dir, required=True, help="the server's data directory"
    )
    parser.add_argument(
        "--database", help="postgresql://... or a SQLite path (default: DATA_DIR/server.sqlite3)"
    )
    parser.add_argument("--username", required=True, help="the administrator's user name")
    parser.add_argument(
        "--password-file",
        type=options.readable_file,
        required=True,
        help="a file holding the password on its first line (kept out of shell history)",
    )
    parser.add_argument(
        "--authority", default="Bluezone", help="the issuer name shown in authenticator apps"
    )


async def _add_admin(args: argparse.Namespace, password: str) -> bytes:
    from bluezone.reference_node.server.portal.admins import add_admin
    from bluezone.reference_node.server.runner import DATABASE_FILE
    from bluezone.reference_node.server.storage import open_storage

    if args.database is None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    storage = await open_storage(args.database or args.data_dir / DATABASE_FILE)
    try:
        now_s = int(datetime.datetime.now(datetime.UTC).timestamp())
        return await add_admin(storage, args.username, password, now_s)
    finally:
        await storage.close()


def run_portal_admin(args: argparse.Namespace) -> int:
    """Create the first administrator and print its TOTP secret (spec PORTAL-2)."""
    from bluezone.reference_node.server.errors import ServerError
    from bluezone.reference_node.server.portal import accounts

    lines = args.password_file.read_text().splitlines()
    if not lines:
        raise CommandError("no administrator created: the password file is empty")
    try:
        secret = asyncio.run(_add_admin(args, lines[0]))
    except ServerError as exc:
        raise CommandError(f"no administrator created: {exc}") from None
    print(f"administrator {args.username} created; enrol this secret in an authenticator app")
    print(f"totp-secret: {accounts.base32(secret)}")
    print(f"totp-uri: {accounts.otpauth_uri(secret, args.username, args.authority)}")
    return EXIT_OK


# --- bluezone server run ----------------------------------------------------------------


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone server run``."""
    parser.add_argument(
        "--data-dir", type=options.data_dir, required=True, help="keys, database, files"
    )
    parser.add_argument("--origin", help="the log's origin (required on first start)")
    parser.add_argument(
        "--database", help="postgresql://... or a SQLite path (default: DATA_DIR/server.sqlite3)"
    )
    parser.add_argument(
        "--host", type=options.host, default="127.0.0.1", help="address to listen on"
    )
    parser.add_argument(
        "--port", type=options.port, default=8080, help="TCP port to listen on (0: any free)"
    )
    parser.add_argument(
        "--region", default="", help="region of the export files, as registered (e.g. an MCC)"
    )
    parser.add_argument(
        "--export-key-id",
        default=DEFAULT_EXPORT_KEY_ID,
        help="export signature key ID registered with Apple and Google (SRV-10)",
    )
    parser.add_argument(
        "--test-identity",
        action="store_true",
        help="allow the default region and export key ID: tests and tutorials only",
    )
    parser.add_argument(
        "--export-key-version", default="v1", help="signing key version written into export files"
    )
    parser.add_argument(
        "--ha-api-key-file",
        type=options.readable_file,
        help=f"health-authority API key file (else ${HA_API_KEY_ENV}, else DATA_DIR/ha-api.key)",
    )
    parser.add_argument(
        "--batch-period",
        type=options.positive_seconds,
        default=3600.0,
        help="seconds between two publications",
    )
    parser.add_argument(
        "--min-batch-keys",
        type=options.non_negative_int,
        default=MIN_BATCH_KEYS,
        help="keys a batch needs before it is published",
    )
    parser.add_argument(
        "--witness-key",
        action="append",
        type=options.note_key,
        default=[],
        help="witness verifier key (repeatable)",
    )
    parser.add_argument(
        "--witness-url",
        action="append",
        default=[],
        metavar="URL",
        help="a witness's C2SP add-checkpoint prefix, asked at each publication (repeatable)",
    )
    parser.add_argument(
        "--witness-quorum",
        type=int,
        default=0,
        metavar="Q",
        help="serve as v1/checkpoint only checkpoints Q witnesses cosigned (default 0)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="CIDR",
        help="address or network of a reverse proxy whose forwarding header to believe",
    )
    parser.add_argument(
        "--proxy-header",
        choices=PROXY_HEADERS,
        default="x-forwarded-for",
        help="the header the trusted proxies set (the other one is ignored)",
    )
    parser.add_argument(
        "--client-rate",
        type=_rate,
        default=DEFAULT_CLIENT_RATE,
        metavar="PER_MINUTE/BURST",
        help="requests per client (SRV-14), default %(default)s",
    )
    parser.add_argument(
        "--ha-rate",
        type=_rate,
        default=DEFAULT_HA_RATE,
        metavar="PER_MINUTE/BURST",
        help="codes issued per minute with the health-authority key, default %(default)s",
    )
    parser.add_argument(
        "--assume-onset-days-ago",
        type=int,
        choices=range(0, 15),
        metavar="DAYS",
        help="days since onset for codes without an onset, from this many days before the "
        "upload (GAEN's key server uses 4; SRV-7); default: leave it out",
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        default=DEFAULT_RETENTION_DAYS,
        metavar="DAYS",
        help="delete keys and batch files this long after they ended (SRV-27), at least 15",
    )
    parser.add_argument(
        "--log-counts-only",
        action="store_true",
        help="log request counts each minute instead of one line per request (SRV-8)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_HEADER_TIMEOUT_S,
        metavar="SECONDS",
        help="close a connection that sends no whole request head within this (OPS-1)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT_S,
        metavar="SECONDS",
        help="answer 408 to a request body not received within this (OPS-1)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections at most; lowered to the file-descriptor limit (OPS-2)",
    )
    parser.add_argument(
        "--max-upload-keys",
        type=int,
        default=MAX_UPLOAD_KEYS,
        help=f"keys one upload may hold, {MAX_UPLOAD_KEYS}..{MAX_UPLOAD_KEYS_LIMIT} (SRV-6)",
    )
    parser.add_argument(
        "--daily-code-quota",
        type=options.positive_int,
        default=DEFAULT_DAILY_CODE_QUOTA,
        metavar="N",
        help="codes the authority may issue per UTC day, API and portal (PORTAL-10), "
        "default %(default)s",
    )
    portal = parser.add_argument_group(
        "health authority's portal (PORTAL-1), off unless --portal or --portal-listen"
    )
    portal.add_argument(
        "--portal", action="store_true", help="serve the portal at /portal/ beside the API"
    )
    portal.add_argument(
        "--portal-listen",
        type=options.host_port,
        metavar="HOST:PORT",
        help="serve the portal on its own address instead (e.g. an internal network)",
    )
    portal.add_argument(
        "--portal-authority", default="Bluezone", help="the authority's name on pages and texts"
    )
    portal.add_argument(
        "--portal-app-link",
        default=DEFAULT_APP_LINK,
        help="link in text messages; the code is added as ?c=CODE (PORTAL-7), default %(default)s",
    )
    portal.add_argument(
        "--portal-language",
        choices=("vi", "en"),
        default="vi",
        help="language of the portal before a visitor chooses (PORTAL-13)",
    )
    portal.add_argument(
        "--portal-insecure-cookies",
        action="store_true",
        help="session cookies without Secure, for a portal reached by plain HTTP on loopback",
    )
    gaen = parser.add_argument_group("GAEN-compatible API (GAPI-1), off unless --gaen-ha-id")
    gaen.add_argument("--gaen-ha-id", help="the healthAuthorityID GAEN apps publish with")
    gaen.add_argument(
        "--gaen-api-key-file", type=Path, help="the apps' X-API-Key values, one a line"
    )
    gaen.add_argument("--gaen-issuer", help="certificate iss (default: the HA ID)")
    gaen.add_argument("--gaen-audience", help="certificate aud (default: the HA ID)")
    gaen.add_argument(
        "--gaen-require-date", action="store_true", help="refuse codes without onset (GAPI-3)"
    )


def _rate(text: str) -> Rate:
    """Parse "PER_MINUTE/BURST", e.g. "30/10"."""
    per_minute, _, burst = text.partition("/")
    try:
        rate = Rate(float(per_minute), int(burst))
    except ValueError:
        raise argparse.ArgumentTypeError("give PER_MINUTE/BURST, e.g. 30/10") from None
    if rate.per_minute <= 0 or rate.burst < 1:
        raise argparse.ArgumentTypeError("the rate and the burst must be positive")
    return rate


def _origin(args: argparse.Namespace) -> str:
    if args.origin:
        return args.origin
    key_file = args.data_dir / LOG_KEY_FILE
    if key_file.exists():
        return NoteSigner.from_skey(key_file.read_text().strip()).name
    raise CommandError(f"--origin is required on first start (no log key in {args.data_dir})")


def server_config(args: argparse.Namespace) -> ServerConfig:
    """Turn parsed options into a ServerConfig."""
    from bluezone.reference_node.server.connections import ConnectionLimits
    from bluezone.reference_node.server.publisher import PublisherConfig
    from bluezone.reference_node.server.runner import ServerConfig

    api_key = os.environ.get(HA_API_KEY_ENV)
    if args.ha_api_key_file is not None:
        api_key = args.ha_api_key_file.read_text().strip()
    return ServerConfig(
        data_dir=args.data_dir,
        origin=_origin(args),
        database=args.database,
        host=args.host,
        port=args.port,
        region=args.region,
        export_key_id=args.export_key_id,
        export_key_version=args.export_key_version,
        ha_api_key=api_key,
        batch_period_s=args.batch_period,
        publisher=PublisherConfig(region=args.region, min_batch_keys=args.min_batch_keys),
        witnesses=tuple(NoteVerifier.from_vkey(v) for v in args.witness_key),
        witness_urls=tuple(args.witness_url),
        witness_quorum=args.witness_quorum,
        max_upload_keys=args.max_upload_keys,
        connections=ConnectionLimits(args.header_timeout, args.body_timeout, args.max_connections),
        test_identity=args.test_identity,
        trusted_proxies=tuple(args.trusted_proxy),
        proxy_header=args.proxy_header,
        client_rate=args.client_rate,
        ha_rate=args.ha_rate,
        log_counts_only=args.log_counts_only,
        retention_days=args.retention_days,
        assumed_onset_days_ago=args.assume_onset_days_ago,
        gaen=_gaen_config(args),
        daily_code_quota=args.daily_code_quota,
        portal=_portal_config(args),
    )


def _portal_config(args: argparse.Namespace) -> PortalConfig | None:
    """The portal's settings, or None when neither --portal nor --portal-listen is given."""
    if not args.portal and args.portal_listen is None:
        return None
    host, port = args.portal_listen if args.portal_listen is not None else (None, None)
    return PortalConfig(
        host=host,
        port=port,
        authority=args.portal_authority,
        app_link=args.portal_app_link,
        secure_cookies=not args.portal_insecure_cookies,
        default_language=args.portal_language,
    )


# spec GAPI-2: app keys are held to the length SRV-3 asks of the health authority's key.
MIN_API_KEY_CHARS = 16


def _gaen_config(args: argparse.Namespace) -> GaenConfig | None:
    """The GAEN-compatible API's settings, or None when ``--gaen-ha-id`` is absent (GAPI-1)."""
    from bluezone.reference_node.server.gaen import GaenConfig

    if not args.gaen_ha_id:
        return None
    if args.gaen_api_key_file is None:
        raise SystemExit("bluezone server run: --gaen-ha-id needs --gaen-api-key-file")
    keys = tuple(
        line.strip() for line in args.gaen_api_key_file.read_text().splitlines() if line.strip()
    )
    if not keys or any(len(k) < MIN_API_KEY_CHARS for k in keys):
        raise SystemExit(
            f"bluezone server run: each GAEN app key must be {MIN_API_KEY_CHARS}+ characters"
        )
    return GaenConfig(
        api_keys=keys,
        health_authority_id=args.gaen_ha_id,
        issuer=args.gaen_issuer or args.gaen_ha_id,
        audience=args.gaen_audience or args.gaen_ha_id,
        require_date=args.gaen_require_date,
    )


async def _serve(config: ServerConfig) -> None:
    from bluezone.reference_node.server.runner import start_server

    try:
        server = await start_server(config)
    except OSError as exc:
        raise _listen_error(config, exc) from exc
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"serving {config.origin} at {server.url}", flush=True)
    if server.portal_url is not None:
        print(f"portal at {server.portal_url}", flush=True)
    print(f"log key: {server.keys.log.vkey}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
    print(f"stopped serving {config.origin}", flush=True)


def _listen_error(config: ServerConfig, exc: OSError) -> Exception:
    """Say why the server could not listen, or let another OS error through."""
    where = f"{config.host}:{config.port}"
    if exc.errno == errno.EADDRINUSE:
        return CommandError(
            f"port {config.port} is in use on {config.host}: stop what uses it "
            "or choose another --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return CommandError(
            f"cannot listen on {where}: {config.host} is not an address of "
            "this machine (try 127.0.0.1 or 0.0.0.0)"
        )
    if exc.errno == errno.EACCES and config.port < 1024:
        return CommandError(
            f"cannot listen on {where}: ports below 1024 need privileges; "
            "choose --port 1024 or above"
        )
    return exc


def run_server(args: argparse.Namespace) -> int:
    """Run the key server until SIGINT or SIGTERM."""
    problem = _quorum_problem(args.witness_quorum, args.witness_key)
    if problem:
        print(f"bluezone server run: {problem}", file=sys.stderr)
        return EXIT_ERROR
    try:
        config = server_config(args)
    except ValueError as exc:  # spec OPS-1, OPS-2: a deadline or cap out of range
        print(f"bluezone server run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(_serve(config))
    except CommandError:
        raise
    except (NodeError, ProtocolError) as exc:
        raise CommandError(f"{exc.code}: {exc}") from exc
    return EXIT_OK


def _quorum_problem(quorum: int, witness_keys: Sequence[str]) -> str | None:
    """Return why a quorum cannot be met by the witness keys given, or None (WIT-4, WIT-5)."""
    if quorum < 0:
        return "--quorum must not be negative"
    if quorum > len(set(witness_keys)):
        return f"a quorum of {quorum} needs at least {quorum} --witness-key"
    return None


# --- bluezone ha issue-code ---------------------------------------------------------------


def add_ha_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone ha issue-code``."""
    parser.add_argument("--server", required=True, type=options.url, help="key server base URL")
    parser.add_argument(
        "--api-key-file",
        type=options.readable_file,
        help=f"the health authority's API key file (else ${HA_API_KEY_ENV})",
    )
    parser.add_argument(
        "--report-type",
        type=int,
        default=1,
        choices=(1, 2, 3, 4, 5),
        help="1 confirmed test, 2 clinical diagnosis, 3 self report, 4 recursive (a verified"
        " close contact: give --exposure-date), 5 revoked (with --revision)",
    )
    parser.add_argument(
        "--onset-date", type=options.utc_date, help="symptom onset, YYYY-MM-DD (UTC)"
    )
    parser.add_argument(
        "--exposure-date",
        type=options.utc_date,
        help="a recursive code's day of contact with the case, YYYY-MM-DD (UTC): the upload"
        " publishes keys from that day on (SRV-21)",
    )
    parser.add_argument(
        "--revision",
        action="store_true",
        help="a revision code (report type 1 or 5) for `bluezone node revise` (SRV-24)",
    )
    parser.add_argument(
        "--validity-hours",
        type=_validity_hours,
        help="hours the code stays valid: more than 0, at most 24 (the server's default)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _validity_hours(text: str) -> float:
    hours = options.positive_seconds(text)
    if not params.CODE_MIN_VALIDITY_S <= round(hours * 3600) <= params.CODE_MAX_VALIDITY_S:
        low = params.CODE_MIN_VALIDITY_S / 60
        raise argparse.ArgumentTypeError(f"{text!r}: give {low:g} minutes to 24 hours, in hours")
    return hours


def _day_interval(day: datetime.date | None) -> int | None:
    """The interval of a date's UTC midnight, or None."""
    if day is None:
        return None
    midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
    return interval_number(int(midnight.timestamp()))


async def _issue(args: argparse.Namespace, api_key: str) -> int:
    onset = _day_interval(args.onset_date)
    exposure = _day_interval(args.exposure_date)
    validity = None if args.validity_hours is None else round(args.validity_hours * 3600)
    async with KeyServerClient(args.server) as client:
        issued = await client.issue_code(
            api_key, args.report_type, onset, validity, exposure, args.revision
        )
    expires = datetime.datetime.fromtimestamp(issued.expires_s, datetime.UTC)
    if args.json:
        answer: dict[str, object] = {
            "code": issued.code,
            "expires_s": issued.expires_s,
            "report_type": issued.report_type,
        }
        if issued.exposure_interval is not None:
            answer["exposure_interval"] = issued.exposure_interval
        if issued.revision:
            answer["revision"] = True
        print(json.dumps(answer))
    else:
        print(f"code: {issued.code}")
        print(f"expires: {expires.isoformat()}")
        if issued.exposure_interval is not None:
            print(f"recursive: publishes keys from {args.exposure_date} on")
        if issued.revision:
            print("revision code: use it with `bluezone node revise`")
    return EXIT_OK


def run_ha(args: argparse.Namespace) -> int:
    """Issue one verification code and print it."""
    api_key = os.environ.get(HA_API_KEY_ENV, "")
    if args.api_key_file is not None:
        api_key = args.api_key_file.read_text().strip()
    if not api_key:
        raise CommandError(f"give --api-key-file or set ${HA_API_KEY_ENV}")
    try:
        check_ha_api_key(api_key)
    except NodeError as exc:
        print(f"bluezone ha issue-code: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return asyncio.run(_issue(args, api_key))
    except NodeError as exc:
        raise CommandError(str(exc)) from exc


# --- bluezone audit ---------------------------------------------------------------------


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone audit``."""
    parser.add_argument("--server", required=True, type=options.url, help="key server base URL")
    parser.add_argument(
        "--state", type=options.data_file, help="state file (default: per server, in ~)"
    )
    parser.add_argument(
        "--server-keys",
        type=options.readable_file,
        help="the server's v1/keys document, from the operator (a trusted channel, SRV-11):"
        " the log key, export key and witness keys in one file, as node check reads it",
    )
    parser.add_argument(
        "--log-key", type=options.note_key, help="the log's verifier key (else from the state file)"
    )
    parser.add_argument(
        "--export-key",
        type=options.export_key,
        help="export key as KEY_ID:VERSION:BASE64_DER (else from the state file)",
    )
    parser.add_argument(
        "--trust-on-first-use",
        action="store_true",
        help="with no key given or saved, trust the keys the server publishes now",
    )
    parser.add_argument(
        "--witness-key",
        action="append",
        type=options.note_key,
        default=[],
        help="a witness's verifier key (repeatable)",
    )
    parser.add_argument(
        "--quorum",
        type=options.non_negative_int,
        default=0,
        help="witness cosignatures required",
    )
    parser.add_argument(
        "--peer-state",
        type=options.readable_file,
        action="append",
        default=[],
        help="another auditor's state file to compare with (repeatable)",
    )
    parser.add_argument("--full", action="store_true", help="download every batch again")


def default_state_path(server: str) -> Path:
    """Return ~/.local/state/bluezone/audit-<hash of the URL>.json."""
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    name = hashlib.sha256(server.rstrip("/").encode()).hexdigest()[:16]
    return base / "bluezone" / f"audit-{name}.json"


def _keys_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.stem + ".keys.json")


def _export_text(key: ExportVerificationKey) -> str:
    """KEY_ID:VERSION:BASE64_DER, as --export-key takes it and the state file keeps it."""
    return ":".join((key.key_id, key.key_version, base64.b64encode(key.public_key_der).decode()))


async def _trust(args: argparse.Namespace, client: KeyServerClient, keys_path: Path) -> TrustConfig:
    witnesses = tuple(NoteVerifier.from_vkey(v) for v in args.witness_key)
    saved = json.loads(keys_path.read_text()) if keys_path.exists() else None
    log_key = args.log_key or (saved and saved["log_key"])
    export_text = args.export_key or (saved and saved["export_key"])
    if args.server_keys is not None:
        document = ServerKeys.from_json(args.server_keys.read_bytes())
        log_key = args.log_key or document.log.vkey
        export_text = args.export_key or _export_text(document.export)
        witnesses = witnesses or document.witnesses
    if not log_key or not export_text:
        if not args.trust_on_first_use:
            raise CommandError(
                "give --server-keys, or --log-key and --export-key, or --trust-on-first-use"
            )
        published = await client.server_keys()
        print("WARNING: trusting the keys the server publishes now (first use)", file=sys.stderr)
        log_key = log_key or published.log.vkey
        export_text = export_text or _export_text(published.export)
    key_id, version, der64 = export_text.split(":", 2)
    export = ExportVerificationKey(key_id, version, base64.b64decode(der64, validate=True))
    keys_path.parent.mkdir(parents=True, exist_ok=True)
    keys_path.write_text(json.dumps({"log_key": log_key, "export_key": export_text}, indent=1))
    return TrustConfig(NoteVerifier.from_vkey(log_key), export, witnesses, args.quorum)


async def _audit(args: argparse.Namespace) -> int:
    state_path = args.state or default_state_path(args.server)
    async with KeyServerClient(args.server) as client:
        trust = await _trust(args, client, _keys_path(state_path))
        state = AuditState.load(state_path) or AuditState(trust.log.name)
        peers = [p for p in (AuditState.load(path) for path in args.peer_state) if p]
        report = await audit(client, trust, state, args.full, peers)
    state.save(state_path)
    if report.not_cosigned is not None and not report.findings:
        print(f"AUDIT INCOMPLETE: NOT YET COSIGNED: {report.not_cosigned}", file=sys.stderr)
        print("nothing was accepted; audit again once the witnesses cosigned", file=sys.stderr)
        return EXIT_NOT_COSIGNED
    print(
        f"log {state.origin}: tree size {report.tree_size}, {report.new_batches} new batches, "
        f"{report.inclusions_checked} inclusions and {report.checkpoints_checked} "
        f"checkpoints verified"
    )
    if report.ok:
        print("audit passed")
        return EXIT_OK
    for finding in report.findings:
        print(
            f"AUDIT FAILED: {finding.kind.upper().replace('_', ' ')}: {finding.message}",
            file=sys.stderr,
        )
    print(f"evidence kept in {state_path}", file=sys.stderr)
    return EXIT_FAILED


def run_audit(args: argparse.Namespace) -> int:
    """Audit a key server's log; see the module docstring for exit statuses."""
    problem = _quorum_problem(args.quorum, args.witness_key)
    if problem:
        print(f"bluezone audit: {problem}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return asyncio.run(_audit(args))
    except (NodeError, ProtocolError) as exc:
        raise CommandError(f"could not audit: {exc}") from exc
