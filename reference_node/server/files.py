"""The static files a key server publishes, laid out as their URLs (spec SRV-11).

Everything a client downloads except proofs is a file under the public directory, written
atomically (temporary file, fsync, rename, fsync of the directory), so a CDN or any static
web server can serve the directory as it is and a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

# spec SRV-11: paths below the server's base URL.
CHECKPOINT_PATH = "v1/checkpoint"
# spec WIT-4: the newest signed checkpoint, cosigned by the quorum or not.
LATEST_CHECKPOINT_PATH = "v1/checkpoints/latest"
INDEX_PATH = "v1/batches/index.cbor"
# spec GAPI-12: the same batches listed as GAEN's index.txt, one file path per line.
INDEX_TEXT_PATH = "v1/batches/index.txt"
KEYS_PATH = "v1/keys"


def batch_path(number: int) -> str:
    """Return the path of batch ``number``'s export file (spec SRV-11)."""
    return f"v1/batches/{number}.zip"


def index_text(numbers: list[int]) -> bytes:
    """Return GAEN's index.txt of batches ``numbers``: their paths, one a line (GAPI-12)."""
    return "".join(f"{batch_path(n)}\n" for n in numbers).encode("ascii")


def checkpoint_path(tree_size: int) -> str:
    """Return the path of the checkpoint for ``tree_size`` (spec SRV-11)."""
    return f"v1/checkpoints/{tree_size}"


def fsync_directory(path: Path) -> None:
    """Fsync a directory, so that a rename or a link in it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(target: Path, data: bytes) -> None:
    """Replace ``target`` by ``data`` atomically and durably, creating its directory.

    The bytes go to ``.<name>.tmp`` beside it, are flushed and fsynced, renamed over the
    target, and the directory is fsynced: after a crash the file is whole, old or new.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    fsync_directory(target.parent)


class PublicFiles:
    """The public directory: atomic writes and reads by URL path."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Use ``root`` as the public directory (created on first write)."""
        self.root = Path(root)

    def path(self, relative: str) -> Path:
        """Return the file for a URL path below the base URL."""
        return self.root / relative

    def write(self, relative: str, data: bytes) -> None:
        """Write a file atomically and durably: it appears whole or not at all."""
        write_durably(self.path(relative), data)

    def read(self, relative: str) -> bytes | None:
        """Return a file's bytes, or None if it does not exist."""
        try:
            return self.path(relative).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, relative: str) -> None:
        """Delete a file durably if it exists."""
        path = self.path(relative)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_directory(path.parent)

    def size(self, relative: str) -> int | None:
        """Return a file's size, or None if it does not exist."""
        try:
            return self.path(relative).stat().st_size
        except FileNotFoundError:
            return None

    def remove_temporary(self) -> int:
        """Delete temporary files a killed writer left; return how many."""
        removed = 0
        if self.root.is_dir():
            for path in self.root.rglob(".*.tmp"):
                path.unlink()
                removed += 1
        return removed

    def numbered(self, directory: str, suffix: str = "") -> list[int]:
        """Return the numbers n of files ``directory/n<suffix>`` that exist, sorted."""
        folder = self.path(directory)
        if not folder.is_dir():
            return []
        numbers = []
        for entry in folder.iterdir():
            stem = entry.name.removesuffix(suffix) if suffix else entry.name
            if (not suffix or entry.name.endswith(suffix)) and stem.isdigit():
                numbers.append(int(stem))
        return sorted(numbers)
