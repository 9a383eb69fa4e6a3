"""`bluezone node run`, `bluezone node check` and `bluezone demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from reference_node import demo, demo_text
from reference_node.check import CheckOutcome, run_check
from reference_node.errors import NodeConfigError, NodeError, StoreLockedError
from reference_node.explain import explain_assessment
from reference_node.exposure import RiskSettings
from reference_node.key_source import DirectoryKeySource, KeySource, TrustedKey
from reference_node.node import (
    DEFAULT_RSSI_CORRECTION_DB,
    DEFAULT_TX_POWER_DBM,
    Node,
    NodeCalibration,
    NodeConfig,
)
from reference_node.node_log import configure_logging, unconfigure_logging
from reference_node.radio.btsnoop import BtSnoopWriter
from reference_node.radios import RADIO_HELP, open_radio
from reference_node.scanning import DutyCycle
from reference_node.store import STORE_FILENAME, AsyncStore
from reference_node.vclock import SystemClock

log = logging.getLogger("reference_node.cli")
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
    parser.add_argument(
        "--keys-dir", type=Path, required=required, help="directory of export files (*.zip)"
    )
    parser.add_argument(
        "--public-key",
        type=Path,
        required=required,
        help="PEM public key the export files are signed with",
    )
    parser.add_argument("--key-id", help="verification key id in the files (default: any)")
    parser.add_argument("--key-version", help="verification key version (with --key-id)")


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


def _key_source(args: argparse.Namespace) -> KeySource | None:
    if args.keys_dir is None and args.public_key is None:
        return None
    if args.keys_dir is None or args.public_key is None:
        raise NodeConfigError("--keys-dir and --public-key go together")
    try:
        pem = args.public_key.read_bytes()
    except OSError as exc:
        raise NodeConfigError(f"cannot read the public key: {exc.strerror}") from exc
    return DirectoryKeySource(
        args.keys_dir, TrustedKey.from_pem(pem, args.key_id, args.key_version)
    )


def _fail(error: NodeError) -> int:
    print(f"bluezone: error ({error.code}): {error}", file=sys.stderr)
    return 1


def node_run(args: argparse.Namespace) -> int:
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
        )
        key_source = _key_source(args)
        return asyncio.run(_run(args, config, key_source))
    except NodeError as error:
        return _fail(error)
    finally:
        unconfigure_logging()


async def _run(args: argparse.Namespace, config: NodeConfig, key_source: KeySource | None) -> int:
    snoop = BtSnoopWriter.open(args.btsnoop, SystemClock()) if args.btsnoop else None
    try:
        radio = await open_radio(args.radio, snoop=snoop)
        store = await AsyncStore.open(args.data)
        try:
            node = Node(config, radio=radio, store=store, key_source=key_source)
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


def node_check(args: argparse.Namespace) -> int:
    """``bluezone node check``: check the stored sightings against the published keys now."""
    try:
        key_source = _key_source(args)
        assert key_source is not None
        outcome = asyncio.run(_check(args, key_source))
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
        print(json.dumps(details))
    else:
        for rejected in outcome.rejected:
            print(f"refused {rejected.batch_id}: {rejected.code}")
        print("\n".join(explain_assessment(outcome.assessment)))
    return 0


async def _check(args: argparse.Namespace, key_source: KeySource) -> CheckOutcome:
    if not (args.data / STORE_FILENAME).is_file():
        raise NodeConfigError(f"no node store in {args.data}")
    store = await AsyncStore.open(args.data, busy_timeout_s=CHECK_BUSY_TIMEOUT_S)
    try:
        return await run_check(
            store,
            key_source,
            now_s=SystemClock().wall(),
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
