"""The ``admission`` memory optimizer: start a file only when memory covers it.

A file's memory need is its size times a ratio. The ratio starts conservative (``initial_ratio``,
1.0: an OrcaFlex simulation is loaded whole) and is then learned from files already done: each
file of at least 1 MB reports how much its worker's resident memory grew while it was open, and
the ratio becomes a high percentile of growth/size over the recent files (never below
``min_ratio``). With several files open at once a growth includes its neighbours', so the
estimate errs high, never low.

A file is admitted when both hold:

- **available memory**: what psutil reports available, minus ``reserve``, covers the file's need
  plus the part of the running files' needs not yet allocated;
- **budget** (optional): the process's memory when the run started, plus the needs of the running
  files, plus this file's, stays within ``budget``.

With nothing running a file is always admitted (the engine guarantees it), so a file larger than
the whole budget still runs, alone, and the run cannot deadlock.

Memory is read from the run's executor (``Executor.memory``: this machine with its worker
processes for ``threads`` and ``processes``, the workers' own figures for ``dask``), never from
the coordinator when the workers are elsewhere. Where each worker is a process of its own
(``Capacity.separate_processes``) a running file also costs its worker's own resident memory
(``Capacity.worker_memory``: measured on a real worker by the run's probe), and before any
worker starts admission caps how many worker processes the run may start at all
(:meth:`Admission.worker_limit`): ``--executor processes --threads 1024`` starts only as many
as the budget holds.
"""

from __future__ import annotations

import time
from collections import deque

from orcapost.api import MemoryOptimizer, Size, StrictModel, hookimpl
from pydantic import ByteSize, Field

#: Files smaller than this teach nothing (their growth is noise).
LEARN_MIN_BYTES = 1_000_000
#: Seconds one memory reading is reused. Admission is asked about every candidate file (each
#: small file added to a batch too), and a reading walks every worker process; memory read
#: once per tenth of a second is as current as the monitor's own samples.
READING_MAX_AGE = 0.1

_now = time.monotonic


class AdmissionOptions(StrictModel):
    reserve: Size = Field(default=ByteSize(1_000_000_000),
                          description="Memory always left free for the system (e.g. 1GB).")
    budget: Size | None = Field(default=None,
                                description="Most memory the run may use (e.g. 16GB); none: "
                                            "only available memory limits.")
    initial_ratio: float = Field(default=1.0, gt=0.0, le=1000.0,
                                 description="Memory per byte of file before anything is learned.")
    min_ratio: float = Field(default=0.05, ge=0.0, le=100.0,
                             description="The learned ratio never goes below this.")
    learn: bool = Field(default=True, description="Learn the ratio from files already done.")
    learn_after: int = Field(default=2, ge=1,
                             description="Files to learn from before the ratio replaces "
                                         "initial_ratio.")
    percentile: float = Field(default=90.0, ge=50.0, le=100.0,
                              description="Percentile of the observed ratios used.")
    window: int = Field(default=32, ge=1, description="Recent files the ratio is learned from.")


def nearest_rank(values, q: float):
    """The value at fraction ``q`` (0 to 1) of ``values`` sorted: the nearest rank, no
    interpolation, so it is always one of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * (len(ordered) - 1) + 0.5)))]


class MemoryReading:
    """Where admission reads memory from: the run's executor (psutil on this machine without
    one), at most once per ``max_age`` seconds (the figures together, so they describe the
    same moment). Tests substitute a fake one."""

    def __init__(self, max_age: float = READING_MAX_AGE, executor=None) -> None:
        self.max_age = max_age
        self.executor = executor
        self._at: float | None = None
        self._rss = 0
        self._available = 0
        self._worker = 0

    def _read(self) -> None:
        now = _now()
        if self._at is not None and now - self._at < self.max_age:
            return
        if self.executor is None:
            from orcapost.api import available_memory, process_rss

            self._rss, self._available = process_rss(), available_memory()
        else:
            state = self.executor.memory()
            self._rss, self._available = int(state.used), int(state.available)
            capacity = self.executor.capacity()
            self._worker = capacity.worker_memory if capacity.separate_processes else 0
        self._at = now

    def worker_memory(self) -> int:
        """What one worker process costs on its own (0 for threads, which share a process)."""
        self._read()
        return self._worker

    def available(self) -> int:
        self._read()
        return self._available

    def rss(self) -> int:
        self._read()
        return self._rss


#: The reading class itself (tests replace the module's name with a factory of fakes).
_READING = MemoryReading


class Admission(MemoryOptimizer):
    """Admits a file when available memory (minus a reserve) covers its estimated need."""

    name = "admission"
    Options = AdmissionOptions

    def __init__(self, options=None, reading: MemoryReading | None = None) -> None:
        super().__init__(options)
        self.reading = reading or MemoryReading()
        self._observed: deque[float] = deque(maxlen=self.options.window)
        self._baseline: int | None = None
        #: The largest worker process seen by itself (``FileResult.worker_rss``): a worker
        #: grows past the probe's figure with what its first files import.
        self._worker_seen = 0
        #: Why the last file was held back (for the run report and tests).
        self.last_refusal: str | None = None

    @property
    def ratio(self) -> float:
        o = self.options
        if not o.learn or len(self._observed) < o.learn_after:
            return o.initial_ratio
        return max(o.min_ratio, nearest_rank(self._observed, o.percentile / 100))

    def need(self, size: int) -> int:
        return int(size * self.ratio)

    def bind(self, executor) -> None:
        if isinstance(self.reading, _READING):  # a test's fake reading stays as it is
            self.reading.executor = executor
            self.reading._at = None
        self._baseline = None

    def worker_limit(self, capacity, files) -> int | None:
        """With worker processes: as many as the memory holds, each costing its own resident
        memory plus the median file's estimated need (the budget minus what the run holds
        now, or the available memory minus the reserve)."""
        if not capacity.separate_processes or not files:
            return None
        sizes = sorted(f.size for f in files)
        each = max(1, capacity.worker_memory + self.need(sizes[len(sizes) // 2]))
        room = self.reading.available() - self.options.reserve
        if self.options.budget is not None:
            room = min(room, self.options.budget - self.reading.rss())
        limit = max(1, room // each)
        self.last_refusal = (f"worker processes: {limit} fit ({room / 1e6:.0f} MB for "
                             f"{each / 1e6:.0f} MB each: a worker's own "
                             f"{capacity.worker_memory / 1e6:.0f} MB and a median file's)")
        return int(limit)

    def admit(self, file, in_flight) -> bool:
        if self._baseline is None:
            self._baseline = self.reading.rss()
        # Each running file also holds its worker process (0 for threads).
        worker = self.reading.worker_memory()
        if worker:  # worker processes: the larger of the probe's figure and what files saw
            worker = max(worker, self._worker_seen)
        need = self.need(file.size) + worker
        committed = sum(self.need(f.size) + worker for f in in_flight)
        rss = self.reading.rss()
        # Running files have allocated part of their need already; the rest is still to come.
        outstanding = max(0, committed - max(0, rss - self._baseline))
        headroom = self.reading.available() - self.options.reserve
        if need + outstanding > headroom:
            self.last_refusal = (f"{file.name}: needs {need / 1e6:.0f} MB, "
                                 f"{max(0, headroom - outstanding) / 1e6:.0f} MB available")
            return False
        budget = self.options.budget
        if budget is not None and self._baseline + committed + need > budget:
            self.last_refusal = (f"{file.name}: needs {need / 1e6:.0f} MB, budget "
                                 f"{budget / 1e6:.0f} MB holds {committed / 1e6:.0f} MB of "
                                 f"running files and {self._baseline / 1e6:.0f} MB at start")
            return False
        return True

    def file_done(self, result) -> None:
        if result.worker_rss:
            self._worker_seen = max(self._worker_seen, result.worker_rss)
        if result.memory_growth is not None and result.size >= LEARN_MIN_BYTES:
            self._observed.append(result.memory_growth / result.size)


@hookimpl
def orcapost_register_memory_optimizers(register):
    register(Admission)
