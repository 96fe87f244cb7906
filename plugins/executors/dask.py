"""The ``dask`` executor: a Dask cluster's workers run the files (``pip install orcapost[dask]``).

The engine is unchanged: this executor hands it a plain ``concurrent.futures.Executor`` over
Dask's own (``Client.get_executor``). Each task carries only the plan's description and its files
and returns plain :class:`FileResult` data; the journal, the tables and the run report are written
by the coordinator alone, as with every executor.

- **Where**: ``address`` (a running scheduler, ``tcp://host:8786``) or ``scheduler_file`` (the
  file a batch job's ``dask scheduler --scheduler-file`` wrote); neither: a ``LocalCluster`` of
  worker processes on this machine (one per core, ``threads_per_worker`` threads each).
- **Capacity** comes from the scheduler (``scheduler_info``): slots are the workers' threads,
  memory their ``memory_limit``; the workers' used memory is their own metrics (progress and
  the run report show it, admission reads it).
- **Licences** (``licences: N``): never more than N files open at once over the whole cluster,
  for OrcaFlex's licence count. A ``distributed.Semaphore`` is held around each file's
  ``orcapost_process_file`` on the worker. A semaphore, not worker ``resources``: resources are a
  per-worker count fixed when each worker starts (``--resources LICENCE=2``), so a cluster-wide
  limit would depend on how many workers there are and how the jobs started them; a semaphore is
  one count on the scheduler, whatever the cluster's size, set by the config.
- **A worker that dies** (a file that crashes its process): ``allowed_failures`` (default 0) is
  set on the scheduler, so Dask does not run the task again on worker after worker (its default
  is 3 retries, each killing a worker); the task fails at once with ``KilledWorker`` and goes
  through orcapost's own quarantine: the file runs again alone, and only a second death fails it.
- **A file past ``engine.file_timeout``** fails with stage ``timeout``; a Dask task cannot be
  stopped, so the worker running it is restarted (its nanny starts a fresh one).
- **Same plugins everywhere**: before anything is written a probe runs on every worker
  (``Client.run``): each loads its plugins and validates the config; a missing plugin, another
  version of one or of orcapost is one error naming the worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import threading
import time
import uuid
from typing import Any

from orcapost.api import (
    Capacity,
    Executor,
    MemoryState,
    OrcapostError,
    Size,
    StrictModel,
    hookimpl,
)
from pydantic import Field, model_validator

#: Seconds a scheduler reading (workers' memory, busy workers) is reused.
READING_MAX_AGE = 0.5
#: Seconds to wait for a worker restarted after a file's timeout.
RESTART_TIMEOUT = 60.0

_LICENCE = threading.local()
_SEMAPHORES: dict[str, Any] = {}
_SEMAPHORES_LOCK = threading.Lock()


class DaskOptions(StrictModel):
    address: str | None = Field(
        default=None, description="Scheduler address (tcp://host:8786); none (and no "
                                  "scheduler_file): a LocalCluster on this machine.")
    scheduler_file: str | None = Field(
        default=None, description="A scheduler file written by `dask scheduler "
                                  "--scheduler-file` (batch jobs, dask-jobqueue).")
    n_workers: int | None = Field(
        default=None, ge=1, le=1024,
        description="LocalCluster only: worker processes (none: one per core).")
    threads_per_worker: int = Field(
        default=1, ge=1, le=64, description="LocalCluster only: threads per worker process.")
    memory_limit: Size | None = Field(
        default=None, description="LocalCluster only: memory per worker (e.g. 4GB); none: "
                                  "Dask's default, the machine's memory shared out.")
    licences: int | None = Field(
        default=None, ge=1, le=100_000,
        description="Most files open at once over the whole cluster (OrcaFlex licences); a "
                    "distributed.Semaphore held around each file. none: no limit.")
    allowed_failures: int = Field(
        default=0, ge=0, le=100,
        description="Times Dask itself retries a task whose worker died (0: the file goes "
                    "straight to orcapost's quarantine).")
    connect_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for the scheduler and a first worker.")

    @model_validator(mode="after")
    def _one_place(self):
        if self.address and self.scheduler_file:
            raise ValueError("give address or scheduler_file, not both")
        remote = self.address or self.scheduler_file
        if remote and (self.n_workers is not None or self.memory_limit is not None):
            raise ValueError("n_workers and memory_limit size a LocalCluster: they do not "
                             "apply with address or scheduler_file")
        return self


def _distributed():
    try:
        import distributed
    except ImportError:
        raise OrcapostError(
            "engine.executor dask needs Dask's distributed package, which is not installed",
            hint="pip install \"orcapost[dask]\" (on the coordinator and on every worker)",
        ) from None
    return distributed


def dask_setup(worker=None) -> None:
    """Dask's preload hook, run in each worker process of the LocalCluster this executor
    starts: Ctrl-C is the coordinator's to handle. A terminal sends it to every process of its
    group, and a worker left to it died with a KeyboardInterrupt traceback (and the scheduler
    warned of the tasks it lost) while the coordinator was already stopping the run and
    closing the cluster. Workers of a cluster started elsewhere are not in the terminal's group
    and do not load this."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_preloads(dask) -> tuple[list[str], list]:
    """The LocalCluster workers' preloads: the user's own (``distributed.worker.preload`` in
    Dask's config: a worker given ``preload=`` reads no config) and this module's
    :func:`dask_setup`, with ``preload-argv`` kept in step (a list per preload, or one list
    for all)."""
    user = dask.config.get("distributed.worker.preload", None) or []
    user = [user] if isinstance(user, str) else list(user)
    argv = list(dask.config.get("distributed.worker.preload-argv", None) or [])
    if argv and not isinstance(argv[0], str):  # one argument list per preload: add ours
        argv.append([])
    return [*user, __name__], argv


def _set_allowed_failures(dask_scheduler=None, count: int = 0) -> int:
    """Run on the scheduler: how often a task may lose its worker before it fails."""
    previous = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = count
    return previous


def _semaphore(name: str, leases: int):
    with _SEMAPHORES_LOCK:
        semaphore = _SEMAPHORES.get(name)
        if semaphore is None:
            from distributed import Semaphore

            semaphore = _SEMAPHORES[name] = Semaphore(max_leases=leases, name=name)
        return semaphore


def _forget_licence(name: str) -> bool:
    """Run on a worker as the run ends: drop the run's semaphore from the worker's cache and
    stop its lease-refresh timer (a long-lived worker kept one of each run for ever)."""
    with _SEMAPHORES_LOCK:
        semaphore = _SEMAPHORES.pop(name, None)
    callback = getattr(semaphore, "refresh_callback", None)
    if callback is not None:
        callback.stop()
    return semaphore is not None


def _close_licence(name: str, dask_scheduler=None) -> None:
    """Run on the scheduler as the run ends: the run's semaphore is removed (its name is the
    run's own: no other run holds it)."""
    extension = dask_scheduler.extensions.get("semaphores")
    if extension is not None:
        extension.close(name=name)


def run_licensed(licence: tuple[str, int] | None, fn, *args):
    """Run on a worker: ``fn(*args)``, each file of it holding one of the run's licences
    (the :func:`orcapost_process_file` wrapper below takes it)."""
    _LICENCE.spec = licence
    try:
        return fn(*args)
    finally:
        _LICENCE.spec = None


@hookimpl(wrapper=True)
def orcapost_process_file(task):
    """On a dask worker with ``licences``: the file is opened, extracted and closed while it
    holds one lease of the cluster-wide semaphore. Elsewhere: nothing."""
    licence = getattr(_LICENCE, "spec", None)
    if licence is None:
        return (yield)
    semaphore = _semaphore(*licence)
    semaphore.acquire()
    try:
        return (yield)
    finally:
        semaphore.release()


def _no_licence() -> bool:
    """Whether the wrapper above has nothing to do for this worker's file (no licence held):
    the engine then calls the built-in directly, without pluggy (orcapost.dispatch)."""
    return getattr(_LICENCE, "spec", None) is None


orcapost_process_file.idle = _no_licence  # type: ignore[attr-defined]


class DaskPool(cf.Executor):
    """A ``concurrent.futures`` executor over a Dask client (as ``Client.get_executor``), with
    the run's licences on every task, the standard ``shutdown(cancel_futures=)``, and the Dask
    future behind each of its futures (to find the worker of a task that timed out)."""

    def __init__(self, client, licence: tuple[str, int] | None) -> None:
        self._client = client
        self._licence = licence
        self._closed = False
        self._tasks: dict[cf.Future, Any] = {}
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        task = self._client.submit(run_licensed, self._licence, fn, *args, pure=False, **kwargs)
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()  # on the cluster from now on
        with self._lock:
            self._tasks[future] = task

        def done(task) -> None:  # on the client's thread
            with self._lock:
                self._tasks.pop(future, None)
            try:
                future.set_result(task.result())
            except BaseException as exc:  # KilledWorker, the task's own error, cancelled
                future.set_exception(exc)

        task.add_done_callback(done)
        return future

    def task_of(self, future: cf.Future):
        """The Dask future of one of this pool's futures (None once done)."""
        with self._lock:
            return self._tasks.get(future)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more submissions; with ``wait``, wait for the tasks submitted. Nothing is
        cancelled here, ``cancel_futures`` or not: the engine replaces a pool (after a file's
        timeout) while other files still run on the cluster, and those keep their results (a
        thread pool's ``cancel_futures`` spares running tasks too). The executor's ``close`` at
        the end of the run closes the client, which releases every task still held."""
        self._closed = True
        if wait:
            with self._lock:
                pending = list(self._tasks)
            cf.wait(pending)


class DaskExecutor(Executor):
    """A Dask cluster (address, scheduler file, or a LocalCluster); optional licence limit."""

    name = "dask"
    Options = DaskOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.client: Any = None
        self._cluster: Any = None
        self._licence: tuple[str, int] | None = None
        self._measured: dict[str, int] = {}
        self._info: dict[str, Any] = {}
        self._info_at: float | None = None
        #: Workers restarted in this run (a file past engine.file_timeout held each).
        self.restarted = 0

    # -- connecting -------------------------------------------------------------------------
    def open(self) -> Capacity:
        distributed = _distributed()
        o = self.options
        try:
            if o.address or o.scheduler_file:
                self.client = distributed.Client(
                    o.address, scheduler_file=o.scheduler_file, timeout=o.connect_timeout,
                    set_as_default=False)
            else:
                import dask

                preload, preload_argv = _worker_preloads(dask)
                with dask.config.set({"distributed.scheduler.allowed-failures":
                                      o.allowed_failures}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=o.n_workers, threads_per_worker=o.threads_per_worker,
                        processes=True, dashboard_address=":0",  # any free port: never a clash
                        memory_limit=int(o.memory_limit) if o.memory_limit else "auto",
                        preload=preload, preload_argv=preload_argv)
                self.client = distributed.Client(self._cluster, set_as_default=False)
            self.client.wait_for_workers(1, timeout=o.connect_timeout)
            self.client.run_on_scheduler(_set_allowed_failures, count=o.allowed_failures)
        except OrcapostError:
            raise
        except Exception as exc:
            self.close()
            where = o.address or o.scheduler_file or "a LocalCluster"
            raise OrcapostError(
                f"the dask executor could not reach {where}: {type(exc).__name__}: {exc}",
                hint="check engine.executor's address or scheduler_file, and that the "
                     "scheduler and at least one worker are running",
            ) from None
        if o.licences is not None:
            self._licence = (f"orcapost-licences-{uuid.uuid4().hex}", o.licences)
        self._measured = {}
        self._info_at = None
        self.restarted = 0
        return self.capacity()

    def _workers(self, fresh: bool = False) -> dict[str, Any]:
        now = time.monotonic()
        if fresh or self._info_at is None or now - self._info_at >= READING_MAX_AGE:
            try:
                info = self.client.scheduler_info(n_workers=-1)
            except TypeError:  # distributed before 2025: every worker, no argument
                info = self.client.scheduler_info()
            self._info = dict(info.get("workers", {}))
            self._info_at = now
        return self._info

    def capacity(self) -> Capacity:
        workers = self._workers(fresh=True)
        threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
        limits = [int(w.get("memory_limit") or 0) for w in workers.values()]
        known = [limit for limit in limits if limit > 0]
        measured = max(self._measured.values(), default=0)
        return Capacity(slots=threads, workers=len(workers), cpu_count=threads,
                        memory_total=sum(known) if known else None,
                        memory_per_worker=min(known) if known else None,
                        separate_processes=True, worker_memory=measured, local=False)

    def start(self, workers: int):
        return DaskPool(self.client, self._licence)

    def probe(self, pool, task):
        """The probe on every worker (``Client.run``): a worker whose check raises is named
        with its exception."""
        results = self.client.run(task, on_error="return")
        out: dict[str, Any] = {}
        for address, result in results.items():
            name = self._workers().get(address, {}).get("name")
            label = f"{address} ({name})" if name is not None and str(name) != address else address
            out[label] = result
            if isinstance(result, dict) and result.get("rss"):
                self._measured[address] = int(result["rss"])
        return out

    def timed_out(self, pool, future) -> str | None:
        """A task past ``engine.file_timeout``: a Dask task cannot be stopped, and its hung call
        would hold its worker's thread for ever, so the worker running it is restarted by its
        nanny. Waited for (a second or two): a file submitted meanwhile could land on the
        worker being restarted and be counted as killing it."""
        task = pool.task_of(future) if isinstance(pool, DaskPool) else None
        if task is None or self.client is None:
            return None
        workers: list[str] = []
        with contextlib.suppress(Exception):
            workers = [address for address, keys in self.client.processing().items()
                       if task.key in keys]
        task.cancel()
        if not workers:
            return None
        try:
            status = self.client.restart_workers(workers, timeout=RESTART_TIMEOUT,
                                                 raise_for_error=False)
        except Exception as exc:
            return f"restarting its dask worker {', '.join(workers)} failed ({exc})"
        finally:
            self._info_at = None  # the restarted worker has a new address
        self.restarted += len(workers)
        return "its dask worker " + ", ".join(f"{w} ({status.get(w, '?')})" for w in workers) \
            + " was restarted (a Dask task cannot be stopped)"

    # -- live figures -------------------------------------------------------------------------
    def memory(self) -> MemoryState:
        used = available = 0
        for worker in self._workers().values():
            memory = int(worker.get("metrics", {}).get("memory") or 0)
            used += memory
            available += max(0, int(worker.get("memory_limit") or 0) - memory)
        return MemoryState(used=used, available=available)

    def metrics(self) -> dict[str, Any]:
        """The cluster's workers as the scheduler last saw them: how many, how many busy, and
        each one's memory (its own metrics)."""
        workers = self._workers()
        busy = sum(1 for w in workers.values()
                   if w.get("metrics", {}).get("task_counts", {}).get("executing"))
        return {
            "workers": len(workers), "busy_workers": busy, "restarted_workers": self.restarted,
            "worker_memory": {address: int(w.get("metrics", {}).get("memory") or 0)
                              for address, w in workers.items()},
            "memory_limit": {address: int(w.get("memory_limit") or 0)
                             for address, w in workers.items()},
        }

    def close(self) -> None:
        client, cluster = self.client, self._cluster
        self.client = self._cluster = None
        licence, self._licence = self._licence, None
        if client is not None and licence is not None:
            # The run's semaphore, on the scheduler and cached on each worker: a cluster that
            # outlives the run would keep them for ever.
            with contextlib.suppress(Exception):
                client.run(_forget_licence, licence[0])
            with contextlib.suppress(Exception):
                client.run_on_scheduler(_close_licence, licence[0])
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


@hookimpl
def orcapost_register_executors(register):
    register(DaskExecutor)
