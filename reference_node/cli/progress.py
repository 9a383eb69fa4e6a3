"""Progress of long commands on a terminal, drawn by tqdm on stderr.

Shown only when stderr is a terminal and the command prints no JSON; otherwise (a pipe, a
log file, ``--json``) nothing extra is written. tqdm comes with the node extra; without it
the commands run as before, silently.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Bar(Protocol):
    """What a command tells a progress bar."""

    def update(self, n: float = 1) -> object:
        """Advance by ``n`` (steps, or seconds for a countdown)."""

    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
        """Say what runs now."""


class _Silent:
    def update(self, n: float = 1) -> object:
        return None

    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
        return None


def wanted(json_output: bool = False) -> bool:
    """Whether to show progress: stderr is a terminal, the output is not JSON, tqdm is here."""
    if json_output or not sys.stderr.isatty():
        return False
    try:
        import tqdm  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


@contextmanager
def steps(total: int, what: str, show: bool) -> Iterator[Bar]:
    """A bar of ``total`` steps; ``set_description_str`` names the one running."""
    if not show:
        yield _Silent()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=what, unit="step", file=sys.stderr, leave=False) as bar:
        yield bar


@contextmanager
def countdown(seconds: float, what: str, show: bool) -> Iterator[Bar]:
    """A bar of a wait of ``seconds``: what it waits for, the time passed and the time left."""
    if not show:
        yield _Silent()
        return
    from tqdm import tqdm

    options: dict[str, Any] = {
        "total": round(seconds),
        "desc": what,
        "unit": "s",
        "file": sys.stderr,
        "leave": False,
        "bar_format": "{desc} {bar} {elapsed} passed, {remaining} left",
    }
    with tqdm(**options) as bar:
        yield bar


def as_steps(bar: Bar) -> Callable[[str, int, int], None]:
    """A ``progress(what, done, total)`` callback that moves ``bar``."""

    def tell(what: str, done: int, total: int) -> None:
        if isinstance(bar, _Silent):
            return
        bar.total = total  # type: ignore[attr-defined]
        bar.update(done - bar.n)  # type: ignore[attr-defined]
        bar.set_description_str(what)

    return tell
