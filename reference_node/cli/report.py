"""`bluezone node report` and `bluezone node upload`: the device side of a diagnosis.

``node report --code CODE --server URL --data DIR`` first exchanges the health
authority's code for an upload token bound to the keys to upload (SRV-4, SRV-5); only when
the server accepted it does the node cut today's key at this interval, start a new one
(spec KS-13) and record the report, so a typo, a refused code or an unreachable server
changes nothing and the same code can be tried again. It uploads the keys once the cut
key's embargo is over (KS-12, SRV-7): at once when nothing is embargoed, else later, by
``bluezone node run`` on the same data directory, by ``bluezone node upload``, or by this
command with ``--wait``. The plan survives restarts: it is in the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bluezone.protocol import params
from bluezone.reference_node.cli import options, progress
from bluezone.reference_node.errors import NodeConfigError, NodeError, ReportError, StoreLockedError
from bluezone.reference_node.node.identity import AsyncDeviceIdentity
from bluezone.reference_node.node.log import clock_time
from bluezone.reference_node.node.reporting import Reporter, check_code, refusal
from bluezone.reference_node.server.errors import ClientError
from bluezone.reference_node.store import STORE_FILENAME, AsyncStore, StoredReport, StoredUpload
from bluezone.reference_node.vtime.clock import Clock, SystemClock

# How --wait sleeps (a test replaces it to move its clock instead).
_sleep = asyncio.sleep


def add_report_commands(node_commands: argparse._SubParsersAction) -> None:
    """Add ``node report`` and ``node upload`` to the ``bluezone node`` parser."""
    report = node_commands.add_parser(
        "report", help="report a positive test with the health authority's one-time code"
    )
    report.add_argument(
        "--code",
        required=True,
        type=options.typed(check_code, "a verification code"),
        help="the code from the health authority, e.g. 7KQ4MX2P9H (spaces and dashes ignored), "
        "or the link of its text message",
    )
    report.add_argument("--server", required=True, type=options.url, help="key server base URL")
    report.add_argument(
        "--data", required=True, type=options.data_dir, help="the node's data directory"
    )
    report.add_argument(
        "--wait", action="store_true", help="stay until the keys are uploaded (about 2 hours)"
    )
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.set_defaults(handler=node_report)

    revise = node_commands.add_parser(
        "revise",
        help="change the report type of keys this node uploaded, with a revision code"
        " (a negative test revokes them, a positive one confirms them)",
    )
    revise.add_argument("--code", required=True, help="the health authority's revision code")
    revise.add_argument("--server", required=True, help="key server base URL")
    revise.add_argument("--data", required=True, type=Path, help="the node's data directory")
    revise.add_argument("--json", action="store_true", help="print one JSON object")
    revise.set_defaults(handler=node_revise)

    upload = node_commands.add_parser(
        "upload", help="upload the keys of reports whose embargo is over (node run does it too)"
    )
    upload.add_argument(
        "--data", required=True, type=options.data_dir, help="the node's data directory"
    )
    upload.add_argument("--wait", action="store_true", help="stay until every upload is done")
    upload.add_argument("--json", action="store_true", help="print one JSON object")
    upload.set_defaults(handler=node_upload)


def node_report(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``bluezone node report``: exchange the code, re-key, upload when due; exit 0 if accepted.

    Exit 1 with nothing changed when the code is refused or the server cannot be reached.
    """
    try:
        report, upload = asyncio.run(_report(args, clock or SystemClock()))
    except ReportError as error:
        print(
            f"bluezone node report: refused ({error.reason}), nothing recorded: {error}",
            file=sys.stderr,
        )
        return 1
    except ClientError as error:
        print(
            f"bluezone node report: {error}; nothing recorded: check --server and report"
            " again with the same code",
            file=sys.stderr,
        )
        return 1
    except NodeError as error:
        return _fail(error, args.data)
    if args.json:
        print(json.dumps({"report_id": report.report_id, "upload": upload_json(upload)}))
        return 0
    print(f"report {report.report_id} recorded: today's key was cut and a new one started (KS-13)")
    print("\n".join(describe(upload, args.data)))
    return 0


def node_revise(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``bluezone node revise``: revise this node's last upload with a revision code (SRV-24)."""
    try:
        upload = asyncio.run(_revise(args, clock or SystemClock()))
    except ReportError as error:
        print(f"bluezone: revision refused ({error.reason}): {error}", file=sys.stderr)
        return 1
    except NodeError as error:
        return _fail(error, args.data)
    keys = len(upload.published_key_ids)
    if args.json:
        print(json.dumps({"report_id": upload.report_id, "revised": keys}))
    else:
        print(f"report {upload.report_id}: {keys} keys revised; the next batch publishes it")
    return 0


async def _revise(args: argparse.Namespace, clock: Clock) -> StoredUpload:
    code = check_code(args.code)
    store = await _open(args.data)
    try:
        return await Reporter(store).revise(code, args.server, clock.wall())
    finally:
        await store.close()


def node_upload(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``bluezone node upload``: send what is due now; exit 1 while a report has failed.

    A failed upload counts until a later report of the same node was accepted.
    """
    try:
        _, uploads = asyncio.run(_upload(args, clock or SystemClock()))
    except NodeError as error:
        return _fail(error, args.data)
    if args.json:
        print(json.dumps({"uploads": [upload_json(u) for u in uploads]}))
    else:
        if not uploads:
            print("no report to upload")
        for upload in uploads:
            lines = describe(upload, args.data)
            print(f"report {upload.report_id}: {lines[0]}", *lines[1:], sep="\n")
    return 1 if open_failures(uploads) else 0


def open_failures(uploads: list[StoredUpload]) -> list[StoredUpload]:
    """The failed uploads no later report (accepted by a server) has replaced."""
    accepted = [u.report_id for u in uploads if u.state in ("waiting", "uploaded")]
    latest = max(accepted, default=0)
    return [u for u in uploads if u.state == "failed" and u.report_id > latest]


async def _open(data: Path) -> AsyncStore:
    if not (data / STORE_FILENAME).is_file():
        raise NodeConfigError(f"no node store in {data}: run the node first")
    return await AsyncStore.open(data)


async def _report(
    args: argparse.Namespace, clock: Clock
) -> tuple[StoredReport, StoredUpload | None]:
    store = await _open(args.data)
    try:
        reporter = Reporter(store)
        await reporter.abandon_interrupted()
        identity = AsyncDeviceIdentity(store)
        report, upload = await reporter.report_checked(
            identity, args.code, args.server, clock.wall()
        )
        if args.wait and upload is not None:
            await _wait(reporter, clock, progress.wanted(args.json))
            upload = await store.upload(upload.report_id)
        return report, upload
    finally:
        await store.close()


async def _upload(
    args: argparse.Namespace, clock: Clock
) -> tuple[list[StoredUpload], list[StoredUpload]]:
    store = await _open(args.data)
    try:
        reporter = Reporter(store)
        tried = await reporter.abandon_interrupted()
        tried += await reporter.upload_due(clock.wall())
        if args.wait:
            tried += await _wait(reporter, clock, progress.wanted(args.json))
        return tried, await store.uploads()
    finally:
        await store.close()


async def _wait(reporter: Reporter, clock: Clock, show: bool) -> list[StoredUpload]:
    """Upload each waiting upload when due, retrying what may succeed, until none waits.

    The reporter's next due time includes its backoff after a failure (SRV-14). With
    ``show``, a bar on the terminal says what it waits for and the time left.
    """
    tried: list[StoredUpload] = []
    while (due := await reporter.next_due_s()) is not None:
        if reporter.failures:
            what = "the upload failed (server busy or unreachable): waiting to retry"
        else:
            what = f"embargo (KS-12): the keys go up at {clock_time(due)[:5]} UTC"
        await _pause(due - clock.wall(), what, show)
        tried += await reporter.upload_due(clock.wall())
    return tried


async def _pause(seconds: float, what: str, show: bool) -> None:
    """Sleep ``seconds``; with ``show``, in steps of a second that move a countdown bar."""
    seconds = max(0.0, seconds)
    if not show:
        await _sleep(seconds)
        return
    with progress.countdown(seconds, what, show) as bar:
        while seconds > 0:
            step = min(1.0, seconds)
            await _sleep(step)
            bar.update(step)
            seconds -= step


def describe(upload: StoredUpload | None, data: Path) -> list[str]:
    """Lines saying where an upload stands, for a terminal."""
    if upload is None:
        return ["no key to upload: the node holds no key from before the report"]
    keys = f"{len(upload.key_ids)} key{'' if len(upload.key_ids) == 1 else 's'}"
    if upload.state == "uploaded":
        lines = [f"uploaded: the key server accepted {upload.accepted} of {keys}"]
        if upload.dropped_key_ids:
            lines.append(
                f"  {len(upload.dropped_key_ids)} from before the exposure day of the recursive"
                " code were left out (SRV-21)"
            )
        return lines
    if upload.state == "failed":
        return [f"FAILED ({upload.failure}): {refusal(upload.failure or '')}"]
    if upload.state == "exchanging":
        return ["the code exchange did not finish"]
    assert upload.token_expires_s is not None
    due_s = upload.due_interval * params.INTERVAL_SECONDS
    return [
        f"code accepted: {keys} bound to the upload token,"
        f" valid until {clock_time(upload.token_expires_s)[:5]} UTC",
        f"the keys go up at {clock_time(due_s)[:5]} UTC, 2 hours after the cut key's last"
        " interval (KS-12):",
        f"  keep `bluezone node run --data {data}` running, or run"
        f" `bluezone node upload --data {data}` then",
    ]


def upload_json(upload: StoredUpload | None) -> dict[str, Any] | None:
    """An upload as JSON (no token, secret or key material)."""
    if upload is None:
        return None
    return {
        "report_id": upload.report_id,
        "server": upload.server_url,
        "state": upload.state,
        "keys": len(upload.key_ids),
        "due_s": upload.due_interval * params.INTERVAL_SECONDS,
        "token_expires_s": upload.token_expires_s,
        "accepted": upload.accepted,
        "dropped": len(upload.dropped_key_ids),
        "failure": upload.failure,
    }


def _fail(error: NodeError, data: Path) -> int:
    if isinstance(error, StoreLockedError):
        print(
            f"bluezone: a node is running on {data}; stop it, report, and start it again"
            " (it uploads the keys when due)",
            file=sys.stderr,
        )
        return 1
    print(f"bluezone: error ({error.code}): {error}", file=sys.stderr)
    return 1
