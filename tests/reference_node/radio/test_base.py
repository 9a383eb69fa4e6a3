"""Sighting streams: fan-out, ending, and the bound on a stalled subscriber."""

from __future__ import annotations

import asyncio

from bluezone.reference_node.radio.base import Sighting, SightingHub


def sighting(n: int) -> Sighting:
    return Sighting(float(n), 1e9 + n, "3A:1F:00:9C:12:7E", "random", -60, bytes([n]), None, "t")


def test_every_stream_gets_every_sighting_until_the_hub_closes():
    async def main():
        hub = SightingHub()
        first, second = hub.subscribe(), hub.subscribe()
        got: list[list[Sighting]] = [[], []]

        async def consume(stream, into):
            async for s in stream:
                into.append(s)

        streams = (first, second)
        tasks = [asyncio.create_task(consume(s, g)) for s, g in zip(streams, got, strict=True)]
        for n in range(5):
            hub.publish(sighting(n))
            await asyncio.sleep(0)
        hub.close()
        await asyncio.gather(*tasks)
        late = hub.subscribe()
        return got, [s async for s in late]

    got, late = asyncio.run(main())
    assert got[0] == got[1] == [sighting(n) for n in range(5)]
    assert late == []


def test_a_closed_stream_stops_receiving_but_keeps_what_it_had():
    hub = SightingHub()
    stream = hub.subscribe()
    hub.publish(sighting(1))
    stream.close()
    hub.publish(sighting(2))
    assert stream.get_nowait() == sighting(1)
    assert stream.get_nowait() is None


def test_a_stalled_stream_drops_the_oldest():
    hub = SightingHub(limit=3)
    with hub.subscribe() as stream:
        for n in range(5):
            hub.publish(sighting(n))
        assert stream.dropped == 2
        assert [stream.get_nowait() for _ in range(3)] == [sighting(2), sighting(3), sighting(4)]
