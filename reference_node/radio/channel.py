"""The radio channel of simulations: log-distance path loss with log-normal shadowing.

The received power of one advertisement from node ``tx`` at node ``rx``, ``d`` metres apart,
is

    RSSI = P_1m(tx) - 10 * n * log10(max(d, d_min) / 1 m) + X,   X ~ Normal(0, sigma^2)

where ``P_1m`` is the transmitter's received power at 1 m (its calibrated "TX power at 1 m"),
``n`` the path loss exponent (2 in free space, about 1.6-3.5 indoors) and ``sigma`` the
shadowing spread in dB, drawn afresh for every advertisement. The result is rounded to a
whole dBm, clamped to the HCI range, and advertisements below the receiver sensitivity are
not heard. The same model serves the bumble virtual link and the ``sim`` medium, so both
backends hear the same thing; the random generator is passed in so a seeded run repeats.
"""

from __future__ import annotations

import dataclasses
import math
import random

from bluezone.reference_node.errors import ChannelError

# HCI reports RSSI as a signed octet in -127..+20 dBm (Core Spec Vol 4 Part E 7.7.65.2).
RSSI_MIN_DBM = -127
RSSI_MAX_DBM = 20


@dataclasses.dataclass(frozen=True, slots=True)
class Position:
    """A point in metres."""

    x: float
    y: float
    z: float = 0.0

    def distance_to(self, other: Position) -> float:
        """Euclidean distance in metres."""
        return math.dist((self.x, self.y, self.z), (other.x, other.y, other.z))


@dataclasses.dataclass(frozen=True, slots=True)
class PathLossModel:
    """Parameters of the log-distance model with log-normal shadowing (all in dB, m).

    exponent: path loss exponent n.
    shadowing_sigma_db: standard deviation of the per-advertisement shadowing term.
    min_distance_m: distances below this count as this (the model diverges at 0).
    sensitivity_dbm: advertisements received below this power are not heard.
    """

    exponent: float = 2.0
    shadowing_sigma_db: float = 4.0
    min_distance_m: float = 0.1
    sensitivity_dbm: float = -100.0

    def __post_init__(self) -> None:
        if not self.exponent > 0:
            raise ChannelError(f"path loss exponent must be positive, got {self.exponent}")
        if not self.shadowing_sigma_db >= 0:
            raise ChannelError("shadowing sigma must be >= 0 dB")
        if not self.min_distance_m > 0:
            raise ChannelError("minimum distance must be positive")

    def mean_rssi(self, tx_power_at_1m_dbm: float, distance_m: float) -> float:
        """The expected received power in dBm (before shadowing, rounding and clamping)."""
        d = max(distance_m, self.min_distance_m)
        return tx_power_at_1m_dbm - 10.0 * self.exponent * math.log10(d)


@dataclasses.dataclass(frozen=True, slots=True)
class Placement:
    """Where a node is and how strongly it transmits (received power at 1 m, in dBm)."""

    position: Position
    tx_power_at_1m_dbm: float = -59.0


class Channel:
    """The shared medium's propagation: placements per node and a seeded random source.

    Nodes are named by strings. `sample_rssi` draws one advertisement's RSSI; it uses
    only ``rng``, so the same seed and the same call order give the same values.
    """

    def __init__(self, model: PathLossModel, rng: random.Random) -> None:
        self.model = model
        self.rng = rng
        self._placements: dict[str, Placement] = {}
        # mean RSSI per (tx, rx): a crowd samples the same pairs hundreds of thousands of times
        self._mean_cache: dict[tuple[str, str], float] = {}

    def place(self, node: str, placement: Placement) -> None:
        """Put ``node`` at ``placement`` (replacing any previous one)."""
        self._placements[node] = placement
        self._mean_cache.clear()

    def move(self, node: str, position: Position) -> None:
        """Move a placed node, keeping its transmit power."""
        self.place(node, dataclasses.replace(self.placement(node), position=position))

    def placement(self, node: str) -> Placement:
        """The placement of ``node``; ChannelError if it was never placed."""
        try:
            return self._placements[node]
        except KeyError:
            raise ChannelError(f"node {node!r} has no placement on the channel") from None

    def distance(self, tx: str, rx: str) -> float:
        """Metres between two placed nodes."""
        return self.placement(tx).position.distance_to(self.placement(rx).position)

    def mean_rssi(self, tx: str, rx: str) -> float:
        """The expected RSSI in dBm at ``rx`` of an advertisement from ``tx``."""
        mean = self._mean_cache.get((tx, rx))
        if mean is None:
            placement = self.placement(tx)
            mean = self.model.mean_rssi(placement.tx_power_at_1m_dbm, self.distance(tx, rx))
            self._mean_cache[tx, rx] = mean
        return mean

    def sample_rssi(self, tx: str, rx: str) -> int | None:
        """One advertisement's RSSI at ``rx`` in whole dBm, or None if it is not heard."""
        model = self.model
        power = self.mean_rssi(tx, rx)
        if model.shadowing_sigma_db:
            power += self.rng.gauss(0.0, model.shadowing_sigma_db)
        if power < model.sensitivity_dbm:
            return None
        return min(max(round(power), RSSI_MIN_DBM), RSSI_MAX_DBM)
