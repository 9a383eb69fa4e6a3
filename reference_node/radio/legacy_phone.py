"""A simulated phone running the Bluezone 2020 Android app, for the virtual link and the sim.

It puts the legacy advertisement (spec BZ20-5) of the current slot's BLID (BZ20-2..BZ20-4)
on air through any `Radio` that can advertise, changing it at every slot boundary from UTC
midnight. It exists so tests can show a node hearing and matching the old app (BZ20-12); a
node itself never advertises the legacy format (BZ20-1). The Android stack chose its own
address and the app connectable PDUs; this simulation draws a new random address each slot
and uses whatever PDU type the radio sends, which a passive scanner cannot tell apart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.protocol.bluezone2020 import LegacyAdvertisement, blid_at, check_slots_per_day
from bluezone.reference_node.radio.address import make_nrpa
from bluezone.reference_node.radio.base import Radio
from bluezone.reference_node.vtime.clock import Clock, current_clock


class LegacyPhone:
    """A legacy app on ``radio``: ``base_key`` drawn on ``install_day`` (a UTC midnight).

    Start with ``async with phone:`` (it starts and closes the radio). ``broadcast`` lists
    every (wall time, BLID) it put on air.
    """

    def __init__(
        self,
        radio: Radio,
        base_key: bytes,
        install_day: int,
        *,
        slots_per_day: int = params.BZ20_SLOTS_PER_DAY_V3,
        random_bytes: Callable[[int], bytes],
        clock: Clock | None = None,
    ) -> None:
        self.radio = radio
        self.base_key = base_key
        self.install_day = install_day
        self.slots_per_day = slots_per_day
        self._slot_s = check_slots_per_day(slots_per_day)
        self._random_bytes = random_bytes
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.broadcast: list[tuple[float, bytes]] = []

    async def __aenter__(self) -> LegacyPhone:
        await self.radio.start()
        await self._advertise()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="legacy phone")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.radio.close()

    async def _advertise(self) -> None:
        now = (self._clock or current_clock()).wall()
        blid = blid_at(self.base_key, self.install_day, int(now), self.slots_per_day).blid
        address = make_nrpa(self._random_bytes(6))
        await self.radio.set_advertisement(bytes(LegacyAdvertisement(blid)), address)
        self.broadcast.append((now, blid))

    async def _loop(self) -> None:
        clock = self._clock or current_clock()
        while True:
            now = clock.wall()
            await asyncio.sleep((now // self._slot_s + 1) * self._slot_s - now)
            await self._advertise()
