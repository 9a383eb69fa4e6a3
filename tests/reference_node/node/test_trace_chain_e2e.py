"""F0 -> F1 -> F2 end to end: a recursive report, an F2 warning, and its withdrawal.

Five real nodes on bumble virtual controllers under virtual time, across one UTC midnight:
Bob sits with Dave for 44 minutes before midnight, with Alice for 45 minutes after it, then
with Erin for 45 minutes; Carol meets nobody. On a real key server on loopback (its clock set
by the test): Alice reports with a confirmed code (F0) and Bob's node says F1; the health
authority verifies Bob and gives him a recursive code for the day he met Alice; Bob's upload
publishes only his keys from that day on, so Erin is warned as F2 and Dave, whom Bob met the
day before, is not. Someone with a leaked revision code and Bob's published keys cannot
revoke them; Bob's negative test, revised from his own node, withdraws Erin's alert (spec
SRV-20..SRV-26, MATCH-11, RISK-59..RISK-61).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import secrets
import time
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.export import ExportFile
from bluezone.reference_node.cli.commands import build_parser, main
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.node.key_source import export_keys
from bluezone.reference_node.radio.channel import Position
from bluezone.reference_node.server.errors import ServerResponseError
from bluezone.reference_node.server.runner import PUBLIC_DIR
from bluezone.reference_node.store import Store
from bluezone.reference_node.vtime import clock as vclock
from tests.reference_node.node.server_thread import ServerThread, SettableClock
from tests.reference_node.node.support import make_world
from tests.reference_node.server.conftest import HA_API_KEY, config_for

pytestmark = pytest.mark.e2e

FAR = 5000.0
POSITIONS = {
    "alice": Position(0, 0),
    "bob": Position(FAR + 1.5, 0),  # beside Dave first
    "carol": Position(-FAR, 0),
    "dave": Position(FAR, 0),
    "erin": Position(0, FAR),
}
# A UTC midnight at least 8 hours ago: the whole story, embargoes included, is in the past.
MIDNIGHT = int(time.time() - 8 * 3600) // 86400 * 86400
START = MIDNIGHT - 45 * 60
EXPOSURE_DATE = datetime.datetime.fromtimestamp(MIDNIGHT, datetime.UTC).date().isoformat()


async def meet(data: Path) -> None:
    """Bob beside Dave until midnight, beside Alice for 45 minutes, then beside Erin."""
    world = await make_world(data, POSITIONS)
    await asyncio.sleep(44 * 60)
    world.channel.move("bob", Position(FAR * 3, 0))  # nobody hears him at midnight itself
    await asyncio.sleep(2 * 60)
    world.channel.move("bob", Position(1.5, 0))
    await asyncio.sleep(45 * 60)
    world.channel.move("bob", Position(1.5, FAR))
    await asyncio.sleep(45 * 60)
    await world.close()


def command(argv: list[str], clock: SettableClock) -> int:
    """Run one ``bluezone`` command function with the test's clock."""
    args = build_parser().parse_args(argv)
    return args.handler(args, clock)


class Chain:
    """The server, the authority's commands and the nodes' commands of one story."""

    def __init__(self, data: Path, url: str, keys: Path, api_key: Path, clock, capsys) -> None:
        self.data, self.url, self.keys, self.api_key = data, url, keys, api_key
        self.clock, self.capsys = clock, capsys

    def issue(self, *extra: str) -> dict:
        self.capsys.readouterr()
        ha = ["ha", "issue-code", "--server", self.url, "--api-key-file", str(self.api_key)]
        assert main([*ha, *extra, "--json"]) == 0
        return json.loads(self.capsys.readouterr().out)

    def json_command(self, argv: list[str]) -> tuple[int, dict | None]:
        self.capsys.readouterr()
        status = command([*argv, "--json"], self.clock)
        out = self.capsys.readouterr().out
        return status, json.loads(out) if out.strip() else None

    def report_and_upload(self, name: str, code: str) -> dict:
        argv = ["node", "report", "--code", code, "--server", self.url]
        status, answer = self.json_command([*argv, "--data", str(self.data / name)])
        assert status == 0 and answer["upload"]["state"] == "waiting"
        self.clock.now = answer["upload"]["due_s"] + 60  # the cut key's embargo is over
        status, answer = self.json_command(["node", "upload", "--data", str(self.data / name)])
        assert status == 0
        (done,) = [u for u in answer["uploads"] if u["state"] == "uploaded"][-1:]
        return done

    def check(self, name: str) -> dict:
        argv = ["node", "check", "--data", str(self.data / name), "--server", self.url]
        status, answer = self.json_command([*argv, "--server-keys", str(self.keys)])
        assert status == 0 and answer["rejected_batches"] == []
        return answer

    def levels(self, *names: str) -> dict[str, str]:
        return {name: self.check(name)["level"]["level"] for name in names}


def own_key_data(data: Path, name: str) -> dict[int, bytes]:
    """A node's own keys by UTC day (only a test can read them)."""
    with Store.open(data / name) as store:
        return {k.key.rolling_start // 144: k.key.key_data for k in store.own_keys()}


def test_f0_f1_f2_chain_and_withdrawal_on_the_real_server(tmp_path: Path, capsys):
    data = tmp_path / "nodes"
    vclock.run(meet(data), wall_start=START)
    bob_keys = own_key_data(data, "bob")
    exposure_day = MIDNIGHT // 86400
    assert set(bob_keys) == {exposure_day - 1, exposure_day}

    clock = SettableClock(MIDNIGHT + 95 * 60)
    config = config_for(tmp_path)
    api_key = tmp_path / "ha.key"
    api_key.write_text(HA_API_KEY + "\n")
    server_keys = config.data_dir / PUBLIC_DIR / "v1/keys"
    with ServerThread(config, clock) as server:
        chain = Chain(data, server.url, server_keys, api_key, clock, capsys)

        # F0: Alice tests positive and reports; Bob, who sat beside her, is F1.
        alice = chain.report_and_upload("alice", chain.issue()["code"])
        assert alice["accepted"] == 2 and alice["dropped"] == 0
        assert server.publish() == 0
        clock.now += 60
        assert chain.levels("bob", "carol", "dave", "erin") == {
            "bob": "F1",
            "carol": "none",
            "dave": "none",
            "erin": "none",
        }

        # The authority verifies Bob as a close contact of the day he met Alice and gives
        # him a recursive code; his upload keeps only that day's key (spec SRV-21).
        code = chain.issue("--report-type", "4", "--exposure-date", EXPOSURE_DATE)
        assert code["exposure_interval"] == MIDNIGHT // params.INTERVAL_SECONDS
        bob = chain.report_and_upload("bob", code["code"])
        assert server.publish() == 1
        clock.now += 60

        # Erin met Bob after his contact with Alice: F2. Dave met him the day before: nothing.
        erin = chain.check("erin")
        assert erin["level"]["level"] == "F2"
        assert erin["level"]["score"] >= erin["level"]["threshold"]
        assert erin["level_change"]["change"] == "new"
        assert chain.levels("bob", "carol", "dave") == {
            "bob": "F1",
            "carol": "none",
            "dave": "none",
        }
        batch = ExportFile.from_zip(
            (config.data_dir / PUBLIC_DIR / "v1/batches/1.zip").read_bytes()
        )
        published = {k.key_data: k.report_type for k in batch.payload.keys}
        assert published.get(bob_keys[exposure_day]) == params.REPORT_TYPE_RECURSIVE
        assert bob_keys[exposure_day - 1] not in published  # before the exposure day
        assert (bob["accepted"], bob["dropped"]) == (1, 1)

        # Someone holding a leaked revision code and Bob's published keys cannot revoke them:
        # only the device that uploaded them holds the revision secret (spec SRV-24).
        leaked = chain.issue("--report-type", "5", "--revision")["code"]
        public = [k for k in batch.payload.keys if k.key_data == bob_keys[exposure_day]]
        refused = asyncio.run(revise_as_stranger(server.url, leaked, public))
        assert refused == (403, "revision_denied")
        status, _ = chain.json_command(
            [
                "node",
                "revise",
                "--code",
                leaked,
                "--server",
                server.url,
                "--data",
                str(data / "carol"),
            ]
        )
        assert status == 1  # Carol's node uploaded nothing it could revise
        assert server.publish() == 2
        clock.now += 60
        assert chain.check("erin")["level"]["level"] == "F2"

        # Bob's test is negative: his node revises his upload to REVOKED; Erin's alert is
        # withdrawn, and she is told why (spec RISK-61). The log keeps batch 1 unchanged.
        revision = chain.issue("--report-type", "5", "--revision")["code"]
        argv = ["node", "revise", "--code", revision, "--server", server.url]
        status, answer = chain.json_command([*argv, "--data", str(data / "bob")])
        assert status == 0 and answer["revised"] == 1
        assert server.publish() == 3
        clock.now += 60
        erin = chain.check("erin")
        assert erin["level"]["level"] == "none"
        assert erin["matched_keys"] == {"revoked": 1}
        assert erin["level_change"]["change"] == "withdrawn"
        assert erin["level_change"]["reason"] == "revoked"
        assert chain.levels("bob", "carol", "dave") == {
            "bob": "F1",
            "carol": "none",
            "dave": "none",
        }
        again = ExportFile.from_zip(
            (config.data_dir / PUBLIC_DIR / "v1/batches/1.zip").read_bytes()
        )
        assert again.export_bin == batch.export_bin

    # The JSON log of Erin's checks shows each change of level.
    with Store.open(data / "erin") as store:
        changes = [c.details["level_change"] for c in store.exposure_checks()]
    assert [c["to"] for c in changes if c] == ["F2", "none"]


async def revise_as_stranger(url: str, code: str, published) -> tuple[int, str]:
    """Try to revise published keys with a valid revision code and a secret of one's own."""
    keys = export_keys(published)
    async with KeyServerClient(url) as client:
        grant = await client.request_token(code, keys)
        try:
            await client.revise(grant, keys, secrets.token_bytes(32))
        except ServerResponseError as exc:
            return exc.status, exc.error
    return 200, "revised"
