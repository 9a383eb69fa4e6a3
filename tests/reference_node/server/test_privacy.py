"""The server logs no client address and no key material, code, token or secret (SRV-8)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from urllib.parse import urlsplit

from .conftest import HA_API_KEY, Clock, config_for, ha_headers, http, past_keys, run, serving

FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


async def _raw(url: str, data: bytes) -> bytes:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read(4096)
    writer.close()
    await writer.wait_closed()
    return answer


def test_logs_hold_no_address_and_no_secret(tmp_path, rng, caplog):
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    secrets_seen: list[str] = [HA_API_KEY]

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=5)
            issued = await client.issue_code(HA_API_KEY)
            grant = await client.request_token(issued.code, keys)
            await client.upload(grant, keys)
            secrets_seen.extend([issued.code, *[k.key_data.hex() for k in keys]])
            for value in (grant.token, grant.hmac_secret, *[k.key_data for k in keys]):
                secrets_seen.append(base64.b64encode(value).decode())
            # Failures of every kind, including ones aiohttp itself reports.
            await http("POST", f"{server.url}/v1/token", data=b"{")
            await http("POST", f"{server.url}/v1/publish", data=b"x" * 20_000)
            await http(
                "POST",
                f"{server.url}/v1/token",
                json={"code": issued.code, "key_hmac": base64.b64encode(bytes(32)).decode()},
            )
            await http("POST", f"{server.url}/v1/ha/codes", json={}, headers={"Authorization": "x"})
            await http("POST", f"{server.url}/v1/ha/codes", json={"x": 1}, headers=ha_headers())
            await http("GET", f"{server.url}/v1/proof/inclusion?batch=9&tree_size=9")
            await http("GET", f"{server.url}/nowhere")
            await _raw(server.url, b"GARBAGE \x00\x01 HTTP/9.9\r\n\r\n")
            await _raw(
                server.url,
                b"POST /v1/token HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            )
            await server.publisher.publish_once()
            for key in keys:
                body = {
                    "token": base64.b64encode(grant.token).decode(),
                    "hmac_secret": base64.b64encode(grant.hmac_secret).decode(),
                    "keys": [
                        {
                            "key_data": base64.b64encode(key.key_data).decode(),
                            "rolling_start": key.rolling_start,
                            "rolling_period": 0,
                        }
                    ],
                }
                await http("POST", f"{server.url}/v1/publish", data=json.dumps(body))
            return urlsplit(server.url).hostname

    host = run(scenario())
    lines = [FORMAT.format(record) for record in caplog.records]
    text = "\n".join(lines)
    assert any("/v1/publish" in line for line in lines)  # requests are logged...
    assert "aiohttp" in text  # ...and so are aiohttp's own reports
    assert host == "127.0.0.1"
    assert host not in text
    for secret in secrets_seen:
        assert secret not in text
