"""The key server's client: what devices, health authorities, auditors and witnesses call.

Device side: ``request_token`` binds an HMAC of the keys to a code (SRV-4, SRV-5), ``upload``
sends the keys with the secret that reproduces it (SRV-7), ``report`` does both;
``download`` fetches the batches and accepts them only as LOG-11 says: a checkpoint signed
by the log (and a witness quorum), consistent with the last one accepted, every export file
signed and included in the checkpoint (SRV-17). Health authority: ``issue_code``. Witness:
``add_cosignatures`` (SRV-16). Every response is read within a size limit and parsed
strictly; failures raise ClientError subclasses.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bluezone.protocol.checkpoint import (
    Checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from bluezone.protocol.errors import MerkleError, ProtocolError, WitnessQuorumError
from bluezone.protocol.export import ExportFile, ExportVerificationKey
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.log_leaf import BatchLeaf, verify_batch_inclusion
from bluezone.protocol.note import NoteVerifier
from bluezone.protocol.params import (
    CODE_LENGTH,
    KEY_HMAC_LENGTH,
    MAX_EXPORT_ARCHIVE_BYTES,
    MAX_HMAC_SECRET_BYTES,
    MAX_NOTE_BYTES,
    MAX_PADDING_CHARS,
    TOKEN_BYTES,
)
from bluezone.protocol.upload import key_list_hmac
from bluezone.reference_node.server.deniability import CHAFF_HEADER
from bluezone.reference_node.server.errors import (
    BadServerDataError,
    ClientError,
    LogVerificationError,
    ServerResponseError,
)
from bluezone.reference_node.server.index import MAX_INDEX_BYTES, BatchIndex
from bluezone.reference_node.server.keyfiles import ServerKeys

# spec SRV-8: clients pad request bodies to these sizes so every upload looks the same.
TOKEN_BODY_BYTES = 512
UPLOAD_BODY_BYTES = 2048
MAX_JSON_RESPONSE_BYTES = 64 * 1024
# A proof in a tree of at most 2**64 leaves holds at most 64 hashes (inclusion) or 65
# (consistency, LOG-4); anything longer is refused before decoding.
MAX_PROOF_HASHES = 65
# spec WIT-5: the kind of a checkpoint that lacks the witness quorum (not a finding).
NOT_COSIGNED = "not_cosigned"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A verification code as the health authority hands it out (SRV-3)."""

    code: str
    expires_s: int
    report_type: int
    exposure_interval: int | None = None  # spec SRV-20: a recursive code
    revision: bool = False  # spec SRV-20: a revision code

    def __repr__(self) -> str:
        return f"IssuedCode(expires_s={self.expires_s}, report_type={self.report_type})"


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """The server's answer to an upload: keys stored, and positions dropped (SRV-6, SRV-21)."""

    accepted: int
    dropped: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """An upload token and the HMAC secret that binds it to a key list (SRV-4, SRV-5)."""

    token: bytes
    hmac_secret: bytes
    expires_s: int

    def __repr__(self) -> str:
        return f"UploadGrant(expires_s={self.expires_s})"


@dataclass(frozen=True, slots=True)
class TrustConfig:
    """What a client trusts: the log key, the export key, witnesses and their quorum."""

    log: NoteVerifier
    export: ExportVerificationKey
    witnesses: tuple[NoteVerifier, ...] = ()
    quorum: int = 0

    @classmethod
    def from_server_keys(cls, keys: ServerKeys, quorum: int = 0) -> TrustConfig:
        """Trust the keys a server published (only when they came from a trusted channel)."""
        return cls(keys.log, keys.export, keys.witnesses, quorum)


@dataclass(frozen=True, slots=True)
class VerifiedBatch:
    """A batch whose export signature and log inclusion verified (LOG-11)."""

    number: int
    export: ExportFile
    leaf_hash: bytes

    def diagnosis_keys(self) -> tuple[TemporaryExposureKey, ...]:
        """Return the batch's keys as diagnosis keys for matching (MATCH-1)."""
        return _diagnosis_keys(self.export.payload.keys)

    def revised_keys(self) -> tuple[TemporaryExposureKey, ...]:
        """Return the batch's revised keys (SRV-25), for MATCH-11."""
        return _diagnosis_keys(self.export.payload.revised_keys)


def _diagnosis_keys(keys) -> tuple[TemporaryExposureKey, ...]:
    return tuple(
        TemporaryExposureKey(
            k.key_data,
            k.rolling_start_interval_number,
            k.rolling_period,
            k.report_type,
            k.days_since_onset_of_symptoms,
        )
        for k in keys
    )


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """A verified download: the accepted checkpoint (note and parsed) and new batches."""

    note: bytes
    checkpoint: Checkpoint
    batches: tuple[VerifiedBatch, ...]

    def diagnosis_keys(self) -> list[TemporaryExposureKey]:
        """Return every key of every batch, in batch order."""
        return [key for batch in self.batches for key in batch.diagnosis_keys()]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _padded(body: dict[str, Any], target: int) -> bytes:
    """Return the JSON body with a random "padding" field bringing it to ``target`` bytes."""
    plain = json.dumps(body, separators=(",", ":")).encode()
    room = target - len(plain) - len(',"padding":""')
    chars = max(0, min(MAX_PADDING_CHARS, room))
    padding = secrets.token_urlsafe(chars)[:chars]
    return json.dumps({**body, "padding": padding}, separators=(",", ":")).encode()


def _key_json(key: TemporaryExposureKey) -> dict[str, Any]:
    return {
        "key_data": _b64(key.key_data),
        "rolling_start": key.rolling_start,
        "rolling_period": key.rolling_period,
    }


def _hashes(values: object) -> tuple[bytes, ...]:
    if not isinstance(values, list) or len(values) > MAX_PROOF_HASHES:
        raise BadServerDataError("SRV-13: a proof is a list of at most 65 hashes")
    try:
        hashes = tuple(base64.b64decode(v, validate=True) for v in values)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise BadServerDataError("SRV-13: a proof hash is not base64") from exc
    return hashes


class KeyServerClient:
    """HTTP client of one key server; use as ``async with KeyServerClient(url) as c``."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        timeout_s: float = 60.0,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        """Talk to ``base_url``; an own session is made unless one is given."""
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.clock = clock
        self.random_bytes = random_bytes

    async def __aenter__(self) -> KeyServerClient:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client made it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _need_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _read(self, response: aiohttp.ClientResponse, limit: int) -> bytes:
        if response.content_length is not None and response.content_length > limit:
            raise BadServerDataError(f"response over {limit} bytes")
        data = await response.content.read(limit + 1)
        while len(data) <= limit:
            more = await response.content.read(limit + 1 - len(data))
            if not more:
                break
            data += more
        if len(data) > limit:
            raise BadServerDataError(f"response over {limit} bytes")
        return data

    async def _raise_for(self, response: aiohttp.ClientResponse) -> None:
        if response.status < 400:
            return
        data = await self._read(response, MAX_JSON_RESPONSE_BYTES)
        try:
            value = json.loads(data)
            error, message = str(value["error"]), str(value.get("message", ""))
        except (ValueError, KeyError, TypeError):
            error, message = "http_error", f"HTTP {response.status}"
        raise ServerResponseError(f"{error}: {message}", response.status, error)

    async def get(self, path: str, limit: int, params: dict[str, str] | None = None) -> bytes:
        """GET ``path`` below the base URL; return at most ``limit`` bytes of body."""
        try:
            async with self._need_session().get(
                f"{self.base_url}/{path}", params=params, timeout=self._timeout
            ) as response:
                await self._raise_for(response)
                return await self._read(response, limit)
        except aiohttp.ClientError as exc:
            raise ClientError(f"cannot reach the key server: {type(exc).__name__}") from exc

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a JSON body; return the JSON object answered."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            async with self._need_session().post(
                f"{self.base_url}/{path}", data=body, headers=all_headers, timeout=self._timeout
            ) as response:
                await self._raise_for(response)
                data = await self._read(response, MAX_JSON_RESPONSE_BYTES)
        except aiohttp.ClientError as exc:
            raise ClientError(f"cannot reach the key server: {type(exc).__name__}") from exc
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise BadServerDataError("the server's answer is not JSON") from exc
        if not isinstance(value, dict):
            raise BadServerDataError("the server's answer is not a JSON object")
        return value

    # --- health authority ---------------------------------------------------------------

    async def issue_code(
        self,
        api_key: str,
        report_type: int = 1,
        onset_interval: int | None = None,
        validity_s: int | None = None,
        exposure_interval: int | None = None,
        revision: bool = False,
    ) -> IssuedCode:
        """Ask for a verification code with the health authority's API key (SRV-3, SRV-20)."""
        body: dict[str, Any] = {"report_type": report_type}
        if onset_interval is not None:
            body["onset_interval"] = onset_interval
        if validity_s is not None:
            body["validity_s"] = validity_s
        if exposure_interval is not None:
            body["exposure_interval"] = exposure_interval
        if revision:
            body["revision"] = True
        value = await self.post(
            "v1/ha/codes", json.dumps(body).encode(), {"Authorization": f"Bearer {api_key}"}
        )
        try:
            exposure = value.get("exposure_interval")
            return IssuedCode(
                str(value["code"]),
                int(value["expires_s"]),
                int(value["report_type"]),
                None if exposure is None else int(exposure),
                value.get("revision") is True,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadServerDataError("SRV-3: malformed code response") from exc

    # --- device: upload -----------------------------------------------------------------

    async def request_token(
        self, code: str, keys: Sequence[TemporaryExposureKey], secret: bytes | None = None
    ) -> UploadGrant:
        """Exchange a code for a token bound to these keys' HMAC (SRV-4, SRV-5).

        The HMAC secret is drawn here unless given (a device that must survive a restart
        stores it first); it is never sent before the upload.
        """
        if secret is None:
            secret = self.random_bytes(MAX_HMAC_SECRET_BYTES // 2)
        body = {"code": code, "key_hmac": _b64(key_list_hmac(secret, keys))}
        value = await self.post("v1/token", _padded(body, TOKEN_BODY_BYTES))
        try:
            token = base64.b64decode(value["token"], validate=True)
            return UploadGrant(token, secret, int(value["expires_s"]))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise BadServerDataError("SRV-4: malformed token response") from exc

    async def upload(self, grant: UploadGrant, keys: Sequence[TemporaryExposureKey]) -> int:
        """Upload the keys the grant is bound to; return how many the server accepted."""
        return (await self.upload_keys(grant, keys)).accepted

    async def upload_keys(
        self,
        grant: UploadGrant,
        keys: Sequence[TemporaryExposureKey],
        revision_secret: bytes | None = None,
    ) -> UploadOutcome:
        """Upload the keys the grant is bound to, with a revision secret if given (SRV-23).

        Returns the keys accepted and the positions the server dropped with a warning: outside
        the window (SRV-6) or before a recursive code's exposure day (SRV-21).
        """
        body: dict[str, Any] = {
            "token": _b64(grant.token),
            "hmac_secret": _b64(grant.hmac_secret),
            "keys": [_key_json(k) for k in keys],
        }
        if revision_secret is not None:
            body["revision_secret"] = _b64(revision_secret)
        value = await self.post("v1/publish", _padded(body, UPLOAD_BODY_BYTES))
        accepted = value.get("accepted")
        warnings = value.get("warnings", [])
        if not isinstance(accepted, int) or not isinstance(warnings, list):
            raise BadServerDataError("SRV-7: malformed upload response")
        try:
            positions = tuple(int(item["index"]) for item in warnings)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadServerDataError("SRV-7: malformed list of warnings") from exc
        return UploadOutcome(accepted, positions)

    async def revise(
        self, grant: UploadGrant, keys: Sequence[TemporaryExposureKey], revision_secret: bytes
    ) -> int:
        """Revise keys uploaded before with a revision code's grant (SRV-24); return the count."""
        body = {
            "token": _b64(grant.token),
            "hmac_secret": _b64(grant.hmac_secret),
            "revision_secret": _b64(revision_secret),
            "keys": [_key_json(k) for k in keys],
        }
        value = await self.post("v1/revise", _padded(body, UPLOAD_BODY_BYTES))
        revised = value.get("revised")
        if not isinstance(revised, int):
            raise BadServerDataError("SRV-24: malformed revision response")
        return revised

    async def send_chaff_token(self) -> None:
        """Send a chaff token request, of a real one's size (spec DENY-1, DENY-3)."""
        body = {"code": "2" * CODE_LENGTH, "key_hmac": _b64(self.random_bytes(KEY_HMAC_LENGTH))}
        await self.post("v1/token", _padded(body, TOKEN_BODY_BYTES), {CHAFF_HEADER: "1"})

    async def send_chaff_upload(self) -> None:
        """Send a chaff upload, of a real one's size (spec DENY-1, DENY-3)."""
        body = {
            "token": _b64(self.random_bytes(TOKEN_BYTES)),
            "hmac_secret": _b64(self.random_bytes(MAX_HMAC_SECRET_BYTES // 2)),
            "keys": [],
        }
        await self.post("v1/publish", _padded(body, UPLOAD_BODY_BYTES), {CHAFF_HEADER: "1"})

    async def report(self, code: str, keys: Sequence[TemporaryExposureKey]) -> int:
        """Exchange ``code`` and upload ``keys`` (the device's report, SRV-4..SRV-7)."""
        return await self.upload(await self.request_token(code, keys), keys)

    # --- downloads ----------------------------------------------------------------------

    async def server_keys(self) -> ServerKeys:
        """Fetch ``v1/keys`` (trust it only through a trusted channel)."""
        return ServerKeys.from_json(await self.get("v1/keys", MAX_JSON_RESPONSE_BYTES))

    async def latest_checkpoint(self) -> bytes:
        """Fetch the latest signed checkpoint note (SRV-11)."""
        return await self.get("v1/checkpoint", MAX_NOTE_BYTES)

    async def newest_checkpoint(self) -> bytes:
        """Fetch the newest signed checkpoint, cosigned by the quorum or not (WIT-4)."""
        return await self.get("v1/checkpoints/latest", MAX_NOTE_BYTES)

    async def checkpoint(self, tree_size: int) -> bytes:
        """Fetch the checkpoint signed at ``tree_size`` (SRV-11)."""
        return await self.get(f"v1/checkpoints/{tree_size}", MAX_NOTE_BYTES)

    async def index(self) -> BatchIndex:
        """Fetch and parse the batch index (SRV-12)."""
        return BatchIndex.from_bytes(await self.get("v1/batches/index.cbor", MAX_INDEX_BYTES))

    async def batch_archive(self, number: int) -> bytes:
        """Fetch batch ``number``'s export file (SRV-11)."""
        return await self.get(f"v1/batches/{number}.zip", MAX_EXPORT_ARCHIVE_BYTES)

    async def inclusion_proof(self, number: int, tree_size: int) -> tuple[bytes, ...]:
        """Fetch the inclusion proof of batch ``number`` in the tree of ``tree_size`` (SRV-13)."""
        data = await self.get(
            "v1/proof/inclusion",
            MAX_JSON_RESPONSE_BYTES,
            {"batch": str(number), "tree_size": str(tree_size)},
        )
        return _hashes(_json_field(data, "proof"))

    async def consistency_proof(self, first: int, second: int) -> tuple[bytes, ...]:
        """Fetch the consistency proof between two tree sizes (SRV-13)."""
        data = await self.get(
            "v1/proof/consistency",
            MAX_JSON_RESPONSE_BYTES,
            {"first": str(first), "second": str(second)},
        )
        return _hashes(_json_field(data, "proof"))

    async def add_cosignatures(self, tree_size: int, note: bytes) -> None:
        """Post a witness's cosigned checkpoint note of ``tree_size`` (SRV-16)."""
        value = await self.post(
            f"v1/checkpoints/{tree_size}/cosignatures",
            note,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
        if value.get("accepted") is not True or value.get("tree_size") != tree_size:
            raise BadServerDataError("SRV-16: malformed cosignature response")

    async def accept_checkpoint(
        self, trust: TrustConfig, note: bytes, previous: bytes | None
    ) -> Checkpoint:
        """Verify a checkpoint note (LOG-10) and its consistency with ``previous`` (LOG-11).

        Raises LogVerificationError: "not_cosigned" when it lacks the witness quorum (WIT-5:
        not evidence against the log, only not trusted yet), "bad_signature", or
        "rewritten_history" when the tree shrank, has another root at the same size, or the
        consistency proof fails.
        """
        checkpoint = _verified(note, trust, int(self.clock()))
        if previous is None:
            return checkpoint
        old = Checkpoint.from_text(_text(previous))
        if old.origin != checkpoint.origin:
            raise LogVerificationError("LOG-11: checkpoints of different logs", "bad_signature")
        if checkpoint.tree_size < old.tree_size:
            raise LogVerificationError(
                f"LOG-11: the log shrank from {old.tree_size} to {checkpoint.tree_size} batches",
                "rewritten_history",
            )
        if checkpoint.tree_size == old.tree_size:
            if checkpoint.root_hash != old.root_hash:
                raise LogVerificationError(
                    f"LOG-12: two roots for tree size {old.tree_size}", "rewritten_history"
                )
            return checkpoint
        proof = await self.consistency_proof(old.tree_size, checkpoint.tree_size)
        try:
            verify_checkpoint_consistency(old, checkpoint, proof)
        except ProtocolError as exc:
            raise LogVerificationError(
                f"LOG-11: tree size {checkpoint.tree_size} does not extend {old.tree_size}",
                "rewritten_history",
            ) from exc
        return checkpoint

    async def verified_batch(
        self, trust: TrustConfig, checkpoint: Checkpoint, number: int
    ) -> VerifiedBatch:
        """Download batch ``number`` and verify signature and inclusion (LOG-11 steps 3-4)."""
        archive = await self.batch_archive(number)
        # Parsing and checking a large export takes a while: off the event loop.
        export = await asyncio.to_thread(_signed_export, archive, trust.export, number)
        leaf = BatchLeaf.for_export(number, export.export_bin)
        proof = await self.inclusion_proof(number, checkpoint.tree_size)
        try:
            verify_batch_inclusion(leaf, checkpoint.tree_size, proof, checkpoint.root_hash)
        except MerkleError as exc:
            raise LogVerificationError(
                f"LOG-11: batch {number} is not included in tree size {checkpoint.tree_size}",
                "not_included",
            ) from exc
        return VerifiedBatch(number, export, leaf.leaf_hash())

    async def download(
        self, trust: TrustConfig, previous: bytes | None = None, next_batch: int | None = None
    ) -> DownloadResult:
        """Download every batch from ``next_batch`` on, verified as LOG-11 says.

        ``previous`` is the last checkpoint note this device accepted and ``next_batch``
        the first batch it has not seen; a device that never downloaded passes neither and
        starts at the oldest batch the index lists. Store the result's ``note`` and
        ``checkpoint.tree_size`` for the next call.
        """
        note = await self.latest_checkpoint()
        checkpoint = await self.accept_checkpoint(trust, note, previous)
        if next_batch is None:
            index = await self.index()
            next_batch = index.batches[0].number if index.batches else checkpoint.tree_size
        batches = [
            await self.verified_batch(trust, checkpoint, number)
            for number in range(next_batch, checkpoint.tree_size)
        ]
        return DownloadResult(note, checkpoint, tuple(batches))


def _signed_export(archive: bytes, key: ExportVerificationKey, number: int) -> ExportFile:
    """Parse an export file and verify its signature (EXP-10, EXP-8), for a thread."""
    try:
        export = ExportFile.from_zip(archive)
        export.verify(key)
    except ProtocolError as exc:
        raise LogVerificationError(
            f"EXP-8: batch {number} is not a valid signed export ({exc.code})",
            "bad_signature",
        ) from exc
    return export


def _json_field(data: bytes, name: str) -> object:
    try:
        value = json.loads(data)
        return value[name]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadServerDataError(f"the server's answer has no {name!r}") from exc


def _text(note: bytes) -> str:
    from bluezone.protocol.note import SignedNote

    try:
        return SignedNote.from_bytes(note).text
    except ProtocolError as exc:
        raise BadServerDataError("a stored checkpoint note is malformed") from exc


def _verified(note: bytes, trust: TrustConfig, now_s: int) -> Checkpoint:
    """Verify a checkpoint under LOG-10; a missing quorum is "not_cosigned" (spec WIT-5)."""
    try:
        return verify_checkpoint(note, trust.log, trust.witnesses, trust.quorum, now_s).checkpoint
    except WitnessQuorumError as exc:
        raise LogVerificationError(
            f"WIT-5: the checkpoint is not yet cosigned by the witness quorum ({exc})",
            NOT_COSIGNED,
        ) from exc
    except ProtocolError as exc:
        raise LogVerificationError(
            f"LOG-10: the checkpoint is not acceptable ({exc.code})", "bad_signature"
        ) from exc
