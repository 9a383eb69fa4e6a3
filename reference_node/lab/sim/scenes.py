"""Where simulated people are, which way they face, how they carry their phone, over time.

A scene is a few people in one setting for up to two hours, sampled every STEP_S seconds:
tables in a pub or restaurant, desks in an office, seats of a (double-decker) bus, and
people standing in groups that reshuffle (a barbecue, a party, a queue). Layout sizes,
arrival and stay times are drawn from the seeded generator passed in; the settings echo the
NHS experiments (pub, office, bus, outside) without copying their seating.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bluezone.reference_node.lab.sim.devices import DeviceModel, DevicePopulation

__all__ = [
    "CARRIAGE_LOSS_DB",
    "SCENE_KINDS",
    "STEP_S",
    "Carriage",
    "Person",
    "Scene",
    "draw_scene",
]

STEP_S = 10
SCENE_SECONDS = 2 * 3600
STEPS = SCENE_SECONDS // STEP_S
# Slow sway of a seated or standing person around their place (AR(1) per step), metres.
SWAY_M = 0.08
SWAY_MEMORY = 0.95
# Guests staying longer than this (steps) may visit another table.
VISIT_MIN_STAY_STEPS = 20 * 60 // STEP_S


class Carriage(enum.Enum):
    """Where a phone is. Value: (forward, lateral, height) of the phone from the body, m."""

    HAND = (0.25, 0.1, 1.0)
    TABLE = (0.35, 0.0, 0.75)
    FRONT_POCKET = (0.12, 0.1, 0.6)
    BACK_POCKET = (-0.15, 0.1, 0.6)
    BAG = (0.0, 0.3, 0.5)

    @property
    def on_body(self) -> bool:
        """Whether the body carries the phone (a phone on a table is not shadowed as much)."""
        return self is not Carriage.TABLE


# Loss of each way of carrying, dB, drawn uniformly in this range once per person (see
# docs/risk.md for the sources): a hand detunes the antenna, a pocket or a bag puts cloth,
# keys and the body against it.
CARRIAGE_LOSS_DB: dict[Carriage, tuple[float, float]] = {
    Carriage.HAND: (0.0, 6.7),
    Carriage.TABLE: (0.0, 0.0),
    Carriage.FRONT_POCKET: (4.0, 10.0),
    Carriage.BACK_POCKET: (4.0, 10.0),
    Carriage.BAG: (3.0, 12.0),
}


@dataclass(frozen=True, slots=True, eq=False)
class Person:
    """One person over the scene: body position (x, y, z of the floor), facing, presence.

    Arrays hold one value per step; ``facing`` in radians (0 = +x); ``present`` says whether
    the person (and their phone) is in the scene at that step.
    """

    name: str
    device: DeviceModel
    carriage: Carriage
    carriage_loss_db: float
    position: np.ndarray
    facing: np.ndarray
    present: np.ndarray

    def phone_position(self, step: int) -> tuple[float, float, float]:
        """Where the phone is at ``step``, metres."""
        forward, lateral, height = self.carriage.value
        x, y, z = self.position[step]
        angle = self.facing[step]
        return (
            x + forward * math.cos(angle) - lateral * math.sin(angle),
            y + forward * math.sin(angle) + lateral * math.cos(angle),
            z + height,
        )


@dataclass(frozen=True, slots=True, eq=False)
class Scene:
    """People in one setting; ``kind`` names the setting and its radio environment."""

    name: str
    kind: str
    people: tuple[Person, ...]

    @property
    def steps(self) -> int:
        """Number of time steps."""
        return STEPS


@dataclass(frozen=True, slots=True)
class _Stay:
    """One person's place and time: seat (x, y, z), facing, and steps [start, end)."""

    seat: tuple[float, float, float]
    facing: float
    start: int
    end: int


def _minutes(rng: random.Random, low: float, high: float) -> int:
    """A uniform duration in minutes, as whole steps."""
    return round(rng.uniform(low, high) * 60 / STEP_S)


def _carriage(rng: random.Random, seated_at_table: bool) -> Carriage:
    """How a person carries the phone; at tables and desks many put it down."""
    if seated_at_table and rng.random() < 0.35:
        return Carriage.TABLE
    return rng.choices(
        (Carriage.HAND, Carriage.FRONT_POCKET, Carriage.BACK_POCKET, Carriage.BAG),
        weights=(0.25, 0.35, 0.2, 0.2),
    )[0]


def _track(stays: list[_Stay], rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position, facing and presence arrays from a person's stays, with sway."""
    position = np.zeros((STEPS, 3))
    facing = np.zeros(STEPS)
    present = np.zeros(STEPS, dtype=bool)
    sway = np.zeros(2)
    for stay in stays:
        for step in range(max(stay.start, 0), min(stay.end, STEPS)):
            sway = SWAY_MEMORY * sway + math.sqrt(1 - SWAY_MEMORY**2) * SWAY_M * np.array(
                [rng.gauss(0, 1), rng.gauss(0, 1)]
            )
            position[step] = (stay.seat[0] + sway[0], stay.seat[1] + sway[1], stay.seat[2])
            facing[step] = stay.facing + rng.gauss(0.0, 0.15)
            present[step] = True
    return position, facing, present


def _person(
    name: str,
    stays: list[_Stay],
    population: DevicePopulation,
    rng: random.Random,
    seated_at_table: bool,
) -> Person:
    position, facing, present = _track(stays, rng)
    carriage = _carriage(rng, seated_at_table)
    loss = rng.uniform(*CARRIAGE_LOSS_DB[carriage])
    return Person(name, population.draw(rng), carriage, loss, position, facing, present)


def _facing_towards(seat: tuple[float, float], target: tuple[float, float]) -> float:
    return math.atan2(target[1] - seat[1], target[0] - seat[0])


def _tables(rng: random.Random, population: DevicePopulation) -> list[Person]:
    """Tables of four in a grid (a pub, a restaurant); some guests visit another table."""
    columns, rows = rng.randint(2, 3), 2
    pitch_x, pitch_y = rng.uniform(1.8, 3.4), rng.uniform(2.0, 3.6)
    across, beside = rng.uniform(1.0, 2.0), rng.uniform(0.6, 0.8)
    tables = [(c * pitch_x, r * pitch_y) for c in range(columns) for r in range(rows)]
    people: list[Person] = []
    for tx, ty in tables:
        for sx in (-beside / 2, beside / 2):
            for sy in (-across / 2, across / 2):
                if rng.random() > 0.8:
                    continue
                seat = (tx + sx, ty + sy)
                start = _minutes(rng, 0, 50)
                end = start + _minutes(rng, 10, 100)
                stays = [_Stay((*seat, 0.0), _facing_towards(seat, (seat[0], ty)), start, end)]
                if rng.random() < 0.3 and end - start > VISIT_MIN_STAY_STEPS:
                    stays = _visit(stays[0], tables, (tx, ty), rng)
                people.append(_person(f"p{len(people)}", stays, population, rng, True))
    return people


def _visit(
    stay: _Stay, tables: list[tuple[float, float]], own: tuple[float, float], rng: random.Random
) -> list[_Stay]:
    """Split a stay: 5-15 minutes standing at another table, then back to the seat."""
    other = rng.choice([t for t in tables if t != own])
    leave = rng.randint(stay.start + 1, stay.end - 1)
    back = min(leave + _minutes(rng, 5, 15), stay.end)
    spot = (other[0] + rng.uniform(-0.5, 0.5), other[1] + rng.choice((-1, 1)) * 1.2)
    return [
        _Stay(stay.seat, stay.facing, stay.start, leave),
        _Stay((*spot, 0.0), _facing_towards(spot, other), leave, back),
        _Stay(stay.seat, stay.facing, back, stay.end),
    ]


def _office(rng: random.Random, population: DevicePopulation) -> list[Person]:
    """Desks in a grid, in facing pairs or all facing one way; some leave for a meeting."""
    columns, rows = 3, 3
    pitch_x, pitch_y = rng.uniform(1.4, 2.4), rng.uniform(1.6, 3.0)
    facing_pairs = rng.random() < 0.5
    people: list[Person] = []
    for c in range(columns):
        for r in range(rows):
            if rng.random() > 0.8:
                continue
            seat = (c * pitch_x, r * pitch_y, 0.0)
            facing = -math.pi / 2 if facing_pairs and r % 2 else math.pi / 2
            start = _minutes(rng, 0, 20)
            stays = [_Stay(seat, facing, start, STEPS)]
            if rng.random() < 0.4:
                away = rng.randint(start, STEPS - 1)
                stays = [
                    _Stay(seat, facing, start, away),
                    _Stay(seat, facing, away + _minutes(rng, 10, 40), STEPS),
                ]
            people.append(_person(f"p{len(people)}", stays, population, rng, True))
    return people


# Seat columns of a bus (2 + 2 with an aisle), seat row pitch, and the upper deck's floor.
BUS_SEAT_X = (-0.7, -0.25, 0.25, 0.7)
BUS_ROW_PITCH_M = 0.8
BUS_UPPER_DECK_Z_M = 1.9


def _bus(rng: random.Random, population: DevicePopulation) -> list[Person]:
    """Passengers boarding and leaving at stops; seated facing forward; maybe two decks."""
    decks = 2 if rng.random() < 0.35 else 1
    seats = [
        (x, row * BUS_ROW_PITCH_M, deck * BUS_UPPER_DECK_Z_M)
        for deck in range(decks)
        for row in range(10)
        for x in BUS_SEAT_X
    ]
    rng.shuffle(seats)
    stop_every = _minutes(rng, 2, 4)
    people: list[Person] = []
    for seat in seats[: rng.randint(8, 16)]:
        start = rng.randint(0, 12) * stop_every
        end = start + max(stop_every, _minutes(rng, 3, 40) // stop_every * stop_every)
        stays = [_Stay(seat, math.pi / 2, start, end)]
        people.append(_person(f"p{len(people)}", stays, population, rng, False))
    return people


def _groups(rng: random.Random, population: DevicePopulation) -> list[Person]:
    """People standing in groups that reshuffle every 5-15 minutes (outside, a party)."""
    count = rng.randint(6, 12)
    centres = [(rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(max(2, count // 3))]
    people: list[Person] = []
    for _ in range(count):
        start = _minutes(rng, 0, 40)
        end = min(STEPS, start + _minutes(rng, 20, 110))
        stays: list[_Stay] = []
        step = start
        while step < end:
            centre = rng.choice(centres)
            angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0.4, 1.0)
            spot = (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
            stay_end = min(end, step + _minutes(rng, 5, 15))
            stays.append(_Stay((*spot, 0.0), _facing_towards(spot, centre), step, stay_end))
            step = stay_end
        people.append(_person(f"p{len(people)}", stays, population, rng, False))
    return people


_BUILDERS: dict[str, Callable[[random.Random, DevicePopulation], list[Person]]] = {
    "tables": _tables,
    "office": _office,
    "bus": _bus,
    "groups": _groups,
}
SCENE_KINDS = tuple(_BUILDERS)


def draw_scene(name: str, kind: str, population: DevicePopulation, rng: random.Random) -> Scene:
    """A scene of ``kind`` (one of SCENE_KINDS) with phones drawn from ``population``."""
    return Scene(name, kind, tuple(_BUILDERS[kind](rng, population)))
