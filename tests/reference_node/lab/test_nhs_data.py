"""The NHS experiment loader and the seat positions shipped with it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bluezone.reference_node.errors import NodeError, RiskDataError
from bluezone.reference_node.lab.evaluate import evaluate_nhs
from bluezone.reference_node.lab.nhs_data import load_nhs_encounters, load_positions


def test_shipped_positions_are_consistent() -> None:
    document = load_positions()
    assert len(document["experiments"]) == 14
    for name, layout in document["experiments"].items():
        seats = layout["positions_m"]
        framed = [d for frame in layout["frames"] for d in frame]
        assert sorted(framed) == sorted(seats), name
        assert len({tuple(xyz) for xyz in seats.values()}) == len(seats), name
        assert layout["scenario"] in document["derivation"], name


def test_pub_tables_are_two_metres_across() -> None:
    seats = load_positions()["experiments"]["pub-1"]["positions_m"]
    assert math.dist(seats["7008"], seats["7014"]) == 2.0  # top and bottom of a table
    assert math.dist(seats["7016"], seats["7008"]) == pytest.approx(math.sqrt(2))


def experiment(windows: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
    devices = sorted({d for pair in windows for d in pair})
    return {
        "experimentName": "t",
        "participants": [
            {
                "deviceName": receiver,
                "results": [
                    {
                        "counterparts": [
                            {
                                "deviceName": sender,
                                "exposureWindows": windows.get((receiver, sender), []),
                            }
                            for sender in devices
                            if sender != receiver
                        ]
                    }
                ],
            }
            for receiver in devices
        ],
    }


WINDOW = {
    "date": "2020-09-30T00:00:00Z",
    "reportType": 1,
    "scanInstances": [
        {"typicalAttenuationDb": 60, "minAttenuationDb": 55, "secondsSinceLastScan": 300}
    ],
}
POSITIONS = {
    "close_contact_distance_m": 2.0,
    "experiments": {
        "t-1": {
            "file": "t/t-1.json",
            "scenario": "t",
            "positions_m": {"a": [0, 0, 0], "b": [1.5, 0, 0], "c": [0, 3, 0], "d": [9, 0, 0]},
            "frames": [["a", "b", "c"], ["d"]],
        }
    },
}


def test_loader_pairs_every_scanning_receiver_with_every_other_phone(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    data = experiment({("a", "b"): [WINDOW], ("a", "d"): [WINDOW], ("b", "a"): [WINDOW]})
    (tmp_path / "t" / "t-1.json").write_text(json.dumps(data))
    encounters = {(e.receiver, e.sender): e for e in load_nhs_encounters(tmp_path, POSITIONS)}
    # c and d reported nothing: they are not receivers; a and b are, with every other phone.
    assert sorted(encounters) == sorted(
        [("a", "b"), ("a", "c"), ("a", "d"), ("b", "a"), ("b", "c"), ("b", "d")]
    )
    ab = encounters[("a", "b")]
    assert (ab.distance_m, ab.close_contact, ab.distance_is_lower_bound) == (1.5, True, False)
    assert (
        ab.windows[0].day == 18535 and ab.windows[0].scan_instances[0].typical_attenuation_db == 60
    )
    assert encounters[("a", "c")].close_contact is False and encounters[("a", "c")].windows == ()
    assert (
        encounters[("a", "d")].distance_is_lower_bound and not encounters[("a", "d")].close_contact
    )


def test_missing_or_malformed_files_raise_node_errors(tmp_path: Path) -> None:
    with pytest.raises(RiskDataError):
        load_nhs_encounters(tmp_path, POSITIONS)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "t-1.json").write_text('{"participants": [{"deviceName": "a"}]')
    with pytest.raises(NodeError):
        load_nhs_encounters(tmp_path, POSITIONS)
    (tmp_path / "t" / "t-1.json").write_text(
        '{"participants": [{"deviceName": "a", "results": 1}]}'
    )
    with pytest.raises(RiskDataError):
        load_nhs_encounters(tmp_path, POSITIONS)
    with pytest.raises(RiskDataError):
        load_positions(tmp_path / "absent.json")


def test_evaluate_refuses_a_directory_without_the_data(tmp_path: Path) -> None:
    with pytest.raises(RiskDataError):
        evaluate_nhs(tmp_path, seed=1, resamples=10)
    with pytest.raises(RiskDataError):
        evaluate_nhs(tmp_path / "absent", seed=1, resamples=10)
