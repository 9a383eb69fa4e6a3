"""``bluezone witness keygen``, ``serve`` and ``run``: a witness operator's commands.

``keygen`` creates a cosignature/v1 key (LOG-9) and prints its verifier key, which the key
server's operator passes as ``--witness-key`` and clients list among their witnesses.
``serve`` is the C2SP tlog-witness endpoint (push mode, spec WIT-2): the log posts each new
checkpoint to ``URL/add-checkpoint`` (its ``--witness-url``) and gets the cosignature back
at once; it runs until SIGINT or SIGTERM and exits 0, or 1 if it cannot start. ``run`` is
the pull mode, for a log that cannot reach the witness: it fetches the newest signed
checkpoint (``v1/checkpoints/latest``), cosigns it when it extends the last one this
witness cosigned (LOG-13) and posts it to the server (SRV-16): once, or every
``--interval`` seconds until SIGINT or SIGTERM. A checkpoint this witness already cosigned,
served with its cosignature, is not posted again.

Both modes keep one state file per key (what was cosigned, per log), locked while a
checkpoint is checked and recorded. Exit status of ``run``: 0 done (or stopped by a
signal); 1 could not witness (the key or state file, the network or the server; with
``--interval``, network and server failures are reported and retried at the next round);
2 the log failed verification (a bad signature, a split view or a rewritten history):
nothing was cosigned and the state file is unchanged; 64 usage error (a missing or wrong
option).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from bluezone.protocol.errors import NoteKeyError, ProtocolError
from bluezone.protocol.note import NoteVerifier
from bluezone.protocol.params import SIGNATURE_TYPE_ED25519
from bluezone.reference_node.cli import options
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.client.witness import Witness, Witnessed, witness_latest
from bluezone.reference_node.errors import NodeError
from bluezone.reference_node.server.errors import (
    ClientError,
    LogVerificationError,
    WitnessStateError,
)
from bluezone.reference_node.server.keyfiles import create_witness_signer, load_witness_signer

EXIT_OK, EXIT_ERROR, EXIT_FAILED = 0, 1, 2


# --- bluezone witness keygen ---------------------------------------------------------------


def add_keygen_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone witness keygen``."""
    parser.add_argument(
        "--name", required=True, help="the witness's key name, e.g. witness.example.org"
    )
    parser.add_argument(
        "--out", type=options.new_file, required=True, help="secret key file to create (mode 0600)"
    )


def run_keygen(args: argparse.Namespace) -> int:
    """Create the key file and print the verifier key; never replace an existing file."""
    try:
        signer = create_witness_signer(args.out, args.name)
    except FileExistsError:
        print(f"bluezone witness keygen: {args.out} exists; it is not replaced", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"bluezone witness keygen: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    except ProtocolError as exc:
        print(f"bluezone witness keygen: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(signer.verifier().vkey)
    return EXIT_OK


# --- bluezone witness run ------------------------------------------------------------------


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone witness run``."""
    parser.add_argument("--server", required=True, type=options.url, help="key server base URL")
    parser.add_argument(
        "--log-key",
        required=True,
        type=options.note_key,
        help="the log's verifier key, from a trusted channel",
    )
    parser.add_argument(
        "--key",
        type=options.readable_file,
        required=True,
        help="the witness key file (bluezone witness keygen)",
    )
    parser.add_argument(
        "--state",
        type=options.data_file,
        help="what was cosigned, per log (default KEY.state.json)",
    )
    repeat = parser.add_mutually_exclusive_group()
    repeat.add_argument("--once", action="store_true", help="one round, then exit (default)")
    repeat.add_argument(
        "--interval",
        type=options.positive_seconds,
        metavar="SECONDS",
        help="a round every SECONDS until SIGINT or SIGTERM",
    )


def default_state_path(key: Path) -> Path:
    """Return the state file beside the key: the two belong together (LOG-13)."""
    return key.with_name(key.name + ".state.json")


def _log_verifier(vkey: str) -> NoteVerifier:
    log = NoteVerifier.from_vkey(vkey)
    if log.signature_type != SIGNATURE_TYPE_ED25519:
        raise NoteKeyError("LOG-10: the log key must be an Ed25519 (type 0x01) key")
    return log


def _line(log: NoteVerifier, outcome: Witnessed | None) -> str:
    if outcome is None:
        return f"{log.name}: no checkpoint published yet"
    checkpoint = outcome.checkpoint
    done = "cosigned" if outcome.cosigned else "unchanged"
    return f"{checkpoint.origin}: tree size {checkpoint.tree_size}: {done}"


async def _round(client: KeyServerClient, witness: Witness, log: NoteVerifier) -> int | None:
    """Run one round; return an exit status to stop with, or None to go on."""
    try:
        outcome = await witness_latest(client, witness, log)
    except LogVerificationError as exc:
        kind = exc.kind.upper().replace("_", " ")
        print(f"bluezone witness run: REFUSED TO COSIGN: {kind}: {exc}", file=sys.stderr)
        print("nothing was cosigned; the state file is unchanged", file=sys.stderr)
        return EXIT_FAILED
    except WitnessStateError:
        raise
    except ClientError as exc:
        print(f"bluezone witness run: {exc}", file=sys.stderr, flush=True)
        return EXIT_ERROR
    print(_line(log, outcome), flush=True)
    return None


async def _witness(args: argparse.Namespace, witness: Witness, log: NoteVerifier) -> int:
    # A signal cancels this task wherever it waits; the state file is written between two
    # waits, so it is never left half-updated.
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main.cancel)
    try:
        async with KeyServerClient(args.server) as client:
            while True:
                status = await _round(client, witness, log)
                if args.interval is None or status == EXIT_FAILED:
                    return status or EXIT_OK
                await asyncio.sleep(args.interval)
    except asyncio.CancelledError:
        print("stopped witnessing", flush=True)
        return EXIT_OK


def run_witness(args: argparse.Namespace) -> int:
    """Witness the log; see the module docstring for exit statuses."""
    try:
        log = _log_verifier(args.log_key)
        witness = Witness(load_witness_signer(args.key), args.state or default_state_path(args.key))
        witness.last_cosigned(log.name)  # an unreadable state file stops here, before any round
        return asyncio.run(_witness(args, witness, log))
    except (NodeError, ProtocolError) as exc:
        print(f"bluezone witness run: could not witness: {exc}", file=sys.stderr)
        return EXIT_ERROR


# --- bluezone witness serve ----------------------------------------------------------------


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bluezone witness serve``."""
    parser.add_argument(
        "--log-key",
        action="append",
        required=True,
        help="verifier key of a log to witness, from a trusted channel (repeatable)",
    )
    parser.add_argument(
        "--key", type=Path, required=True, help="the witness key file (bluezone witness keygen)"
    )
    parser.add_argument(
        "--state", type=Path, help="what was cosigned, per log (default: KEY.state.json)"
    )
    parser.add_argument(
        "--host", type=options.host, default="127.0.0.1", help="address to listen on"
    )
    parser.add_argument(
        "--port", type=options.port, default=8081, help="TCP port to listen on (0: any free)"
    )


async def _serve(args: argparse.Namespace, witness: Witness, logs: list[NoteVerifier]) -> int:
    from aiohttp import web  # the server extra: imported when a witness serves

    from bluezone.reference_node.client.witness_server import witness_app

    runner = web.AppRunner(witness_app(witness, logs), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        host, port = (runner.addresses or [("?", 0)])[0][:2]
        host = f"[{host}]" if ":" in host else host
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        print(f"witnessing {', '.join(log.name for log in logs)} at http://{host}:{port}")
        print(f"witness key: {witness.signer.verifier().vkey}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
    print("stopped witnessing", flush=True)
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    """Serve C2SP add-checkpoint until SIGINT or SIGTERM (spec WIT-2)."""
    try:
        logs = [_log_verifier(vkey) for vkey in args.log_key]
        witness = Witness(load_witness_signer(args.key), args.state or default_state_path(args.key))
        for log in logs:
            witness.last_cosigned(log.name)  # an unreadable state file stops here
        return asyncio.run(_serve(args, witness, logs))
    except (NodeError, ProtocolError) as exc:
        print(f"bluezone witness serve: could not witness: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"bluezone witness serve: cannot listen: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
