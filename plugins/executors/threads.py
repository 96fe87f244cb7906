"""The ``threads`` executor (the default): worker threads of the coordinator's process, with
worker processes beside them when the campaign is CPU-bound work worth their start-up.

Per-file work on archives and OpenFAST files is mostly short numpy calls that hold the GIL, so
threads of one process use one core whatever their number (docs/engine.md, "Threads and worker
processes"). With ``processes: auto`` (the default: on an idle 2-core machine 1.00-1.16x one
worker where 15 threads alone were 0.56-0.65x, docs/benchmarks.md) a large enough campaign of such files runs
on a hybrid pool (``orcapost.api.HybridPool``): files start at once on a thread here while
``cores - 1`` worker processes spawn; once their probe answered, each new file goes to a free
worker process first. At most as many files run at once as there are cores (CPU-bound work
gains nothing from more), each worker holding one more queued behind the one it runs, so that
it starts the next without waiting for the coordinator. ``orcapost run`` spawns the worker
processes as it starts (``orcapost.hybrid.prestart_processes``); the pool takes them over, and
a run that chooses threads only kills them here. OrcaFlex ``.sim`` files (OrcFxAPI releases the
GIL, and each process would hold a licence of its own), campaigns of large files that their
source reads in place (a memory map: numpy releases the GIL on their long arrays and nothing is
copied) and runs with plugins registered only in this process (a spawned worker would
not have them) keep threads only, as many as the policy asks. A campaign of such CPU-bound files
too small to pay for a worker process, or any on one core, keeps the policy's threads but runs
its files one at a time (``orcapost.api.TurnPool``: the next starts when the running one ends
or stalls): threads of one process would only share one core's GIL (30 demo files of 3 MB:
1.18 s with one thread, 1.42 s with 2, 1.81 s with 15; docs/benchmarks.md, seventh sitting).
Large files read into memory (the archive's default) get a worker process too when there are
enough of them (``LARGE_IN_MEMORY_MIN_WORK``, ``LARGE_IN_MEMORY_MIN_FILES``): two at once on
threads of one process spend seconds in the kernel on page faults in one shared address space.
Fewer keep threads, not turns.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Literal, NamedTuple

from orcapost.api import Capacity, Executor, StrictModel, hookimpl
from pydantic import Field

#: A worker process costs about a second of CPU before its first file (spawn, imports, plugins,
#: the plan, numba's kernels). A campaign is worth one when its serial work, estimated at
#: ``PER_FILE_SECONDS`` a file plus ``PER_MB_SECONDS`` a megabyte (the demo config on demo
#: archives: 3 MB files take 10-14 ms each, 59 KB files about as long), is at least
#: ``HYBRID_MIN_WORK`` seconds. However small its files: files run in batches, so the
#: coordinator's share per file is small, and 5,000 archives of 10 KB took 2.8-3.0 s with a
#: worker process against 4.1-4.7 s without (300 of them: 0.70-0.75 s against 0.70-0.86 s).
PER_FILE_SECONDS = 0.010
PER_MB_SECONDS = 0.001
HYBRID_MIN_WORK = 2.0
#: Campaigns whose median file is at least this big, read in place (a memory map:
#: ``Source.reads_in_place``), keep threads: their per-file work is numpy on long arrays, which
#: releases the GIL, and no page is copied (6 x 300 MB demo archives mapped, 2 cores: threads
#: 1.66-1.78 s, a worker process beside them 1.74-1.87 s, one worker 2.03-2.06 s). Read into
#: memory (the archive's default), two such files at once on threads of one process spend
#: seconds in the kernel on the fresh pages of their copies (the same 6 files: threads 2.47-4.02 s,
#: 1.8-4.3 s of system time, against 2.29-2.54 s for one worker and 1.85-1.88 s with a worker
#: process; docs/benchmarks.md, ninth sitting), so they are CPU-bound work like any other.
LARGE_FILE_BYTES = 50_000_000
#: Large files read into memory get a worker process from this much estimated work (seconds, as
#: for ``HYBRID_MIN_WORK``): with ``processes: 1`` 6 x 300 MB (1.86 s estimated) took 1.79-2.08 s
#: against 2.18-2.26 s for one worker, 2 and 3 files of 300 MB took longer than one worker
#: (docs/benchmarks.md, ninth and tenth sittings).
LARGE_IN_MEMORY_MIN_WORK = 1.5
#: ... and from this many files: a worker process took a file of 2 x 1 GB read into memory
#: beside the thread here and was no faster (bench_cores.py, tenth sitting: 0.98x one worker,
#: threads only 1.27x; eleventh sitting, every mode after every other equally often: threads
#: only 2.54 s, a worker process 2.96 s, one worker 2.71 s), nor on 2 or 3 files of 300 MB.
LARGE_IN_MEMORY_MIN_FILES = 4
#: What a worker process holds once it has run files (as the ``processes`` executor counts it).
WORKER_MEMORY = 250_000_000
#: Files each worker (a worker process, the thread here) holds waiting behind the one it runs:
#: it starts the next the moment one ends. Without it a worker process idled 4-12 ms between
#: files of 10-30 ms while the coordinator took the result and submitted the next.
QUEUED_PER_WORKER = 1
#: Files whose source holds no GIL in its heavy calls, or whose processes would each take a
#: licence: OrcaFlex simulations stay on threads.
THREADS_ONLY_SUFFIXES = frozenset({".sim"})


#: How the reason for threads only begins when the files take turns.
IN_TURN = "threads only, one file at a time"


class Choice(NamedTuple):
    """What :meth:`ThreadsExecutor.fit` chose: worker processes beside the threads, why, and
    whether the files (CPU-bound, with no worker process) take turns on the threads."""

    processes: int
    reason: str
    in_turn: bool = False


class ThreadsOptions(StrictModel):
    processes: Annotated[int, Field(ge=0, le=1024)] | Literal["auto"] = Field(
        default="auto",
        description="Worker processes beside the threads. auto (default): one per core but "
                    "one when the "
                    "campaign is large enough (about 2 s of serial work), its "
                    "median file under 50 MB (or read into memory, 4 files and more), and it "
                    "holds no .sim file, else none (a "
                    "campaign of such files too small for one, or on one core, then runs "
                    "one file at a time); 0: threads only, as many as the policy asks; N: "
                    "that many (memory permitting). With worker processes at most as many "
                    "files run at once as there are cores.")


class ThreadsExecutor(Executor):
    """Worker threads in this process (default), with worker processes beside them for large
    CPU-bound campaigns (``processes: auto``)."""

    name = "threads"
    Options = ThreadsOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        #: Worker processes this run uses beside the threads (0: threads only), and why.
        self.processes = 0
        self.reason = "threads only"
        #: Threads only, files taking turns: CPU-bound files no worker process pays for.
        self.one_at_a_time = False
        self._pool: Any = None

    def fit(self, files, pm, sources=None) -> None:
        """Choose the worker processes for this run's files (before :meth:`open`);
        ``sources``: suffix -> the run's source for it (None: not known, taken as reading
        files into memory, as a source does unless it says otherwise)."""
        self.processes, self.reason, self.one_at_a_time = self._choose(files, pm, sources)
        if not self.processes:
            from orcapost.api import discard_prestarted

            discard_prestarted()  # worker processes `orcapost run` started early: not wanted

    def _choose(self, files, pm, sources=None) -> Choice:
        from orcapost.api import available_memory

        wanted = self.options.processes
        cores = os.cpu_count() or 1
        if wanted == 0:
            return Choice(0, "threads only (processes: 0)")
        # Registered here and not by every process's plugin loading: a worker process would
        # lack them. The run's own listeners (orcapost.journal, ...: the coordinator's) are
        # exempt, not the built-in plugins registered on request (OPT_IN_PLUGINS).
        local = [name for name, _ in pm.list_name_plugin()
                 if name not in pm.distributions and (not name.startswith("orcapost.")
                                                      or name.startswith("orcapost.plugins."))]
        if local:
            return Choice(0, "threads only: plugins registered only in this process "
                          f"({', '.join(sorted(local))}) would be missing in a worker process")
        auto = wanted == "auto"
        large = False  # large files read into memory: never in turn (below)
        if auto:
            total = sum(f.size for f in files)
            if not files:  # a shard with no files of its own: nothing to run
                return Choice(0, "threads only: no files")
            if any(os.path.splitext(str(f.path))[1].lower() in THREADS_ONLY_SUFFIXES
                   for f in files):
                return Choice(0, "threads only: OrcaFlex .sim files (OrcFxAPI releases the "
                                 "GIL)")
            sizes = sorted(f.size for f in files)
            large = sizes[len(sizes) // 2] >= LARGE_FILE_BYTES
            if large and _read_in_place(files, sources or {}):
                return Choice(0, "threads only: large files read in place (numpy releases "
                              "the GIL on their long arrays and no page is copied, so threads "
                              "use every core)")
            work = len(files) * PER_FILE_SECONDS + total / 1e6 * PER_MB_SECONDS
            if large:
                # Read into memory: a worker process keeps the second file's page faults out
                # of this process's address space. Fewer files keep threads (taking turns on
                # the turn pool's threads was slower still: each file on a fresh thread).
                if (cores < 2 or len(files) < LARGE_IN_MEMORY_MIN_FILES
                        or work < LARGE_IN_MEMORY_MIN_WORK):
                    why = ("one core" if cores < 2 else
                           f"{total / 1e6:.0f} MB in {len(files)} files, too few for a worker "
                           "process to pay back its start-up")
                    return Choice(0, f"threads only: large files read into memory, {why}")
            # From here on the files are CPU-bound work that holds the GIL: without a worker
            # process, a second file at once on a thread here only slows the first.
            elif cores < 2:
                return Choice(0, f"{IN_TURN}: one core", in_turn=True)
            elif work < HYBRID_MIN_WORK or len(files) < 2:
                return Choice(0, f"{IN_TURN}: {total / 1e6:.0f} MB in {len(files)} files is "
                              "less than a worker process's start-up pays back, and CPU-bound "
                              "files on threads of one process share one core", in_turn=True)
            wanted = cores - 1
        fit = max(0, available_memory() // WORKER_MEMORY)
        processes = min(int(wanted), fit, max(0, len(files) - 1))
        if sys.platform == "win32":
            from orcapost.api import WINDOWS_PROCESS_LIMIT

            processes = min(processes, WINDOWS_PROCESS_LIMIT)
        if processes <= 0:  # auto's files are CPU-bound: on threads of one process, in turn
            in_turn = auto and not large  # large files read into memory never take turns
            return Choice(0, f"{IN_TURN if in_turn else 'threads only'}: no memory for a "
                          "worker process", in_turn=in_turn)
        return Choice(processes, f"{processes} worker process(es) beside the threads: "
                      "CPU-bound work holds the GIL, at most one file per core at once")

    def open(self) -> Capacity:
        return self.capacity()

    def capacity(self) -> Capacity:
        from orcapost.api import available_memory

        cores = os.cpu_count() or 1
        if not self.processes:
            from orcapost.api import TurnPool

            return Capacity(slots=None, workers=None, cpu_count=cores,
                            memory_total=available_memory(), separate_processes=False,
                            worker_memory=0, local=True,
                            turn_wait=TurnPool.stall_seconds if self.one_at_a_time else 0.0)
        # One file per core at once: the processes' and this process's own threads, each with
        # QUEUED_PER_WORKER more waiting behind it.
        slots = self._running_limit() * (1 + QUEUED_PER_WORKER)
        return Capacity(slots=slots, workers=self.processes, cpu_count=cores,
                        memory_total=available_memory(), separate_processes=True,
                        worker_memory=WORKER_MEMORY, local=True, queued=QUEUED_PER_WORKER)

    def _running_limit(self) -> int:
        """Files running at once with worker processes: one per core, or one per worker process
        and one on this process's threads if there are more processes than cores."""
        return max(os.cpu_count() or 1, self.processes + 1)

    def start(self, workers: int):
        from orcapost.api import WORKER_THREAD_PREFIX, HybridPool, make_executor

        if not self.processes or workers < 2:
            self._pool = None  # worker processes started early: the engine discards them
            if self.one_at_a_time and workers > 1:
                from orcapost.api import TurnPool

                return TurnPool(workers, thread_name_prefix=WORKER_THREAD_PREFIX)
            return make_executor("threads", workers)
        # Files running at once: as many as the run asks for, up to one per core; only files
        # in flight beyond those wait behind a worker (``--threads 4`` on 8 cores runs 4).
        running = max(2, min(workers, self._running_limit()))
        self._pool = HybridPool(threads=running, processes=min(self.processes, running - 1),
                                thread_name_prefix=WORKER_THREAD_PREFIX,
                                queued=QUEUED_PER_WORKER)
        return self._pool

    def probe(self, pool, task):
        """Threads share this process's plugins: nothing to check. Worker processes beside
        them run the probe as they spawn, without holding the run up: files run on threads
        until a worker process answered, and stay there if it cannot run the config."""
        warm_up = getattr(pool, "warm_up", None)
        if warm_up is not None:
            warm_up(task, _accept)
        return {}

    def metrics(self):
        pool = self._pool
        if pool is None:
            return {}
        figures: dict[str, Any] = {"worker_processes": pool.worker_processes(),
                                   "files_on_processes": pool.counts["processes"],
                                   "files_on_threads": pool.counts["threads"]}
        if pool.refused:
            figures["processes_refused"] = pool.refused
        return figures

    def close(self) -> None:
        self._pool = None


def _read_in_place(files, sources) -> bool:
    """Whether every large file of the campaign is read in place by its source (a memory map:
    ``orcapost.api.reads_in_place``)."""
    from orcapost.api import reads_in_place

    suffixes = {os.path.splitext(str(f.path))[1].lower() for f in files
                if f.size >= LARGE_FILE_BYTES}
    return all(reads_in_place(sources.get(suffix)) for suffix in suffixes)


def _accept(probe: dict[str, Any]) -> str | None:
    problems = probe.get("problems") if isinstance(probe, dict) else None
    return "; ".join(problems) if problems else None


@hookimpl
def orcapost_register_executors(register):
    register(ThreadsExecutor)
