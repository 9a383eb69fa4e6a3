"""Benchmark the transparency log: proofs generated and verified per second, on one core.

Builds a Merkle tree of 100,000 leaves (the server's target size), then times inclusion
proof generation and verification for random leaves, consistency proofs between random
sizes, checkpoint verification with one witness, and a client's full check of one batch
(parse and verify a 1,000-key export file, then its inclusion proof). Prints a readable line
per figure and one JSON line at the end. Target (issue 6): >= 20,000 inclusion proofs/s
generated.

Usage (from the repository root): python -m benchmarks.transparency [--leaves N] [--proofs N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from bluezone.protocol.export import (
    ExportFile,
    ExportKey,
    ExportPayload,
    ExportSigner,
    ExportVerificationKey,
    SignatureInfo,
    sign_export,
)
from bluezone.protocol.log_leaf import BatchLeaf, verify_batch_inclusion
from bluezone.protocol.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from bluezone.protocol.note import NoteSigner
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1

TARGET_PROOFS_PER_S = 20_000


def rate(count: int, run: Callable[[], None]) -> float:
    """Run ``run`` once and return ``count`` divided by the seconds it took."""
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--proofs", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(1)
    results: dict[str, float | int] = {"leaves": args.leaves, "proofs": args.proofs}

    tree = MerkleTree()
    results["append_leaves_per_s"] = rate(
        args.leaves,
        lambda: [tree.append(leaf_hash(i.to_bytes(8, "big"))) for i in range(args.leaves)],
    )
    size, root = tree.size, tree.root()
    indices = [rng.randrange(size) for _ in range(args.proofs)]
    proofs: list[tuple[bytes, ...]] = []
    results["inclusion_proofs_generated_per_s"] = rate(
        args.proofs, lambda: proofs.extend(tree.inclusion_proof(i) for i in indices)
    )
    leaves = [tree.leaf_hash_at(i) for i in indices]
    results["inclusion_proofs_verified_per_s"] = rate(
        args.proofs,
        lambda: [
            verify_inclusion(leaf, i, size, p, root)
            for leaf, i, p in zip(leaves, indices, proofs, strict=True)
        ],
    )
    pairs = [tuple(sorted(rng.sample(range(1, size + 1), 2))) for _ in range(args.proofs // 5)]
    consistency: list[tuple[bytes, ...]] = []
    results["consistency_proofs_generated_per_s"] = rate(
        len(pairs), lambda: consistency.extend(tree.consistency_proof(a, b) for a, b in pairs)
    )
    roots = [(tree.root(a), tree.root(b)) for a, b in pairs]
    results["consistency_proofs_verified_per_s"] = rate(
        len(pairs),
        lambda: [
            verify_consistency(a, b, ra, rb, p)
            for (a, b), (ra, rb), p in zip(pairs, roots, consistency, strict=True)
        ],
    )

    log = NoteSigner("bench.example/log", bytes(32))
    witness = NoteSigner("witness.example", bytes(range(32)), SIGNATURE_TYPE_COSIGNATURE_V1)
    note = cosign_checkpoint(sign_checkpoint(Checkpoint(log.name, size, root), log), witness, 1)
    n_notes = 2_000
    results["checkpoints_verified_per_s"] = rate(
        n_notes,
        lambda: [
            verify_checkpoint(note, log.verifier(), [witness.verifier()], 1) for _ in range(n_notes)
        ],
    )

    private_key = ec.derive_private_key(12345, ec.SECP256R1())
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = tuple(ExportKey(rng.randbytes(16), 2_833_200, 144) for _ in range(1_000))
    export = sign_export(
        ExportPayload(1_700_000_000, 1_700_003_600, "VN", keys=keys),
        [
            ExportSigner(
                SignatureInfo("bench", "v1"),
                lambda data: private_key.sign(data, ec.ECDSA(hashes.SHA256())),
            )
        ],
    )
    archive = export.to_zip()
    batch_tree = MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(1_000))
    leaf = BatchLeaf.for_export(batch_tree.size, export.export_bin)
    batch_tree.append_leaf(bytes(leaf))
    batch_proof, batch_root = batch_tree.inclusion_proof(leaf.batch_number), batch_tree.root()
    key = ExportVerificationKey("bench", "v1", der)

    def check_batch() -> None:
        parsed = ExportFile.from_zip(archive)
        parsed.verify(key)
        verify_batch_inclusion(
            BatchLeaf.for_export(leaf.batch_number, parsed.export_bin),
            batch_tree.size,
            batch_proof,
            batch_root,
        )

    n_batches = 200
    results["client_batches_verified_per_s_1000_keys"] = rate(
        n_batches, lambda: [check_batch() for _ in range(n_batches)]
    )

    for name, value in results.items():
        print(f"{name:45s} {value:>14,.0f}")
    generated = results["inclusion_proofs_generated_per_s"]
    verdict = "meets" if generated >= TARGET_PROOFS_PER_S else "misses"
    print(f"target {TARGET_PROOFS_PER_S:,} inclusion proofs/s generated: {verdict}")
    print(json.dumps({k: round(v) for k, v in results.items()}, sort_keys=True))


if __name__ == "__main__":
    main()
