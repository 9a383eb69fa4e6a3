"""Replay of the Bluezone 2020 profile vectors (spec IOP-21, IOP-42, IOP-43; appendix A1).

The BLID schedule and the Android advertisement decoder have ops; the F0 check has none
(it takes a device's legacy sightings), so its cases are library-level.
"""

from __future__ import annotations

from collections.abc import Callable

from bluezone.interop_tests.steps import Step, expected, need
from bluezone.interop_tests.vectors import VectorCase

# spec IOP-21: the ops each group type of appendix A1 drives.
BZ2020_GROUP_OPS: dict[str, tuple[str, ...]] = {
    "Bz2020Blid": ("bz2020_blid",),
    "Bz2020AdvertisementDecode": ("bz2020_advertisement_decode",),
}

# spec IOP-21: appendix A1 groups no op drives, with the reason.
BZ2020_LIBRARY_LEVEL: dict[str, str] = {
    "Bz2020Match": "no op takes legacy sightings; bz2020_blid covers the BLIDs a check derives",
}


def _blid(case: VectorCase) -> list[Step]:
    params = need(case.inputs, case, "base_key", "install_day", "time", "slots_per_day")
    return [Step("bz2020_blid", params, expected(case, "blid"))]


def _advertisement_decode(case: VectorCase) -> list[Step]:
    params = need(case.inputs, case, "ad")
    return [Step("bz2020_advertisement_decode", params, expected(case, "blid"))]


BZ2020_PLANNERS: dict[str, Callable[[VectorCase], list[Step]]] = {
    "Bz2020Blid": _blid,
    "Bz2020AdvertisementDecode": _advertisement_decode,
}
