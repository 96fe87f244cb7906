"""The ``interleaved`` I/O scheduler: large and small files alternating.

Large files keep the disk busy, small ones the CPU; alternating them keeps both busy at once
instead of one after the other.
"""

from __future__ import annotations

from orcapost.api import hookimpl
from orcapost.plugins.schedulers._reads import ReadScheduler


class Interleaved(ReadScheduler):
    """Large and small files alternating (largest, smallest, next largest, ...)."""

    name = "interleaved"

    def order(self, files):
        ordered = sorted(files, key=lambda f: (-f.size, str(f.path)))
        out = []
        low, high = 0, len(ordered) - 1
        while low <= high:
            out.append(ordered[low])
            if low != high:
                out.append(ordered[high])
            low += 1
            high -= 1
        return out


@hookimpl
def orcapost_register_io_schedulers(register):
    register(Interleaved)
