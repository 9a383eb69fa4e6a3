"""Benchmark the matching engine on a national-scale workload.

    python benchmarks/matching.py --keys 300000 --sightings 200000 --workers 2

Generates diagnosis keys spread over 14 days (full days and cut re-keyed days), a
device's sightings over the same 14 days, and plants known matches (at the identifier's
own interval and at the +-12 tolerance edges). Runs a naive per-identifier baseline on a
sample in the same process, then the engine as the node runs it (the pure matcher, spread
over --workers processes by the node's matching pool; best of --repeat runs; with
--workers > 1 also one worker, alternating with the parallel runs so both see the same
machine load), checks every planted match was found and that both agree (MATCH-9), and
prints the figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey, derive_rpi, derive_rpis
from bluezone.protocol.matching import Sighting
from bluezone.reference_node.node.matching_pool import find_matches_parallel

NOW_INTERVAL = 2_800_000 - 2_800_000 % params.INTERVALS_PER_DAY  # a UTC midnight
DAYS = params.RETENTION_DAYS


def make_keys(count: int, rng: random.Random) -> list[TemporaryExposureKey]:
    """Keys of the last 14 days: most run a full day, one in ten was cut by a report."""
    keys = []
    for _ in range(count):
        start = NOW_INTERVAL - params.INTERVALS_PER_DAY * rng.randint(1, DAYS)
        period = params.MAX_ROLLING_PERIOD if rng.random() > 0.1 else rng.randint(1, 143)
        keys.append(TemporaryExposureKey(rng.randbytes(16), start, period))
    return keys


def make_sightings(
    count: int, keys: list[TemporaryExposureKey], planted: int, rng: random.Random
) -> tuple[list[Sighting], set[tuple[int, int]]]:
    """Random sightings over 14 days, with ``planted`` of them derived from given keys."""
    first = NOW_INTERVAL - params.RETENTION_INTERVALS
    sightings = [
        Sighting(rng.randbytes(16), rng.randrange(first, NOW_INTERVAL))
        for _ in range(count - planted)
    ]
    expected = set()
    for key_index in rng.sample(range(len(keys)), planted):
        key = keys[key_index]
        interval = key.rolling_start + rng.randrange(key.rolling_period)
        offset = rng.choice(
            (0, 0, 1, -1, params.MATCH_TOLERANCE_INTERVALS, -params.MATCH_TOLERANCE_INTERVALS)
        )
        position = rng.randrange(len(sightings) + 1)
        sightings.insert(position, Sighting(derive_rpi(key.key_data, interval), interval + offset))
        expected = {(k, s + (s >= position)) for k, s in expected}
        expected.add((key_index, position))
    return sightings, expected


def naive_match(keys: list[TemporaryExposureKey], sightings: list[Sighting]) -> int:
    """The obvious implementation: expand each key, probe a dict per identifier."""
    by_rpi: dict[bytes, list[int]] = {}
    for s in sightings:
        by_rpi.setdefault(s.rpi, []).append(s.interval)
    found = 0
    for key in keys:
        rpis = derive_rpis(key.key_data, key.rolling_start, key.rolling_period)
        for offset, rpi in enumerate(rpis):
            for interval in by_rpi.get(rpi, ()):
                if abs(interval - key.rolling_start - offset) <= params.MATCH_TOLERANCE_INTERVALS:
                    found += 1
    return found


def peak_memory_mib() -> float:
    """Peak resident memory of this process and its finished children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=300_000)
    parser.add_argument("--sightings", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--planted", type=int, default=200)
    parser.add_argument("--baseline-keys", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine setting")
    args = parser.parse_args(argv)
    # Other processes on the machine lower the figures, the parallel ones most.
    load_before = os.getloadavg()[0]
    rng = random.Random(args.seed)
    keys = make_keys(args.keys, rng)
    sightings, expected = make_sightings(args.sightings, keys, args.planted, rng)

    sample = keys[: args.baseline_keys]
    started = time.perf_counter()
    naive_match(sample, sightings)
    baseline_rate = len(sample) / (time.perf_counter() - started)

    settings = sorted({args.workers, 1}, reverse=True)
    results = timed_engine(keys, sightings, settings, args.repeat)
    pairs, seconds = results[args.workers]
    missing = expected - set(pairs)
    if missing:
        raise SystemExit(f"planted matches not found: {len(missing)} of {len(expected)}")
    rate = args.keys / seconds
    result = {
        "keys": args.keys,
        "sightings": args.sightings,
        "workers": args.workers,
        "matches": len(pairs),
        "planted": len(expected),
        "seconds": round(seconds, 3),
        "keys_per_second": round(rate),
        "baseline_keys_per_second": round(baseline_rate),
        "speedup_vs_baseline": round(rate / baseline_rate, 2),
    }
    print(f"naive per-identifier baseline: {baseline_rate:,.0f} keys/s ({len(sample)} keys)")
    print(
        f"engine, {args.workers} worker(s): {rate:,.0f} keys/s, best of {args.repeat}: "
        f"{seconds:.2f} s, {rate / baseline_rate:.1f}x baseline, "
        f"all {len(expected)} planted matches found"
    )
    if args.workers > 1:
        serial_pairs, serial_seconds = results[1]
        assert serial_pairs == pairs, "serial and parallel results differ (MATCH-9)"
        result["one_worker_keys_per_second"] = round(args.keys / serial_seconds)
        result["parallel_speedup"] = round(serial_seconds / seconds, 2)
        print(
            f"engine, 1 worker: {args.keys / serial_seconds:,.0f} keys/s; "
            f"{args.workers} workers are {serial_seconds / seconds:.2f}x faster"
        )
    result["peak_memory_mib"] = round(peak_memory_mib(), 1)
    result["load_average_before"] = load_before
    print(f"machine load average (1 min) before the run: {load_before:.2f}")
    print(json.dumps(result))
    return result


def timed_engine(
    keys: list[TemporaryExposureKey], sightings: list[Sighting], settings: list[int], repeat: int
) -> dict[int, tuple[list[tuple[int, int]], float]]:
    """Run the engine ``repeat`` times per worker count, alternating the counts.

    Returns, per worker count, its pairs and its best time (least noise).
    """
    best = dict.fromkeys(settings, float("inf"))
    pairs = {}
    for _ in range(repeat):
        for workers in settings:
            started = time.perf_counter()
            pairs[workers] = find_matches_parallel(keys, sightings, workers=workers)
            best[workers] = min(best[workers], time.perf_counter() - started)
    return {workers: (pairs[workers], best[workers]) for workers in settings}


if __name__ == "__main__":
    main()
