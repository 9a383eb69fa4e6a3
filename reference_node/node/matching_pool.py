"""Matching spread over processes: the node's execution policy for the pure matcher.

`bluezone.protocol.matching` offers the pieces (a `SightingTable` built once, a `KeyBatch`
cut into chunks, `merge_matches`); this module runs the chunks in several processes. The
calling process works too: ``workers=2`` starts one more process. Chunks are handed out one
at a time from a shared counter, so a process slowed by other load takes fewer of them, and
the merge sorts the pairs, so the result is the serial one whatever the split (spec MATCH-9).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.sharedctypes import Synchronized
from typing import Literal

from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.matching import (
    KeyBatch,
    Sighting,
    SightingTable,
    find_matches,
    merge_matches,
)
from bluezone.reference_node.errors import MatchingWorkerError

# Below this many keys starting a process costs more than it saves. A forked helper starts
# at once with the table already built; a spawned one (in a process with threads, where
# forking is unsafe) first imports the library, about half a second.
PARALLEL_MIN_KEYS = {"fork": 20_000, "spawn": 100_000}

Pairs = list[tuple[int, int]]


def find_matches_parallel(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[Sighting],
    *,
    workers: int,
    min_keys: int | None = None,
) -> Pairs:
    """Return `find_matches(keys, sightings)`, computed by ``workers`` processes (MATCH-9).

    This process is one of them. Fewer than ``min_keys`` keys (default: `PARALLEL_MIN_KEYS`
    of the start method this process can use), or one worker, are matched here alone.
    Raises MatchingWorkerError if a worker process dies.
    """
    method = _start_method()
    threshold = PARALLEL_MIN_KEYS[method] if min_keys is None else min_keys
    if workers <= 1 or len(keys) < max(threshold, 1) or not sightings:
        return find_matches(keys, sightings)
    table = SightingTable.build(sightings)
    chunks = KeyBatch.build(keys).chunks()
    return merge_matches(_run(method, table, chunks, min(workers, len(chunks))))


def _run(
    method: Literal["fork", "spawn"], table: SightingTable, chunks: list[KeyBatch], workers: int
) -> list[Pairs]:
    if method == "fork":
        context: ForkContext | SpawnContext = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")
    next_chunk = context.Value("q", 0)
    helpers = []
    for _ in range(workers - 1):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_helper, args=(table, chunks, next_chunk, sender), daemon=True
        )
        process.start()
        sender.close()
        helpers.append((process, receiver))
    try:
        parts = _take_chunks(table, chunks, next_chunk)
        for process, receiver in helpers:
            parts.extend(_receive(process, receiver))
    finally:
        for process, receiver in helpers:
            receiver.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    return parts


def _take_chunks(
    table: SightingTable, chunks: list[KeyBatch], next_chunk: Synchronized[int]
) -> list[Pairs]:
    """Match chunks until none is left; each is taken by exactly one process."""
    parts: list[Pairs] = []
    while True:
        with next_chunk.get_lock():
            index = next_chunk.value
            next_chunk.value = index + 1
        if index >= len(chunks):
            return parts
        parts.append(table.match(chunks[index]))


def _helper(
    table: SightingTable,
    chunks: list[KeyBatch],
    next_chunk: Synchronized[int],
    sender: Connection,
) -> None:
    """A helper process's whole life: match chunks, send the pairs back, exit."""
    with sender:
        sender.send(_take_chunks(table, chunks, next_chunk))


def _receive(process: multiprocessing.process.BaseProcess, receiver: Connection) -> list[Pairs]:
    try:
        parts: list[Pairs] = receiver.recv()
    except EOFError:
        process.join()
        raise MatchingWorkerError(
            f"a matching worker process ended without a result (exit code {process.exitcode})"
        ) from None
    return parts


def _start_method() -> Literal["fork", "spawn"]:
    """Fork when it is safe (no other thread to copy mid-lock): it copies the table for free."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"
