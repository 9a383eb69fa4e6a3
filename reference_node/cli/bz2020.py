"""`bluezone node check-bz2020`: check a node's legacy sightings against a 2020 F0 push.

For nodes run with ``--hear-bluezone-2020`` (spec BZ20-1, BZ20-12). The push is the
``InfoF`` JSON object ``{"data": [{"daily_key", "time_start", "time_end", "max"}]}`` the
legacy server sent (BZ20-10); the check follows BZ20-11 and is recorded in the store. Nothing
is sent anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.errors import NodeConfigError, NodeError, StoreLockedError
from bluezone.reference_node.node.legacy import LegacyCheckOutcome, check_legacy
from bluezone.reference_node.store import STORE_FILENAME, AsyncStore
from bluezone.reference_node.vtime.clock import Clock, SystemClock

# Like `node check`: do not wait long for a store a running node holds.
BUSY_TIMEOUT_S = 0.5
# An InfoF of 1024 entries (BZ20-10) is about 150 KiB.
MAX_PUSH_BYTES = 1024 * 1024


def add_bz2020_commands(node_commands: argparse._SubParsersAction) -> None:
    """Add ``node check-bz2020`` to the ``bluezone node`` parser."""
    check = node_commands.add_parser(
        "check-bz2020", help="check legacy Bluezone 2020 sightings against an F0 push (InfoF)"
    )
    check.add_argument("--data", required=True, type=Path, help="the node's data directory")
    check.add_argument("--push", required=True, type=Path, help="the push's InfoF JSON file")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=node_check_bz2020)


def node_check_bz2020(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """Run one F0 check on the stored legacy sightings; exit 0 whether or not it matched."""
    try:
        push = _read_push(args.push)
        outcome = asyncio.run(_check(args.data, push, clock or SystemClock()))
    except StoreLockedError:
        print(f"bluezone: a node is running on {args.data}; stop it first", file=sys.stderr)
        return 1
    except (NodeError, ProtocolError) as error:
        print(f"bluezone: error ({error.code}): {error}", file=sys.stderr)
        return 1
    if args.json:
        matches = [
            {"key_index": m.key_index, "wall_time": m.wall_time, "rssi": m.rssi}
            for m in outcome.matches
        ]
        print(json.dumps({"keys": outcome.keys_checked, "matches": matches}))
    else:
        print(
            f"{outcome.keys_checked} pushed keys, {outcome.sightings_checked} legacy sightings "
            f"kept, {len(outcome.matches)} matches"
        )
    return 0


def _read_push(path: Path) -> object:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PUSH_BYTES + 1)
    except OSError as exc:
        raise NodeConfigError(f"cannot read the push: {exc.strerror}") from exc
    if len(data) > MAX_PUSH_BYTES:
        raise NodeConfigError("the push file is over 1 MiB")
    try:
        return json.loads(data)
    except ValueError:
        raise NodeConfigError("the push file is not JSON") from None


async def _check(data: Path, push: object, clock: Clock) -> LegacyCheckOutcome:
    if not (data / STORE_FILENAME).is_file():
        raise NodeConfigError(f"no node store in {data}")
    store = await AsyncStore.open(data, busy_timeout_s=BUSY_TIMEOUT_S)
    try:
        return await check_legacy(store, push, clock.wall())
    finally:
        await store.close()
