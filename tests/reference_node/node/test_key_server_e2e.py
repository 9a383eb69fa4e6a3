"""The whole scheme end to end: nodes meet on the virtual link, one reports, one is notified.

Alice, Bob and Carol run the real node on bumble virtual controllers under virtual time; Bob
sits 1.5 m from Alice for 45 minutes, Carol is 5 km away. Then, on a real key server on
loopback (its clock set by the test, so the 2-hour embargo passes at once): the health
authority issues a code (``bluezone ha issue-code``), Alice's node reports with it
(``bluezone node report``: KS-13 re-key, code exchange), uploads once the embargo is over
(``bluezone node upload``), the server publishes, and Bob's and Carol's nodes download,
verify against the log, match and score (``bluezone node check --server``). An auditor
(``bluezone audit``) passes, then catches a rewritten batch and a forked log, which Bob's
node refuses too (spec KS-12, KS-13, SRV-3..SRV-18, LOG-10..LOG-12, MATCH, RISK).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.export import ExportFile, sign_export
from bluezone.reference_node.cli.commands import build_parser, main
from bluezone.reference_node.radio.channel import Position
from bluezone.reference_node.server.keyfiles import (
    EXPORT_KEY_FILE,
    export_signer,
    load_or_create_export_key,
)
from bluezone.reference_node.server.runner import PUBLIC_DIR
from bluezone.reference_node.store import Store
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.node.server_thread import ServerThread, SettableClock
from tests.reference_node.node.support import make_world
from tests.reference_node.server.conftest import HA_API_KEY, config_for
from tests.reference_node.server.tamper import rewrite_log

pytestmark = pytest.mark.e2e

POSITIONS = {"alice": Position(0, 0), "bob": Position(1.5, 0), "carol": Position(5000, 0)}
MET_S = 45 * 60
# Six hours ago, on an interval boundary: every later step of the test is still in the past,
# so the auditor, which reads the real clock, sees nothing from the future.
START = (int(time.time()) // params.INTERVAL_SECONDS) * params.INTERVAL_SECONDS - 6 * 3600


async def meet(data: Path) -> None:
    """Run the three nodes for 45 simulated minutes, then stop them and close the stores."""
    world = await make_world(data, POSITIONS)
    await asyncio.sleep(MET_S)
    await world.close()


def command(argv: list[str], clock: SettableClock) -> int:
    """Run one ``bluezone`` command function with the test's clock."""
    args = build_parser().parse_args(argv)
    return args.handler(args, clock)


def check(name: str, data: Path, url: str, keys: Path, clock: SettableClock, capsys) -> dict:
    capsys.readouterr()
    argv = ["node", "check", "--data", str(data / name), "--json"]
    assert command([*argv, "--server", url, "--server-keys", str(keys)], clock) == 0
    return json.loads(capsys.readouterr().out)


def audit(url: str, state: Path, keys: dict, *extra: str) -> int:
    export = keys["export_key"]
    export_arg = f"{export['key_id']}:{export['key_version']}:{export['public_key']}"
    return main(
        [
            "audit",
            "--server",
            url,
            "--state",
            str(state),
            "--log-key",
            keys["log_key"],
            "--export-key",
            export_arg,
            *extra,
        ]
    )


def rewrite_batch(data_dir: Path, number: int) -> bytes:
    """Replace a published batch file by one the operator signs without its first key."""
    path = data_dir / PUBLIC_DIR / f"v1/batches/{number}.zip"
    original = path.read_bytes()
    export = ExportFile.from_zip(original)
    payload = export.payload
    forged = type(payload)(
        start_timestamp=payload.start_timestamp,
        end_timestamp=payload.end_timestamp,
        region=payload.region,
        keys=payload.keys[1:],
        batch_num=payload.batch_num,
        batch_size=payload.batch_size,
    )
    key = load_or_create_export_key(data_dir / EXPORT_KEY_FILE)
    signer = export_signer(key, "bluezone", "v1")
    path.write_bytes(sign_export(forged, [signer]).to_zip())
    return original


def test_report_publish_download_notify_and_audit(tmp_path: Path, capsys):
    data = tmp_path / "nodes"
    vclock.run(meet(data), wall_start=START)

    clock = SettableClock(START + MET_S + 30)
    config = config_for(tmp_path)
    api_key_file = tmp_path / "ha.key"
    api_key_file.write_text(HA_API_KEY + "\n")
    state = tmp_path / "audit.json"
    server_keys = config.data_dir / PUBLIC_DIR / "v1/keys"
    with ServerThread(config, clock) as server:
        url = server.url
        keys = json.loads(server_keys.read_text())

        # The health authority issues a code; Alice reports with it.
        ha = ["ha", "issue-code", "--server", url, "--api-key-file", str(api_key_file)]
        assert main([*ha, "--json"]) == 0
        code = json.loads(capsys.readouterr().out)["code"]
        report = ["node", "report", "--code", code, "--server", url, "--data", str(data / "alice")]
        assert command([*report, "--json"], clock) == 0
        upload = json.loads(capsys.readouterr().out)["upload"]
        assert upload["state"] == "waiting"  # today's key was cut now: embargoed (KS-12)
        assert upload["keys"] == 1
        assert command(["node", "upload", "--data", str(data / "alice")], clock) == 0
        assert "the keys go up at" in capsys.readouterr().out  # not yet

        # Once the cut key's embargo is over, the keys go up; the server publishes.
        clock.now = upload["due_s"] + 60
        assert command(["node", "upload", "--data", str(data / "alice"), "--json"], clock) == 0
        (done,) = json.loads(capsys.readouterr().out)["uploads"]
        assert (done["state"], done["accepted"]) == ("uploaded", 1)
        assert server.publish() == 0
        clock.now += 60

        # Bob downloads, verifies against the log, matches and is notified; Carol is not.
        bob = check("bob", data, url, server_keys, clock, capsys)
        carol = check("carol", data, url, server_keys, clock, capsys)
        assert bob["rejected_batches"] == [] and carol["rejected_batches"] == []
        assert bob["keys_checked"] == carol["keys_checked"] == 20  # padded (SRV-9)
        assert bob["exposed"] and bob["matched_sightings"] > 100
        assert not carol["exposed"] and carol["matched_sightings"] == 0
        with Store.open(data / "bob") as store:
            log_state = store.server_log(keys["origin"])
            assert log_state is not None and log_state.tree_size == 1
            assert [b.number for b in store.server_batches(keys["origin"])] == [0]
        capsys.readouterr()
        argv = ["node", "check", "--data", str(data / "bob"), "--server", url]
        assert command([*argv, "--server-keys", str(server_keys)], clock) == 0
        assert "verdict: EXPOSED" in capsys.readouterr().out

        # A second batch (padding only); Bob's node accepts the grown log.
        assert server.publish() == 1
        clock.now += 60
        assert check("bob", data, url, server_keys, clock, capsys)["exposed"]

        # The auditor passes on the honest log ...
        assert audit(url, state, keys) == 0
        # The same trust from the server's v1/keys file, as node check reads it.
        other = ["--state", str(tmp_path / "audit-2.json"), "--server-keys", str(server_keys)]
        assert main(["audit", "--server", url, *other]) == 0
        assert "audit passed" in capsys.readouterr().out

        # ... and fails loudly once the operator rewrote a published batch.
        original = rewrite_batch(config.data_dir, 0)
        assert audit(url, state, keys, "--full") == 2
        assert "AUDIT FAILED: NOT INCLUDED" in capsys.readouterr().err
        (config.data_dir / PUBLIC_DIR / "v1/batches/0.zip").write_bytes(original)
        assert audit(url, state, keys, "--full") == 0

    # The operator forks the log: batch 0 (Alice's keys) is dropped and the log re-signed.
    rewrite_log(config.data_dir, [1])
    capsys.readouterr()
    with ServerThread(config, clock) as server:
        assert audit(server.url, state, keys) == 2
        assert "AUDIT FAILED: REWRITTEN HISTORY" in capsys.readouterr().err
        argv = ["node", "check", "--data", str(data / "bob"), "--server", server.url]
        assert command([*argv, "--server-keys", str(server_keys)], clock) == 1
        assert "log_refused" in capsys.readouterr().err
    with Store.open(data / "bob") as store:
        log_state = store.server_log(keys["origin"])
        assert log_state is not None and log_state.tree_size == 2  # the good checkpoint stays
