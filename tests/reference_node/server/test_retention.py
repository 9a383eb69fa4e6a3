"""Retention: published keys and batch files are deleted and scrubbed, the log stays (SRV-27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import verify_inclusion
from bluezone.reference_node.server.errors import ConfigError, NotFoundError
from bluezone.reference_node.server.runner import apply_retention

from .conftest import (
    HA_API_KEY,
    Clock,
    config_for,
    http,
    past_keys,
    run,
    running,
    serving,
)

DAY_S = 86400


def _raw_files(root: Path) -> list[bytes]:
    return [path.read_bytes() for path in root.rglob("*") if path.is_file()]


def test_sixteen_days_later_no_published_key_is_left_in_any_file(tmp_path, rng):
    clock = Clock()

    async def scenario():
        async with serving(config_for(tmp_path), clock) as (server, client):
            keys = past_keys(rng, clock.now, days=5)
            await client.report((await client.issue_code(HA_API_KEY)).code, keys)
            await server.publisher.publish_once()
            old_zip = server.publisher.files.read("v1/batches/0.zip")
            clock.now += 16 * DAY_S
            fresh = past_keys(rng, clock.now, days=2)
            await client.report((await client.issue_code(HA_API_KEY)).code, fresh)
            await server.publisher.publish_once()
            removed = await apply_retention(server.key_server, 15)
            checkpoint = server.publisher.files.read("v1/checkpoint")
            status, _, _ = await http("GET", f"{server.url}/v1/batches/0.zip")
            proof = await client.inclusion_proof(0, 2)
            with pytest.raises(NotFoundError):
                await server.storage.batch_archive(0)
            assert await server.storage.batch_archive(1)
            return keys, fresh, old_zip, removed, checkpoint, status, proof, server.keys

    keys, fresh, old_zip, removed, checkpoint, status, proof, server_keys = run(scenario())
    assert removed >= 6  # five key rows, one batch file (codes and tokens live longer)
    assert status == 404
    files = _raw_files(tmp_path / "server")
    for key in keys:
        assert not any(key.key_data in data for data in files), "a deleted key is still on disk"
    # The newer batch is untouched, and the log still proves the old one.
    assert all(any(k.key_data in data for data in files) for k in fresh)
    verified = verify_checkpoint(checkpoint, server_keys.log)
    leaf = BatchLeaf.for_export(0, ExportFile.from_zip(old_zip).export_bin).leaf_hash()
    verify_inclusion(leaf, 0, 2, proof, verified.checkpoint.root_hash)


def test_a_restart_after_retention_does_not_bring_files_back(tmp_path, rng):
    clock = Clock()
    config = config_for(tmp_path)

    async def first():
        async with serving(config, clock) as (server, client):
            keys = past_keys(rng, clock.now, days=2)
            await client.report((await client.issue_code(HA_API_KEY)).code, keys)
            await server.publisher.publish_once()
            clock.now += 16 * DAY_S
            await apply_retention(server.key_server, 15)

    async def second():
        async with running(config, clock) as server:
            return server.publisher.files.read("v1/batches/0.zip"), server.publisher.tree.size

    run(first())
    assert run(second()) == (None, 1)


def test_a_retention_shorter_than_the_window_is_refused(tmp_path):
    async def start():
        async with running(config_for(tmp_path, retention_days=14)):
            pass

    with pytest.raises(ConfigError, match="SRV-27"):
        run(start())
