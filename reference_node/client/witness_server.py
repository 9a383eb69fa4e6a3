"""The witness's C2SP tlog-witness endpoint: ``POST /add-checkpoint`` (spec WIT-2).

A log sends its new checkpoint with the consistency proof from the size this witness last
cosigned; the witness answers its cosignature line (200), or the status of WIT-2: 400 for
a malformed request or an old size above the new one, 403 when the log's signature does
not verify, 404 for a log it does not follow, 409 with its own size (``text/x.tlog.size``)
when the old size is not that size or the same size has another root, 422 when the proof
fails. The checks and the state update are one step (``Witness.add_checkpoint``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from aiohttp import web

from bluezone.protocol.errors import (
    ProtocolError,
    WitnessConflictError,
    WitnessLogSignatureError,
    WitnessProofError,
    WitnessUnknownLogError,
)
from bluezone.protocol.note import NoteVerifier
from bluezone.protocol.params import MAX_ADD_CHECKPOINT_BYTES, TLOG_SIZE_CONTENT_TYPE
from bluezone.reference_node.client.witness import Witness
from bluezone.reference_node.server.errors import ServerError, WitnessStateError
from bluezone.reference_node.server.requests import read_body

log = logging.getLogger("bluezone.witness")

ADD_CHECKPOINT_PATH = "/add-checkpoint"


def witness_status(exc: ProtocolError) -> int:
    """Return the HTTP status of a WitnessError (spec WIT-2); 400 for any other error."""
    if isinstance(exc, WitnessUnknownLogError):
        return 404
    if isinstance(exc, WitnessLogSignatureError):
        return 403
    if isinstance(exc, WitnessConflictError):
        return 409
    if isinstance(exc, WitnessProofError):
        return 422
    return 400


def _text(status: int, text: str, content_type: str = "text/plain") -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type=content_type)


def witness_app(
    witness: Witness, logs: Sequence[NoteVerifier], clock: Callable[[], float] = time.time
) -> web.Application:
    """Return the aiohttp application serving ``POST /add-checkpoint`` for ``logs``."""

    async def add_checkpoint(request: web.Request) -> web.Response:
        try:
            body = await read_body(request, MAX_ADD_CHECKPOINT_BYTES)
        except ServerError as exc:
            return _text(exc.status, f"{exc.code}: {exc}")
        try:
            # The state file is fsynced: off the event loop, still one locked step.
            line = await asyncio.to_thread(witness.add_checkpoint, body, logs, int(clock()))
        except WitnessConflictError as exc:
            return _text(409, str(exc.known_size), TLOG_SIZE_CONTENT_TYPE)
        except ProtocolError as exc:
            status = witness_status(exc)
            log.warning("add-checkpoint refused (%d %s)", status, exc.code)
            return _text(status, f"{exc.code}: {exc}")
        except WitnessStateError:
            log.exception("the witness state cannot be used")
            return _text(500, "internal_error: the witness state cannot be used")
        log.info("add-checkpoint cosigned")
        return web.Response(status=200, body=line, content_type="text/plain", charset="utf-8")

    app = web.Application(client_max_size=MAX_ADD_CHECKPOINT_BYTES)
    app.router.add_post(ADD_CHECKPOINT_PATH, add_checkpoint)
    return app
