"""`bluezone demo`: it runs with no setup, ends in seconds, and says who was exposed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluezone.reference_node import cli
from bluezone.reference_node.cli import demo, demo_text
from tests.reference_node.radio.support import read_btsnoop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> demo.DemoResult:
    tmp = tmp_path_factory.mktemp("demo")
    return demo.run(seed=7, btsnoop=tmp / "capture.btsnoop", data_dir=tmp / "data")


def test_bob_is_exposed_and_carol_is_not(result: demo.DemoResult):
    verdicts = result.to_json()["verdicts"]
    assert verdicts["bob"] == {"exposed": True, "exposed_proximity": True}
    assert verdicts["carol"] == {"exposed": False, "exposed_proximity": False}


def test_the_story_follows_the_scenario(result: demo.DemoResult):
    heard = {(h.receiver, h.sender): h for h in result.heard}
    met = {("alice", "bob"), ("alice", "carol"), ("bob", "carol"), ("bob", "dave")}
    assert set(heard) == met | {(b, a) for a, b in met}  # Dave never near Alice or Carol
    assert heard["dave", "bob"].first_s >= heard["bob", "alice"].last_s
    bob_alice = heard["bob", "alice"]
    assert bob_alice.last_s - bob_alice.first_s <= demo.BOB_LEAVES_S
    assert bob_alice.last_s - bob_alice.first_s > demo.BOB_LEAVES_S - 300
    assert abs(bob_alice.mean_attenuation_db - bob_alice.expected_attenuation_db) < 1.5
    carol_alice = heard["carol", "alice"]
    assert carol_alice.last_s - carol_alice.first_s > demo.DIAGNOSIS_S - 600
    assert carol_alice.mean_attenuation_db > 70
    assert result.published["reported_keys"] == 1
    assert result.checks["bob"].assessment.keys_checked == 1 + demo.PADDING_KEYS
    assert result.checks["bob"].assessment.keys_rejected == {}


def test_the_capture_is_a_btsnoop_file_of_bobs_hci_traffic(result: demo.DemoResult):
    data = Path(result.btsnoop["path"]).read_bytes()
    datalink, records = read_btsnoop(data)
    assert datalink == 1002  # HCI UART (H4), what Wireshark reads
    assert len(records) == result.btsnoop["packets"] > 100
    # HCI event (0x04), LE Meta (0x3E), subevent LE Advertising Report (0x02)
    reports = [r for r in records if r.packet[:2] == b"\x04\x3e" and r.packet[3] == 0x02]
    assert reports and all(r.flags & 1 for r in reports)  # controller to host


def test_the_json_form_is_one_object_with_the_same_facts(result: demo.DemoResult):
    document = json.loads(json.dumps(result.to_json()))
    assert document["scenario"]["nodes"]["bob"]["position_m"] == [1.5, 0.0]
    assert document["checks"]["bob"]["exposed"] is True
    assert document["checks"]["bob"]["scorers"]["v2"]["score_sum_threshold"] == 900
    assert document["timing"]["simulated_s"] >= 3 * 3600


def test_the_text_tells_who_heard_whom_and_why(result: demo.DemoResult):
    text = demo_text.render(result)
    for phrase in ("Who heard whom", "Bob EXPOSED", "Carol not exposed", "GAEN v2", "Wireshark"):
        assert phrase in text
    assert "proximity" in text and "embargo" in text.lower()


def test_a_seeded_run_repeats(tmp_path: Path, result: demo.DemoResult):
    again = demo.run(seed=7, btsnoop=tmp_path / "again.btsnoop")
    first, second = result.to_json(), again.to_json()
    for document in (first, second):
        document.pop("timing")
        document.pop("btsnoop")
    assert first == second


def test_the_command_prints_json(tmp_path: Path, capsys):
    capture = tmp_path / "cli.btsnoop"
    assert cli.main(["demo", "--json", "--btsnoop", str(capture)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verdicts"]["bob"]["exposed"] is True
    assert document["verdicts"]["carol"]["exposed"] is False
    assert capture.stat().st_size > 16


def test_the_command_prints_text(tmp_path: Path, capsys):
    assert cli.main(["demo", "--seed", "3", "--btsnoop", str(tmp_path / "t.btsnoop")]) == 0
    assert "Bob EXPOSED" in capsys.readouterr().out


def test_the_chain_ends_with_each_person_at_their_level(result: demo.DemoResult):
    """Alice F0, Bob F1, Dave F2 then withdrawn, Carol nothing (spec RISK-59..RISK-61)."""
    people = {p["name"]: p for p in json.loads(json.dumps(result.to_json()))["people"]}
    assert {name: p["level"] for name, p in people.items()} == {
        "alice": "F0",
        "bob": "F1",
        "carol": "none",
        "dave": "none",
    }
    assert [s["level"] for s in people["dave"]["timeline"]] == ["none", "F2", "none"]
    assert people["dave"]["timeline"][-1]["why"] == "withdrawn (revoked)"
    seen = {s["level"] for p in people.values() for s in p["timeline"]}
    assert seen == {"F0", "F1", "F2", "none"}
    f2 = result.chain[1]["levels"]["dave"]
    assert f2["level"] == "F2" and f2["score"] >= f2["threshold"]


def test_the_text_tells_the_chain(result: demo.DemoResult):
    text = demo_text.render(result)
    for phrase in (
        "F0 -> F1 -> F2",
        "RECURSIVE",
        "alert withdrawn (revoked)",
        "none -> F2 -> none",
    ):
        assert phrase in text
