"""The performance monitor and the run report every run writes."""

from __future__ import annotations

import json

import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.monitor import Monitor, available_memory, process_rss
from orcapost.run_report import PHASES, RUN_REPORT_NAME, read_report


def test_the_monitor_samples_memory_cpu_and_reads():
    monitor = Monitor(interval=0.01).start()
    hold = bytearray(30_000_000)  # grow resident memory while sampling
    for i in range(0, len(hold), 4096):
        hold[i] = 1
    monitor.sample()
    monitor.stop()
    assert len(monitor.samples) >= 3
    sample = monitor.samples[-1]
    assert {"t", "cpu_percent", "rss", "available"} <= set(sample)
    assert monitor.peak_rss >= monitor.baseline_rss + 25_000_000
    summary = monitor.summary()
    assert summary["peak_rss"] == monitor.peak_rss
    assert 0 < summary["min_available"] <= available_memory() * 2
    assert 0.0 <= summary["mean_cpu_percent"] <= 100.0
    del hold


def test_the_monitor_keeps_a_bounded_number_of_samples():
    monitor = Monitor(interval=60, max_samples=10)
    for _ in range(25):
        monitor.sample()
    assert len(monitor.samples) <= 10


def test_process_rss_is_positive():
    assert process_rss() > 0 and process_rss(include_children=False) > 0


def test_every_run_writes_a_run_report(pm, campaign_copy, tmp_path):
    (sorted(campaign_copy.iterdir())[1]).write_bytes(b"broken")
    config = statistics_config(campaign_copy, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 2})
    engine = Engine(pm, validate_data(config, pm.registry),
                    reporter=pm.registry.get("reporter", "silent").cls())
    summary = engine.run()
    path = tmp_path / "out" / RUN_REPORT_NAME
    assert path in summary.outputs
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["settings"]["thread_policy"] == {"name": "fixed", "threads": 2}
    assert report["settings"]["io_scheduler"] == {"name": "as_listed"}
    assert report["settings"]["ceiling"] == 2 and report["settings"]["files"] == 8
    assert report["summary"]["files"] == 8 and report["summary"]["failed"] == 1
    assert report["decisions"][0]["to"] == 2
    assert report["memory"]["peak_rss"] >= report["memory"]["baseline_rss"] > 0
    assert len(report["files"]) == 8
    ok = [row for row in report["files"] if row["status"] == "ok"]
    for row in ok:
        for phase in PHASES:
            assert row[phase] is not None and row[phase] >= 0, (phase, row)
        assert row["total"] >= row["open"] + row["extract"] - 1e-9
    assert set(report["phases"]) == set(PHASES)
    assert [f["stage"] for f in report["failures"]] == ["open"]
    assert report["samples"]
    assert read_report(path)["summary"] == report["summary"]
    assert read_report(tmp_path / "out")["summary"] == report["summary"]  # the folder will do


def test_the_run_report_is_written_after_an_interruption(pm, campaign, tmp_path):
    class Stop:
        @hookimpl
        def orcapost_file_done(self, context, result):
            raise KeyboardInterrupt

    pm.register(Stop(), name="stop")
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 1})
    summary = Engine(pm, validate_data(config, pm.registry),
                     reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.interrupted
    # Beside the partial set it describes (the complete set's report, if any, stays as it was).
    report = read_report(tmp_path / "out" / "partial" / RUN_REPORT_NAME)
    assert report["summary"]["interrupted"] is True


def test_reading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(OrcapostError, match="no such run report"):
        read_report(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(OrcapostError, match="not a JSON run report"):
        read_report(bad)
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(OrcapostError, match="not an orcapost run report"):
        read_report(other)
