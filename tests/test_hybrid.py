"""The default ``threads`` executor with worker processes beside its threads (the hybrid pool):
which campaigns get worker processes (``processes: auto``), at most one file per core at once,
the same tables as one worker, and a probe that refuses the processes keeps every file on
threads."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import wait
from pathlib import Path

import pytest
from helpers import statistics_config
from orcapost import hookimpl, hybrid
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.hybrid import HybridPool
from orcapost.plugins.executors import threads as threads_executor
from orcapost.plugins.policies.fixed import FixedOptions, FixedPolicy
from orcapost.results import FileInfo
from orcapost.run_report import RUN_REPORT_NAME
from orcapost.turns import TurnPool

MB = 1_000_000


def _executor(pm, **options):
    """A threads executor with ``processes: auto`` unless the test says otherwise."""
    options = {"processes": "auto", **options}
    return threads_executor.ThreadsExecutor(threads_executor.ThreadsOptions(**options))


def _files(count: int, size: int, suffix: str = ".arrow") -> list[FileInfo]:
    return [FileInfo(path=Path(f"f{i:04d}{suffix}"), size=size) for i in range(count)]


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(threads_executor.os, "cpu_count", lambda: 2)


def test_auto_runs_a_large_cpu_bound_campaign_on_cores_many_workers(pm, two_cores):
    """200 x 3 MB archives on 2 cores: one worker process beside the threads, and the run's
    capacity holds at most 2 files running at once, each worker with one more waiting behind
    it (the fixed policy's 15 is capped by it)."""
    executor = _executor(pm)
    executor.fit(_files(200, 3 * MB), pm)
    capacity = executor.open()
    assert executor.processes == 1
    assert capacity.slots == 4 and capacity.queued == 1
    assert capacity.workers == 1 and capacity.separate_processes
    policy = FixedPolicy(FixedOptions(threads=15))
    policy.bind(capacity)
    assert min(policy.initial(_files(200, 3 * MB)), capacity.slots) == 4


@pytest.mark.parametrize(("asked", "running", "processes"), [(4, 4, 3), (2, 2, 1), (30, 8, 7)])
def test_files_asked_for_run_at_once_up_to_a_core_each(pm, monkeypatch, asked, running,
                                                       processes):
    """``--threads 4`` on 8 cores runs 4 files at once (3 worker processes and this process's
    thread), not 2 with 2 more waiting; only files beyond one per core wait behind a worker."""
    monkeypatch.setattr(threads_executor.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(threads_executor.ThreadsExecutor, "_choose",
                        lambda self, files, pm, sources=None: threads_executor.Choice(7, "test"))
    monkeypatch.setattr("orcapost.hybrid.take_prestarted", lambda processes: None)
    executor = _executor(pm)
    executor.fit(_files(200, 3 * MB), pm)
    assert executor.open().slots == 16
    pool = executor.start(asked)
    try:
        assert (pool.processes, pool.processes + pool.thread_share) == (processes, running)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _archive_sources(memory_map: bool) -> dict:
    from orcapost.plugins.sources.archive import ArchiveOptions, ArchiveSource

    return {".arrow": ArchiveSource(ArchiveOptions(memory_map=memory_map))}


@pytest.mark.parametrize(("files", "why"), [
    (_files(4, 300 * MB), "large files read in place"),
    (_files(200, 3 * MB, ".sim"), ".sim"),
    (_files(20, 3 * MB, ".sim"), ".sim"),  # a small .sim campaign: OrcFxAPI releases the GIL
    ([], "no files"),  # a shard without files of its own
])
def test_auto_keeps_threads_only_where_processes_cannot_pay(pm, two_cores, files, why):
    executor = _executor(pm)
    executor.fit(files, pm, sources=_archive_sources(memory_map=True))
    assert executor.processes == 0 and why in executor.reason
    assert not executor.one_at_a_time
    assert executor.open().slots is None  # threads: as many as the policy asks


@pytest.mark.parametrize("cores", [1, 2])
def test_a_small_cpu_bound_campaign_runs_one_file_at_a_time(pm, monkeypatch, cores):
    """20 x 3 MB archives: no worker process pays for itself, and their files hold the GIL, so
    15 on threads of one process were slower than one (30 demo files: 1.81 s against 1.18 s).
    The policy's threads stay (a hung file holds no other up), but their files take turns."""
    monkeypatch.setattr(threads_executor.os, "cpu_count", lambda: cores)
    executor = _executor(pm)
    executor.fit(_files(20, 3 * MB), pm)
    assert executor.processes == 0 and executor.one_at_a_time, executor.reason
    assert "one file at a time" in executor.reason
    assert executor.open().slots is None  # the files in flight: as many as the policy asks
    pool = executor.start(15)
    try:
        assert isinstance(pool, TurnPool) and pool._max_workers == 15
    finally:
        pool.shutdown(wait=False)
    assert not isinstance(executor.start(1), TurnPool)  # one worker: nothing to take turns


def test_no_memory_for_a_worker_process_runs_cpu_bound_files_in_turn(pm, two_cores,
                                                                     monkeypatch):
    monkeypatch.setattr("orcapost.api.available_memory", lambda: 100_000_000)
    executor = _executor(pm)
    executor.fit(_files(200, 3 * MB), pm)
    assert executor.processes == 0 and executor.one_at_a_time, executor.reason
    assert "no memory" in executor.reason
    explicit = _executor(pm, processes=2)  # asked for by number: the policy's threads
    explicit.fit(_files(200, 3 * MB), pm)
    assert explicit.processes == 0 and not explicit.one_at_a_time
    large = _executor(pm)  # large files read into memory keep threads, never turns ...
    large.fit(_files(8, 300 * MB), pm)
    assert large.processes == 0 and not large.one_at_a_time
    assert large.reason == "threads only: no memory for a worker process"  # ... and say so


@pytest.mark.parametrize("sources", [None, "read", "no source"])
def test_large_files_read_into_memory_are_cpu_bound_work(pm, two_cores, sources):
    """Large archives read into memory (the default; also a run whose sources are not known,
    or a suffix no source reads): two at once on threads of one process spent seconds in the
    kernel on their copies (6 x 300 MB: 2.47-4.02 s against 2.29-2.54 s for one worker), so
    they get a worker process when their work pays for it (6 x 300 MB: 1.79-2.08 s with one,
    2.18-2.26 s for one worker); fewer keep threads (taking turns put each file on a fresh
    thread, slower still)."""
    given = {None: None, "read": _archive_sources(memory_map=False),
             "no source": {".arrow": None}}[sources]
    many = _executor(pm)
    many.fit(_files(8, 300 * MB), pm, sources=given)  # ~2.5 s of estimated work
    assert many.processes == 1, many.reason
    six = _executor(pm)
    six.fit(_files(6, 300 * MB), pm, sources=given)  # 1.86 s: the tenth sitting's campaign
    assert six.processes == 1, six.reason
    few = _executor(pm)
    few.fit(_files(3, 300 * MB), pm, sources=given)  # ~0.9 s: less than a process pays back
    assert few.processes == 0 and not few.one_at_a_time, few.reason
    assert "read into memory" in few.reason
    two = _executor(pm)
    two.fit(_files(2, 1000 * MB), pm, sources=given)  # 2 x 1 GB: no faster with one
    assert two.processes == 0 and not two.one_at_a_time, two.reason


def test_large_files_keep_threads_only_if_every_large_one_is_read_in_place(pm, two_cores):
    """A campaign mixing mapped archives with large files of a source that copies them is
    CPU-bound work on those."""

    class CopyingSource:
        reads_in_place = False

    files = _files(8, 300 * MB) + _files(8, 300 * MB, ".outb")
    executor = _executor(pm)
    executor.fit(files, pm, sources={**_archive_sources(memory_map=True),
                                     ".outb": CopyingSource()})
    assert executor.processes == 1, executor.reason
    executor = _executor(pm)
    executor.fit(_files(8, 300 * MB), pm, sources=_archive_sources(memory_map=True))
    assert executor.processes == 0 and "read in place" in executor.reason


def test_one_core_keeps_large_files_read_into_memory_on_threads_not_turns(pm, monkeypatch):
    monkeypatch.setattr(threads_executor.os, "cpu_count", lambda: 1)
    executor = _executor(pm)
    executor.fit(_files(8, 300 * MB), pm, sources=_archive_sources(memory_map=False))
    assert executor.processes == 0 and not executor.one_at_a_time
    assert executor.reason == "threads only: large files read into memory, one core"


def test_one_core_keeps_threads_for_files_that_release_the_gil(pm, monkeypatch):
    monkeypatch.setattr(threads_executor.os, "cpu_count", lambda: 1)
    for files in (_files(200, 3 * MB, ".sim"), _files(4, 300 * MB)):
        executor = _executor(pm)
        executor.fit(files, pm, sources=_archive_sources(memory_map=True))
        assert executor.processes == 0 and not executor.one_at_a_time, executor.reason
        assert executor.open().slots is None


def test_auto_starts_a_worker_process_for_many_tiny_files(pm, two_cores):
    """5,000 files of 10 KB are 50 MB but many files: they run in batches, so a worker process
    takes half of them (one core only, they took 4.1-4.7 s against 2.8-3.0 s)."""
    executor = _executor(pm)
    executor.fit(_files(5000, 10_000), pm)
    assert executor.processes == 1, executor.reason


def test_no_worker_processes_with_plugins_only_this_process_has(pm, two_cores):
    class Local:
        pass

    pm.register(Local(), name="test.local-plugin")
    executor = _executor(pm)
    executor.fit(_files(200, 3 * MB), pm)
    assert executor.processes == 0 and "test.local-plugin" in executor.reason


def test_an_opt_in_built_in_registered_here_keeps_threads_only(pm, two_cores):
    # The opt-in contention source (orcapost.plugins.OPT_IN_PLUGINS) is registered only by who
    # asks for it: a worker process does not have it, and every file it took failed. Its
    # orcapost.* name once passed for a built-in every process loads.
    from orcapost.plugins.sources import contention

    pm.register(contention, contention.__name__)
    executor = _executor(pm)
    executor.fit(_files(200, 3 * MB), pm)
    assert executor.processes == 0 and contention.__name__ in executor.reason


def test_the_default_runs_a_large_cpu_bound_campaign_beside_a_worker_process(pm, two_cores):
    """Measured on an idle 2-core machine (docs/benchmarks.md, bench_cores.py), 15 threads alone
    were 0.56-0.65x one worker on 3 MB demo files and the hybrid 1.00-1.16x: it is the default."""
    executor = threads_executor.ThreadsExecutor(threads_executor.ThreadsOptions())
    executor.fit(_files(200, 3 * MB), pm)
    assert executor.options.processes == "auto" and executor.processes == 1


@pytest.mark.parametrize("files", [_files(200, 3 * MB), _files(20, 3 * MB)])
def test_processes_zero_is_threads_only_as_many_as_the_policy_asks(pm, two_cores, files):
    executor = _executor(pm, processes=0)
    executor.fit(files, pm)
    assert executor.processes == 0
    assert not executor.one_at_a_time and executor.open().slots is None


def test_a_refused_probe_keeps_every_file_on_threads():
    """Routing without spawning: a thread pool stands in for the worker processes."""
    pool = HybridPool(threads=2, processes=0, thread_name_prefix="orcapost-worker")
    stand_in = ThreadPoolExecutor(max_workers=1)
    try:
        pool.processes, pool._pool = 1, stand_in  # type: ignore[assignment]
        accepted: Future = Future()
        accepted.set_result({"problems": []})
        pool._answered(accepted, threads_executor._accept)
        assert pool.processes_ready()
        assert pool.submit(lambda: 1).result() == 1 and pool.counts["processes"] == 1
        refused: Future = Future()
        refused.set_result({"problems": ["orcapost 0.0 is installed there"]})
        pool._answered(refused, threads_executor._accept)
        assert not pool.processes_ready() and "orcapost 0.0" in (pool.refused or "")
        assert pool.submit(lambda: 2).result() == 2
        assert pool.counts == {"processes": 1, "threads": 1}
    finally:
        pool.shutdown()


def _run(pm, campaign: Path, output: Path, engine: dict) -> dict:
    loaded = validate_data(statistics_config(campaign, output, **engine), pm.registry)
    Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls()).run()
    return json.loads((output / RUN_REPORT_NAME).read_text(encoding="utf-8"))


def _tables(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())
            if path.suffix in (".csv", ".parquet")}


def test_hybrid_tables_are_those_of_one_worker(pm, campaign, tmp_path):
    """A worker process beside the threads (one spawned process): files run on both, at most
    2 at once, and every table has the bytes of a ``--threads 1`` run."""
    hybrid = _run(pm, campaign, tmp_path / "hybrid", {
        "thread_policy": {"name": "fixed", "threads": 15},
        "executor": {"name": "threads", "processes": 1}})
    _run(pm, campaign, tmp_path / "single", {
        "thread_policy": {"name": "fixed", "threads": 1}})
    capacity = hybrid["settings"]["capacity"]
    assert hybrid["settings"]["ceiling"] <= max(2, capacity["cpu_count"]) * (1 + capacity["queued"])
    assert hybrid["settings"]["capacity"]["workers"] == 1
    assert hybrid["workers"]["files_on_processes"] >= 1  # a file waited for the process
    assert len({row["process"] for row in hybrid["files"]}) == 2
    assert _tables(tmp_path / "hybrid") == _tables(tmp_path / "single")


# -- worker processes started as `orcapost run` starts ------------------------------------


@pytest.mark.parametrize(("threads", "executor", "cores", "expected"), [
    (None, None, 2, 1),  # the default on 2 cores: one worker process, as the hybrid takes
    (15, "threads", 8, hybrid.PRESTART_MAX),  # a pool spawns the rest as it needs them
    (1, None, 2, 0),  # --threads 1: one worker, on a thread
    (None, "processes", 2, 0),  # another executor starts its own
    (None, None, 1, 0),  # one core
])
def test_prestart_count(monkeypatch, threads, executor, cores, expected):
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert hybrid.prestart_count(threads, executor) == expected


@pytest.mark.parametrize(("args", "expected"), [
    (["run", "c.yml"], [1]),
    (["run", "c.yml", "--threads", "1"], [0]),
    (["run", "--threads=4", "c.yml", "-q"], [1]),
    (["run", "c.yml", "--executor", "processes"], [0]),
    (["validate", "c.yml"], []),  # only `run` starts worker processes
    (["--version"], []),
    (["run", "--help"], []),  # runs nothing
])
def test_run_starts_its_worker_processes_from_the_command_line(monkeypatch, args, expected):
    """The command line alone decides, before the plugins or the config are loaded."""
    from orcapost import cli

    asked: list[int] = []
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(hybrid, "prestart_processes", asked.append)
    cli._prestart(args)
    assert asked == expected


def test_a_prestarted_worker_process_is_taken_over_or_killed(monkeypatch):
    """Spawned early, a worker process warms itself (plugins loaded) and the run's pool takes
    it over; one that no run takes is killed, never waited for."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # a pool of cores - 1 = 1 process
    assert hybrid.prestart_processes(1)
    try:
        assert hybrid.take_prestarted(2) is None  # not a pool of 2 processes: killed
        assert hybrid.prestart_processes(1)
        pool = hybrid.take_prestarted(1)
        assert pool is not None and hybrid.take_prestarted(1) is None  # taken once
        pid = pool.submit(hybrid.warm_worker).result(timeout=120)
        assert pid in {p.pid for p in pool._processes.values()}
        pool.shutdown()
        assert hybrid.prestart_processes(1)
        process = next(iter(hybrid._prestarted._processes.values()))  # type: ignore[union-attr]
        hybrid.discard_prestarted()
        # Its exit is seen on its sentinel, not by is_alive(): the pool's own thread may reap
        # the killed process at the same moment, and is_alive() then reads a reaped pid as alive.
        assert wait([process.sentinel], timeout=30), "the discarded worker process still runs"
        assert hybrid._prestarted is None
    finally:
        hybrid.discard_prestarted()


def test_the_prepared_plugin_manager_is_used_by_the_first_plan_only(monkeypatch):
    from orcapost import task

    monkeypatch.setattr(task, "_PREPARED_PM", None)
    task.prepare_worker()
    prepared = task._PREPARED_PM
    assert prepared is not None and task._prepared_plugin_manager() is prepared
    assert task._prepared_plugin_manager() is None


# -- files queued behind a worker's running file ------------------------------------------


def test_with_queued_files_a_thread_runs_one_file_at_a_time_and_processes_come_first():
    """``queued=1``: an idle ready worker process first, then the idle thread, then the
    workers' queues; the thread here never runs two files at once."""
    import threading

    pool = HybridPool(threads=2, processes=1, thread_name_prefix="orcapost-worker", queued=1)
    assert pool._pool is not None
    pool._pool.shutdown()  # never used: no process spawned
    stand_in = ThreadPoolExecutor(max_workers=1)
    release = threading.Event()
    running: list[str] = []
    try:
        pool._pool = stand_in  # type: ignore[assignment]
        accepted: Future = Future()
        accepted.set_result({"problems": []})
        pool._answered(accepted, threads_executor._accept)

        def task(name):
            running.append(name)
            release.wait(30)
            return name

        futures = [pool.submit(task, f"f{i}") for i in range(4)]
        assert pool.counts == {"processes": 2, "threads": 2}
        for _ in range(3000):  # up to 30 s on a loaded machine
            if len(running) == 2:
                break
            threading.Event().wait(0.01)
        assert len(running) == 2  # one on the process stand-in, one on the thread
        release.set()
        assert [f.result(timeout=30) for f in futures] == ["f0", "f1", "f2", "f3"]
    finally:
        release.set()
        pool.shutdown()


def test_the_switch_interval_is_restored_when_the_pool_shuts_down():
    import sys

    before = sys.getswitchinterval()
    pool = HybridPool(threads=2, processes=1, thread_name_prefix="orcapost-worker", queued=1)
    try:
        assert sys.getswitchinterval() == min(before, hybrid.SWITCH_INTERVAL)
    finally:
        pool.shutdown()
    assert sys.getswitchinterval() == before


# -- what the tables import, imported while files run --------------------------------------


def test_the_gumbel_fits_import_is_warmed_while_files_run(pm, tmp_path, monkeypatch):
    import threading

    from orcapost.warmup import tail_imports, warm_in_background

    config = {"version": 2, "inputs": {"directory": str(tmp_path)},
              "results": {"g": {"columns": [{"label": "x", "kind": "statistics",
                                             "object": "A", "variable": "B",
                                             "statistics": ["max"]}]}},
              "campaign": [{"name": "t", "group": "g", "by": [], "reductions": [
                  {"kind": "mean", "columns": ["x max"]},
                  {"kind": "gumbel", "columns": ["x max"]}]}]}
    model = validate_data(config, pm.registry).model
    assert tail_imports(model) == ["scipy.optimize"]
    ready = threading.Event()
    import sys

    later = "colorsys"  # imported by nothing here
    monkeypatch.delitem(sys.modules, later, raising=False)
    thread = warm_in_background(["no_such_module_here", later], ready.is_set)
    assert thread is not None and thread.is_alive()  # waits for the first file
    assert later not in sys.modules
    ready.set()
    thread.join(timeout=30)
    # A module that cannot be imported is left alone, and the next is imported all the same.
    assert not thread.is_alive() and later in sys.modules
    stopped = warm_in_background(["json"], ready=lambda: False, stop=lambda: True)
    assert stopped is not None
    stopped.join(timeout=30)
    assert not stopped.is_alive()
    assert warm_in_background([], ready.is_set) is None


@pytest.mark.parametrize(("queued", "allowed"), [(0, 10.0), (1, 20.0)])
def test_a_task_that_may_wait_behind_another_has_the_others_timeout_too(
        pm, campaign, tmp_path, queued, allowed):
    """``engine.file_timeout`` counts from the submission: with a file queued behind the one a
    worker runs (``Capacity.queued``), the task is allowed ``1 + queued`` timeouts."""
    import time
    from collections import deque
    from types import SimpleNamespace

    from orcapost.components import Capacity

    class Holding:  # an executor that only holds its tasks
        def submit(self, fn, *args):
            return Future()

    loaded = validate_data(statistics_config(campaign, tmp_path / "out", file_timeout=10.0),
                           pm.registry)
    engine = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls())
    context = SimpleNamespace(capacity=Capacity(slots=4, workers=1, cpu_count=2,
                                                queued=queued))
    running: dict = {}
    before = time.monotonic()
    engine._start(context, Holding(), None, running, [_files(1, 3 * MB)[0]], deque())
    (future,) = running
    assert allowed <= engine._deadlines[future] - before <= allowed + 5


def test_prestarted_workers_a_run_does_not_take_are_discarded_as_its_pool_starts(
        pm, campaign, tmp_path, monkeypatch):
    """`orcapost run` starts worker processes from its command line alone; a run whose pool
    does not take them (another executor, an embedding's factory) discards them as its own pool
    starts -- before its first file, not at the process's exit."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # a pool of cores - 1 = 1 process
    seen: list = []

    class AtStart:
        @hookimpl
        def orcapost_run_start(self, context):
            seen.append(hybrid._prestarted)

    assert hybrid.prestart_processes(1)
    try:
        process = next(iter(hybrid._prestarted._processes.values()))  # type: ignore[union-attr]
        pm.register(AtStart(), name="at-start")
        # The processes executor (its pool made by the factory): the threads executor would
        # discard them itself when it chooses threads only.
        config = statistics_config(campaign, tmp_path / "out", executor="processes")
        summary = Engine(pm, validate_data(config, pm.registry),
                         executor_factory=lambda kind, workers: ThreadPoolExecutor(1)).run()
        assert summary.exit_code == 0 and seen == [None]
        assert wait([process.sentinel], timeout=30), "the discarded worker process still runs"
    finally:
        hybrid.discard_prestarted()


def test_the_tail_warm_up_ends_with_its_run_even_if_no_file_was_done(monkeypatch):
    """A run that fails before its first file (or whose files all fail to be handed on) must
    not leave the warm-up thread polling for the rest of the process."""
    import threading
    from types import SimpleNamespace

    from orcapost import warmup

    monkeypatch.setattr(warmup, "tail_imports", lambda model: ["colorsys"])
    engine = Engine.__new__(Engine)
    engine.model = None
    run = SimpleNamespace(
        context=SimpleNamespace(capacity=SimpleNamespace(separate_processes=True, local=True),
                                done=0, files=[object()]),
        stop=None, ended=threading.Event())
    before = set(threading.enumerate())
    engine._warm_tail(run)
    (thread,) = [t for t in threading.enumerate()
                 if t.name == "orcapost-warmup" and t not in before]
    run.ended.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
