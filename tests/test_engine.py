"""The engine: thread affinity, bad files become failure rows, executors, resume."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pyarrow.csv as pacsv
import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.components import Source
from orcapost.config import load_config
from orcapost.engine import Engine
from orcapost.errors import PluginError
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.results import STATUS_FAILED


class ThreadAffinityError(RuntimeError):
    pass


class AffineFile:
    """Wraps an opened file and raises if any thread but the opener touches it, as OrcFxAPI
    models do."""

    opened = []
    touches = []

    def __init__(self, path):
        self._owner = threading.get_ident()
        self._inner = ArchiveResultFile(path)
        AffineFile.opened.append(self._owner)

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def guarded(*args, **kwargs):
            me = threading.get_ident()
            AffineFile.touches.append((self._owner, me))
            if me != self._owner:
                raise ThreadAffinityError(f"{name} called from thread {me}, "
                                          f"model loaded on {self._owner}")
            return attr(*args, **kwargs)

        return guarded


class AffineSource(Source):
    """Archive files behind a thread-affinity guard."""

    name = "affine"
    suffixes = (".arrow",)

    def open(self, path):
        return AffineFile(path)


class AffinePlugin:
    @hookimpl
    def orcapost_register_sources(self, register):
        register(AffineSource)


def _run(pm, write_config, config, **kwargs):
    loaded = load_config(write_config(config), pm.registry)
    return Engine(pm, loaded, **kwargs).run()


def test_each_file_is_opened_used_and_closed_on_one_thread(pm, campaign, tmp_path,
                                                           write_config, monkeypatch):
    import orcapost.engine as engine_module

    # A task per file (small files' batches run one at a time on threads), so several workers.
    monkeypatch.setattr(engine_module, "SMALL_FILE_BYTES", 0)
    pm.unregister(name="orcapost.plugins.sources.archive")
    pm.register(AffinePlugin(), name="affine")
    AffineFile.opened.clear()
    AffineFile.touches.clear()
    summary = _run(pm, write_config, statistics_config(campaign, tmp_path / "out",
                                                       thread_policy={"name": "fixed",
                                                                      "threads": 4}))
    assert summary.exit_code == 0, summary.failures
    assert len(AffineFile.opened) == 8
    assert len(set(AffineFile.opened)) > 1  # really ran on several workers
    assert AffineFile.touches and all(owner == me for owner, me in AffineFile.touches)


def test_the_affinity_guard_really_raises_off_thread(campaign):
    path = sorted(campaign.iterdir())[0]
    opened = AffineFile(path)
    errors = []

    def touch():
        try:
            opened.catalogue()
        except ThreadAffinityError as exc:
            errors.append(exc)

    worker = threading.Thread(target=touch)
    worker.start()
    worker.join()
    assert errors
    opened.close()


def test_corrupt_and_missing_files_become_failure_rows(pm, campaign_copy, tmp_path,
                                                       write_config, run_cli):
    files = sorted(campaign_copy.iterdir())
    files[2].write_bytes(b"\x00garbage" * 100)  # corrupt
    config = statistics_config(campaign_copy, tmp_path / "out")
    config["inputs"]["files"] = [f.name for f in files] + ["LC999_missing.arrow"]
    result = run_cli("run", write_config(config), "--quiet")
    assert result.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pylist()
    by_file = {row["file"].rsplit("/", 1)[-1]: row for row in failures}
    assert by_file[files[2].name]["stage"] == "open"
    assert "not an Arrow IPC file" in by_file[files[2].name]["reason"]
    assert by_file["LC999_missing.arrow"]["stage"] == "open"
    assert by_file["LC999_missing.arrow"]["reason"] == "file not found"
    table = pacsv.read_csv(tmp_path / "out" / "vessel.csv").to_pylist()
    assert len(table) == 9
    statuses = {row["file"]: row["status"] for row in table}
    assert statuses[files[2].name] == STATUS_FAILED
    assert sum(s == "ok" for s in statuses.values()) == 7
    ok_row = next(row for row in table if row["status"] == "ok")
    assert ok_row["heave max"] is not None


def test_a_pattern_matching_nothing_is_a_per_file_error(pm, campaign, tmp_path, write_config):
    config = statistics_config(campaign, tmp_path / "out")
    config["results"]["vessel"]["columns"].append(
        {"label": "ghost", "kind": "statistics", "object": "Buoy*", "variable": "X"})
    summary = _run(pm, write_config, config)
    assert summary.exit_code == 1
    assert summary.partial == 8
    reasons = {f.reason for f in summary.failures}
    assert any("object 'Buoy*' matches nothing" in r for r in reasons)
    rows = pacsv.read_csv(tmp_path / "out" / "vessel.csv").to_pylist()
    assert all(row["heave max"] is not None for row in rows)  # other columns kept


def test_processes_give_the_same_tables_as_threads(pm, campaign, tmp_path, write_config):
    threads = statistics_config(campaign, tmp_path / "threads")
    procs = statistics_config(campaign, tmp_path / "procs", executor="processes",
                              thread_policy={"name": "fixed", "threads": 2})
    assert _run(pm, write_config, threads, ).exit_code == 0
    assert _run(pm, write_config, procs).exit_code == 0
    for group in ("lines", "vessel"):
        a = pacsv.read_csv(tmp_path / "threads" / f"{group}.csv")
        b = pacsv.read_csv(tmp_path / "procs" / f"{group}.csv")
        assert a.equals(b)


def test_no_plugin_registration_while_a_run_is_active(pm, campaign, tmp_path, write_config):
    seen = []

    class Sneaky:
        @hookimpl
        def orcapost_file_done(self, context, result):
            try:
                pm.register(object(), name="late")
            except PluginError as exc:
                seen.append(str(exc))

    pm.register(Sneaky(), name="sneaky")
    _run(pm, write_config, statistics_config(campaign, tmp_path / "out"))
    assert seen and all("while a run is active" in s for s in seen)
    pm.register(object(), name="after")  # fine once the run is over


def test_concurrency_never_exceeds_the_policy(pm, campaign, tmp_path, write_config):
    peak = []

    class Watch:
        @hookimpl
        def orcapost_file_done(self, context, result):
            peak.append(context.in_flight)

    pm.register(Watch(), name="watch")
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 2})
    summary = _run(pm, write_config, config)
    assert summary.exit_code == 0
    assert max(peak) <= 2


def test_resume_skips_files_already_in_the_journal(pm, campaign_copy, tmp_path, write_config):
    config = statistics_config(campaign_copy, tmp_path / "out")
    first = _run(pm, write_config, config)
    assert first.exit_code == 0
    opened = []

    class Count:
        @hookimpl(wrapper=True)
        def orcapost_process_file(self, task):
            opened.append(task.file.name)
            return (yield)

    pm.register(Count(), name="count")
    newest = sorted(campaign_copy.iterdir())[-1]
    newest.touch()  # changed since: must be processed again
    import os
    os.utime(newest, (newest.stat().st_atime, newest.stat().st_mtime + 5))
    second = _run(pm, write_config, config, resume=True)
    assert second.exit_code == 0
    assert opened == [newest.name]
    rows = pacsv.read_csv(tmp_path / "out" / "vessel.csv").to_pylist()
    assert len(rows) == 8


def test_output_inside_the_input_folder_is_refused(pm, campaign, write_config):
    from orcapost.errors import OrcapostError

    config = statistics_config(campaign, campaign / "results")
    with pytest.raises(OrcapostError, match="inside the input folder"):
        _run(pm, write_config, config)
    assert not (campaign / "results").exists()


@pytest.mark.parametrize("folder", ["partial", "partial/cases", ".orcapost-staging-0123"])
def test_inputs_in_a_folder_the_run_replaces_whole_are_refused(pm, campaign, write_config,
                                                                tmp_path, folder):
    """A complete set removes the output folder's partial/ whole: inputs kept there were
    deleted by the very run that read them (exit 0). Refused before anything runs."""
    import shutil

    from orcapost.errors import OrcapostError

    out = tmp_path / "out"
    inputs = out / folder
    shutil.copytree(campaign, inputs)
    config = statistics_config(inputs, out)
    with pytest.raises(OrcapostError, match="would delete the inputs"):
        _run(pm, write_config, config)
    assert sorted(p.name for p in inputs.iterdir()) == sorted(p.name for p in campaign.iterdir())


class _CountingExecutor(ThreadPoolExecutor):
    """Records the files of every task and the most tasks outstanding at once."""

    def __init__(self, workers):
        super().__init__(max_workers=workers)
        self.batches, self.outstanding, self.most = [], 0, 0
        self._lock = threading.Lock()

    def submit(self, fn, spec, files):
        with self._lock:
            self.batches.append([f.path.name for f in files])
            self.outstanding += 1
            self.most = max(self.most, self.outstanding)

        def task():
            try:
                return fn(spec, files)
            finally:
                with self._lock:  # before the future completes, so the engine sees it
                    self.outstanding -= 1

        return super().submit(task)


def test_small_files_on_threads_of_one_process_run_one_batch_at_a_time(
        pm, campaign, tmp_path, write_config, monkeypatch):
    # Batches are CPU-bound Python: two on threads of one process only share its GIL. On 2
    # cores, 5,000 tiny archives took 6.6 s with a batch per core and 4.2 s one at a time.
    import threading
    import time

    import orcapost.engine as engine_module

    monkeypatch.setattr(engine_module.os, "cpu_count", lambda: 4)
    lock, now, most, calls = threading.Lock(), [0], [0], []
    real = engine_module.run_files

    def counting(*args, **kwargs):
        with lock:
            calls.append(1)
            now[0] += 1
            most[0] = max(most[0], now[0])
        try:
            time.sleep(0.05)  # batches allowed at once would overlap here
            return real(*args, **kwargs)
        finally:
            with lock:
                now[0] -= 1

    monkeypatch.setattr(engine_module, "run_files", counting)
    monkeypatch.setattr(engine_module, "BATCH_MAX_FILES", 2)  # several batches, or it proves nothing
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 8})
    config["engine"]["executor"] = {"name": "threads", "processes": 0}
    summary = _run(pm, write_config, config)
    assert summary.exit_code == 0 and summary.ok == 8
    assert len(calls) >= 4 and most[0] == 1


def test_small_files_run_in_batches_at_most_one_per_core(pm, campaign, tmp_path, write_config,
                                                         monkeypatch):
    import orcapost.engine as engine_module

    monkeypatch.setattr(engine_module, "small_batch_limit", lambda cpu_count=None: 2)
    made = []

    def factory(kind, workers):
        made.append(_CountingExecutor(workers))
        return made[-1]

    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 8})
    summary = _run(pm, write_config, config, executor_factory=factory)
    assert summary.exit_code == 0 and summary.ok == 8
    executor = made[0]
    # 8 files of 390 KB: batched (fewer tasks than files), never more than 2 batches at once,
    # and every file in exactly one batch.
    assert len(executor.batches) < 8 and executor.most <= 2
    names = sorted(name for batch in executor.batches for name in batch)
    assert names == sorted(p.name for p in campaign.glob("*.arrow"))
    batched = pacsv.read_csv(tmp_path / "out" / "lines.csv")
    config = statistics_config(campaign, tmp_path / "one", thread_policy={"name": "fixed",
                                                                          "threads": 1})
    assert _run(pm, write_config, config).exit_code == 0
    single = pacsv.read_csv(tmp_path / "one" / "lines.csv")
    assert batched.drop_columns(["path"]).equals(single.drop_columns(["path"]))


class _PoisonedPool(ThreadPoolExecutor):
    """Behaves like a process pool whose worker dies on one file: the task holding that file
    ends with BrokenProcessPool, so does every task still running, and the pool accepts no
    more work (as concurrent.futures' ProcessPoolExecutor does)."""

    def __init__(self, workers, poison, log):
        super().__init__(max_workers=workers)
        self.poison, self.log, self.broken = poison, log, False
        self._lock = threading.Lock()

    def submit(self, fn, spec, files):
        names = [f.path.name for f in files]
        with self._lock:
            if self.broken:
                raise BrokenProcessPool("the pool is broken")
            self.log.append(names)

        def task():
            with self._lock:
                if self.poison in names:
                    self.broken = True
                if self.broken:
                    raise BrokenProcessPool("a worker process terminated abruptly")
            return fn(spec, files)

        return super().submit(task)


def test_a_worker_death_loses_only_the_file_that_caused_it(pm, campaign, tmp_path,
                                                          write_config):
    poison = sorted(p.name for p in campaign.glob("*.arrow"))[3]
    pools, log = [], []

    def factory(kind, workers):
        pools.append(_PoisonedPool(workers, poison, log))
        return pools[-1]

    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 2})
    engine = Engine(pm, load_config(write_config(config), pm.registry),
                    executor_factory=factory)
    summary = engine.run()
    assert summary.exit_code == 1 and summary.failed == 1 and summary.ok == 7
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert failures["file"] == [poison] and failures["stage"] == ["worker"]
    assert "died while processing this file, alone" in failures["reason"][0]
    # The poisoned file ran in a batch, then alone; each pool it broke was replaced once:
    # two deaths, two new pools, two decisions (not one per failed task of a broken pool).
    assert [poison] in log and any(poison in names and len(names) > 1 for names in log)
    assert len(pools) == 3
    died = [d for d in engine.report["decisions"] if "a worker died" in d["reason"]]
    assert len(died) == 2
    rows = pacsv.read_csv(tmp_path / "out" / "lines.csv").to_pydict()
    assert sorted(rows["file"]) == sorted(p.name for p in campaign.glob("*.arrow"))
    assert rows["status"].count("ok") == 7


def test_a_killed_worker_process_loses_nothing(pm, campaign, tmp_path, write_config):
    import psutil

    killed = []

    class Killer:
        @hookimpl
        def orcapost_file_done(self, context, result):
            if not killed and context.done < context.total_files:
                # Kill one worker process of the pool, once, while files are still to come.
                # Not multiprocessing's resource tracker, a child too: killing it breaks no
                # pool, and the test then depended on which child psutil listed last.
                workers = [child for child in psutil.Process().children(recursive=True)
                           if "resource_tracker" not in " ".join(child.cmdline())]
                if workers:
                    workers[-1].kill()
                    killed.append(workers[-1].pid)

    pm.register(Killer(), name="killer")
    config = statistics_config(campaign, tmp_path / "out", executor="processes",
                               thread_policy={"name": "fixed", "threads": 2})
    engine = Engine(pm, load_config(write_config(config), pm.registry))
    summary = engine.run()
    assert killed
    assert summary.exit_code == 0 and summary.ok == 8, summary.failures
    assert any("a worker died" in d["reason"] for d in engine.report["decisions"])


def test_reporters_take_memory_from_the_monitors_sample(monkeypatch, tmp_path):
    # A heartbeat reads no psutil itself when the run context holds the monitor's sample.
    import orcapost.monitor as monitor_module
    from orcapost.plugins.reporters._figures import figures
    from orcapost.results import RunContext

    def no_psutil(*args, **kwargs):
        raise AssertionError("psutil read on a heartbeat")

    monkeypatch.setattr(monitor_module, "process_rss", no_psutil)
    monkeypatch.setattr(monitor_module, "available_memory", no_psutil)
    context = RunContext(config_path=None, files=[], output_directory=tmp_path,
                         executor="threads", concurrency=1)
    context.sample = {"t": 1.0, "cpu_percent": 50.0, "rss": 123_000_000,
                      "available": 4_000_000_000}
    f = figures(context)
    assert (f.rss, f.available) == (123_000_000, 4_000_000_000)
