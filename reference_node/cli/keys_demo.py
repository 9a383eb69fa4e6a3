"""`bluezone keys demo`: one day of a device, told step by step.

Device A draws its daily key, derives identifiers and advertisements through the day;
device B hears some of them among strangers' identifiers. A tests positive, uploads its
key after the embargo, and B's exposure check finds the encounters. Every value is
computed by `protocol`; this module only draws the randomness and prints.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    new_temporary_exposure_key,
)
from bluezone.protocol.matching import MatchedSighting, Sighting, check_exposures

DEMO_DAY = 2_940_624  # 2025-11-23 00:00 UTC as an ENIntervalNumber (KS-2)
ENCOUNTERS = ((8, 30), (8, 40), (8, 50), (17, 0))  # when B stood near A (hour, minute)
A_TX_POWER = -8  # dBm, as A's calibration would advertise it


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One line of the story, with the values it shows."""

    title: str
    values: dict[str, object]


def clock(interval: int) -> str:
    """Return the UTC time of day at the start of an interval, HH:MM."""
    minutes = (interval % params.INTERVALS_PER_DAY) * params.INTERVAL_SECONDS // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def short(data: bytes) -> str:
    """Return the first 4 bytes of a secret in hex; keys are never shown in full."""
    return data[:4].hex() + "…"


def run(seed: int | None = None) -> list[DemoStep]:
    """Play the day and return its steps. ``seed`` makes it reproducible."""
    draw = random.Random(seed).randbytes if seed is not None else secrets.token_bytes
    tek = new_temporary_exposure_key(draw(16), DEMO_DAY)
    metadata = bytes(Metadata.for_tx_power(A_TX_POWER))
    steps = [_key_step(tek)]
    heard = []
    for hour, minute in ENCOUNTERS:
        interval = DEMO_DAY + (hour * 60 + minute) // 10
        rpi = derive_rpi(tek.key_data, interval)
        aem = encrypt_aem(tek.key_data, rpi, metadata)
        steps.append(_advert_step(interval, rpi, aem))
        heard.append(Sighting(rpi, interval, aem, rssi=-60))
    strangers = [Sighting(draw(16), DEMO_DAY + i * 7, draw(4), rssi=-80) for i in range(20)]
    sightings = strangers[:10] + heard + strangers[10:]
    steps.append(DemoStep("B's log", {"sightings": len(sightings), "from A": len(heard)}))
    steps.extend(_check_steps(tek, sightings))
    return steps


def _key_step(tek: TemporaryExposureKey) -> DemoStep:
    return DemoStep(
        "A draws its daily key at UTC midnight (KS-1, KS-3)",
        {
            "rolling_start": tek.rolling_start,
            "rolling_period": tek.rolling_period,
            "TEK": short(tek.key_data),
            "RPIK": short(derive_rpik(tek.key_data)),
            "AEMK": short(derive_aemk(tek.key_data)),
        },
    )


def _advert_step(interval: int, rpi: bytes, aem: bytes) -> DemoStep:
    return DemoStep(
        f"{clock(interval)} A advertises (KS-6, KS-8, ADV-1)",
        {
            "interval": interval,
            "RPI": rpi.hex(),
            "AEM": aem.hex(),
            "advertising data": bytes(Advertisement(rpi, aem)).hex(),
        },
    )


def _check_steps(tek: TemporaryExposureKey, sightings: list[Sighting]) -> list[DemoStep]:
    steps = []
    too_soon = tek.end_interval + params.EMBARGO_INTERVALS - 1
    early = check_exposures([tek], sightings, too_soon)
    steps.append(
        DemoStep(
            f"A tests positive; B checks at {clock(too_soon)} next day, too soon (KS-12)",
            {"rejected": [r.code for r in early.rejected_keys], "exposures": len(early.exposures)},
        )
    )
    now = tek.end_interval + params.EMBARGO_INTERVALS
    result = check_exposures([tek], sightings, now)
    steps.extend(_match_step(m) for e in result.exposures for m in e.sightings)
    steps.append(
        DemoStep(
            f"B's check at {clock(now)} next day (embargo over)",
            {
                "diagnosis keys": 1,
                "sightings in B's log": len(sightings),
                "matched": len(result.matches),
                "discarded": len(result.discarded_sightings),
            },
        )
    )
    return steps


def _match_step(found: MatchedSighting) -> DemoStep:
    heard = clock(found.sighting.interval)
    return DemoStep(
        f"B matches A's key: heard at {heard} (MATCH-3, MATCH-7)",
        {
            "RPI": found.sighting.rpi.hex(),
            "TX power dBm": found.metadata.tx_power,
            "RSSI dBm": found.sighting.rssi,
            "attenuation dB": found.metadata.tx_power - found.sighting.rssi,
        },
    )


def render(steps: list[DemoStep]) -> str:
    """Return the steps as readable text."""
    lines = []
    for step in steps:
        lines.append(step.title)
        lines.extend(f"    {name:<22} {value}" for name, value in step.values.items())
    return "\n".join(lines)


def render_json(steps: list[DemoStep]) -> str:
    """Return the steps as one JSON object."""
    return json.dumps({"steps": [{"title": s.title, **s.values} for s in steps]})
