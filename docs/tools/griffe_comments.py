"""Griffe extension: a module constant without a docstring takes the comment above it.

``protocol/params.py`` documents each constant with a comment naming its rule
(``# spec KS-2: ...``); this shows that comment on the API page. Constants in one group
share the comment above the group's first line; section banners (``# --- ...``) are skipped.
"""

from __future__ import annotations

from typing import Any

from griffe import Attribute, Docstring, Extension


def _comment_above(lines: list[str], lineno: int) -> str | None:
    """The comment block above line ``lineno`` (1-based), across the lines of its group."""
    index = lineno - 2
    while index >= 0 and lines[index].strip() and not lines[index].lstrip().startswith("#"):
        index -= 1  # another constant of the same group
    block: list[str] = []
    while index >= 0 and lines[index].lstrip().startswith("#"):
        text = lines[index].strip().lstrip("#").strip()
        if not text.startswith("---"):
            block.insert(0, text)
        index -= 1
    return " ".join(block) or None


class CommentDocstrings(Extension):
    """Give undocumented module attributes the comment written above them."""

    def on_attribute_instance(self, *, attr: Attribute, **kwargs: Any) -> None:
        parent = attr.parent
        if attr.docstring is not None or parent is None or not parent.is_module:
            return
        if attr.lineno is None:
            return
        text = _comment_above(list(parent.lines), attr.lineno)
        if text:
            attr.docstring = Docstring(text, lineno=attr.lineno, parent=attr)
