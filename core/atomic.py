"""Atomic file writes: a crash never leaves a half-written file behind.

The content goes to a temporary file in the destination's folder (same volume, so the final
``os.replace`` is a rename), which is flushed and fsynced before it replaces the destination.
``os.replace`` is atomic on POSIX and on Windows (MoveFileEx with MOVEFILE_REPLACE_EXISTING).

The file ends with the permissions a plain ``open(destination, "w")`` would leave: an existing
destination keeps its mode, a new one gets ``0o666`` less the umask. The temporary file is
created with ``os.open(..., 0o666)`` so the operating system applies the umask itself: the umask
is never read, because reading it means setting it, process-wide, under running threads.
(``tempfile.mkstemp`` would make every output ``0o600``, unreadable to the rest of a team.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

#: Windows keeps only a read-only flag for a mode; copying it onto the temporary file would
#: make the final replace fail over a read-only destination, so modes are left alone there.
_KEEPS_MODES = os.name != "nt"


def _create_temporary(directory: Path, name: str) -> Path:
    """A new, empty file beside the destination, created with the umask's mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:  # another writer's temporary file: draw another name
            continue
        os.close(fd)
        return tmp


def _existing_mode(destination: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(destination).st_mode)
    except OSError:
        return None


def replace(written: Path, destination: Path) -> None:
    """Move the finished file ``written`` over ``destination`` (same volume): fsynced first, and
    given the mode ``destination`` has, if it exists, as a plain ``open(destination, "w")``
    would keep it. Every atomic write ends here (also the sinks' staged tables)."""
    with open(written, "rb+") as handle:
        os.fsync(handle.fileno())
    mode = _existing_mode(destination) if _KEEPS_MODES else None
    if mode is not None:
        os.chmod(written, mode)
    os.replace(written, destination)


@contextlib.contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``destination``."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(destination.parent, destination.name)
    try:
        yield tmp
        replace(tmp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(destination: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``destination``."""
    with atomic_path(destination) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
