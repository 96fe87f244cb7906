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
    """Where admission reads memory from: psutil, at most once per ``max_age`` seconds (both
    figures together, so they describe the same moment). Tests substitute a fake one."""

    def __init__(self, max_age: float = READING_MAX_AGE) -> None:
        self.max_age = max_age
        self._at: float | None = None
        self._rss = 0
        self._available = 0

    def _read(self) -> None:
        now = _now()
        if self._at is not None and now - self._at < self.max_age:
            return
        from orcapost.api import available_memory, process_rss

        self._rss = process_rss()
        self._available = available_memory()
        self._at = now

    def available(self) -> int:
        self._read()
        return self._available

    def rss(self) -> int:
        self._read()
        return self._rss


class Admission(MemoryOptimizer):
    """Admits a file when available memory (minus a reserve) covers its estimated need."""

    name = "admission"
    Options = AdmissionOptions

    def __init__(self, options=None, reading: MemoryReading | None = None) -> None:
        super().__init__(options)
        self.reading = reading or MemoryReading()
        self._observed: deque[float] = deque(maxlen=self.options.window)
        self._baseline: int | None = None
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

    def admit(self, file, in_flight) -> bool:
        if self._baseline is None:
            self._baseline = self.reading.rss()
        need = self.need(file.size)
        committed = sum(self.need(f.size) for f in in_flight)
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
        if result.memory_growth is not None and result.size >= LEARN_MIN_BYTES:
            self._observed.append(result.memory_growth / result.size)


@hookimpl
def orcapost_register_memory_optimizers(register):
    register(Admission)
