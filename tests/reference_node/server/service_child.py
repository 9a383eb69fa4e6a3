"""One process of a multi-process key server on PostgreSQL (for test_processes).

Run as ``python -m tests.reference_node.server.service_child DATA_DIR DSN MARKER``. It
serves on a free loopback port and prints ``serving URL``. The first process of the
deployment to commit a batch after MARKER's directory exists (checked by the file's
absence) creates MARKER and kills itself (SIGKILL) right after that commit, before the
batch's files are written: a publisher dying in the middle of a publication.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.runner import ServerConfig, start_server

ORIGIN = "bluezone.test/service"
HA_API_KEY = "service-test-health-authority-key"
GENEROUS = Rate(per_minute=600_000, burst=10_000)


def config(data_dir: Path, dsn: str) -> ServerConfig:
    """The deployment's configuration: every process the same."""
    return ServerConfig(
        data_dir=data_dir,
        origin=ORIGIN,
        database=dsn,
        port=0,
        ha_api_key=HA_API_KEY,
        publisher=PublisherConfig(region="SERVICE", min_batch_keys=200),
        ha_rate=GENEROUS,
        client_rate=GENEROUS,
        batch_period_s=1.0,
        leadership_retry_s=0.5,
        test_identity=True,
    )


def _die_once(marker: Path):
    def on_step(name: str) -> None:
        if name == "committed" and marker.parent.exists():
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            print("DYING", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    return on_step


async def main(data_dir: Path, dsn: str, marker: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    server = await start_server(config(data_dir, dsn), on_step=_die_once(marker))
    print(f"serving {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main(Path(arguments[0]), arguments[1], Path(arguments[2])))
