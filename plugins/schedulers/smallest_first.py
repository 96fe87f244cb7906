"""The ``smallest_first`` I/O scheduler: the smallest files first (early feedback)."""

from __future__ import annotations

from orcapost.api import hookimpl
from orcapost.plugins.schedulers._reads import ReadScheduler


class SmallestFirst(ReadScheduler):
    """Smallest files first: the first rows (and any config mistake) show up soonest."""

    name = "smallest_first"

    def order(self, files):
        return sorted(files, key=lambda f: (f.size, str(f.path)))


@hookimpl
def orcapost_register_io_schedulers(register):
    register(SmallestFirst)
