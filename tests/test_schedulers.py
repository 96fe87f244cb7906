"""I/O schedulers: orderings, the cap on concurrent large reads, read-ahead (hint and fallback)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from orcapost import hookimpl
from orcapost.config import ConfigError, validate_data
from orcapost.engine import Engine
from orcapost.plugins.schedulers import _reads
from orcapost.plugins.schedulers._reads import ReadAhead, hint_will_need, read_through
from orcapost.plugins.schedulers.interleaved import Interleaved
from orcapost.plugins.schedulers.largest_first import LargestFirst
from orcapost.plugins.schedulers.smallest_first import SmallestFirst
from orcapost.plugins.sources.contention import write_contention_campaign
from orcapost.results import FileInfo

MB = 1_000_000
SIZES = [5, 50, 1, 20, 3, 80]


def _files():
    return [FileInfo(Path(f"f{i}.sim"), s) for i, s in enumerate(SIZES)]


def test_orderings():
    assert [f.size for f in LargestFirst().order(_files())] == [80, 50, 20, 5, 3, 1]
    assert [f.size for f in SmallestFirst().order(_files())] == [1, 3, 5, 20, 50, 80]
    assert [f.size for f in Interleaved().order(_files())] == [80, 1, 50, 3, 20, 5]
    odd = _files()[:5]
    assert [f.size for f in Interleaved().order(odd)] == [50, 1, 20, 3, 5]
    assert Interleaved().order([]) == []


def test_ties_keep_a_stable_order_by_path():
    files = [FileInfo(Path(n), 7) for n in ("b", "a", "c")]
    assert [f.path.name for f in LargestFirst().order(files)] == ["a", "b", "c"]


def test_large_read_cap():
    cap = LargestFirst(LargestFirst.Options(large_size="10MB", max_large_reads=2))
    big, small = FileInfo(Path("big"), 20 * MB), FileInfo(Path("small"), MB)
    assert cap.may_start(big, [big])
    assert not cap.may_start(big, [big, big, small])
    assert cap.may_start(small, [big, big])
    assert LargestFirst().may_start(big, [big] * 100)  # no cap by default


def test_scheduler_options_are_validated_by_name(pm):
    config = {"version": 2, "inputs": {"directory": "."},
              "engine": {"io_scheduler": {"name": "interleaved", "max_large_reads": 0}},
              "results": {"g": {"columns": [{"label": "x", "kind": "statistics",
                                             "object": "A", "variable": "B"}]}}}
    with pytest.raises(ConfigError, match="max_large_reads"):
        validate_data(config, pm.registry)
    config["engine"]["io_scheduler"] = {"name": "smallest_first", "read_ahead": 3,
                                        "read_ahead_bytes": "8MB"}
    spec = validate_data(config, pm.registry).model.engine.io_scheduler
    scheduler = pm.registry.create("io_scheduler", spec)
    assert scheduler.options.read_ahead == 3 and scheduler.options.read_ahead_bytes == 8 * MB


@pytest.mark.usefixtures("contention")
def test_the_engine_keeps_large_reads_under_the_cap_and_workers_busy(pm, tmp_path):
    campaign = tmp_path / "campaign"
    sizes = [12 * MB] * 6 + [3 * MB] * 6
    write_contention_campaign(campaign, files=12, size=0, sizes=sizes, latency=0.02,
                              stream_bandwidth=1e9, store_name=tmp_path.name)
    large_now, peak_large, peak_all, lock = [0, 0], [0], [0], threading.Lock()

    class Watch:
        @hookimpl(wrapper=True)
        def orcapost_process_file(self, task):
            large = task.file.size >= 10 * MB
            with lock:
                large_now[0] += large
                large_now[1] += 1
                peak_large[0] = max(peak_large[0], large_now[0])
                peak_all[0] = max(peak_all[0], large_now[1])
            try:
                return (yield)
            finally:
                with lock:
                    large_now[0] -= large
                    large_now[1] -= 1

    pm.register(Watch(), name="watch")
    config = {
        "version": 2, "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
        "engine": {"thread_policy": {"name": "fixed", "threads": 4},
                   "io_scheduler": {"name": "largest_first", "large_size": "10MB",
                                    "max_large_reads": 1}},
        "results": {"s": {"columns": [{"label": "v", "kind": "statistics", "object": "Store",
                                       "variable": "Signal", "statistics": ["max"]}]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]},
    }
    summary = Engine(pm, validate_data(config, pm.registry),
                     reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.ok == 12
    assert peak_large[0] == 1  # never two large reads at once
    assert peak_all[0] > 1  # small files ran beside the large one


def _sample_file(tmp_path, size=3 * MB):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(size))
    return path


def test_read_ahead_uses_the_os_hint_where_there_is_one(tmp_path):
    path = _sample_file(tmp_path)
    method = hint_will_need(path, 2 * MB)
    assert method == ("fadvise" if hasattr(os, "posix_fadvise") else "read")


def test_read_ahead_falls_back_to_reading_where_there_is_no_hint(tmp_path, monkeypatch):
    path = _sample_file(tmp_path)
    monkeypatch.delattr(os, "posix_fadvise", raising=False)
    assert hint_will_need(path, 2 * MB) == "read"
    opened = []
    real_open = open

    def counting_open(p, mode="r", **kwargs):
        handle = real_open(p, mode, **kwargs)
        if Path(p) == path:
            original = handle.read

            def read(n=-1):
                block = original(n)
                opened.append(len(block))
                return block

            handle.read = read
        return handle

    monkeypatch.setattr(_reads, "open", counting_open, raising=False)
    assert read_through(path, 2 * MB + 5) == "read"
    assert sum(opened) == 2 * MB + 5  # just what was asked, in 1 MB blocks
    assert max(opened) == _reads.BLOCK


def test_read_ahead_announces_each_file_once_and_stops(tmp_path):
    seen = []
    reader = ReadAhead(MB, hint=lambda path, length: seen.append(path.name) or "fake")
    for name in ("a", "b", "a", "c", "b"):
        reader.announce(tmp_path / name)
    reader.close()
    assert seen == ["a", "b", "c"]
    assert [m for _, m in reader.done] == ["fake"] * 3
    missing = ReadAhead(MB)
    missing.announce(tmp_path / "missing.bin")
    missing.close()
    assert missing.done == [(str(tmp_path / "missing.bin"), "error")]


def test_read_ahead_only_when_io_bound_unless_always(tmp_path):
    files = [FileInfo(tmp_path / f"f{i}", 1) for i in range(5)]
    scheduler = SmallestFirst(SmallestFirst.Options(read_ahead=2))
    announced = []
    scheduler.reader.announce = lambda path: announced.append(path.name)
    scheduler.read_ahead(files, SimpleNamespace(sample={"cpu_percent": 95.0}))
    assert announced == []  # CPU-bound: reading ahead would only compete
    scheduler.read_ahead(files, SimpleNamespace(sample={"cpu_percent": 10.0}))
    assert announced == ["f0", "f1"]
    always = SmallestFirst(SmallestFirst.Options(read_ahead=1, read_ahead_when="always"))
    always.reader.announce = lambda path: announced.append(path.name)
    always.read_ahead(files, SimpleNamespace(sample={}))
    assert announced[-1] == "f0"


@pytest.mark.usefixtures("contention")
def test_a_run_reads_ahead(pm, tmp_path):
    campaign = tmp_path / "campaign"
    write_contention_campaign(campaign, files=4, size=3 * MB, latency=0.01,
                              stream_bandwidth=1e9, store_name=tmp_path.name)
    config = {
        "version": 2, "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
        "engine": {"thread_policy": {"name": "fixed", "threads": 1},
                   "io_scheduler": {"name": "largest_first", "read_ahead": 2,
                                    "read_ahead_when": "always"}},
        "results": {"s": {"columns": [{"label": "v", "kind": "statistics", "object": "Store",
                                       "variable": "Signal", "statistics": ["max"]}]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]},
    }
    engine = Engine(pm, validate_data(config, pm.registry),
                    reporter=pm.registry.get("reporter", "silent").cls())
    assert engine.run().exit_code == 0
    done = engine.scheduler.reader.done
    # Every file but the first was announced while another ran.
    assert sorted(Path(p).name for p, _ in done) == [f"SC0000{i}.contention" for i in (2, 3, 4)]
    assert {m for _, m in done} <= {"fadvise", "read"}
    assert engine.scheduler.reader._thread is None  # closed with the run


class _ClosesBadly(LargestFirst):
    """Largest first, whose clean-up at the end of the run raises."""

    name = "closes_badly"

    def close(self):
        raise RuntimeError("handle already gone")


class _ClosesBadlyPlugin:
    @hookimpl
    def orcapost_register_io_schedulers(self, register):
        register(_ClosesBadly)


def test_a_scheduler_failing_to_close_costs_the_run_no_output(pm, campaign, tmp_path):
    from helpers import statistics_config

    pm.register(_ClosesBadlyPlugin(), name="closes_badly")
    config = statistics_config(campaign, tmp_path / "out", io_scheduler="closes_badly")
    warnings: list[str] = []
    engine = Engine(pm, validate_data(config, pm.registry), warn=warnings.append)
    summary = engine.run()
    assert summary.exit_code == 0
    assert (tmp_path / "out" / "lines.csv").is_file()
    assert (tmp_path / "out" / "orcapost-run.json").is_file()
    assert any("closes_badly" in w and "handle already gone" in w for w in warnings)
