"""The ``threads`` executor (the default): worker threads of the coordinator's process.

numpy, pyarrow and OrcFxAPI release the GIL in their heavy calls, so threads scale for
post-processing; they share the process's memory, so a worker costs nothing of its own and
admission counts only the files' memory. Slots: as many as the thread policy asks.
"""

from __future__ import annotations

import os

from orcapost.api import Capacity, Executor, StrictModel, hookimpl


class ThreadsOptions(StrictModel):
    """No options: the thread policy says how many files run at once."""


class ThreadsExecutor(Executor):
    """Worker threads in this process (default): as many as the thread policy asks."""

    name = "threads"
    Options = ThreadsOptions

    def open(self) -> Capacity:
        return self.capacity()

    def capacity(self) -> Capacity:
        from orcapost.api import available_memory

        return Capacity(slots=None, workers=None, cpu_count=os.cpu_count() or 1,
                        memory_total=available_memory(), separate_processes=False,
                        worker_memory=0, local=True)

    def start(self, workers: int):
        from orcapost.api import make_executor

        return make_executor("threads", workers)


@hookimpl
def orcapost_register_executors(register):
    register(ThreadsExecutor)
