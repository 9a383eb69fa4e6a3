"""The portal's languages: one JSON message catalogue per language (spec PORTAL-13).

A catalogue is ``locales/<tag>.json``: an object of message keys to strings, with
``{placeholders}`` filled by ``str.format``. English is the reference: every catalogue holds
exactly its keys and placeholders (a test checks), so a third language is one more file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources

REFERENCE = "en"
_TAG = re.compile(r"^[a-z]{2,3}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Translate = Callable[..., str]


@cache
def catalogues() -> Mapping[str, Mapping[str, str]]:
    """Every catalogue shipped with the package, by language tag."""
    found: dict[str, Mapping[str, str]] = {}
    for entry in resources.files(__package__).joinpath("locales").iterdir():
        tag = entry.name.removesuffix(".json")
        if entry.name.endswith(".json") and _TAG.match(tag):
            found[tag] = json.loads(entry.read_text(encoding="utf-8"))
    return found


def placeholders(message: str) -> set[str]:
    """The ``{names}`` a message fills in."""
    return set(_PLACEHOLDER.findall(message))


def translator(language: str) -> Translate:
    """Return ``t(key, **values)`` for ``language`` (a shipped tag)."""
    messages = catalogues()[language]

    def t(key: str, **values: object) -> str:
        return messages[key].format(**values) if values else messages[key]

    return t


def pick_language(cookie: str | None, accept_language: str, default: str) -> str:
    """The language of a request: the visitor's choice, else the browser's, else ``default``."""
    shipped = catalogues()
    if cookie is not None and cookie in shipped:
        return cookie
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:3].split("-")[0]
        if tag in shipped:
            return tag
    return default if default in shipped else REFERENCE
