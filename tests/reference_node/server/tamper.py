"""A dishonest log operator: rewrites a stopped server's stored log and re-signs it.

It holds the log's real signing key, so every checkpoint it writes verifies; only
consistency with what clients saw before can catch it.
"""

from __future__ import annotations

import shutil
import sqlite3
from hashlib import sha256
from pathlib import Path

from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint
from bluezone.protocol.export import ExportFile
from bluezone.protocol.log_leaf import BatchLeaf
from bluezone.protocol.merkle import MerkleTree
from bluezone.protocol.note import NoteSigner
from bluezone.reference_node.server.keyfiles import LOG_KEY_FILE
from bluezone.reference_node.server.runner import DATABASE_FILE, PUBLIC_DIR


def rewrite_log(data_dir: Path, order: list[int]) -> None:
    """Replace the log by the batches ``order`` names (old numbers), renumbered from 0.

    Dropping a number removes that batch; permuting reorders. Every checkpoint is
    re-signed with the log's key, and the public files are removed so the server writes
    them anew from the rewritten database when it starts.
    """
    signer = NoteSigner.from_skey((data_dir / LOG_KEY_FILE).read_text().strip())
    db = sqlite3.connect(data_dir / DATABASE_FILE, isolation_level=None)
    rows = {
        r[0]: r
        for r in db.execute(
            "SELECT number, start_s, end_s, key_count, archive FROM batches ORDER BY number"
        )
    }
    tree = MerkleTree()
    db.execute("BEGIN")
    db.execute("DELETE FROM batches")
    db.execute("DELETE FROM checkpoints")
    for new_number, old_number in enumerate(order):
        _, start_s, end_s, key_count, archive = rows[old_number]
        export = ExportFile.from_zip(bytes(archive))
        leaf = BatchLeaf.for_export(new_number, export.export_bin)
        tree.append(leaf.leaf_hash())
        db.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_number,
                leaf.leaf_hash(),
                leaf.export_bin_sha256,
                sha256(archive).digest(),
                len(archive),
                start_s,
                end_s,
                key_count,
                archive,
            ),
        )
        note = sign_checkpoint(Checkpoint(signer.name, tree.size, tree.root()), signer)
        db.execute("INSERT INTO checkpoints VALUES (?, ?)", (tree.size, note))
    db.execute("COMMIT")
    db.close()
    shutil.rmtree(data_dir / PUBLIC_DIR)
