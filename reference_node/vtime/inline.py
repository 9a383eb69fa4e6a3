"""Run "blocking" calls inline on the event loop's thread, for simulations on virtual time.

The node sends store calls and matching to worker threads so that disk and CPU never stall
the event loop. Under `vclock.VirtualTimeEventLoop` that would make runs depend on thread
timing: the loop jumps to its next timer while a thread works. `InlineExecutor` runs each
call at once in the caller's thread instead, so a simulated run is exactly repeatable.
`open_inline_store` opens a store that way.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable
from typing import Any

from bluezone.reference_node.store import AsyncStore, Store


class InlineExecutor(concurrent.futures.Executor):
    """An executor that runs every submitted call immediately, in the submitting thread."""

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` now; return a future that is already done."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # the caller awaits the future and sees it
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to shut down: no thread was started."""


def open_inline_store(data_dir: str | os.PathLike[str], **kwargs: Any) -> AsyncStore:
    """Open the store in ``data_dir`` for use on this thread's event loop (see module doc)."""
    return AsyncStore(Store.open(data_dir, **kwargs), InlineExecutor())
