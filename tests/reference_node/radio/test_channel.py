"""The log-distance path-loss channel with log-normal shadowing."""

from __future__ import annotations

import random
import statistics

import pytest

from bluezone.reference_node.errors import ChannelError
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position


def channel(model: PathLossModel, seed: int = 1, **positions: tuple[float, float]) -> Channel:
    result = Channel(model, random.Random(seed))
    for node, (x, y) in positions.items():
        result.place(node, Placement(Position(x, y), tx_power_at_1m_dbm=-60.0))
    return result


@pytest.mark.parametrize(
    ("exponent", "distance", "expected"),
    [(2.0, 1.0, -60.0), (2.0, 10.0, -80.0), (3.0, 10.0, -90.0), (2.0, 100.0, -100.0)],
)
def test_mean_rssi_is_log_distance(exponent, distance, expected):
    model = PathLossModel(exponent=exponent)
    assert model.mean_rssi(-60.0, distance) == pytest.approx(expected)


def test_distances_below_the_minimum_count_as_the_minimum():
    model = PathLossModel(min_distance_m=0.1)
    assert model.mean_rssi(-60.0, 0.0) == model.mean_rssi(-60.0, 0.1) == pytest.approx(-40.0)


def test_without_shadowing_samples_are_the_rounded_mean():
    ch = channel(PathLossModel(shadowing_sigma_db=0.0), a=(0, 0), b=(3, 4))
    assert ch.distance("a", "b") == 5.0
    assert {ch.sample_rssi("a", "b") for _ in range(10)} == {round(-60 - 20 * 0.69897)}


def test_shadowing_is_gaussian_around_the_mean():
    ch = channel(PathLossModel(shadowing_sigma_db=6.0, sensitivity_dbm=-200), a=(0, 0), b=(10, 0))
    samples = [ch.sample_rssi("a", "b") for _ in range(20_000)]
    assert statistics.fmean(samples) == pytest.approx(-80.0, abs=0.15)
    assert statistics.stdev(samples) == pytest.approx(6.0, abs=0.15)


def test_below_sensitivity_is_not_heard_and_values_stay_in_hci_range():
    ch = channel(PathLossModel(shadowing_sigma_db=0.0, sensitivity_dbm=-90), a=(0, 0), far=(100, 0))
    assert ch.sample_rssi("a", "far") is None
    loud = Channel(PathLossModel(shadowing_sigma_db=0.0), random.Random(1))
    loud.place("tx", Placement(Position(0, 0), tx_power_at_1m_dbm=40.0))
    loud.place("rx", Placement(Position(0, 0)))
    assert loud.sample_rssi("tx", "rx") == 20


def test_same_seed_same_samples():
    def draw(seed):
        ch = channel(PathLossModel(), seed, a=(0, 0), b=(2, 0))
        return [ch.sample_rssi("a", "b") for _ in range(100)]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_move_keeps_transmit_power():
    ch = channel(PathLossModel(shadowing_sigma_db=0.0), a=(0, 0), b=(1, 0))
    ch.move("b", Position(10, 0))
    assert ch.mean_rssi("a", "b") == pytest.approx(-80.0)
    assert ch.placement("b").tx_power_at_1m_dbm == -60.0


def test_unplaced_nodes_and_bad_parameters_raise_channel_error():
    ch = channel(PathLossModel(), a=(0, 0))
    with pytest.raises(ChannelError):
        ch.sample_rssi("a", "nobody")
    for bad in ({"exponent": 0}, {"shadowing_sigma_db": -1}, {"min_distance_m": 0}):
        with pytest.raises(ChannelError):
            PathLossModel(**bad)
