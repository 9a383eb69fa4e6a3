"""A key server that uploads and publishes in a loop until killed (for test_crash).

Run as ``python -m tests.reference_node.server.crash_child DATA_DIR SEED [STEP]``. After
each upload is committed it prints ``ACK <hex key data>,...`` and flushes: those are the
keys a real server would have answered for. With STEP given, it kills itself (SIGKILL)
the first time the publisher reaches that step.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from pathlib import Path

from bluezone.protocol.keys import day_start_interval, interval_number
from bluezone.protocol.upload import code_digest, token_digest
from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.runner import ServerConfig, prepare
from bluezone.reference_node.server.storage import NewKey

from .timing import settled

ORIGIN = "bluezone.test/crash"
# Storage keeps digests opaque: any key works when the child fills it directly.
DIGEST_KEY = bytes(32)


def config(data_dir: Path) -> ServerConfig:
    """The crash test server's configuration (durable SQLite)."""
    return ServerConfig(
        data_dir=data_dir,
        origin=ORIGIN,
        ha_api_key="crash-test-health-authority-key",
        publisher=PublisherConfig(region="CRASH", min_batch_keys=1500),
        durable=True,
        test_identity=True,
    )


def _die_at(step: str | None):
    def on_step(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return on_step


async def main(data_dir: Path, seed: int, step: str | None) -> None:
    rng = random.Random(seed)
    server, storage = await prepare(config(data_dir), on_step=_die_at(step))
    print("READY", flush=True)
    today = day_start_interval(interval_number(settled(time.time())))
    upload = 0
    while True:
        upload += 1
        code = f"{seed:04d}{upload:06d}"[-10:]
        token = rng.randbytes(32)
        now = int(time.time())
        await storage.add_code(code_digest(code, DIGEST_KEY), 1, None, now + 3600, now_s=now)
        await storage.exchange_code(
            code_digest(code, DIGEST_KEY), now, token_digest(token, DIGEST_KEY), bytes(32), now + 60
        )
        keys = [NewKey(rng.randbytes(16), today - 144 * d, 144, 1, None) for d in range(1, 14)]
        await storage.use_token(token_digest(token, DIGEST_KEY), now, keys)
        print("ACK " + ",".join(k.key_data.hex() for k in keys), flush=True)
        if upload % 5 == 0:
            await server.publisher.publish_once()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(
        main(Path(arguments[0]), int(arguments[1]), arguments[2] if len(arguments) > 2 else None)
    )
