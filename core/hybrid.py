"""A pool of worker threads in this process and spawn-safe worker processes beside them.

Per-file work on campaigns of small and medium files is mostly short numpy calls on arrays of a
few thousand samples, which hold the GIL (measured: CPU time equals wall time at 1, 2, 15 or 30
threads; 15 threads spend twice the CPU of one on GIL hand-offs). Threads of one process then
use one core whatever their number; only other processes use the others. A worker process
costs a start-up (spawn, imports, plugins, the plan, its first file's warm-up: about a second of
CPU), so this pool hides it: files start at once on a thread of this process, the worker
processes spawn meanwhile, and from the moment their probe answered (same plugins, the plan
built) each new file goes to a free worker process first, to a thread only when every process is
busy.

Every file is still opened, extracted and closed by one thread: a thread of this pool, or a
worker process's main thread (OrcaFlex thread affinity holds either way).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

#: Windows cannot wait on more than 61 worker processes (WaitForMultipleObjects limit).
_WINDOWS_PROCESS_LIMIT = 61


class HybridPool(Executor):
    """``threads`` worker threads here and ``processes`` worker processes (spawn).

    Files go to a free worker process once the processes are ready (:meth:`processes_ready`),
    else to a free thread of this process's share (``threads - processes``), else to a worker
    process still starting (the file waits behind its probe); the engine never submits more
    files than the pool's slots, so a worker process never queues a file behind another
    file. When the probe refuses the processes, every later file runs on threads."""

    def __init__(self, threads: int, processes: int, thread_name_prefix: str) -> None:
        if sys.platform == "win32":
            processes = min(processes, _WINDOWS_PROCESS_LIMIT)
        self.processes = max(0, processes)
        self._threads = ThreadPoolExecutor(max_workers=max(1, threads),
                                           thread_name_prefix=thread_name_prefix)
        self._pool: ProcessPoolExecutor | None = (
            ProcessPoolExecutor(max_workers=self.processes,
                                mp_context=multiprocessing.get_context("spawn"))
            if self.processes else None)
        self._lock = threading.Lock()
        self._busy = 0  # files running on (or queued for) worker processes now
        self._thread_busy = 0  # files running on threads here now
        #: Files on threads here while worker processes take files: the rest of the slots.
        self.thread_share = max(1, threads - self.processes)
        self._ready = False
        #: Files run on worker processes and on threads (for the run report).
        self.counts = {"processes": 0, "threads": 0}
        #: Why the worker processes are not used (their probe failed), if they are not.
        self.refused: str | None = None

    # -- readiness ------------------------------------------------------------------------
    def warm_up(self, task: Callable[[], dict[str, Any]],
                accept: Callable[[dict[str, Any]], str | None]) -> None:
        """Spawn every worker process now and run ``task`` (the run's probe) on each, without
        waiting; once one answers and ``accept`` finds nothing wrong (returns None), files go
        to worker processes. A refusal (``accept``'s reason, or the probe raised) leaves the
        processes unused: every file runs on threads, as without them."""
        if self._pool is None:
            return
        for _ in range(self.processes):
            self._pool.submit(task).add_done_callback(
                lambda future: self._answered(future, accept))

    def _answered(self, future: Future, accept: Callable[[dict[str, Any]], str | None]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        reason = (f"the probe failed there ({type(exc).__name__}: {exc})" if exc is not None
                  else accept(future.result()))
        with self._lock:
            if reason is not None:
                self.refused = reason
                self._ready = False
            elif self.refused is None:
                self._ready = True

    def processes_ready(self) -> bool:
        with self._lock:
            return self._ready

    # -- the Executor interface -------------------------------------------------------------
    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._lock:
            usable = self._pool is not None and self.refused is None
            # A file waits for a worker process still starting (queued behind its probe)
            # rather than join a busy thread here: two CPU-bound files on threads of one
            # process take as long as one after the other.
            to_process = usable and self._busy < self.processes and (
                self._ready or self._thread_busy >= self.thread_share)
            if to_process:
                self._busy += 1
            else:
                self._thread_busy += 1
        if not to_process:
            self.counts["threads"] += 1
            future = self._threads.submit(fn, *args, **kwargs)
            future.add_done_callback(self._thread_done)
            return future
        assert self._pool is not None
        try:
            future = self._pool.submit(fn, *args, **kwargs)
        except BaseException:
            self._release(None)
            raise
        self.counts["processes"] += 1
        future.add_done_callback(self._release)
        return future

    def _thread_done(self, _future: Future) -> None:
        with self._lock:
            self._thread_busy = max(0, self._thread_busy - 1)

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self._busy = max(0, self._busy - 1)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._threads.shutdown(wait=wait, cancel_futures=cancel_futures)
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def kill_workers(self) -> None:
        """Kill the worker processes (a stuck file's, or after an interruption); threads
        cannot be stopped and are left to end on their own."""
        if self._pool is None:
            return
        kill = getattr(self._pool, "kill_workers", None)  # Python 3.14
        if kill is not None:
            with contextlib.suppress(Exception):
                kill()
            return
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.kill()  # TerminateProcess on Windows

    def worker_processes(self) -> int:
        """Worker processes alive now."""
        return len(getattr(self._pool, "_processes", None) or {}) if self._pool else 0
