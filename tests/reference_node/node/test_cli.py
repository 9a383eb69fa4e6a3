"""`bluezone node run` and `bluezone node check`, in process."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bluezone.protocol.keys import Metadata, TemporaryExposureKey, derive_rpi, encrypt_aem
from bluezone.reference_node import cli
from bluezone.reference_node.store import ScanRecord, SightingRecord, Store
from tests.reference_node.exports import public_pem, signing_key, write_export

DAY = int(time.time() // 86_400) - 2  # `node check` runs on the real clock: two days ago
NOON = DAY * 86_400 + 43_200
KEY = TemporaryExposureKey(bytes(range(16)), DAY * 144, 144, 1, 0)


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path]:
    """A keys directory with KEY signed, and the PEM file of the signing key."""
    key = signing_key()
    write_export(tmp_path / "keys", "batch.zip", [KEY], key)
    pem = tmp_path / "trusted.pem"
    pem.write_bytes(public_pem(key))
    return tmp_path / "keys", pem


def seed_store(data: Path) -> None:
    """Twelve scans 5 minutes apart, each hearing KEY's identifier at 58 dB attenuation."""
    with Store.open(data) as store:
        for n in range(12):
            start = NOON + 300 * n
            interval = int(start // 600)
            rpi = derive_rpi(KEY.key_data, interval)
            aem = encrypt_aem(KEY.key_data, rpi, bytes(Metadata.for_tx_power(-4)))
            record = SightingRecord(rpi, aem, interval, 1.0, start + 1, -62, None, None, "sim")
            store.insert_sightings([record])
            store.add_scan(ScanRecord(start, start + 4, interval, 1, 0))


def check_args(data: Path, published: tuple[Path, Path], *extra: str) -> list[str]:
    keys, pem = published
    argv = ["node", "check", "--data", str(data), "--keys-dir", str(keys)]
    return [*argv, "--public-key", str(pem), "--rssi-correction", "0", *extra]


def test_node_check_prints_the_assessment_as_json(tmp_path: Path, published, capsys):
    seed_store(tmp_path / "data")
    assert cli.main(check_args(tmp_path / "data", published, "--json")) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["matched_sightings"] == 12
    assert document["exposed"] is True  # 12 x 300 s near, high infectiousness: 3600 >= 900
    assert document["rejected_batches"] == []
    with Store.open(tmp_path / "data") as store:
        (check,) = store.exposure_checks()
        assert check.batch_ids == ("batch.zip",) and check.matched_sightings == 12


def test_node_check_explains_in_text(tmp_path: Path, published, capsys):
    seed_store(tmp_path / "data")
    assert cli.main(check_args(tmp_path / "data", published)) == 0
    out = capsys.readouterr().out
    assert "verdict: EXPOSED" in out and "window 1" in out


def test_node_check_that_verified_no_file_could_not_check(tmp_path: Path, published, capsys):
    seed_store(tmp_path / "data")
    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(signing_key()))  # not the key the files are signed with
    keys, _ = published
    assert cli.main(check_args(tmp_path / "data", (keys, other))) == 1
    out, err = capsys.readouterr()
    assert "refused batch.zip: export_bad_signature" in out and "verdict" not in out
    assert err.startswith("bluezone node check: could not check: all 1 published files")
    assert cli.main(check_args(tmp_path / "data", (keys, other), "--json")) == 1
    assert json.loads(capsys.readouterr().out)["could_not_check"] is True


def test_node_check_needs_an_existing_store(tmp_path: Path, published, capsys):
    assert cli.main(check_args(tmp_path / "nothing", published)) == 1
    assert "node_config" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()


def test_node_check_on_a_running_nodes_store_says_what_to_do(tmp_path: Path, published, capsys):
    seed_store(tmp_path / "data")
    with Store.open(tmp_path / "data"):
        assert cli.main(check_args(tmp_path / "data", published)) == 1
    assert "SIGUSR1" in capsys.readouterr().err


def test_keys_dir_and_public_key_go_together(tmp_path: Path, published, capsys):
    keys, _ = published
    argv = ["node", "run", "--radio", "sim", "--data", str(tmp_path), "--keys-dir", str(keys)]
    assert cli.main(argv) == 1
    assert "go together" in capsys.readouterr().err


def test_node_run_on_sim_stops_cleanly_after_its_duration(tmp_path: Path, capsys):
    argv = ["node", "run", "--radio", "sim:peers=1", "--data", str(tmp_path / "d")]
    argv += ["--scan", "continuous:1", "--duration", "3.5", "--status-every", "1"]
    argv += ["--json-logs"]
    assert cli.main(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    events = {line["event"] for line in lines}
    assert {"node_started", "rotation", "status", "node_stopped"} <= events
    with Store.open(tmp_path / "d") as store:
        scans = store.scans()
        assert len(scans) >= 3
        assert sum(s.sightings for s in scans) == store.count_sightings() > 0


@pytest.mark.parametrize(
    ("radio", "code"),
    [("bleak+x", "node_config"), ("nothing", "node_config"), ("sim:x=1", "node_config")],
)
def test_unusable_radios_are_clear_errors(tmp_path: Path, capsys, radio: str, code: str):
    assert cli.main(["node", "run", "--radio", radio, "--data", str(tmp_path)]) == 1
    assert f"({code})" in capsys.readouterr().err
