"""Labelled encounters from the NHS COVID-19 app team's GAEN ExposureWindow experiments.

``load_nhs_encounters(directory)`` reads the data set's folder (``pub/pub-1.json``, ...) and
pairs every receiving phone with every other phone of the same experiment: the exposure
windows the receiver reported for that phone, and the distance between their seats. Seat
positions come from ``reference_node/lab/data/nhs-gaen-positions.json``, read off the data set's
seating diagrams; that file explains each layout and its assumptions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.windows import (
    ExposureWindow,
    Infectiousness,
    ReportType,
    ScanInstance,
)
from bluezone.reference_node.errors import RiskDataError

__all__ = [
    "LabelledEncounter",
    "load_nhs_encounters",
    "load_positions",
]

POSITIONS_NAME = "nhs-gaen-positions.json"
# Seats at most this far apart (and not a lower bound) are a close contact.
CLOSE_CONTACT_TOLERANCE_M = 1e-9


@dataclass(frozen=True, slots=True)
class LabelledEncounter:
    """What one phone (receiver) reported about another (sender), and their true distance.

    ``distance_m`` is the seat distance (NHS) or the median distance while both were present
    (simulation). ``receiver_model`` is the receiving phone's model when the source knows it;
    ``scan_distances_m``, when the source knows it, is the true distance at each scan
    instance, in window and scan order.
    """

    experiment: str
    scenario: str
    receiver: str
    sender: str
    distance_m: float
    distance_is_lower_bound: bool
    close_contact: bool
    windows: tuple[ExposureWindow, ...]
    receiver_model: str | None = None
    scan_distances_m: tuple[float, ...] = ()


def load_positions(path: Path | None = None) -> Mapping[str, Any]:
    """The seat positions document: the shipped one, or the JSON file at ``path``."""
    try:
        if path is None:
            text = (
                resources.files("bluezone.reference_node.lab")
                .joinpath("data", POSITIONS_NAME)
                .read_text()
            )
        else:
            text = Path(path).read_text(encoding="utf-8")
        document = json.loads(text)
        document["experiments"].items()
        float(document["close_contact_distance_m"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RiskDataError(f"positions file unreadable: {type(exc).__name__}") from exc
    return document


def load_nhs_encounters(
    directory: Path | str, positions: Mapping[str, Any] | None = None
) -> list[LabelledEncounter]:
    """Every (receiver, sender) pair of every positioned experiment under ``directory``.

    Receivers that reported no window at all (phones that did not take part as scanners)
    are left out; a pair the receiver reported no window for stays, with no windows.
    Raises RiskDataError when a file is missing or malformed.
    """
    document = positions if positions is not None else load_positions()
    limit = float(document["close_contact_distance_m"])
    encounters: list[LabelledEncounter] = []
    for name, layout in document["experiments"].items():
        data = _read_json(Path(directory) / layout["file"])
        reports = _windows_by_pair(data, name)
        seats = {device: tuple(map(float, xyz)) for device, xyz in layout["positions_m"].items()}
        frame_of = {d: i for i, frame in enumerate(layout["frames"]) for d in frame}
        receivers = sorted({r for r, _ in reports if r in seats})
        for receiver in receivers:
            for sender in sorted(seats):
                if sender == receiver:
                    continue
                distance = math.dist(seats[receiver], seats[sender])
                lower_bound = frame_of.get(receiver) != frame_of.get(sender)
                encounters.append(
                    LabelledEncounter(
                        experiment=name,
                        scenario=layout["scenario"],
                        receiver=receiver,
                        sender=sender,
                        distance_m=distance,
                        distance_is_lower_bound=lower_bound,
                        close_contact=(
                            not lower_bound and distance <= limit + CLOSE_CONTACT_TOLERANCE_M
                        ),
                        windows=reports.get((receiver, sender), ()),
                    )
                )
    return encounters


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RiskDataError(f"{path.name}: unreadable ({type(exc).__name__})") from exc


def _windows_by_pair(data: Any, name: str) -> dict[tuple[str, str], tuple[ExposureWindow, ...]]:
    """(receiver, sender) -> windows, for receivers that reported at least one window."""
    pairs: dict[tuple[str, str], list[ExposureWindow]] = {}
    try:
        for participant in data["participants"]:
            receiver = str(participant["deviceName"])
            for result in participant.get("results", []):
                for counterpart in result["counterparts"]:
                    sender = str(counterpart["deviceName"])
                    windows = [_window(w) for w in counterpart["exposureWindows"]]
                    if windows:
                        pairs.setdefault((receiver, sender), []).extend(windows)
    except (KeyError, TypeError, ValueError, ProtocolError) as exc:
        raise RiskDataError(f"{name}: malformed experiment ({type(exc).__name__})") from exc
    return {pair: tuple(windows) for pair, windows in pairs.items()}


def _window(value: Any) -> ExposureWindow:
    """One GAEN ExposureWindow of the data set as our window (RISK-9).

    The data set hard-sets the report type; every window is read as a confirmed test with HIGH
    infectiousness, so scorers weigh all encounters alike.
    """
    day = datetime.fromisoformat(value["date"].replace("Z", "+00:00")).astimezone(UTC)
    return ExposureWindow(
        day=(day - datetime(1970, 1, 1, tzinfo=UTC)).days,
        report_type=ReportType.CONFIRMED_TEST,
        infectiousness=Infectiousness.HIGH,
        calibration_confidence=0,
        scan_instances=_scans(value["scanInstances"]),
    )


def _scans(values: Sequence[Any]) -> tuple[ScanInstance, ...]:
    return tuple(
        ScanInstance(
            typical_attenuation_db=int(s["typicalAttenuationDb"]),
            min_attenuation_db=int(s["minAttenuationDb"]),
            seconds_since_last_scan=int(s["secondsSinceLastScan"]),
        )
        for s in values
    )
