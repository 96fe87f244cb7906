"""Atomic file writes: a crash never leaves a half-written file behind.

The content goes to a temporary file in the destination's folder (same volume, so the final
``os.replace`` is a rename), which is flushed and fsynced before it replaces the destination.
``os.replace`` is atomic on POSIX and on Windows (MoveFileEx with MOVEFILE_REPLACE_EXISTING).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``destination``."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(destination: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``destination``."""
    with atomic_path(destination) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
