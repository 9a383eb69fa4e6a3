"""The radio link between two simulated phones: the channel model plus bodies, pockets, fading.

Built on `bluezone.reference_node.radio.channel`: its `Channel` places the phones and gives the
log-distance mean power (its `PathLossModel` holds the environment's exponent, the
per-advertisement spread and the receiver sensitivity). This module adds, by composition,
what a room full of people does to the link (docs/risk.md lists every figure and its source):

    power = P_1m(sender) - 10 n log10(d) - losses + slow shadowing + fading + X

where P_1m is the sender's power at 1 m (its table TX power plus its hardware residual,
minus the attenuation at 1 m ATTENUATION_AT_1M_DB), ``losses`` are the two phones' carriage
losses, each body's shadowing of its own phone, third persons across the link and a bus deck
floor, the slow shadowing is a Gauss-Markov process per pair of phones (reciprocal), the
fading is Rician (Rayleigh without line of sight) per scan and advertising channel, and X is
the channel model's per-advertisement spread. A packet below the sensitivity is not heard;
the receiver reports the power minus its true RSSI offset, rounded to whole dBm.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

import numpy as np

from bluezone.reference_node.lab.sim.scenes import STEP_S, Person
from bluezone.reference_node.radio.channel import (
    RSSI_MAX_DBM,
    RSSI_MIN_DBM,
    Channel,
    PathLossModel,
    Placement,
    Position,
)

__all__ = [
    "ATTENUATION_AT_1M_DB",
    "ENVIRONMENTS",
    "WORLDS",
    "Environment",
    "Link",
    "environment",
]

# Attenuation of an unobstructed pair 1 m apart: the free-space loss at 1 m and 2.44 GHz,
# 20 log10(4 pi / lambda) = 40.2 dB (Friis); the table's TX powers and corrections absorb the
# phones' antenna gains.
ATTENUATION_AT_1M_DB = 40.2
# A torso between a phone and the other phone (link straight through the body).
BODY_LOSS_DB = 12.0
# A phone lying on a table is shadowed by its owner only for links passing the owner.
TABLE_BODY_FACTOR = 0.5
# A third person's torso (radius) close to the line between the two phones.
TORSO_RADIUS_M = 0.25
# BLE advertising channels 37, 38, 39: each fades on its own.
ADVERTISING_CHANNELS = 3


@dataclass(frozen=True, slots=True)
class Environment:
    """Propagation in one setting: the channel model plus the losses this module adds."""

    name: str
    path_loss: PathLossModel
    slow_shadowing_sd_db: float
    shadowing_time_constant_s: float
    rician_k_db: float | None
    crowd_loss_db: float
    floor_loss_db: float = 0.0


def _model(exponent: float) -> PathLossModel:
    return PathLossModel(
        exponent=exponent, shadowing_sigma_db=1.5, min_distance_m=0.1, sensitivity_dbm=-105.0
    )


# Per scene kind. Exponents: 2 in free space and outdoors, 1.6-1.8 in buildings with line of
# sight, higher with obstructions; below 2 in the metal tube of a bus (a waveguide).
ENVIRONMENTS: dict[str, Environment] = {
    "tables": Environment("pub or restaurant", _model(2.0), 3.0, 120.0, 3.0, 8.0),
    "office": Environment("office", _model(2.2), 3.0, 120.0, 6.0, 8.0),
    "bus": Environment("bus", _model(1.6), 4.0, 120.0, None, 6.0, floor_loss_db=15.0),
    "groups": Environment("outside", _model(2.0), 2.0, 120.0, 10.0, 10.0),
}
# Worlds the proximity profile does not assume (spec 5.8.1, test 3): ``steep``, a denser,
# absorbing indoor space (exponent 3.0 in the pub and the office); ``metal``, the bus as a
# metal tube with rich multipath (exponent 1.4, Rayleigh fading, slow shadowing 6 dB).
WORLDS = ("default", "steep", "metal")
STEEP_INDOOR_EXPONENT = 3.0
METAL_BUS_EXPONENT = 1.4
METAL_BUS_SHADOWING_DB = 6.0


def environment(kind: str, world: str = "default") -> Environment:
    """The radio environment of a scene of ``kind`` in ``world`` (one of WORLDS)."""
    env = ENVIRONMENTS[kind]
    if world == "steep" and kind in ("tables", "office"):
        return dataclasses.replace(env, path_loss=_model(STEEP_INDOOR_EXPONENT))
    if world == "metal" and kind == "bus":
        return dataclasses.replace(
            env,
            path_loss=_model(METAL_BUS_EXPONENT),
            rician_k_db=None,
            slow_shadowing_sd_db=METAL_BUS_SHADOWING_DB,
        )
    if world not in WORLDS:
        raise ValueError(f"unknown world {world!r}")
    return env


def fading_db(rician_k_db: float | None, rng: random.Random) -> float:
    """Power gain (dB, mean power 1) of a Rician channel with factor K (None: Rayleigh)."""
    k = 0.0 if rician_k_db is None else 10.0 ** (rician_k_db / 10.0)
    direct = math.sqrt(k / (k + 1.0))
    scattered = math.sqrt(1.0 / (2.0 * (k + 1.0)))
    real = direct + scattered * rng.gauss(0.0, 1.0)
    imaginary = scattered * rng.gauss(0.0, 1.0)
    return 10.0 * math.log10(max(real * real + imaginary * imaginary, 1e-6))


def own_body_loss_db(owner: Person, step: int, phone: tuple, other: tuple) -> float:
    """Loss from the owner's torso for the link from ``phone`` (the owner's) to ``other``.

    Full BODY_LOSS_DB when the link leaves the phone straight through the torso, nothing
    when it leaves away from it, a linear ramp in between (cosine 0.2 down to -1).
    """
    torso = owner.position[step]
    away = (phone[0] - torso[0], phone[1] - torso[1])
    link = (other[0] - phone[0], other[1] - phone[1])
    norms = math.hypot(*away) * math.hypot(*link)
    if norms == 0.0:
        return 0.0
    cosine = (away[0] * link[0] + away[1] * link[1]) / norms
    share = min(max((0.2 - cosine) / 1.2, 0.0), 1.0)
    factor = 1.0 if owner.carriage.on_body else TABLE_BODY_FACTOR
    return BODY_LOSS_DB * factor * share


def crowd_loss_db(
    env: Environment, people: tuple[Person, ...], step: int, a: tuple, b: tuple, ends: set[str]
) -> float:
    """Loss from third persons' torsos near the line between phones ``a`` and ``b``."""
    loss = 0.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return 0.0
    for person in people:
        if person.name in ends or not person.present[step]:
            continue
        x, y, z = person.position[step]
        if abs(z - a[2]) > 1.5 and abs(z - b[2]) > 1.5:
            continue  # another deck
        t = ((x - a[0]) * dx + (y - a[1]) * dy) / length2
        if not 0.0 < t < 1.0:
            continue
        gap = math.hypot(a[0] + t * dx - x, a[1] + t * dy - y)
        if gap < TORSO_RADIUS_M:
            loss += env.crowd_loss_db * (1.0 - gap / TORSO_RADIUS_M)
    return loss


class Link:
    """The simulated radio of one scene: received powers between its people's phones.

    ``rng`` is the only source of randomness; the same seed and call order repeat a run.
    """

    def __init__(self, env: Environment, people: tuple[Person, ...], rng: random.Random) -> None:
        self.env = env
        self.people = people
        self.rng = rng
        self.channel = Channel(env.path_loss, rng)
        self._shadowing: dict[frozenset[str], np.ndarray] = {}

    def slow_shadowing_db(self, a: Person, b: Person, step: int) -> float:
        """The pair's slow shadowing at ``step`` (the same both ways: reciprocity)."""
        key = frozenset((a.name, b.name))
        series = self._shadowing.get(key)
        if series is None:
            memory = math.exp(-STEP_S / self.env.shadowing_time_constant_s)
            innovation = self.env.slow_shadowing_sd_db * math.sqrt(1.0 - memory**2)
            normal = np.random.default_rng(self.rng.getrandbits(64)).standard_normal(len(a.present))
            series = np.empty(len(a.present))
            series[0] = self.env.slow_shadowing_sd_db * float(normal[0])
            for i in range(1, len(series)):
                series[i] = memory * series[i - 1] + innovation * float(normal[i])
            self._shadowing[key] = series
        return float(series[step])

    def scan(self, sender: Person, receiver: Person, step: int, packets: int) -> list[int]:
        """RSSIs (dBm, as the receiver reports them) of the packets it hears in one scan."""
        phone_s, phone_r = sender.phone_position(step), receiver.phone_position(step)
        tx = sender.device
        power_1m = tx.row.tx_power + tx.tx_residual_db - ATTENUATION_AT_1M_DB
        self.channel.place(sender.name, Placement(Position(*phone_s), power_1m))
        self.channel.place(receiver.name, Placement(Position(*phone_r)))
        losses = (
            sender.carriage_loss_db
            + receiver.carriage_loss_db
            + own_body_loss_db(sender, step, phone_s, phone_r)
            + own_body_loss_db(receiver, step, phone_r, phone_s)
            + crowd_loss_db(
                self.env, self.people, step, phone_s, phone_r, {sender.name, receiver.name}
            )
        )
        if abs(sender.position[step][2] - receiver.position[step][2]) > 1.0:
            losses += self.env.floor_loss_db
        mean = self.channel.mean_rssi(sender.name, receiver.name) - losses
        mean += self.slow_shadowing_db(sender, receiver, step)
        fades = [fading_db(self.env.rician_k_db, self.rng) for _ in range(ADVERTISING_CHANNELS)]
        offset = receiver.device.row.rssi_correction + receiver.device.rx_residual_db
        heard = []
        for _ in range(packets):
            power = mean + self.rng.choice(fades)
            power += self.rng.gauss(0.0, self.env.path_loss.shadowing_sigma_db)
            if power < self.env.path_loss.sensitivity_dbm:
                continue
            heard.append(min(max(round(power - offset), RSSI_MIN_DBM), RSSI_MAX_DBM))
        return heard
