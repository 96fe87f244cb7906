"""The ``processes`` executor: spawn-safe worker processes on this machine.

Each worker is a process of its own (the **spawn** start method on every platform, as on
Windows), which loads orcapost's plugins and builds the run's plan again, so each costs its own
resident memory before it opens any file. The executor never starts more worker processes than
make sense for this machine: at most ``max_workers`` (default: one per core), at most as many as
the available memory holds at ``worker_memory`` each, on Windows at most 61, and never more
than a memory optimizer allows (``admission`` with a ``budget``). ``worker_memory`` is an
estimate and a floor: the run's probe task (run on the first worker before any file) measures a
real worker's resident memory and raises it when the worker is bigger; admission raises it
further with what each worker holds before its files (``FileResult.worker_rss``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from orcapost.api import Capacity, Executor, Size, StrictModel, hookimpl
from pydantic import ByteSize, Field

#: What a worker process holds once it has run files (measured 190-215 MB of RSS on Linux, Python
#: 3.11, after the demo config's extractors ran: numpy, pyarrow, scipy, numba's kernels; a fresh
#: worker with only the plugins loaded and the plan built holds about 55 MB): the estimate, and
#: the floor of what the probe measures.
DEFAULT_WORKER_MEMORY = 250_000_000
#: Seconds the probe task may take (a spawned worker imports numpy, pyarrow, the plugins).
PROBE_TIMEOUT = 300.0


class ProcessesOptions(StrictModel):
    max_workers: int | None = Field(
        default=None, ge=1, le=1024,
        description="Most worker processes; none: one per core. Never more than the "
                    "available memory holds at worker_memory each (on Windows at most 61).")
    worker_memory: Size = Field(
        default=ByteSize(DEFAULT_WORKER_MEMORY),
        description="A worker process's own resident memory, until the "
                    "run's probe measures it, and the least it counts (e.g. 250MB).")


class ProcessesExecutor(Executor):
    """Spawn-safe worker processes (one per core by default, as many as memory holds)."""

    name = "processes"
    Options = ProcessesOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        #: A real worker's resident memory, once the probe measured it.
        self.measured: int | None = None
        self._pool: Any = None

    def open(self) -> Capacity:
        self.measured = None
        return self.capacity()

    def worker_memory(self) -> int:
        """What one worker process costs: the measurement, never below the estimate. A fresh
        worker measures less than it will hold: its first files import what their extractors
        need (scipy, numba's kernels), which the probe cannot see; admission raises it further
        with what files see (``FileResult.worker_rss``)."""
        estimate = int(self.options.worker_memory)
        return max(estimate, self.measured) if self.measured is not None else estimate

    def capacity(self) -> Capacity:
        from orcapost.api import WINDOWS_PROCESS_LIMIT, available_memory

        cores = os.cpu_count() or 1
        available = available_memory()
        each = max(1, self.worker_memory())
        slots = min(self.options.max_workers or cores, max(1, available // each))
        if sys.platform == "win32":
            slots = min(slots, WINDOWS_PROCESS_LIMIT)
        return Capacity(slots=slots, workers=slots, cpu_count=cores, memory_total=available,
                        memory_per_worker=available // slots, separate_processes=True,
                        worker_memory=self.worker_memory(), local=True)

    def start(self, workers: int):
        from orcapost.api import make_executor

        # Never more processes than the capacity (the engine caps ``workers`` by it too).
        self._pool = make_executor("processes", max(1, min(workers, self.capacity().slots or 1)))
        return self._pool

    def probe(self, pool, task):
        """The probe on the first worker process (it spawns it): its plugins, versions and
        its own resident memory, which replaces the ``worker_memory`` estimate."""
        result = pool.submit(task).result(timeout=PROBE_TIMEOUT)
        if isinstance(result, dict) and result.get("rss"):
            self.measured = int(result["rss"])
        return {f"{result.get('host')}:{result.get('pid')}": result}

    def metrics(self):
        """Worker processes alive (the pool spawns them as files need them)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return {"worker_processes": len(processes), "worker_memory": self.worker_memory()}

    def close(self) -> None:
        self._pool = None


@hookimpl
def orcapost_register_executors(register):
    register(ProcessesExecutor)
