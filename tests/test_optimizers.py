"""Memory optimizers: admission against a fake memory reading, gc, single precision."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from orcapost import hookimpl
from orcapost.config import ConfigError, validate_data
from orcapost.engine import Engine
from orcapost.plugins.optimizers import admission as admission_module
from orcapost.plugins.optimizers.admission import Admission
from orcapost.plugins.optimizers.gc_collect import GarbageCollector
from orcapost.plugins.optimizers.single_precision import SinglePrecision
from orcapost.plugins.sources.contention import write_contention_campaign
from orcapost.results import FileInfo, FileResult
from orcapost.run_report import RUN_REPORT_NAME
from orcapost.task import FileTask, Plan, PlanSpec

GB = 1_000_000_000
MB = 1_000_000


class FakeMemory:
    """A memory reading the test controls: no real allocation, no real OOM."""

    def __init__(self, available: int, rss: int = 200 * MB, worker: int = 0) -> None:
        self.available_bytes = available
        self.rss_bytes = rss
        self.worker_bytes = worker

    def available(self) -> int:
        return self.available_bytes

    def worker_memory(self) -> int:
        return self.worker_bytes

    def rss(self) -> int:
        return self.rss_bytes


def _file(size, name="a.sim"):
    return FileInfo(Path(name), size)


def _admission(reading, **options):
    return Admission(Admission.Options(**options), reading=reading)


def test_admission_admits_while_available_memory_covers_the_need():
    memory = FakeMemory(available=10 * GB)
    opt = _admission(memory, reserve=1 * GB)
    big = _file(3 * GB)
    assert opt.admit(big, [])
    assert opt.admit(big, [_file(3 * GB)])  # 3 + 3 <= 9
    assert opt.admit(big, [_file(3 * GB)] * 2)  # 3 + 6 <= 9
    assert not opt.admit(big, [_file(3 * GB)] * 3)  # 3 + 9 > 9
    assert "needs 3000 MB" in opt.last_refusal
    assert opt.admit(_file(100 * MB), [_file(3 * GB)] * 2)


def test_admission_counts_what_running_files_have_already_allocated():
    memory = FakeMemory(available=10 * GB, rss=200 * MB)
    opt = _admission(memory, reserve=1 * GB)
    assert opt.admit(_file(3 * GB), [])  # the baseline is taken here
    # Two files running have allocated 5 of their 6 GB: available fell, the rest is outstanding.
    memory.rss_bytes += 5 * GB
    memory.available_bytes -= 5 * GB
    # Headroom 5 - 1 = 4 GB, of which 1 GB is still to come for the running files.
    assert not opt.admit(_file(3500 * MB), [_file(3 * GB)] * 2)  # 3.5 + 1 > 4
    assert opt.admit(_file(3 * GB), [_file(3 * GB)] * 2)  # 3 + 1 <= 4


def test_admission_learns_the_ratio_from_files_done():
    opt = _admission(FakeMemory(available=10 * GB), learn_after=2, percentile=100)
    assert opt.ratio == 1.0  # conservative before anything is known
    for growth in (200 * MB, 300 * MB):  # memory-mapped files need a fraction of their size
        opt.file_done(FileResult(path="x", size=1 * GB, memory_growth=growth))
    assert opt.ratio == pytest.approx(0.3)
    assert opt.need(10 * GB) == 3 * GB
    opt.file_done(FileResult(path="tiny", size=10, memory_growth=10 * MB))  # too small to teach
    assert opt.ratio == pytest.approx(0.3)
    floor = _admission(FakeMemory(available=GB), learn_after=1, min_ratio=0.5)
    floor.file_done(FileResult(path="x", size=GB, memory_growth=0))
    assert floor.ratio == 0.5


def test_nearest_rank_is_shared_by_admission_and_profile():
    from orcapost.plugins.commands import profile as profile_module
    from orcapost.plugins.optimizers.admission import nearest_rank

    assert nearest_rank([5, 1, 4, 2, 3], 0.0) == 1
    assert nearest_rank([5, 1, 4, 2, 3], 0.9) == 5
    assert nearest_rank([5, 1, 4, 2, 3], 0.5) == 3
    assert nearest_rank([1, 2], 0.5) == 2  # halves round up
    sizes = list(range(1, 12))
    assert profile_module.profile(sizes, available=10**12)["p90"] == nearest_rank(sizes, 0.9)


def test_admission_budget_caps_the_whole_run():
    opt = _admission(FakeMemory(available=100 * GB, rss=200 * MB), reserve=0, budget=1 * GB)
    f = _file(300 * MB)
    assert opt.admit(f, [])
    assert opt.admit(f, [f])  # 0.2 + 0.3 + 0.3 = 0.8
    assert not opt.admit(f, [f, f])  # 0.2 + 0.6 + 0.3 > 1
    assert "budget" in opt.last_refusal


def test_admission_reads_memory_at_most_once_per_interval(monkeypatch):
    # Admission is asked about every candidate file; psutil (which walks every worker
    # process) is read once per short interval, not once per file.
    import orcapost.monitor as monitor_module

    reads = []
    monkeypatch.setattr(monitor_module, "process_rss",
                        lambda include_children=True: reads.append("rss") or 200 * MB)
    monkeypatch.setattr(monitor_module, "available_memory",
                        lambda: reads.append("available") or 10 * GB)
    clock = [100.0]
    monkeypatch.setattr(admission_module, "_now", lambda: clock[0], raising=False)
    opt = Admission(Admission.Options(reserve=1 * GB))
    small = _file(10_000)
    for count in range(50):  # a batch of small files being filled
        assert opt.admit(small, [small] * count)
    assert reads == ["rss", "available"]
    clock[0] += 2 * admission_module.READING_MAX_AGE
    assert opt.admit(small, [])
    assert reads == ["rss", "available"] * 2


def test_admission_options_are_validated(pm):
    config = {"version": 2, "inputs": {"directory": "."}, "engine": {"memory_optimizers": [
        {"name": "admission", "reserve": "2GB", "budget": "16GiB"}, "gc",
        {"name": "single_precision"}]},
        "results": {"g": {"columns": [{"label": "x", "kind": "statistics", "object": "A",
                                       "variable": "B"}]}}}
    loaded = validate_data(config, pm.registry)
    opts = [pm.registry.create("memory_optimizer", s) for s in loaded.model.engine.memory_optimizers]
    assert [o.name for o in opts] == ["admission", "gc", "single_precision"]
    assert opts[0].options.reserve == 2 * GB and opts[0].options.budget == 16 * 2**30
    config["engine"]["memory_optimizers"] = [{"name": "admission", "reserv": "1GB"}]
    with pytest.raises(ConfigError, match="unknown key 'reserv'"):
        validate_data(config, pm.registry)


def _contention_config(campaign, out, optimizers, threads=8):
    return {
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
        "engine": {"thread_policy": {"name": "fixed", "threads": threads},
                   "memory_optimizers": optimizers},
        "results": {"s": {"columns": [{"label": "signal", "kind": "statistics",
                                       "object": "Store", "variable": "Signal",
                                       "statistics": ["max"]}]}},
        "outputs": {"directory": str(out), "formats": ["csv"]},
    }


def _watch_running(pm):
    running, peak, lock = [0], [0], threading.Lock()

    class Watch:
        @hookimpl(wrapper=True)
        def orcapost_process_file(self, task):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return (yield)
            finally:
                with lock:
                    running[0] -= 1

    pm.register(Watch(), name="watch")
    return peak


@pytest.mark.usefixtures("contention")
def test_a_file_larger_than_the_whole_budget_still_runs_alone(pm, tmp_path, monkeypatch):
    # A fake machine with 1 GB available: every 3 MB file "needs" 1.5 GB (ratio 500).
    fake = FakeMemory(available=1 * GB)
    monkeypatch.setattr(admission_module, "MemoryReading", lambda: fake)
    campaign = tmp_path / "campaign"
    write_contention_campaign(campaign, files=6, size=3 * MB, latency=0.005,
                              stream_bandwidth=1e9, store_name=tmp_path.name)
    peak = _watch_running(pm)
    config = _contention_config(campaign, tmp_path / "out", [
        {"name": "admission", "reserve": 0, "initial_ratio": 500, "learn": False}])
    engine = Engine(pm, validate_data(config, pm.registry),
                    reporter=pm.registry.get("reporter", "silent").cls())
    summary = engine.run()
    assert summary.ok == 6  # no deadlock: each ran, alone
    assert peak[0] == 1
    report = json.loads((tmp_path / "out" / RUN_REPORT_NAME).read_text())
    assert report["summary"]["memory_holds"] > 0


@pytest.mark.usefixtures("contention")
def test_admission_limits_concurrency_below_the_policy(pm, tmp_path, monkeypatch):
    # 1 GB available, files "need" 300 MB each (ratio 100 on 3 MB): three at once, not eight.
    fake = FakeMemory(available=1 * GB)
    monkeypatch.setattr(admission_module, "MemoryReading", lambda: fake)
    campaign = tmp_path / "campaign"
    write_contention_campaign(campaign, files=12, size=3 * MB, latency=0.02,
                              stream_bandwidth=1e9, store_name=tmp_path.name)
    peak = _watch_running(pm)
    config = _contention_config(campaign, tmp_path / "out", [
        {"name": "admission", "reserve": 0, "initial_ratio": 100, "learn": False}])
    summary = Engine(pm, validate_data(config, pm.registry),
                     reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.ok == 12
    assert peak[0] == 3


def test_gc_collects_after_each_file_or_on_growth():
    every = GarbageCollector(GarbageCollector.Options(every_file=True), rss=lambda: 0)
    for _ in range(3):
        every.file_done(FileResult(path="x", size=1))
    assert every.collections == 3
    rss = [100 * MB]
    on_growth = GarbageCollector(GarbageCollector.Options(growth="50MB"), rss=lambda: rss[0])
    on_growth.file_done(FileResult(path="x", size=1))  # sets the reference
    rss[0] += 20 * MB
    on_growth.file_done(FileResult(path="x", size=1))
    assert on_growth.collections == 0
    rss[0] += 40 * MB
    on_growth.file_done(FileResult(path="x", size=1))
    assert on_growth.collections == 1


def test_gc_reads_only_the_coordinators_memory(monkeypatch):
    # gc runs in the coordinating process: workers' growth (processes executor) is memory
    # it cannot free, so it must not trigger a collection.
    import orcapost.monitor as monitor_module

    calls = []

    def fake_rss(include_children=True):
        calls.append(include_children)
        return 100 * MB

    monkeypatch.setattr(monitor_module, "process_rss", fake_rss)
    collector = GarbageCollector(GarbageCollector.Options(growth="50MB"))
    collector.file_done(FileResult(path="x", size=1))
    collector.file_done(FileResult(path="y", size=1))
    assert calls == [False, False]


def test_single_precision_shrinks_kept_arrays_only():
    shrink = SinglePrecision().shrink
    array = np.linspace(0, 1, 1000)
    small = shrink(array)
    assert small.dtype == np.float32 and small.nbytes == array.nbytes // 2
    assert np.allclose(small, array, rtol=1e-6)
    assert shrink(1.0000000001) == 1.0000000001  # statistics stay exact doubles
    assert shrink(np.arange(3)).dtype == np.arange(3).dtype  # integers untouched
    assert [a.dtype for a in shrink([array, array])] == [np.float32, np.float32]


def test_single_precision_applies_on_the_worker_to_extracted_values(pm, campaign):
    from helpers import statistics_config
    from orcapost.components import Extractor
    from orcapost.schemas.config import ColumnOptions
    from orcapost.tables import extra_table

    class Series(Extractor):
        """A table of float64 samples, as a time-history extractor keeps (an array is no cell
        value: extractors return arrays as extra tables)."""

        name = "test_series"
        Options = ColumnOptions

        def extract(self, file, column):
            return {column.label: extra_table("s", {"x": np.linspace(0.0, 1.0, 50)})}

    class Plugin:
        @hookimpl
        def orcapost_register_extractors(self, register):
            register(Series)

    pm.register(Plugin(), name="series")
    config = statistics_config(campaign, campaign.parent / "unused",
                               memory_optimizers=["single_precision"])
    config["results"] = {"g": {"columns": [{"label": "s", "kind": "test_series"}]}}
    loaded = validate_data(config, pm.registry)
    plan = Plan.build(pm, loaded.model, PlanSpec("k", loaded.data, "."))
    assert len(plan.shrinkers) == 1
    path = sorted(campaign.iterdir())[0]
    result = FileTask(FileInfo(path, path.stat().st_size), plan).execute()
    assert result.values["g"]["s"]["columns"]["x"].dtype == np.float32
    config["engine"]["memory_optimizers"] = []
    plain = Plan.build(pm, validate_data(config, pm.registry).model, PlanSpec("k", {}, "."))
    result = FileTask(FileInfo(path, path.stat().st_size), plain).execute()
    assert np.asarray(result.values["g"]["s"]["columns"]["x"]).dtype == np.float64


@pytest.mark.parametrize("layout", ["per_file", "long"])
def test_single_precision_writes_kept_time_histories_as_float32(pm, campaign, tmp_path, layout):
    import json

    import pyarrow.parquet as pq
    from helpers import statistics_config
    from orcapost.engine import Engine
    from orcapost.journal import JOURNAL_NAME, unpacked

    config = statistics_config(campaign, tmp_path / "out",
                               memory_optimizers=["single_precision"])
    config["results"] = {"g": {"columns": [
        {"label": "heave", "kind": "time_history", "object": "FPSO", "variable": "Heave",
         "layout": layout},
        {"label": "heave max", "kind": "statistics", "object": "FPSO", "variable": "Heave"}]}}
    config["outputs"]["formats"] = ["parquet"]
    loaded = validate_data(config, pm.registry, base_directory=tmp_path)
    assert Engine(pm, loaded).run().exit_code == 0
    kept = [p for p in (tmp_path / "out").glob("g_*.parquet")]
    assert kept
    load_case = set(pq.read_schema(tmp_path / "out" / "g.parquet").names)  # and file, path
    for path in kept:
        schema = pq.read_schema(path)
        # The time history's own columns; the load-case columns beside them are the files'.
        floats = [f for f in schema if str(f.type) in ("float", "double")
                  and f.name not in load_case]
        assert floats and all(str(f.type) == "float" for f in floats), schema
    # Statistics stay exact doubles; the journal keeps the arrays as numbers.
    assert str(pq.read_schema(tmp_path / "out" / "g.parquet").field("heave max").type) == "double"
    header, line = (json.loads(text) for text in (tmp_path / "out" / JOURNAL_NAME).read_text(
        encoding="utf-8").splitlines()[:2])
    entry = unpacked(line, header)
    assert entry is not None
    values = {k: v for cells in entry["cells"]["g"] for k, v in cells.items()}
    tables = [v["columns"] for v in values.values() if isinstance(v, dict) and "columns" in v]
    assert tables and all(isinstance(x, float) for columns in tables
                          for column in columns.values() for x in column[:5])
    # Replayed by --resume, the kept arrays are float32 again: the tables are the same.
    before = {p.name: pq.read_table(p) for p in (tmp_path / "out").glob("g*.parquet")}
    engine = Engine(pm, loaded, resume=True)
    assert engine.run().exit_code == 0
    assert engine.report["summary"]["reused"]["files"] == 8  # every file, none opened
    after = {p.name: pq.read_table(p) for p in (tmp_path / "out").glob("g*.parquet")}
    assert after.keys() == before.keys()
    for name, table in before.items():
        assert after[name].equals(table), name
