"""The node's chaff: a token request then an upload, at random times (spec DENY-3).

Under virtual time a simulated week takes a moment; a fake client records what was sent.
The real server's answer to chaff is tested in tests/reference_node/server/test_deniability.py.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics

import pytest

from bluezone.protocol.params import CHAFF_MAX_PAUSE_S, CHAFF_RANDOM_BYTES
from bluezone.protocol.upload import chaff_schedule
from bluezone.reference_node.errors import NodeConfigError
from bluezone.reference_node.node.runtime import Node, NodeConfig
from bluezone.reference_node.node.scanning import DutyCycle
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.sim import SimMedium
from bluezone.reference_node.server.errors import ClientError
from bluezone.reference_node.vtime import clock as vclock
from bluezone.reference_node.vtime.inline import open_inline_store

URL = "http://keys.test"
START = 1_764_000_000.0
HOUR = 3600.0


class ChaffRecorder:
    """Stands in for the key-server client; records each chaff with its (virtual) time."""

    def __init__(self, failing: bool = False) -> None:
        self.sent: list[tuple[str, float]] = []
        self.failing = failing

    def client(self, url: str) -> ChaffRecorder:
        assert url == URL
        return self

    async def __aenter__(self) -> ChaffRecorder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def send_chaff_token(self) -> None:
        self.sent.append(("token", asyncio.get_running_loop().time()))
        if self.failing:
            raise ClientError("cannot reach the key server")

    async def send_chaff_upload(self) -> None:
        self.sent.append(("upload", asyncio.get_running_loop().time()))


def _run_node(
    tmp_path, recorder: ChaffRecorder, seed: int, duration_s: float, name: str = "node"
) -> Node:
    channel = Channel(PathLossModel(), random.Random(1))
    channel.place("a", Placement(Position(0, 0)))
    medium = SimMedium(channel)

    async def scenario() -> Node:
        store = open_inline_store(tmp_path / name)
        node = Node(
            NodeConfig(
                name="a",
                duty_cycle=DutyCycle.always(600.0),
                status_interval_s=None,
                chaff_server=URL,
                chaff_every_s=2 * HOUR,
            ),
            radio=medium.radio("a"),
            store=store,
            random_bytes=random.Random(seed).randbytes,
            client_factory=recorder.client,
        )
        async with node:
            await asyncio.sleep(duration_s)
        await store.close()
        return node

    return vclock.run(scenario(), wall_start=START)


def test_a_node_sends_chaff_pairs_on_a_random_schedule(tmp_path):
    recorder = ChaffRecorder()
    node = _run_node(tmp_path, recorder, seed=4, duration_s=2 * 24 * HOUR)
    kinds = [kind for kind, _ in recorder.sent]
    # Pairs: a token request, then an upload after a pause of at most 2 hours.
    assert kinds[: len(kinds) // 2 * 2] == ["token", "upload"] * (len(kinds) // 2)
    times = [t for _, t in recorder.sent]
    pauses = [times[i + 1] - times[i] for i in range(0, len(times) - 1, 2)]
    assert all(0 <= p < CHAFF_MAX_PAUSE_S for p in pauses)
    # Two days at a mean gap of 2 h plus a mean pause of 1 h: about 16 pairs.
    assert 6 <= node.chaff_sent <= 40
    starts = [times[i] for i in range(0, len(times), 2)]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(set(gaps)) == len(gaps)  # drawn afresh every time


def test_the_schedule_is_the_same_for_the_same_draws(tmp_path):
    first, second = ChaffRecorder(), ChaffRecorder()
    _run_node(tmp_path, first, seed=9, duration_s=24 * HOUR, name="first")
    _run_node(tmp_path, second, seed=9, duration_s=24 * HOUR, name="second")
    assert first.sent == second.sent and first.sent


def test_chaff_that_does_not_arrive_stops_nothing(tmp_path):
    recorder = ChaffRecorder(failing=True)
    node = _run_node(tmp_path, recorder, seed=4, duration_s=24 * HOUR)
    assert node.chaff_sent >= 3
    assert {kind for kind, _ in recorder.sent} == {"token"}  # the upload is skipped


def test_gaps_are_exponential_with_the_configured_mean():
    rng = random.Random(1)
    draws = [chaff_schedule(rng.randbytes(CHAFF_RANDOM_BYTES), 100.0) for _ in range(4000)]
    gaps = [gap for gap, _ in draws]
    assert 90 < statistics.mean(gaps) < 110
    assert 60 < statistics.median(gaps) < 79  # ln 2 x mean for an exponential
    assert all(0 <= pause < CHAFF_MAX_PAUSE_S for _, pause in draws)


def test_chaff_needs_a_server_and_a_positive_mean():
    with pytest.raises(NodeConfigError):
        NodeConfig(chaff_server=URL)
    with pytest.raises(NodeConfigError):
        NodeConfig(chaff_every_s=60.0)
    with pytest.raises(NodeConfigError):
        NodeConfig(chaff_server=URL, chaff_every_s=0.0)
