"""The ``largest_first`` I/O scheduler: the biggest files first (shortest makespan)."""

from __future__ import annotations

from orcapost.api import hookimpl
from orcapost.plugins.schedulers._reads import ReadScheduler


class LargestFirst(ReadScheduler):
    """Largest files first: no long file is left to run alone at the end (shortest makespan)."""

    name = "largest_first"

    def order(self, files):
        return sorted(files, key=lambda f: (-f.size, str(f.path)))


@hookimpl
def orcapost_register_io_schedulers(register):
    register(LargestFirst)
