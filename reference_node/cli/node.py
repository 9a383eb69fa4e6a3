"""`bluezone node run`, `node check`, `node report`, `node upload` and `bluezone demo`.

The command functions take the parsed arguments and, for tests, a `Clock` (the system's by
default); each runs its own event loop with `asyncio.run`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bluezone.reference_node.cli import demo, demo_text
from bluezone.reference_node.cli.explain import explain_assessment
from bluezone.reference_node.cli.report import add_report_commands
from bluezone.reference_node.errors import NodeConfigError, NodeError, StoreLockedError
from bluezone.reference_node.node.check import CheckOutcome, run_check
from bluezone.reference_node.node.exposure import RiskSettings
from bluezone.reference_node.node.key_source import DirectoryKeySource, KeySource, TrustedKey
from bluezone.reference_node.node.log import configure_logging, unconfigure_logging
from bluezone.reference_node.node.runtime import (
    DEFAULT_RSSI_CORRECTION_DB,
    DEFAULT_TX_POWER_DBM,
    Node,
    NodeCalibration,
    NodeConfig,
)
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.node.server_source import ServerKeySource, trust_from_keys_file
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.open import RADIO_HELP, open_radio
from bluezone.reference_node.store import STORE_FILENAME, AsyncStore
from bluezone.reference_node.vtime.clock import Clock, SystemClock

log = logging.getLogger("bluezone.cli")
DAY_S = 86_400.0
# `node check` does not wait long for a store a running node holds.
CHECK_BUSY_TIMEOUT_S = 0.5


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``node run``, ``node check`` and ``demo`` to the ``bluezone`` parser."""
    node = commands.add_parser("node", help="run a node, or check it for exposures")
    node_commands = node.add_subparsers(dest="node_command", required=True)

    run = node_commands.add_parser("run", help="advertise, scan and store until stopped")
    run.add_argument("--radio", required=True, help=RADIO_HELP)
    run.add_argument("--data", required=True, type=Path, help="the node's data directory")
    _add_key_source_options(run)
    run.add_argument(
        "--scan",
        default="4/120-300",
        type=DutyCycle.parse,
        help="duty cycle: WINDOW/MIN-MAX seconds (default 4/120-300), or continuous[:WINDOW]",
    )
    _add_calibration_options(run)
    run.add_argument(
        "--check-every",
        type=float,
        default=DAY_S,
        help="seconds between exposure checks when a key source is given (default a day)",
    )
    run.add_argument(
        "--status-every", type=float, default=60.0, help="seconds between status lines (0: off)"
    )
    run.add_argument(
        "--chaff-every",
        type=float,
        metavar="SECONDS",
        help="send chaff to --server at random times, this many seconds apart on average "
        "(spec DENY-3; default: none)",
    )
    run.add_argument("--json-logs", action="store_true", help="log JSON lines on stderr")
    run.add_argument("--btsnoop", type=Path, help="write the HCI traffic here (bumble radios)")
    run.add_argument("--duration", type=float, help="stop after this many seconds")
    run.add_argument("--name", default="node", help="the node's name in logs (never on air)")
    run.set_defaults(handler=node_run)

    check = node_commands.add_parser("check", help="run an exposure check now")
    check.add_argument("--data", required=True, type=Path, help="the node's data directory")
    _add_key_source_options(check, required=True)
    check.add_argument(
        "--rssi-correction",
        type=int,
        default=DEFAULT_RSSI_CORRECTION_DB,
        help=f"this receiver's RSSI correction in dB (default {DEFAULT_RSSI_CORRECTION_DB})",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=node_check)

    add_report_commands(node_commands)

    demo_parser = commands.add_parser(
        "demo", help="three nodes on a simulated BLE link: who was exposed, and why"
    )
    demo_parser.add_argument("--json", action="store_true", help="print one JSON object")
    demo_parser.add_argument("--seed", type=int, help="repeat a run exactly")
    demo_parser.add_argument(
        "--btsnoop",
        type=Path,
        default=Path(demo.DEFAULT_BTSNOOP),
        help=f"where to write Bob's HCI capture (default ./{demo.DEFAULT_BTSNOOP})",
    )
    demo_parser.add_argument("--data", type=Path, help="keep the nodes' stores here")
    demo_parser.set_defaults(handler=demo_run)


def _add_key_source_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """Where published keys come from: a directory of export files, or a key server."""
    source = parser.add_argument_group(
        "published keys"
        + (
            " (--keys-dir with --public-key, or --server with --server-keys)"
            if required
            else " (optional)"
        )
    )
    source.add_argument("--keys-dir", type=Path, help="directory of export files (*.zip)")
    source.add_argument(
        "--public-key", type=Path, help="PEM public key the export files are signed with"
    )
    source.add_argument("--key-id", help="verification key id in the files (default: any)")
    source.add_argument("--key-version", help="verification key version (with --key-id)")
    source.add_argument("--server", help="key server base URL (verified through its log)")
    source.add_argument(
        "--server-keys",
        type=Path,
        help="the server's v1/keys document, from the operator (a trusted channel, SRV-11)",
    )
    source.add_argument(
        "--witness-quorum",
        type=int,
        default=0,
        help="witness cosignatures a checkpoint needs (keys from --server-keys; default 0)",
    )


def _add_calibration_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tx-power",
        type=int,
        default=DEFAULT_TX_POWER_DBM,
        help=f"TX power in dBm to advertise (default {DEFAULT_TX_POWER_DBM}, uncalibrated)",
    )
    parser.add_argument(
        "--rssi-correction",
        type=int,
        default=DEFAULT_RSSI_CORRECTION_DB,
        help=f"RSSI correction in dB (default {DEFAULT_RSSI_CORRECTION_DB})",
    )
    parser.add_argument(
        "--calibration-confidence", type=int, default=0, help="0..3 (default 0: not measured)"
    )


KeySourceFactory = Callable[[AsyncStore, Clock], KeySource]


def key_source_factory(args: argparse.Namespace, required: bool = False) -> KeySourceFactory | None:
    """Check the key-source options and read their files; None when no source is named.

    The factory builds the source once the store is open (a server source keeps the log's
    checkpoint there). Raises NodeConfigError for options that do not go together.
    """
    directory = args.keys_dir is not None or args.public_key is not None
    server = args.server is not None or args.server_keys is not None
    if directory and server:
        raise NodeConfigError("give --keys-dir/--public-key or --server/--server-keys, not both")
    if server:
        if args.server is None or args.server_keys is None:
            raise NodeConfigError("--server and --server-keys go together")
        trust = trust_from_keys_file(_read(args.server_keys, "server keys"), args.witness_quorum)
        url = args.server
        return lambda store, clock: ServerKeySource(url, trust, store, clock=clock.wall)
    if not directory:
        if required:
            raise NodeConfigError(
                "give --keys-dir with --public-key, or --server with --server-keys"
            )
        return None
    if args.keys_dir is None or args.public_key is None:
        raise NodeConfigError("--keys-dir and --public-key go together")
    pem = _read(args.public_key, "public key")
    trusted = TrustedKey.from_pem(pem, args.key_id, args.key_version)
    keys_dir = args.keys_dir
    return lambda store, clock: DirectoryKeySource(keys_dir, trusted)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NodeConfigError(f"cannot read the {what}: {exc.strerror}") from exc


def _fail(error: NodeError) -> int:
    print(f"bluezone: error ({error.code}): {error}", file=sys.stderr)
    return 1


def node_run(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``bluezone node run``: run until SIGINT/SIGTERM (or --duration); exit 0 when clean."""
    configure_logging(json_lines=args.json_logs)
    try:
        config = NodeConfig(
            name=args.name,
            calibration=NodeCalibration(
                args.tx_power, args.rssi_correction, args.calibration_confidence
            ),
            duty_cycle=args.scan,
            status_interval_s=args.status_every or None,
            check_interval_s=args.check_every or None,
            chaff_server=args.server if args.chaff_every else None,
            chaff_every_s=args.chaff_every,
        )
        sources = key_source_factory(args)
        return asyncio.run(_run(args, config, sources, clock))
    except NodeError as error:
        return _fail(error)
    finally:
        unconfigure_logging()


async def _run(
    args: argparse.Namespace,
    config: NodeConfig,
    sources: KeySourceFactory | None,
    clock: Clock | None,
) -> int:
    snoop = BtSnoopWriter.open(args.btsnoop, SystemClock()) if args.btsnoop else None
    try:
        radio = await open_radio(args.radio, snoop=snoop)
        store = await AsyncStore.open(args.data)
        try:
            key_source = sources(store, clock or SystemClock()) if sources else None
            node = Node(config, radio=radio, store=store, key_source=key_source, clock=clock)
            loop = asyncio.get_running_loop()
            _on_signals(loop, node)
            await node.start()
            if args.duration is not None:
                loop.call_later(args.duration, node.request_stop)
            await node.wait()
        finally:
            await store.close()
    finally:
        if snoop is not None:
            snoop.close()
    return 0


def _on_signals(loop: asyncio.AbstractEventLoop, node: Node) -> None:
    """SIGINT/SIGTERM stop the node cleanly; SIGUSR1 runs an exposure check now."""
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, node.request_stop)
        except (NotImplementedError, RuntimeError):  # Windows: only SIGINT, by signal()
            signal.signal(number, lambda *_: loop.call_soon_threadsafe(node.request_stop))
    if hasattr(signal, "SIGUSR1") and node.key_source is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(
                signal.SIGUSR1, lambda: loop.create_task(_check_now(node), name="check on signal")
            )


async def _check_now(node: Node) -> None:
    try:
        await node.check_exposures()
    except NodeError as error:
        log.error("exposure check failed: %s", error, extra={"event": "check_failed"})


def node_check(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``bluezone node check``: check the stored sightings against the published keys now."""
    try:
        sources = key_source_factory(args, required=True)
        assert sources is not None
        outcome = asyncio.run(_check(args, sources, clock or SystemClock()))
    except StoreLockedError:
        print(
            f"bluezone: a node is running on {args.data}; send it SIGUSR1 to check now",
            file=sys.stderr,
        )
        return 1
    except NodeError as error:
        return _fail(error)
    if args.json:
        details = outcome.assessment.to_json()
        details["rejected_batches"] = [
            {"batch_id": r.batch_id, "code": r.code} for r in outcome.rejected
        ]
        details["level_change"] = None if outcome.change is None else outcome.change.to_json()
        print(json.dumps(details))
    else:
        for rejected in outcome.rejected:
            print(f"refused {rejected.batch_id}: {rejected.code}")
        print("\n".join(explain_assessment(outcome.assessment)))
        print("\n".join(explain_level(outcome)))
    return 0


def explain_level(outcome: CheckOutcome) -> list[str]:
    """The level, the score and threshold behind it, and any change (spec RISK-59..RISK-61)."""
    level = outcome.assessment.level_json()
    lines = [f"level: {level['level']}"]
    if level["threshold"] is not None:
        day = "" if level["day"] is None else f" on day {level['day']}"
        lines.append(f"  score {level['score']}{day} against a threshold of {level['threshold']}")
    lines.append(f"  {level['wording']}")
    if outcome.change is not None:
        change = outcome.change.to_json()
        lines.append(
            f"alert {change['change']}: {change['from']} -> {change['to']} ({change['reason']})"
        )
        if change["wording"]:
            lines.append(f"  {change['wording']}")
    return lines


async def _check(args: argparse.Namespace, sources: KeySourceFactory, clock: Clock) -> CheckOutcome:
    if not (args.data / STORE_FILENAME).is_file():
        raise NodeConfigError(f"no node store in {args.data}")
    store = await AsyncStore.open(args.data, busy_timeout_s=CHECK_BUSY_TIMEOUT_S)
    try:
        return await run_check(
            store,
            sources(store, clock),
            now_s=clock.wall(),
            rssi_correction_db=args.rssi_correction,
            risk=RiskSettings.defaults(),
        )
    finally:
        await store.close()


def demo_run(args: argparse.Namespace) -> int:
    """``bluezone demo``: play the scenario and print it (text or one JSON object)."""
    result = demo.run(seed=args.seed, btsnoop=args.btsnoop, data_dir=args.data)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(demo_text.render(result), end="")
    return 0
