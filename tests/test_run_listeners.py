"""The run's listeners are plugins on the run hooks: a third party sees every event through them,
can replace the built-in reporter, and every table is built once whatever the formats."""

from __future__ import annotations

import threading

import pyarrow.csv as pacsv
import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.reporting import REPORTER_PLUGIN

RUN_HOOKS = ("orcapost_run_start", "orcapost_file_started", "orcapost_file_done",
             "orcapost_heartbeat", "orcapost_run_finish", "orcapost_run_summary")


class Recorder:
    """A third-party listener that records every run event and the thread it came on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.threads: set[str] = set()
        self.outputs_at_summary: list = []

    def _seen(self, hook: str, detail: str = "") -> None:
        self.events.append((hook, detail))
        self.threads.add(threading.current_thread().name)

    @hookimpl
    def orcapost_run_start(self, context):
        self._seen("orcapost_run_start", str(context.total_files))

    @hookimpl
    def orcapost_file_started(self, context, file):
        self._seen("orcapost_file_started", file.name)

    @hookimpl
    def orcapost_file_done(self, context, result, replayed):
        self._seen("orcapost_file_done", f"{result.name}:{replayed}")

    @hookimpl
    def orcapost_heartbeat(self, context):
        self._seen("orcapost_heartbeat")

    @hookimpl
    def orcapost_run_finish(self, context, summary):
        self._seen("orcapost_run_finish")

    @hookimpl
    def orcapost_run_summary(self, context, summary):
        self._seen("orcapost_run_summary")
        self.outputs_at_summary = list(summary.outputs)

    def hooks(self) -> list[str]:
        return [hook for hook, _ in self.events]


def _run(pm, campaign, tmp_path, reporter=None, **outputs):
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 2})
    config["outputs"].update(outputs)
    engine = Engine(pm, validate_data(config, pm.registry), reporter=reporter)
    return engine, engine.run()


def test_a_third_party_listener_sees_every_event_in_order(pm, campaign, tmp_path):
    recorder = Recorder()
    pm.register(recorder, name="recorder")
    _, summary = _run(pm, campaign, tmp_path,
                      reporter=pm.registry.get("reporter", "silent").cls())
    hooks = recorder.hooks()
    assert set(hooks) >= set(RUN_HOOKS) - {"orcapost_heartbeat"}
    assert hooks[0] == "orcapost_run_start" and hooks[-2:] == ["orcapost_run_finish",
                                                              "orcapost_run_summary"]
    files = sorted(p.name for p in campaign.glob("*.arrow"))
    started = [d for h, d in recorder.events if h == "orcapost_file_started"]
    done = [d.split(":")[0] for h, d in recorder.events if h == "orcapost_file_done"]
    assert sorted(started) == sorted(done) == files
    assert all(d.endswith(":False") for h, d in recorder.events if h == "orcapost_file_done")
    # Every run event on the coordinating thread; the summary sees every output, report last.
    assert recorder.threads == {"MainThread"}
    assert recorder.outputs_at_summary == summary.outputs
    assert summary.outputs[-1].name == "orcapost-run.json"
    # The engine's own listeners are gone after the run.
    assert pm.get_plugin("orcapost.run.tables") is None and pm.get_plugin(REPORTER_PLUGIN) is None


def test_replayed_results_reach_listeners_marked_replayed(pm, campaign, tmp_path):
    _run(pm, campaign, tmp_path)
    recorder = Recorder()
    pm.register(recorder, name="recorder")
    config = statistics_config(campaign, tmp_path / "out")
    Engine(pm, validate_data(config, pm.registry), resume=True).run()
    done = [d for h, d in recorder.events if h == "orcapost_file_done"]
    assert len(done) == 8 and all(d.endswith(":True") for d in done)
    assert "orcapost_file_started" not in recorder.hooks()


def test_a_third_party_reporter_replaces_the_built_in_one(pm, campaign, tmp_path, capsys):
    """Blocking ``orcapost.run.reporter`` and implementing the hooks is a reporter."""

    class Dashboard:
        def __init__(self):
            self.lines = []

        @hookimpl
        def orcapost_run_start(self, context):
            self.lines.append(f"start {context.total_files}")

        @hookimpl
        def orcapost_heartbeat(self, context):
            self.lines.append(f"beat {context.done}/{context.total_files}")

        @hookimpl
        def orcapost_file_done(self, context, result):
            self.lines.append(f"done {context.done}")

        @hookimpl
        def orcapost_run_summary(self, summary):
            self.lines.append(f"summary {summary.ok} ok")

    dashboard = Dashboard()
    pm.register(dashboard, name="dashboard")
    pm.set_blocked(REPORTER_PLUGIN)
    plain = pm.registry.get("reporter", "plain").cls
    _, summary = _run(pm, campaign, tmp_path, reporter=plain())
    assert summary.ok == 8
    assert dashboard.lines[0] == "start 8" and dashboard.lines[-1] == "summary 8 ok"
    assert [line for line in dashboard.lines if line.startswith("done")][-1] == "done 8"
    assert "orcapost:" not in capsys.readouterr().err  # the plain reporter never ran


def test_each_table_is_built_once_whatever_the_formats(pm, campaign, tmp_path):
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 2})
    config["results"]["lines"]["columns"].append(
        {"label": "riser", "kind": "range_graph", "object": "Riser",
         "variable": "Effective Tension", "statistics": ["max"], "envelope_output": True})
    config["campaign"] = [{"name": "by_heading", "group": "lines", "by": ["heading"],
                           "reductions": [{"kind": "max", "columns": ["riser tdp max"]}]}]
    config["outputs"]["formats"] = ["csv", "parquet", "legacy_csv"]
    engine = Engine(pm, validate_data(config, pm.registry))
    assert engine.run().exit_code == 0
    builds = engine.tables.builds
    assert set(builds) == {"lines", "vessel", "lines_riser_envelope", "by_heading"}
    assert all(count == 1 for count in builds.values()), builds
    out = tmp_path / "out"
    for name in ("lines", "vessel", "lines_riser_envelope", "by_heading"):
        assert (out / f"{name}.csv").is_file() and (out / f"{name}.parquet").is_file()
        assert (out / f"config_{name}.csv").is_file()  # the legacy layout's names
    assert pacsv.read_csv(out / "by_heading.csv").num_rows == 2  # two headings
    assert not list(out.glob(".orcapost-staging-*"))  # the staging folder is gone


def test_a_listener_that_cannot_be_registered_leaves_no_other_behind(pm, campaign, tmp_path):
    """A plugin already registered under a listener's name: the run fails, and the listeners
    registered before it are gone again (a leftover would refuse every later run), while the
    plugin that holds the name is left alone."""
    from orcapost.engine import JOURNAL_PLUGIN, REPORT_PLUGIN, TABLES_PLUGIN

    squatter = Recorder()
    pm.register(squatter, name=REPORTER_PLUGIN)
    with pytest.raises(ValueError, match="already registered"):
        _run(pm, campaign, tmp_path, reporter=pm.registry.get("reporter", "silent").cls())
    assert all(pm.get_plugin(name) is None
               for name in (JOURNAL_PLUGIN, TABLES_PLUGIN, REPORT_PLUGIN))
    assert pm.get_plugin(REPORTER_PLUGIN) is squatter
    pm.unregister(name=REPORTER_PLUGIN)
    assert _run(pm, campaign, tmp_path)[1].exit_code == 0


def test_a_run_that_fails_leaves_no_report_or_tables_of_the_run_before(pm, campaign_copy,
                                                                      tmp_path):
    config = statistics_config(campaign_copy, tmp_path / "out")
    engine = Engine(pm, validate_data(config, pm.registry))
    engine.run()
    assert engine.report is not None and engine.tables is not None
    for path in campaign_copy.glob("*.arrow"):
        path.unlink()
    with pytest.raises(OrcapostError, match="no input files"):
        engine.run()
    assert engine.report is None and engine.tables is None and engine.plugin_errors == []
