"""`bluezone node check-bz2020`: a stored legacy sighting against a push file (spec BZ20-11)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bluezone.protocol.bluezone2020 import F0Key, blid_at, push_json
from bluezone.reference_node import cli
from bluezone.reference_node.store import Store
from bluezone.reference_node.store.legacy import LegacySightingRecord

KEY = bytes(range(32))


def test_a_push_file_is_checked_against_the_stored_sightings(tmp_path: Path, capsys):
    now = int(time.time())
    install = now // 86400 * 86400 - 86400
    heard = now - 3600
    with Store.open(tmp_path / "data") as store:
        blid = blid_at(KEY, install, heard).blid
        store.insert_legacy_sightings([LegacySightingRecord(blid, heard, -66, "sim")])
    push = tmp_path / "push.json"
    push.write_text(json.dumps(push_json([F0Key(KEY, install, now, 96)])))
    assert (
        cli.main(
            [
                "node",
                "check-bz2020",
                "--data",
                str(tmp_path / "data"),
                "--push",
                str(push),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["keys"] == 1 and [m["rssi"] for m in out["matches"]] == [-66]
    push.write_text(json.dumps({"data": [{"daily_key": "00", "time_start": 0}]}))
    assert (
        cli.main(["node", "check-bz2020", "--data", str(tmp_path / "data"), "--push", str(push)])
        == 1
    )
    assert "legacy_invalid_push" in capsys.readouterr().err
