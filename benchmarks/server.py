"""Key-server benchmark: uploads/s, publication throughput, proofs/s, a client's daily check.

Every load is bounded in count and time and goes to loopback only; the script stops by
itself. Run from the repository root:

    python benchmarks/server.py

Baselines measured in the same run, each on the same count as the figure it qualifies:
the same uploads (same client, bodies, connections) to a bare aiohttp endpoint that only
reads the body, and the same keys inserted straight into SQLite with one durable commit
per upload; the same export files built and signed by protocol/ alone, without storage,
log or files; inclusion proofs by the RFC 9162 recursion without the cache. Targets
(issue 6, 2-core machine): >= 500 uploads/s of 14 keys on SQLite, 1,000,000 keys
published in < 60 s, >= 20,000 inclusion proofs/s generated. Uploads on PostgreSQL through
1 and through 3 server processes (OPS-4) are measured in the same run, each against the
other (a throwaway PostgreSQL on loopback, when its binaries are installed;
``--only-processes`` measures just that).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from hashlib import sha256
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.checkpoint import verify_checkpoint
from bluezone.protocol.export import ExportFile, ExportKey, ExportPayload, ExportSigner, sign_export
from bluezone.protocol.keys import TemporaryExposureKey, day_start_interval, interval_number
from bluezone.protocol.log_leaf import BatchLeaf, verify_batch_inclusion
from bluezone.protocol.merkle import MerkleTree, node_hash
from bluezone.protocol.params import (
    BATCH_ORDER_SECRET_BYTES,
    EXPORT_BATCH_NUM,
    EXPORT_BATCH_SIZE,
    MAX_BATCH_KEYS,
)
from bluezone.protocol.upload import batch_order, code_digest, token_digest
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig, UploadGrant
from bluezone.reference_node.server.keyfiles import export_signer
from bluezone.reference_node.server.publisher import PublisherConfig
from bluezone.reference_node.server.ratelimit import Rate
from bluezone.reference_node.server.runner import ServerConfig, prepare, start_server
from bluezone.reference_node.server.storage import NewKey
from bluezone.reference_node.server.storage.sqlite import migrate

HA_KEY = "benchmark-health-authority-key"
UNLIMITED = Rate(per_minute=10**9, burst=10**9)
# Storage keeps digests opaque: any key works when the benchmark fills it directly.
DIGEST_KEY = bytes(32)
TIME_LIMIT_S = 300
KEYS_PER_UPLOAD = 14
Report = list[TemporaryExposureKey]


def _config(data_dir: Path, **changes) -> ServerConfig:
    base = dict(
        data_dir=data_dir,
        origin="bench.local/log",
        port=0,
        ha_api_key=HA_KEY,
        ha_rate=UNLIMITED,
        client_rate=UNLIMITED,
        schedule=False,
        test_identity=True,
    )
    base.update(changes)
    return ServerConfig(**base)


@contextlib.contextmanager
def _child(target: Callable[..., None], *args: object) -> Iterator[str]:
    """Run ``target(*args, urls)`` in a child process; yield the URL it puts; stop it after."""
    urls: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, urls), daemon=True)
    process.start()
    try:
        yield urls.get(timeout=60)
    finally:
        process.terminate()
        process.join()


def _serve(data_dir: Path, urls: multiprocessing.Queue) -> None:
    async def run() -> None:
        server = await start_server(_config(data_dir))
        urls.put(server.url)
        await asyncio.sleep(TIME_LIMIT_S)
        await server.stop()

    asyncio.run(run())


async def _read_and_accept(request: web.Request) -> web.Response:
    """Read the body and answer what the server answers an upload, doing nothing else."""
    await request.read()
    return web.json_response({"accepted": KEYS_PER_UPLOAD})


def _serve_bare(urls: multiprocessing.Queue) -> None:
    """Serve POST /v1/publish with ``_read_and_accept`` on loopback: the transport floor."""

    async def run() -> None:
        app = web.Application()
        app.router.add_post("/v1/publish", _read_and_accept)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        urls.put(f"http://{host}:{port}")
        await asyncio.sleep(TIME_LIMIT_S)
        await runner.cleanup()

    asyncio.run(run())


def _reports(count: int) -> list[Report]:
    """Return ``count`` reports of 14 full-day keys of the last 14 days."""
    today = day_start_interval(interval_number(time.time()))
    rng = random.Random(1)
    return [
        [
            TemporaryExposureKey(rng.randbytes(16), today - 144 * d, 144)
            for d in range(1, KEYS_PER_UPLOAD + 1)
        ]
        for _ in range(count)
    ]


async def _grants(url: str, reports: list[Report]) -> list[UploadGrant]:
    """Issue a code per report and exchange it for a token bound to the report's keys."""
    async with aiohttp.ClientSession() as session:
        client = KeyServerClient(url, session)
        codes = [(await client.issue_code(HA_KEY)).code for _ in reports]
        return [
            await client.request_token(code, keys)
            for code, keys in zip(codes, reports, strict=True)
        ]


async def _uploads(
    url: str, grants: list[UploadGrant], reports: list[Report], concurrency: int
) -> float:
    """Upload each report with its grant from ``concurrency`` clients; return uploads/s."""
    queue = list(zip(grants, reports, strict=True))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = KeyServerClient(url, session)

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
    assert done == len(reports)
    return done / elapsed


def _sqlite_uploads(path: Path, reports: list[Report]) -> float:
    """Insert each report's keys into the server's schema, one durable commit per report.

    WAL and synchronous=FULL as the server, but no request, check or token: the rows
    alone, committed one upload at a time, the way a server without group commit would.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        migrate(conn, int(time.time()))
        started = time.perf_counter()
        for keys in reports:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO keys (key_data, rolling_start, rolling_period, report_type) "
                "VALUES (?, ?, ?, 1)",
                [(k.key_data, k.rolling_start, k.rolling_period) for k in keys],
            )
            conn.execute("COMMIT")
        return len(reports) / (time.perf_counter() - started)
    finally:
        conn.close()


def _published_keys(count: int) -> Iterator[NewKey]:
    """Yield the keys the publication benchmark stores: the same ones on every call."""
    today = day_start_interval(interval_number(time.time()))
    rng = random.Random(2)
    for i in range(count):
        yield NewKey(rng.randbytes(16), today - 144 * (1 + i % 14), 144, 1, None)


def _chunks(keys: Iterator[NewKey], size: int) -> Iterator[list[NewKey]]:
    """Yield lists of ``size`` keys (the last one shorter) until ``keys`` runs out."""
    while chunk := list(islice(keys, size)):
        yield chunk


async def _publication(data_dir: Path, keys: int) -> tuple[float, int]:
    """Store ``keys`` pending keys, then time publishing them all; return (s, batches)."""
    server, storage = await prepare(_config(data_dir, publisher=PublisherConfig(region="B")))
    try:
        rng = random.Random(7)
        for n, chunk in enumerate(_chunks(_published_keys(keys), 10_000)):
            token = rng.randbytes(32)
            code = code_digest(f"{n:010d}", DIGEST_KEY)
            await storage.add_code(code, 1, None, 2**40, now_s=0)
            await storage.exchange_code(code, 0, token_digest(token, DIGEST_KEY), bytes(32), 2**40)
            await storage.use_token(token_digest(token, DIGEST_KEY), 0, chunk)
        started = time.perf_counter()
        batches = await server.publisher.publish_pending()
        return time.perf_counter() - started, len(batches)
    finally:
        await storage.close()


def _export_alone(keys: Sequence[NewKey], signer: ExportSigner, secret: bytes) -> bytes:
    """Build one batch's export file as the publisher does: keys, order, ECDSA, zip."""
    now_s = int(time.time())
    exported = [
        ExportKey(
            k.key_data,
            k.rolling_start,
            k.rolling_period,
            report_type=k.report_type,
            days_since_onset_of_symptoms=k.days_since_onset,
        )
        for k in keys
    ]
    payload = ExportPayload(
        start_timestamp=now_s,
        end_timestamp=now_s,
        region="B",
        batch_num=EXPORT_BATCH_NUM,
        batch_size=EXPORT_BATCH_SIZE,
        keys=tuple(batch_order(exported, secret)),
    )
    return sign_export(payload, [signer]).to_zip()


def _exports(keys: int) -> tuple[float, int]:
    """Time building the publication's export files with protocol/ alone; return (s, files).

    Same keys, same batches of MAX_BATCH_KEYS, same key type; no storage, log or files.
    Full batches need no padding, so none is drawn (a last batch under 1,000 keys would).
    """
    signer = export_signer(ec.generate_private_key(ec.SECP256R1()), "bluezone", "v1")
    secret = random.Random(6).randbytes(BATCH_ORDER_SECRET_BYTES)
    elapsed, files = 0.0, 0
    for chunk in _chunks(_published_keys(keys), MAX_BATCH_KEYS):
        started = time.perf_counter()
        _export_alone(chunk, signer, secret)
        elapsed += time.perf_counter() - started
        files += 1
    return elapsed, files


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


def _report_uploads(args: argparse.Namespace, root: Path) -> None:
    reports = _reports(args.uploads)
    with _child(_serve, root / "uploads") as url:
        grants = asyncio.run(_grants(url, reports))
        rate = asyncio.run(_uploads(url, grants, reports, args.concurrency))
    with _child(_serve_bare) as url:
        bare = asyncio.run(_uploads(url, grants, reports, args.concurrency))
    rows = _sqlite_uploads(root / "rows.sqlite3", reports)
    print(
        f"uploads (14 keys, SQLite, fsync per group commit): {rate:,.0f}/s "
        f"[{args.uploads} uploads, {args.concurrency} connections] target >= 500/s"
    )
    print(
        f"  same run, same client, bodies and connections to a bare aiohttp endpoint that "
        f"only reads the body: {bare:,.0f}/s; the server reaches {rate / bare:.2f}x that rate"
    )
    print(
        f"  same run, the same keys inserted straight into SQLite (WAL, synchronous=FULL, "
        f"one transaction per upload): {rows:,.0f}/s; the server reaches {rate / rows:.2f}x"
    )


@contextlib.contextmanager
def _service(dsn: str, data_dir: Path, processes: int) -> Iterator[list[str]]:
    """Start ``processes`` server processes on one database and data directory (OPS-4)."""
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "tests.reference_node.server.service_child"]
    started: list[subprocess.Popen[str]] = []
    urls = []
    try:
        for _ in range(processes):  # one after the other: the first creates the keys
            child = subprocess.Popen(
                [*command, str(data_dir), dsn, str(data_dir / "never" / "marker")],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            started.append(child)
            assert child.stdout is not None
            urls.append(child.stdout.readline().split()[-1])
        yield urls
    finally:
        for child in started:
            child.terminate()
        for child in started:
            child.wait(timeout=60)
            if child.stdout is not None:
                child.stdout.close()


async def _spread_uploads(urls: list[str], reports: list[Report], concurrency: int) -> float:
    """Exchange and upload each report through the servers in turn; return uploads/s."""
    from tests.reference_node.server.service_child import HA_API_KEY

    queue = list(enumerate(reports))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        clients = [KeyServerClient(url, session) for url in urls]
        grants = {}
        for i, keys in queue:
            client = clients[i % len(clients)]
            code = (await client.issue_code(HA_API_KEY)).code
            grants[i] = await client.request_token(code, keys)

        async def worker() -> int:
            done = 0
            while queue:
                i, keys = queue.pop()
                await clients[i % len(clients)].upload(grants[i], keys)
                done += 1
            return done

        started = time.perf_counter()
        done = sum(await asyncio.gather(*[worker() for _ in range(concurrency)]))
        elapsed = time.perf_counter() - started
    assert done == len(reports)
    return done / elapsed


def _report_processes(args: argparse.Namespace, root: Path) -> None:
    """Uploads per second on PostgreSQL through 1 and through 3 server processes (OPS-4)."""
    from tests.reference_node.server.conftest import fresh_postgres_database
    from tests.reference_node.server.postgres_fixture import find_bindir, throwaway_postgres

    if find_bindir() is None:
        print("uploads through several processes: PostgreSQL is not installed; not measured")
        return
    reports = _reports(args.pg_uploads)
    rates = {}
    with throwaway_postgres() as dsn:
        for processes in (1, 3):
            database = asyncio.run(fresh_postgres_database(dsn))
            with _service(database, root / f"service{processes}", processes) as urls:
                rates[processes] = asyncio.run(_spread_uploads(urls, reports, args.concurrency))
    print(
        f"uploads (14 keys, PostgreSQL, publishing every second meanwhile): "
        f"1 process {rates[1]:,.0f}/s, 3 processes {rates[3]:,.0f}/s "
        f"({rates[3] / rates[1]:.2f}x) [{args.pg_uploads} uploads, {args.concurrency} "
        f"connections, one machine of 2 cores]"
    )


def _report_publication(args: argparse.Namespace, root: Path) -> None:
    seconds, count = asyncio.run(_publication(root / "publish", args.publish_keys))
    print(
        f"publication of {args.publish_keys:,} keys: {seconds:.1f} s in {count} batches "
        f"({args.publish_keys / seconds:,.0f} keys/s signed and written) target < 60 s"
    )
    alone, files = _exports(args.publish_keys)
    print(
        f"  same run, the same export files ({files}) built and signed by protocol/ alone "
        f"(no storage, log or files): {alone:.1f} s; publication takes {seconds / alone:.2f}x"
    )


def _report_proofs(args: argparse.Namespace) -> None:
    rate, baseline = _proofs(args.tree_leaves, args.proofs, args.baseline_proofs)
    print(
        f"inclusion proofs generated: {rate:,.0f}/s [tree of {args.tree_leaves:,} batches] "
        f"target >= 20,000/s; RFC 9162 recursion without the cache, same run: "
        f"{baseline:,.1f}/s ({rate / baseline:,.0f}x)"
    )


def _report_day(args: argparse.Namespace, root: Path) -> None:
    seconds, keys = asyncio.run(_daily_check(root / "day", args.day_batches, args.keys_per_batch))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg-uploads", type=int, default=1500)
    parser.add_argument(
        "--only-processes", action="store_true", help="measure only 1 against 3 processes"
    )
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
        if args.only_processes:
            _report_processes(args, root)
            return
        _report_uploads(args, root)
        _report_processes(args, root)
        _report_publication(args, root)
        _report_proofs(args)
        _report_day(args, root)


if __name__ == "__main__":
    main()
