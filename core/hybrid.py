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

The worker processes can be started earlier still: ``orcapost run`` calls
:func:`prestart_processes` as soon as its command line is parsed, before the coordinator imports
its plugins and loads the config, so a worker's spawn and imports (~0.5 s of CPU) run on another
core while the coordinator does its own; the pool of the run then takes them over
(:func:`take_prestarted`), and a run that wants no worker process kills them
(:func:`discard_prestarted`).
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
#: Worker processes spawned before the run knows whether it wants them: at most this many (a
#: pool takes more as it needs them; a wasted early start costs each one ~0.5 s of CPU).
PRESTART_MAX = 3
#: The GIL switch interval while worker processes run files beside a thread here (Python's
#: default is 5 ms). A worker process's file comes back through this process's pool threads
#: (the result read and set, then the engine's loop takes it and submits the next file), each
#: waiting for the GIL that the file thread here holds: up to the interval each, so at 5 ms a
#: worker process idled 4-12 ms between files of 10-30 ms. Only threads that wait for the GIL
#: are switched to sooner; a file thread alone runs on as before.
SWITCH_INTERVAL = 0.0005

_prestart_lock = threading.Lock()
_prestarted: ProcessPoolExecutor | None = None


def quiet_worker() -> None:
    """A worker process's initializer: Ctrl-C (a terminal sends it to the whole process group)
    is the coordinator's to handle -- it stops the run and kills its worker processes; an idle
    worker would otherwise die of it printing a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def warm_worker() -> int:
    """Run in a worker process started early: import what every file needs and load the
    plugins now, while the coordinator loads its own (the probe then only validates the config
    and builds the plan). Returns the worker's pid."""
    import os

    from orcapost.task import prepare_worker

    prepare_worker()
    return os.getpid()


def prestart_count(threads: int | None, executor: str | None) -> int:
    """Worker processes worth starting before ``orcapost run`` has loaded its config: none on
    one core, with ``--threads 1`` (one worker, on a thread) or another executor than
    ``threads``; else ``cores - 1``, at most :data:`PRESTART_MAX`."""
    import os

    cores = os.cpu_count() or 1
    if cores < 2 or (threads is not None and threads < 2) or executor not in (None, "threads"):
        return 0
    return min(cores - 1, PRESTART_MAX)


def prestart_processes(count: int) -> bool:
    """Spawn ``count`` worker processes now (spawn, Windows-safe) and warm each
    (:func:`warm_worker`), without waiting. The pool allows ``cores - 1`` processes, so a run
    that wants more spawns the rest as it needs them. Returns whether a pool was started."""
    global _prestarted
    import os

    if count <= 0:
        return False
    limit = max(count, (os.cpu_count() or 1) - 1)
    if sys.platform == "win32":
        limit = min(limit, _WINDOWS_PROCESS_LIMIT)
    with _prestart_lock:
        if _prestarted is not None:
            return True
        pool = ProcessPoolExecutor(max_workers=limit, initializer=quiet_worker,
                                   mp_context=multiprocessing.get_context("spawn"))
        try:
            for _ in range(min(count, limit)):
                pool.submit(warm_worker)
        except Exception:  # a machine that cannot spawn now: the run starts its own later
            _kill(pool)
            return False
        _prestarted = pool
    return True


def take_prestarted(processes: int) -> ProcessPoolExecutor | None:
    """The early-started pool, if there is one of exactly ``processes`` worker processes (its
    own are then the run's); else None (an unfit one is killed: a bigger pool would spawn more
    processes than the run chose as queued files arrive)."""
    global _prestarted
    with _prestart_lock:
        pool, _prestarted = _prestarted, None
    if pool is None:
        return None
    if processes <= 0 or pool._max_workers != processes:  # type: ignore[attr-defined]
        _kill(pool)
        return None
    return pool


def discard_prestarted() -> None:
    """Kill the early-started worker processes if no run took them (threads only, another
    executor, an error before the run): never waited for at exit."""
    global _prestarted
    with _prestart_lock:
        pool, _prestarted = _prestarted, None
    if pool is not None:
        _kill(pool)


def _kill(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown clears it
    pool.shutdown(wait=False, cancel_futures=True)
    kill_pool_processes(pool, processes)


def kill_pool_processes(pool: ProcessPoolExecutor, processes: list | None = None) -> None:
    """Kill a process pool's worker processes, never waiting for them: Python 3.14's
    ``kill_workers``; before it, each process of the pool's own map (or ``processes``, taken
    from it before a shutdown cleared it), as a pool has no public way to do it."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        with contextlib.suppress(Exception):
            kill()
        return
    if processes is None:
        processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()  # TerminateProcess on Windows


class HybridPool(Executor):
    """``threads`` worker threads here and ``processes`` worker processes (spawn).

    Files go to a free worker process once the processes are ready (:meth:`processes_ready`),
    else to a free thread of this process's share (``threads - processes``), else to a worker
    process still starting (the file waits behind its probe); the engine never submits more
    files than the pool's slots. ``queued``: files each worker (process or thread here) may
    hold waiting behind the one it runs (0: a worker never queues a file behind another), so
    that it starts its next file the moment one ends, without waiting for the coordinator to
    take the result and submit another. When the probe refuses the processes, every later file
    runs on threads."""

    def __init__(self, threads: int, processes: int, thread_name_prefix: str,
                 queued: int = 0) -> None:
        if sys.platform == "win32":
            processes = min(processes, _WINDOWS_PROCESS_LIMIT)
        self.processes = max(0, processes)
        self.queued = max(0, queued)
        #: Files on threads here while worker processes take files: the rest of the workers.
        self.thread_share = max(1, threads - self.processes)
        # With files queued per worker, only the thread share runs files here: a queued file
        # waits for its thread rather than share the GIL with it.
        self._threads = ThreadPoolExecutor(
            max_workers=self.thread_share if self.queued else max(1, threads),
            thread_name_prefix=thread_name_prefix)
        # The worker processes ``orcapost run`` started early, if they fit; else new ones.
        self._pool: ProcessPoolExecutor | None = (
            (take_prestarted(self.processes)
             or ProcessPoolExecutor(max_workers=self.processes, initializer=quiet_worker,
                                    mp_context=multiprocessing.get_context("spawn")))
            if self.processes else None)
        self._lock = threading.Lock()
        self._busy = 0  # files running on (or queued for) worker processes now
        self._thread_busy = 0  # files running on (or queued for) threads here now
        self._ready = False
        #: Files run on worker processes and on threads (for the run report).
        self.counts = {"processes": 0, "threads": 0}
        #: Why the worker processes are not used (their probe failed), if they are not.
        self.refused: str | None = None
        self._switch_interval: float | None = None
        if self._pool is not None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))

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
            # An idle worker first (a ready worker process, else the thread here), then a
            # place in a worker's queue, a worker process's first (it may still be starting:
            # the file waits behind its probe) -- never a second CPU-bound file running on a
            # thread here, where two take as long as one after the other.
            room = usable and self._busy < self.processes * (1 + self.queued)
            to_process = room and (
                (self._ready and self._busy < self.processes)
                or self._thread_busy >= self.thread_share)
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
            with self._lock:
                running = self._busy
            # With no file left on them (the run's end), the worker processes' exit -- their
            # interpreter's teardown, 0.1-0.3 s -- need not hold up the tables: they end while
            # the coordinator writes them (the interpreter joins them at its own exit).
            self._pool.shutdown(wait=wait and running > 0, cancel_futures=cancel_futures)
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def kill_workers(self) -> None:
        """Kill the worker processes (a stuck file's, or after an interruption); threads
        cannot be stopped and are left to end on their own."""
        if self._pool is not None:
            kill_pool_processes(self._pool)

    def worker_processes(self) -> int:
        """Worker processes alive now."""
        return len(getattr(self._pool, "_processes", None) or {}) if self._pool else 0
