"""What every built-in ordering scheduler can also do: cap large reads, and read ahead.

- **Cap on concurrent large reads** (``max_large_reads``): files of at least ``large_size`` are
  read by at most that many workers at once. A disk serving 15 multi-GB reads at once seeks
  between them; while the cap holds a large file back, the engine starts a smaller file from
  further down the queue instead, so no worker idles.
- **Read-ahead** (``read_ahead`` files): while the run is I/O-bound -- the CPU below
  ``io_bound_cpu`` percent while files run (or always, with ``read_ahead_when: always``) -- the
  next queued files are announced to the operating system so it reads them into its cache before
  a worker opens them. Where the platform has ``os.posix_fadvise`` (Linux) that is a
  ``POSIX_FADV_WILLNEED`` hint for the first ``read_ahead_bytes`` of each file; elsewhere
  (Windows, macOS) a background thread reads those bytes in 1 MB blocks and drops them, which
  leaves them in the OS file cache just the same.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Literal

from orcapost.api import IOScheduler, Size, StrictModel
from pydantic import ByteSize, Field

BLOCK = 1 << 20


class ReadOptions(StrictModel):
    large_size: Size = Field(default=ByteSize(1_000_000_000),
                             description="A file at least this big is a large read (e.g. 1GB).")
    max_large_reads: int | None = Field(default=None, ge=1,
                                        description="Most large files read at once; none: no cap.")
    read_ahead: int = Field(default=0, ge=0, le=64,
                            description="Queued files to read ahead (0: off).")
    read_ahead_bytes: Size = Field(default=ByteSize(64_000_000),
                                   description="Bytes of each file read ahead (e.g. 64MB).")
    read_ahead_when: Literal["io_bound", "always"] = Field(
        default="io_bound", description="Read ahead only while the run waits on I/O, or always.")
    io_bound_cpu: float = Field(default=50.0, gt=0.0, le=100.0,
                                description="CPU percent below which a run counts as I/O-bound.")


def hint_will_need(path: Path, length: int) -> str:
    """Ask the OS to cache the first ``length`` bytes of ``path``; return the method used."""
    if hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_WILLNEED"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, length, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)
        return "fadvise"
    return read_through(path, length)


def read_through(path: Path, length: int) -> str:
    """The portable fallback: read the bytes and drop them (they stay in the OS cache)."""
    remaining = length
    with open(path, "rb", buffering=0) as handle:
        while remaining > 0:
            block = handle.read(min(BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
    return "read"


class ReadAhead:
    """One background thread warming the OS cache for files announced to it, each once."""

    def __init__(self, length: int, hint=hint_will_need) -> None:
        self.length = length
        self.hint = hint
        self.done: list[tuple[str, str]] = []  # (path, method), for the run report and tests
        self._seen: set[str] = set()
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def announce(self, path: Path) -> None:
        key = str(path)
        if key in self._seen:
            return
        self._seen.add(key)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="orcapost-read-ahead",
                                            daemon=True)
            self._thread.start()
        self._queue.put(Path(path))

    def _work(self) -> None:
        while True:
            path = self._queue.get()
            if path is None:
                return
            try:
                self.done.append((str(path), self.hint(path, self.length)))
            except OSError:  # gone or unreadable: the worker will report it properly
                self.done.append((str(path), "error"))

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None


class ReadScheduler(IOScheduler):
    """An ordering plus the large-read cap and read-ahead (see the module docstring)."""

    Options = ReadOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.reader = ReadAhead(self.options.read_ahead_bytes) if self.options.read_ahead else None

    def is_large(self, file) -> bool:
        return file.size >= self.options.large_size

    def may_start(self, file, in_flight) -> bool:
        cap = self.options.max_large_reads
        if cap is None or not self.is_large(file):
            return True
        return sum(1 for f in in_flight if self.is_large(f)) < cap

    def read_ahead(self, queued, context) -> None:
        if self.reader is None:
            return
        if self.options.read_ahead_when == "io_bound":
            cpu = context.sample.get("cpu_percent") if context.sample else None
            if cpu is None or cpu >= self.options.io_bound_cpu:
                return
        for index in range(min(self.options.read_ahead, len(queued))):
            self.reader.announce(queued[index].path)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
