"""The performance monitor: a background sampler of CPU, memory and disk reads during a run.

Every ``interval`` seconds it records the machine's CPU use, this process's resident memory
(with its worker processes'), the memory available to new allocations, and the disk read rate.
The engine starts it with a run and stops it at the end; the run report keeps its samples, its
peak and its minimum, and policies and schedulers read the latest sample from the run context.

Everything comes from psutil, so it works the same on Windows, Linux and macOS. A reading psutil
cannot give on a platform (disk counters in some containers) is left out, never guessed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

#: Seconds between samples.
DEFAULT_INTERVAL = 0.25
#: Samples kept; beyond it every other sample is dropped, so a day-long run stays small.
MAX_SAMPLES = 1200

_PROCESS: psutil.Process | None = None


def _process() -> psutil.Process:
    global _PROCESS
    if _PROCESS is None:
        _PROCESS = psutil.Process()
    return _PROCESS


def process_rss(include_children: bool = True) -> int:
    """Resident memory of this process, plus its worker processes' (bytes)."""
    process = _process()
    rss = process.memory_info().rss
    if include_children:
        for child in process.children(recursive=True):
            # A worker may exit between listing and reading.
            with contextlib.suppress(psutil.Error):
                rss += child.memory_info().rss
    return rss


def available_memory() -> int:
    """Memory available to new allocations without swapping (bytes)."""
    return int(psutil.virtual_memory().available)


def _disk_read_bytes() -> int | None:
    try:
        counters = psutil.disk_io_counters()
    except (OSError, RuntimeError):  # no disks visible (some containers)
        return None
    return None if counters is None else int(counters.read_bytes)


class Monitor:
    """Samples in a daemon thread between :meth:`start` and :meth:`stop`."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, max_samples: int = MAX_SAMPLES,
                 memory: Callable[[], Any] | None = None) -> None:
        self.interval = interval
        #: Where memory is read: the run's executor (``Executor.memory``: a dask cluster's
        #: workers, or this machine with its worker processes); this machine without one.
        self._memory = memory
        self.max_samples = max_samples
        self.samples: list[dict[str, float]] = []
        self.latest: dict[str, float] = {}
        self.peak_rss = 0
        self.baseline_rss = 0
        self.min_available: int | None = None
        self._started = time.perf_counter()
        self._last_read: tuple[float, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Monitor:
        self._started = time.perf_counter()
        psutil.cpu_percent(interval=None)  # the first call only sets psutil's reference point
        self.baseline_rss = self._used_available()[0]
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="orcapost-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling, with one last sample; stopping again does nothing."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _used_available(self) -> tuple[int, int]:
        if self._memory is None:
            return process_rss(), available_memory()
        state = self._memory()
        return int(state.used), int(state.available)

    def sample(self) -> dict[str, float]:
        """Take one sample now, record it, and return it."""
        now = time.perf_counter()
        entry: dict[str, Any] = {
            "t": round(now - self._started, 3),
            "cpu_percent": psutil.cpu_percent(interval=None),
        }
        entry["rss"], entry["available"] = self._used_available()
        read = _disk_read_bytes()
        if read is not None:
            if self._last_read is not None and now > self._last_read[0]:
                entry["read_rate"] = max(0.0, (read - self._last_read[1]) / (now - self._last_read[0]))
            self._last_read = (now, read)
        with self._lock:
            self.latest = entry
            self.peak_rss = max(self.peak_rss, entry["rss"])
            if self.min_available is None or entry["available"] < self.min_available:
                self.min_available = entry["available"]
            self.samples.append(entry)
            if len(self.samples) > self.max_samples:
                self.samples = self.samples[::2]
        return entry

    def summary(self) -> dict[str, Any]:
        """Peak and baseline memory, minimum available memory, mean CPU and read rate."""
        with self._lock:
            samples = list(self.samples)
        cpu = [s["cpu_percent"] for s in samples[1:]] or [0.0]
        reads = [s["read_rate"] for s in samples if "read_rate" in s]
        return {
            "baseline_rss": self.baseline_rss,
            "peak_rss": self.peak_rss,
            "min_available": self.min_available,
            "mean_cpu_percent": sum(cpu) / len(cpu),
            "max_read_rate": max(reads) if reads else None,
            "interval": self.interval,
            "samples": len(samples),
        }
