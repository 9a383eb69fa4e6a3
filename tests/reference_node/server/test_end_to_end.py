"""End to end: a device reports with a code; another downloads, verifies and finds the
encounter it had with the first (spec SRV-3..SRV-13, LOG-11, MATCH-1..9)."""

from __future__ import annotations

import pytest

from bluezone.protocol.keys import (
    Metadata,
    day_start_interval,
    derive_rpi,
    encrypt_aem,
    interval_number,
    new_temporary_exposure_key,
)
from bluezone.protocol.matching import Sighting, check_exposures
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig

from .conftest import HA_API_KEY, Clock, config_for, past_keys, run, serving


@pytest.mark.e2e
def test_report_download_verify_and_match_the_planted_encounter(tmp_path, rng):
    clock = Clock()
    today = day_start_interval(interval_number(clock.now))
    alice = [new_temporary_exposure_key(rng.randbytes(16), today - 144 * d) for d in (1, 2, 3)]
    met = alice[1]  # two days ago, at 08:20 UTC
    heard_at = met.rolling_start + 50
    rpi = derive_rpi(met.key_data, heard_at)
    aem = encrypt_aem(met.key_data, rpi, bytes(Metadata.for_tx_power(-12)))
    bob_heard = [
        Sighting(rng.randbytes(16), heard_at - 3, rng.randbytes(4), -70),
        Sighting(rpi, heard_at + 2, aem, -58),  # heard 20 minutes into a rotation: in tolerance
        *[Sighting(rng.randbytes(16), today - 144 + i, rng.randbytes(4), -80) for i in range(200)],
    ]

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, health_authority):
            code = (await health_authority.issue_code(HA_API_KEY)).code
            async with KeyServerClient(server.url) as alice_phone:
                assert await alice_phone.report(code, alice) == 3
            async with KeyServerClient(server.url) as carol_phone:
                other = (await health_authority.issue_code(HA_API_KEY)).code
                await carol_phone.report(other, past_keys(rng, clock.now, days=10))
            await server.publisher.publish_once()
            async with KeyServerClient(server.url) as bob_phone:
                trust = TrustConfig.from_server_keys(await bob_phone.server_keys())
                return await bob_phone.download(trust)

    download = run(scenario())
    assert [b.number for b in download.batches] == [0]
    keys = download.diagnosis_keys()
    assert len(keys) == 20  # 13 real keys padded to the minimum batch size
    result = check_exposures(keys, bob_heard, interval_number(clock.now))
    assert len(result.exposures) == 1
    exposure = result.exposures[0]
    assert exposure.key.key_data == met.key_data
    assert [m.sighting_index for m in exposure.sightings] == [1]
    assert exposure.sightings[0].metadata.tx_power == -12
    assert result.rejected_keys == ()
