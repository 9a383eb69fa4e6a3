"""Auditing a key server's log from outside (spec SRV-18, LOG-12).

An audit accepts the latest checkpoint only if the log signed it and it extends the last
checkpoint this auditor accepted (kept in a state file with the leaf hash of every batch);
downloads each new batch, checks its export signature, recomputes its leaf and checks its
inclusion; checks the inclusion of every earlier batch in the new tree; checks every
checkpoint the log signed since against the recomputed tree; and compares with the state
files of other auditors, so a log that showed them another tree is caught. Anything wrong
is a finding with the signed notes that prove it, kept in the state as evidence.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluezone.protocol.checkpoint import (
    Checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.merkle import MerkleTree, verify_inclusion
from bluezone.protocol.note import SignedNote
from bluezone.reference_node.client.client import NOT_COSIGNED, KeyServerClient, TrustConfig
from bluezone.reference_node.server.errors import (
    BadServerDataError,
    ClientError,
    LogVerificationError,
    ServerResponseError,
)

STATE_SCHEMA = "bluezone-audit-state/1"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: its kind (LogVerificationError kinds), a message, the notes proving it."""

    kind: str
    message: str
    evidence: tuple[str, ...] = ()


@dataclass
class AuditState:
    """What an auditor remembers of one log: the accepted checkpoint and every leaf hash."""

    origin: str
    note: str | None = None
    leaves: list[bytes] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The accepted checkpoint, parsed (its signature was checked when accepted)."""
        if self.note is None:
            return None
        return Checkpoint.from_text(SignedNote.from_bytes(self.note.encode()).text)

    def to_json(self) -> str:
        """Encode the state file."""
        return json.dumps(
            {
                "schema": STATE_SCHEMA,
                "origin": self.origin,
                "checkpoint": self.note,
                "leaves": [leaf.hex() for leaf in self.leaves],
                "evidence": self.evidence,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> AuditState:
        """Parse a state file; raise BadServerDataError if it is not one."""
        try:
            value = json.loads(text)
            if value["schema"] != STATE_SCHEMA:
                raise ValueError("unknown state schema")
            state = cls(
                str(value["origin"]),
                value["checkpoint"],
                [bytes.fromhex(h) for h in value["leaves"]],
                list(value["evidence"]),
            )
            checkpoint = state.checkpoint
        except (ValueError, KeyError, TypeError, ProtocolError) as exc:
            raise BadServerDataError("the audit state file is malformed") from exc
        if (checkpoint.tree_size if checkpoint else 0) != len(state.leaves):
            raise BadServerDataError("the audit state's leaves do not match its checkpoint")
        return state

    @classmethod
    def load(cls, path: Path) -> AuditState | None:
        """Read a state file, or None if there is none."""
        try:
            return cls.from_json(path.read_text())
        except FileNotFoundError:
            return None

    def save(self, path: Path) -> None:
        """Write the state file atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(self.to_json())
        os.replace(temporary, path)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome: the tree size reached, what was checked, and the findings.

    ``not_cosigned`` holds why the latest checkpoint was not accepted when it lacks the
    witness quorum (spec WIT-5): no finding, nothing checked, the state unchanged.
    """

    tree_size: int
    new_batches: int
    checkpoints_checked: int
    inclusions_checked: int
    findings: tuple[Finding, ...]
    not_cosigned: str | None = None

    @property
    def ok(self) -> bool:
        """True when everything was verified and nothing was found."""
        return not self.findings and self.not_cosigned is None


class _Audit:
    def __init__(self, client: KeyServerClient, trust: TrustConfig, state: AuditState) -> None:
        self.client = client
        self.trust = trust
        self.state = state
        self.findings: list[Finding] = []
        self.checkpoints_checked = 0
        self.inclusions_checked = 0
        self.pending: str | None = None

    def find(self, kind: str, message: str, *notes: str | bytes | None) -> None:
        evidence = tuple(n.decode() if isinstance(n, bytes) else n for n in notes if n)
        self.findings.append(Finding(kind, message, evidence))

    async def run(self, full: bool, peers: list[AuditState]) -> AuditReport:
        try:
            note = await self.client.latest_checkpoint()
        except ServerResponseError as exc:
            if exc.status != 404 or self.state.note is None:
                raise
            self.find("rewritten_history", "SRV-11: the log no longer serves a checkpoint")
            return self.report(0, 0)
        previous = self.state.note.encode() if self.state.note else None
        try:
            checkpoint = await self.client.accept_checkpoint(self.trust, note, previous)
        except LogVerificationError as exc:
            if exc.kind == NOT_COSIGNED:
                # spec WIT-5: not evidence of anything; the state waits for the witnesses.
                self.pending = str(exc)
                return self.report(0, 0)
            self.find(exc.kind, str(exc), previous, note)
            return self.report(0, 0)
        if checkpoint.origin != self.state.origin:
            self.find("bad_signature", "LOG-8: the checkpoint is of another origin", note)
            return self.report(0, 0)
        known = [] if full else list(self.state.leaves)
        tree = MerkleTree(known)
        for number in range(tree.size, checkpoint.tree_size):
            try:
                batch = await self.client.verified_batch(self.trust, checkpoint, number)
            except LogVerificationError as exc:
                self.find(exc.kind, str(exc), note)
                return self.report(checkpoint.tree_size, number - len(known))
            tree.append(batch.leaf_hash)
            self.inclusions_checked += 1
        new_batches = tree.size - len(known)
        if full and [tree.leaf_hash_at(i) for i in range(len(self.state.leaves))] != list(
            self.state.leaves
        ):
            self.find("rewritten_history", "LOG-5: a batch changed since the last audit", note)
        if tree.root() != checkpoint.root_hash:
            self.find("rewritten_history", "LOG-12: the batches do not give the signed root", note)
            return self.report(checkpoint.tree_size, new_batches)
        await self.check_old_inclusions(tree, checkpoint, len(known), note)
        first = 1 if full else (self.state.checkpoint.tree_size + 1 if self.state.note else 1)
        await self.check_checkpoints(tree, first, checkpoint.tree_size, note)
        for peer in peers:
            await self.compare(peer, tree, checkpoint, note)
        if not self.findings:
            self.state.note = note.decode()
            self.state.leaves = [tree.leaf_hash_at(i) for i in range(tree.size)]
        return self.report(checkpoint.tree_size, new_batches)

    async def check_old_inclusions(
        self, tree: MerkleTree, checkpoint: Checkpoint, count: int, note: bytes
    ) -> None:
        for number in range(count):
            proof = await self.client.inclusion_proof(number, checkpoint.tree_size)
            try:
                verify_inclusion(
                    tree.leaf_hash_at(number),
                    number,
                    checkpoint.tree_size,
                    proof,
                    checkpoint.root_hash,
                )
            except ProtocolError:
                self.find("not_included", f"LOG-11: batch {number} is not included any more", note)
                return
            self.inclusions_checked += 1

    async def check_checkpoints(self, tree: MerkleTree, first: int, last: int, note: bytes) -> None:
        for size in range(first, last + 1):
            try:
                other = await self.client.checkpoint(size)
            except ServerResponseError:
                self.find("missing_checkpoint", f"SRV-11: checkpoint {size} is not served")
                continue
            try:
                signed = verify_checkpoint(other, self.trust.log).checkpoint
            except ProtocolError as exc:
                self.find("bad_signature", f"LOG-10: checkpoint {size}: {exc.code}", other)
                continue
            if signed.tree_size != size or signed.root_hash != tree.root(size):
                self.find(
                    "split_view",
                    f"LOG-12: the log signed another tree of size {signed.tree_size}",
                    other,
                    note,
                )
            self.checkpoints_checked += 1

    async def compare(
        self, peer: AuditState, tree: MerkleTree, checkpoint: Checkpoint, note: bytes
    ) -> None:
        if peer.origin != checkpoint.origin or peer.note is None:
            return
        other_note = peer.note.encode()
        try:
            other = verify_checkpoint(other_note, self.trust.log).checkpoint
        except ProtocolError as exc:
            self.find("bad_signature", f"LOG-10: a peer's checkpoint: {exc.code}", other_note)
            return
        if other.tree_size <= tree.size:
            if tree.root(other.tree_size) != other.root_hash:
                self.find(
                    "split_view",
                    f"LOG-12: another auditor was shown a different tree of size {other.tree_size}",
                    other_note,
                    note,
                )
            return
        try:
            proof = await self.client.consistency_proof(checkpoint.tree_size, other.tree_size)
            verify_checkpoint_consistency(checkpoint, other, proof)
        except (ProtocolError, ClientError):
            self.find(
                "split_view",
                f"LOG-12: another auditor's tree of size {other.tree_size} does not extend ours",
                other_note,
                note,
            )

    def report(self, tree_size: int, new_batches: int) -> AuditReport:
        for finding in self.findings:
            self.state.evidence.append(
                {"kind": finding.kind, "message": finding.message, "notes": list(finding.evidence)}
            )
        return AuditReport(
            tree_size,
            new_batches,
            self.checkpoints_checked,
            self.inclusions_checked,
            tuple(self.findings),
            self.pending,
        )


async def audit(
    client: KeyServerClient,
    trust: TrustConfig,
    state: AuditState,
    full: bool = False,
    peers: list[AuditState] | None = None,
) -> AuditReport:
    """Audit the log behind ``client`` from ``state``; update ``state`` in place.

    The state advances to the new checkpoint only when nothing was found; findings are
    appended to its evidence either way. Network failures raise ClientError.
    """
    return await _Audit(client, trust, state).run(full, list(peers or ()))
