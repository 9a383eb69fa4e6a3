"""Key-server benchmark: uploads/s, publication throughput, proofs/s, a client's daily check.

Every load is bounded in count and time and goes to loopback only; the script stops by
itself. Run from the repository root:

    python benchmarks/server.py

Inclusion proofs are also timed against the RFC 9162 recursion without the cache, in the
same run. Targets (issue 6, 2-core machine): >= 500 uploads/s of 14 keys on SQLite,
1,000,000 keys published in < 60 s, >= 20,000 inclusion proofs/s generated.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import tempfile
import time
from hashlib import sha256
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from protocol.checkpoint import verify_checkpoint
from protocol.export import ExportFile
from protocol.keys import TemporaryExposureKey, day_start_interval, interval_number
from protocol.log_leaf import BatchLeaf, verify_batch_inclusion
from protocol.merkle import MerkleTree, node_hash
from protocol.upload import code_digest, token_digest
from reference_node.server.client import KeyServerClient, TrustConfig
from reference_node.server.publisher import PublisherConfig
from reference_node.server.ratelimit import Rate
from reference_node.server.runner import ServerConfig, prepare, start_server
from reference_node.server.storage import NewKey

HA_KEY = "benchmark-health-authority-key"
UNLIMITED = Rate(per_minute=10**9, burst=10**9)
TIME_LIMIT_S = 300


def _config(data_dir: Path, **changes) -> ServerConfig:
    base = dict(
        data_dir=data_dir,
        origin="bench.local/log",
        port=0,
        ha_api_key=HA_KEY,
        ha_rate=UNLIMITED,
        client_rate=UNLIMITED,
        schedule=False,
    )
    base.update(changes)
    return ServerConfig(**base)


def _serve(data_dir: Path, urls: multiprocessing.Queue) -> None:
    async def run() -> None:
        server = await start_server(_config(data_dir))
        urls.put(server.url)
        await asyncio.sleep(TIME_LIMIT_S)
        await server.stop()

    asyncio.run(run())


async def _uploads(url: str, count: int, concurrency: int) -> float:
    """Upload ``count`` reports of 14 keys with ``concurrency`` clients; return uploads/s."""
    today = day_start_interval(interval_number(time.time()))
    rng = random.Random(1)
    reports = [
        [TemporaryExposureKey(rng.randbytes(16), today - 144 * d, 144) for d in range(1, 15)]
        for _ in range(count)
    ]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = KeyServerClient(url, session)
        codes = [(await client.issue_code(HA_KEY)).code for _ in range(count)]
        grants = []
        for code, keys in zip(codes, reports, strict=True):
            grants.append(await client.request_token(code, keys))
        queue = list(zip(grants, reports, strict=True))

        async def worker() -> int:
            done = 0
            while queue:
                grant, keys = queue.pop()
                await client.upload(grant, keys)
                done += 1
            return done

        started = time.perf_counter()
        done = sum(await asyncio.gather(*[worker() for _ in range(concurrency)]))
        elapsed = time.perf_counter() - started
    assert done == count
    return count / elapsed


async def _publication(data_dir: Path, keys: int) -> tuple[float, int]:
    """Store ``keys`` pending keys, then time publishing them all; return (s, batches)."""
    server, storage = await prepare(_config(data_dir, publisher=PublisherConfig(region="B")))
    try:
        today = day_start_interval(interval_number(time.time()))
        rng = random.Random(2)
        per_token = 10_000
        for n in range(0, keys, per_token):
            token = rng.randbytes(32)
            code = code_digest(f"{n:010d}")
            await storage.add_code(code, 1, None, 2**40)
            await storage.exchange_code(code, 0, token_digest(token), bytes(32), 2**40)
            await storage.use_token(
                token_digest(token),
                0,
                [
                    NewKey(rng.randbytes(16), today - 144 * (1 + i % 14), 144, 1, None)
                    for i in range(min(per_token, keys - n))
                ],
            )
        started = time.perf_counter()
        batches = await server.publisher.publish_pending()
        return time.perf_counter() - started, len(batches)
    finally:
        await storage.close()


def _proofs(leaves: int, proofs: int, baseline_proofs: int) -> tuple[float, float]:
    """Return inclusion proofs/s from the level-cached tree and from the RFC's recursion.

    The baseline recomputes each proof from the leaf hashes as RFC 9162 2.1.3.1 defines
    PATH, which is what a server without the cache does; the two must agree.
    """
    hashes = [sha256(i.to_bytes(8, "big")).digest() for i in range(leaves)]
    tree = MerkleTree(hashes)
    rng = random.Random(3)
    indices = [rng.randrange(leaves) for _ in range(proofs)]
    started = time.perf_counter()
    for index in indices:
        tree.inclusion_proof(index, leaves)
    rate = proofs / (time.perf_counter() - started)
    sample = indices[:baseline_proofs]
    started = time.perf_counter()
    naive = [_rfc_path(index, hashes) for index in sample]
    baseline = len(sample) / (time.perf_counter() - started)
    assert naive == [list(tree.inclusion_proof(index, leaves)) for index in sample]
    return rate, baseline


def _rfc_path(index: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1, recursing over the leaf hashes."""
    if len(hashes) == 1:
        return []
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    if index < split:
        return [*_rfc_path(index, hashes[:split]), _rfc_root(hashes[split:])]
    return [*_rfc_path(index - split, hashes[split:]), _rfc_root(hashes[:split])]


def _rfc_root(hashes: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1 over leaf hashes."""
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_rfc_root(hashes[:split]), _rfc_root(hashes[split:]))


async def _http_proofs(url: str, count: int, concurrency: int, size: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = KeyServerClient(url, session)
        rng = random.Random(4)
        todo = [rng.randrange(size) for _ in range(count)]

        async def worker() -> None:
            while todo:
                await client.inclusion_proof(todo.pop(), size)

        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return count / (time.perf_counter() - started)


async def _daily_check(data_dir: Path, batches: int, keys_per_batch: int) -> tuple[float, int]:
    """Publish a day of batches, then time a client verifying them all (in process)."""
    config = _config(data_dir, publisher=PublisherConfig(region="D", min_batch_keys=keys_per_batch))
    server, storage = await prepare(config)
    try:
        for _ in range(batches):
            await server.publisher.publish_once(force=True)
        archives = [await storage.batch_archive(n) for n in range(batches)]
        note = server.publisher.latest_note
        tree = server.publisher.tree
        proofs = [tree.inclusion_proof(n) for n in range(batches)]
        trust = TrustConfig.from_server_keys(server.keys)
        started = time.perf_counter()
        checkpoint = verify_checkpoint(note, trust.log).checkpoint
        total = 0
        for number, (archive, proof) in enumerate(zip(archives, proofs, strict=True)):
            export = ExportFile.from_zip(archive)
            export.verify(trust.export)
            leaf = BatchLeaf.for_export(number, export.export_bin)
            verify_batch_inclusion(leaf, checkpoint.tree_size, proof, checkpoint.root_hash)
            total += len(export.payload.keys)
        return time.perf_counter() - started, total
    finally:
        await storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--publish-keys", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=200_000)
    parser.add_argument("--tree-leaves", type=int, default=100_000)
    parser.add_argument("--baseline-proofs", type=int, default=20)
    parser.add_argument("--http-proofs", type=int, default=5000)
    parser.add_argument("--day-batches", type=int, default=24)
    parser.add_argument("--keys-per-batch", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        urls: multiprocessing.Queue = multiprocessing.Queue()
        server = multiprocessing.Process(target=_serve, args=(root / "uploads", urls), daemon=True)
        server.start()
        try:
            url = urls.get(timeout=60)
            rate = asyncio.run(_uploads(url, args.uploads, args.concurrency))
            print(
                f"uploads (14 keys, SQLite, fsync per group commit): {rate:,.0f}/s "
                f"[{args.uploads} uploads, {args.concurrency} connections] target >= 500/s"
            )
        finally:
            server.terminate()
            server.join()

        seconds, count = asyncio.run(_publication(root / "publish", args.publish_keys))
        print(
            f"publication of {args.publish_keys:,} keys: {seconds:.1f} s in {count} batches "
            f"({args.publish_keys / seconds:,.0f} keys/s signed and written) target < 60 s"
        )

        rate, baseline = _proofs(args.tree_leaves, args.proofs, args.baseline_proofs)
        print(
            f"inclusion proofs generated: {rate:,.0f}/s [tree of {args.tree_leaves:,} batches] "
            f"target >= 20,000/s; RFC 9162 recursion without the cache, same run: "
            f"{baseline:,.1f}/s ({rate / baseline:,.0f}x)"
        )

        seconds, keys = asyncio.run(
            _daily_check(root / "day", args.day_batches, args.keys_per_batch)
        )
        print(
            f"client check of a day: {args.day_batches} batches, {keys:,} keys: "
            f"{seconds * 1000:.0f} ms (parse, ECDSA verify, leaf, inclusion proof)"
        )

        async def http_rate() -> float:
            running = await start_server(_config(root / "day"))
            try:
                return await _http_proofs(
                    running.url, args.http_proofs, args.concurrency, args.day_batches
                )
            finally:
                await running.stop()

        rate = asyncio.run(http_rate())
        print(f"inclusion proofs over HTTP (server and client on one machine): {rate:,.0f}/s")


if __name__ == "__main__":
    main()
