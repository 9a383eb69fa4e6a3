"""External test values the vectors carry, with their sources (see spec/vectors/SOURCES.md).

Only the published inputs and a few published outputs are written here. The generator
recomputes every output with ``reference_impl`` and checks it against these values; for the
official 144-interval list it checks a SHA-256 digest of the published RPI || AEM sequence,
so the vector file carries exactly the upstream values without this file copying them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpstreamVector:
    """One external key-schedule vector: inputs, published outputs, and where it is from."""

    name: str
    source: str
    tek: str | None
    rpik: str
    aemk: str | None
    metadata: str | None
    intervals: tuple[tuple[int, str, str | None], ...]  # (interval, rpi, aem)


GAEN_OFFICIAL_SOURCE = (
    "google/exposure-notifications-internals:app/src/androidTest/java/com/google/samples/"
    "exposurenotification/testing/TestVectors.java@16a8f571127cf73281835b15368d689336158f43"
)
GAEN_OFFICIAL = UpstreamVector(
    name="GAEN official test vector (Exposure Notification Cryptography Specification v1.2)",
    source=GAEN_OFFICIAL_SOURCE,
    tek="75c734c6dd1a782de7a965da5eb93125",
    rpik="185ad91db69ec7dd048960f1f3ba6175",
    aemk="d57c46af7a1d83965b9bed8bd152936a",
    metadata="40080000",
    intervals=(
        (2642976, "8be6cd371c5c891604bfbe49df845096", "72033874"),
        (2643119, "f431b62ecf443102ce4ed0407de54bd4", "1215e57e"),
    ),
)
# The official key's generation time and first interval, as published.
GAEN_OFFICIAL_UNIX_SECONDS = 1585785600
GAEN_OFFICIAL_START = 2642976
GAEN_OFFICIAL_PERIOD = 144
# SHA-256 over RPI_i || AEM_i for i = 0..143 in order, as published upstream.
GAEN_OFFICIAL_DIGEST = "0e691522b0c307d0ea092217a7eebb74d6c04d9c5fa7decf02bd28e0bee01e6c"

LIVE_DEVICE = UpstreamVector(
    name="live Android device (Google Play services 20.18.17)",
    source=(
        "corona-warn-app/cwa-app-android:issues/75 (comment by mh-, 2020-06-06, "
        "https://github.com/corona-warn-app/cwa-app-android/issues/75)"
    ),
    tek="2765f41dbaa6306a264391913bf48723",
    rpik="34fbbd748ee78bb386d1bab2df7b4165",
    aemk="e01962eba7d4b5f40226e91ef9f6c050",
    metadata="40f20000",
    intervals=((2652091, "31fc2cf219fe6dc6765d860e979ba9e5", "10413a43"),),
)

THIRD_PARTY = UpstreamVector(
    name="mh-/exposure-notification-ble-python README example",
    source="mh-/exposure-notification-ble-python:README.md@0ea3a971cc85e7daaf9647ec09b3722501d85039",
    tek="7921b817fdb92074df5345594273756f",
    rpik="eae8956644770f952871daf549c0ce7e",
    aemk="a1d0bd6f94b053cf622ca88194e20611",
    metadata="400c0000",
    intervals=((2649435, "5811408cf8d88d2b33f73773a7c6d45f", "a3e9517f"),),
)

CORONA_SNIFFER = UpstreamVector(
    name="oseiskar/corona-sniffer RPIK-to-RPI unit test (RPIK = ASCII 'foo' zero-padded)",
    source=(
        "oseiskar/corona-sniffer:android/src/test/java/org/example/coronasniffer/"
        "BeaconBuilderTest.java@82ff1a79da44efb0170ee379f2860db752fb9110"
    ),
    tek=None,
    rpik="666f6f00000000000000000000000000",
    aemk=None,
    metadata=None,
    intervals=(
        (0, "7ebc4679238b6dc389bf322e6c8712a7", None),
        (1, "b50f064dfa20c6e31b0bdd1f92cf755d", None),
    ),
)
