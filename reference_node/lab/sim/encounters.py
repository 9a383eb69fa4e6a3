"""Labelled encounters from simulated scenes: scans, exposure windows and the truth.

Every phone scans for SCAN_WINDOW_S seconds every SCAN_PERIOD_MIN_S..SCAN_PERIOD_MAX_S
seconds (ADV-13) while its owner is in the scene, and hears the other phones' advertisements
(one every 200-270 ms, ADV-2) through `link.Link`. Each packet's attenuation is computed as a
real receiver would (RISK-3: the sender's table TX power from its metadata, the receiver's
own table correction), and the protocol's own aggregation (RISK-4, RISK-5) turns the scans
into exposure windows. The label is the ground truth of the scene: a close contact spent at
least 15 minutes within 2 m of the other person.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from bluezone.protocol.params import (
    ADVERTISING_INTERVAL_MAX_MS,
    ADVERTISING_INTERVAL_MIN_MS,
    SCAN_PERIOD_MAX_S,
    SCAN_PERIOD_MIN_S,
    SCAN_WINDOW_S,
    SECONDS_PER_DAY,
)
from bluezone.protocol.risk.aggregation import (
    DiagnosisKeysDataMapping,
    KeyReport,
    Scan,
    ScanSighting,
    exposure_windows,
)
from bluezone.protocol.risk.attenuation import attenuation
from bluezone.protocol.risk.calibration import CalibrationTable
from bluezone.protocol.risk.windows import Infectiousness, ReportType
from bluezone.reference_node.lab.nhs_data import LabelledEncounter
from bluezone.reference_node.lab.sim.devices import DevicePopulation, draw_population
from bluezone.reference_node.lab.sim.link import Link, environment
from bluezone.reference_node.lab.sim.scenes import SCENE_KINDS, STEP_S, Person, Scene, draw_scene

__all__ = ["SimulationConfig", "scene_encounters", "simulate_encounters", "simulate_seed"]

# Share of advertising events a scanning phone catches (it listens on one of three channels
# at a time, and duty-cycles within its scan window).
CATCH_PROBABILITY = 0.5
# Every sender is a confirmed case with HIGH infectiousness, as the NHS data are read: the
# scorers then differ only in how they read the radio.
_KEY = KeyReport(ReportType.CONFIRMED_TEST, None)
_MAPPING = DiagnosisKeysDataMapping(
    infectiousness_when_days_since_onset_missing=Infectiousness.HIGH
)
# Scenes start at 10:00 UTC, so two hours never cross midnight (RISK-5).
_SCENE_START_S = 10 * 3600


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """How many scenes to draw and what counts as a close contact."""

    scenes: int = 40
    close_contact_distance_m: float = 2.0
    close_contact_minutes: float = 15.0
    first_day: int = 19000
    world: str = "default"


def simulate_seed(
    table: CalibrationTable, config: SimulationConfig, seed: int, prefix: str
) -> list[LabelledEncounter]:
    """Encounters of the scenes of ``seed``, whose phones are drawn with the same seed: two
    seeds share no phone population (a model drawn by both has independent residuals)."""
    rng = random.Random(seed)
    return simulate_encounters(draw_population(table, rng), config, rng, prefix)


def simulate_encounters(
    population: DevicePopulation, config: SimulationConfig, rng: random.Random, prefix: str
) -> list[LabelledEncounter]:
    """Encounters of ``config.scenes`` scenes, the kinds in turn, named ``prefix``-KIND-N."""
    encounters: list[LabelledEncounter] = []
    for index in range(config.scenes):
        kind = SCENE_KINDS[index % len(SCENE_KINDS)]
        scene = draw_scene(f"{prefix}-{kind}-{index}", kind, population, rng)
        encounters.extend(scene_encounters(scene, config, config.first_day + index, rng))
    return encounters


def scene_encounters(
    scene: Scene, config: SimulationConfig, day: int, rng: random.Random
) -> list[LabelledEncounter]:
    """Every (receiver, sender) pair of the scene that shared it for at least one step."""
    link = Link(environment(scene.kind, config.world), scene.people, rng)
    start_s = day * SECONDS_PER_DAY + _SCENE_START_S
    encounters = []
    for receiver in scene.people:
        scan_steps = _scan_steps(receiver, rng)
        for sender in scene.people:
            together = receiver.present & sender.present
            if sender is receiver or not together.any():
                continue
            distance = np.linalg.norm(receiver.position - sender.position, axis=1)
            close = together & (distance <= config.close_contact_distance_m)
            scans, heard_steps = _scans(link, sender, receiver, scan_steps, start_s)
            windows = exposure_windows(scans, [_KEY], _MAPPING)
            encounters.append(
                LabelledEncounter(
                    experiment=scene.name,
                    scenario=scene.kind,
                    receiver=f"{scene.name}/{receiver.name}",
                    sender=f"{scene.name}/{sender.name}",
                    distance_m=float(np.median(distance[together])),
                    distance_is_lower_bound=False,
                    close_contact=bool(close.sum() * STEP_S / 60 >= config.close_contact_minutes),
                    windows=windows,
                    receiver_model=receiver.device.name,
                    scan_distances_m=tuple(float(distance[s]) for s in heard_steps),
                )
            )
    return encounters


def _scan_steps(receiver: Person, rng: random.Random) -> list[tuple[int, int]]:
    """(second, step) of each scan the receiver makes while present."""
    scans = []
    second = rng.uniform(0, SCAN_PERIOD_MAX_S)
    while second < len(receiver.present) * STEP_S:
        step = int(second // STEP_S)
        if receiver.present[step]:
            scans.append((int(second), step))
        second += rng.uniform(SCAN_PERIOD_MIN_S, SCAN_PERIOD_MAX_S)
    return scans


def _scans(
    link: Link, sender: Person, receiver: Person, scan_steps: list[tuple[int, int]], start_s: int
) -> tuple[list[Scan], list[int]]:
    """The receiver's scans with the sender's packets as sightings of key 0, and the steps
    of the scans that heard it (one per scan instance, in order)."""
    tx_power = sender.device.row.tx_power
    correction = receiver.device.row.rssi_correction
    confidence = sender.device.row.confidence
    scans, heard_steps = [], []
    for second, step in scan_steps:
        sightings: tuple[ScanSighting, ...] = ()
        if sender.present[step]:
            interval_s = rng_interval(link.rng)
            events = math.floor(SCAN_WINDOW_S / interval_s)
            packets = sum(link.rng.random() < CATCH_PROBABILITY for _ in range(events))
            sightings = tuple(
                ScanSighting(0, attenuation(tx_power, rssi, correction), confidence)
                for rssi in link.scan(sender, receiver, step, packets)
            )
        if sightings:
            heard_steps.append(step)
        scans.append(Scan(start_s + second, sightings))
    return scans, heard_steps


def rng_interval(rng: random.Random) -> float:
    """One advertising interval in seconds (ADV-2)."""
    return rng.uniform(ADVERTISING_INTERVAL_MIN_MS, ADVERTISING_INTERVAL_MAX_MS) / 1000.0
