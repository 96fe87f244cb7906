"""Every hook of the run protocol, exercised by a plugin written as a third party would."""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.components import (
    Extractor,
    IOScheduler,
    MemoryOptimizer,
    Reporter,
    Sink,
    Source,
    ThreadPolicy,
)
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.errors import ResultFileError
from orcapost.schemas.base import StrictModel
from orcapost.schemas.config import ColumnOptions
from pydantic import Field


def _plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, function)
    return module


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


# -- lifecycle ---------------------------------------------------------------------------------


def test_lifecycle_hooks_run_in_order_on_the_documented_threads(pm, campaign, tmp_path):
    calls: list[tuple[str, str]] = []
    coordinator = threading.current_thread().name

    @hookimpl
    def orcapost_run_start(context):
        calls.append(("run_start", threading.current_thread().name))
        assert len(context.files) == 8

    @hookimpl(wrapper=True)
    def orcapost_process_file(task):
        calls.append(("process_file", threading.current_thread().name))
        result = yield
        result.timings["measured_by_plugin"] = 1.0
        return result

    @hookimpl
    def orcapost_file_done(context, result):
        calls.append(("file_done", threading.current_thread().name))
        assert result.timings["measured_by_plugin"] == 1.0

    @hookimpl
    def orcapost_run_finish(context, summary):
        calls.append(("run_finish", threading.current_thread().name))
        assert summary.ok == 8 and summary.outputs

    pm.register(_plugin("lifecycle", orcapost_run_start=orcapost_run_start,
                        orcapost_process_file=orcapost_process_file,
                        orcapost_file_done=orcapost_file_done,
                        orcapost_run_finish=orcapost_run_finish), "lifecycle")
    loaded = validate_data(statistics_config(campaign, tmp_path / "out"), pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.exit_code == 0
    names = [name for name, _ in calls]
    assert names[0] == "run_start" and names[-1] == "run_finish"
    assert names.count("process_file") == 8 and names.count("file_done") == 8
    for name, thread in calls:
        if name == "process_file":
            assert thread != coordinator  # on a worker
        else:
            assert thread == coordinator


def test_a_tryfirst_process_file_can_retry_a_file(pm, campaign_copy, tmp_path):
    flaky = campaign_copy / sorted(p.name for p in campaign_copy.glob("*.arrow"))[0]
    good = flaky.read_bytes()
    flaky.write_bytes(b"not yet written")
    attempts: list[int] = []

    @hookimpl(tryfirst=True)
    def orcapost_process_file(task):
        result = task.execute()
        for attempt in range(2, 4):
            if result.status != "failed":
                break
            flaky.write_bytes(good)  # e.g. a file that a network share delivered late
            result = task.execute()
            result.attempts = attempt
        attempts.append(result.attempts)
        return result

    pm.register(_plugin("retry", orcapost_process_file=orcapost_process_file), "retry")
    loaded = validate_data(statistics_config(campaign_copy, tmp_path / "out"), pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.exit_code == 0
    assert sorted(attempts) == [1] * 7 + [2]


def test_run_finish_is_called_even_when_the_run_is_interrupted(pm, campaign, tmp_path):
    finished: list[bool] = []

    @hookimpl
    def orcapost_file_done(context, result):
        raise KeyboardInterrupt

    @hookimpl
    def orcapost_run_finish(context, summary):
        finished.append(summary.interrupted)

    pm.register(_plugin("ctrl_c", orcapost_file_done=orcapost_file_done,
                        orcapost_run_finish=orcapost_run_finish), "ctrl_c")
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 1})
    loaded = validate_data(config, pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.interrupted and finished == [True]
    assert not pm.run_active


# -- registration: one component of every kind, selected by name ------------------------------


class _Doubling(Extractor):
    """Twice a static number, to prove a third-party extractor is reached."""

    name = "doubled_constant"

    class Options(ColumnOptions):
        value: float = Field(description="The number to double.")

    def extract(self, file, column):
        return {column.label: 2 * column.value}


class _OneThread(ThreadPolicy):
    """Always one file at a time."""

    name = "one_at_a_time"

    def initial(self, files):
        return 1


class _NeverTwoBig(MemoryOptimizer):
    """Admits a file only when nothing else runs."""

    name = "alone"
    seen: list[int] = []

    def admit(self, file, in_flight):
        type(self).seen.append(len(in_flight))
        return not in_flight


class _ReverseByName(IOScheduler):
    """Files in reverse name order."""

    name = "reverse_names"

    def order(self, files):
        return sorted(files, key=lambda f: f.name, reverse=True)


class _ListSink(Sink):
    """Writes each table's file names as lines, and keeps those of group tables in memory."""

    name = "memory_list"
    suffix = ".lst"
    rows: list[str] = []

    class Options(StrictModel):
        prefix: str = "row"

    def write(self, name, table, directory):
        path = self.path_for(name, directory)
        files = table.column("file").to_pylist() if "file" in table.column_names else []
        lines = [f"{self.options.prefix}:{file}" for file in files]
        if "status" in table.column_names:  # a result group's table: a row per file
            type(self).rows.extend(lines)
        path.write_text("\n".join(lines), encoding="utf-8")
        return path


class _CountingReporter(Reporter):
    """Counts files, and keeps the order they were done in."""

    name = "counting"
    counts: dict[str, int] = {}
    order: list[str] = []

    def file_done(self, result):
        type(self).counts["done"] = type(self).counts.get("done", 0) + 1
        type(self).order.append(Path(result.path).name)


class _TextSource(Source):
    """A '.txt' source whose files cannot be read."""

    name = "broken_text"
    suffixes = (".txt",)

    def open(self, path):
        raise ResultFileError(f"{path.name} is a text file", "open")


@hookimpl
def orcapost_register_extractors(register):
    register(_Doubling)


@hookimpl
def orcapost_register_thread_policies(register):
    register(_OneThread)


@hookimpl
def orcapost_register_memory_optimizers(register):
    register(_NeverTwoBig)


@hookimpl
def orcapost_register_io_schedulers(register):
    register(_ReverseByName)


@hookimpl
def orcapost_register_sinks(register):
    register(_ListSink)


@hookimpl
def orcapost_register_reporters(register):
    register(_CountingReporter)


@hookimpl
def orcapost_register_sources(register):
    register(_TextSource)


def test_components_of_every_kind_are_selected_by_name_from_config(pm, campaign_copy, tmp_path):
    (campaign_copy / "notes.txt").write_text("not a result file", encoding="utf-8")
    pm.register(_plugin(
        "every_kind",
        orcapost_register_extractors=orcapost_register_extractors,
        orcapost_register_thread_policies=orcapost_register_thread_policies,
        orcapost_register_memory_optimizers=orcapost_register_memory_optimizers,
        orcapost_register_io_schedulers=orcapost_register_io_schedulers,
        orcapost_register_sinks=orcapost_register_sinks,
        orcapost_register_reporters=orcapost_register_reporters,
        orcapost_register_sources=orcapost_register_sources,
    ), "every_kind")
    _ListSink.rows.clear()
    _CountingReporter.counts.clear()
    _CountingReporter.order.clear()
    _NeverTwoBig.seen.clear()
    config = {
        "version": 2,
        "inputs": {"directory": str(campaign_copy), "patterns": ["*.arrow", "*.txt"]},
        "engine": {"thread_policy": "one_at_a_time", "memory_optimizers": ["alone"],
                   "io_scheduler": "reverse_names", "progress": "counting"},
        "results": {"g": {"columns": [
            {"label": "twice", "kind": "doubled_constant", "value": 21}]}},
        "outputs": {"directory": str(tmp_path / "out"),
                    "formats": [{"name": "memory_list", "prefix": "p"}, "csv"]},
    }
    loaded = validate_data(config, pm.registry)
    reporter = pm.registry.create("reporter", loaded.model.engine.progress)
    summary = Engine(pm, loaded, reporter=reporter).run()
    assert summary.files == 9 and summary.failed == 1 and summary.exit_code == 1
    names = [row.split(":", 1)[1] for row in _ListSink.rows]
    assert len(names) == 9 and all(row.startswith("p:") for row in _ListSink.rows)
    assert (tmp_path / "out" / "g.lst").read_text(encoding="utf-8").splitlines() == _ListSink.rows
    assert _CountingReporter.counts == {"done": 9}
    order = _CountingReporter.order  # one at a time, in the scheduler's order
    assert order == sorted(order, reverse=True) and sorted(order) == sorted(names)
    # Asked only whether a small file may join another's task; it never may.
    assert set(_NeverTwoBig.seen) <= {1}
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(tmp_path / "out" / "g.csv").to_pylist()
    assert {row["twice"] for row in table if row["status"] == "ok"} == {42.0}
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pylist()
    assert [(f["file"], f["stage"]) for f in failures] == [("notes.txt", "open")]
    assert "notes.txt is a text file" in failures[0]["reason"]


def test_a_memory_optimizer_holds_files_back(pm, campaign, tmp_path):
    pm.register(_plugin(
        "memory", orcapost_register_memory_optimizers=orcapost_register_memory_optimizers,
        orcapost_register_sinks=orcapost_register_sinks), "memory")
    _NeverTwoBig.seen.clear()
    _ListSink.rows.clear()
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 4},
                               memory_optimizers=["alone"])
    config["outputs"]["formats"] = ["memory_list"]
    loaded = validate_data(config, pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.exit_code == 0 and len(_ListSink.rows) == 2 * 8  # two groups of 8 files
    # Asked only while something ran, and it said no each time: never two files at once.
    assert _NeverTwoBig.seen and set(_NeverTwoBig.seen) == {1}


def test_a_component_option_error_names_the_component(pm, write_config, run_cli):
    pm.register(_plugin("sinks", orcapost_register_sinks=orcapost_register_sinks), "sinks")
    path = write_config({
        "version": 2, "inputs": {"directory": "."},
        "results": {"g": {"columns": [{"label": "x", "kind": "statistics", "object": "FPSO",
                                       "variable": "Heave"}]}},
        "outputs": {"formats": [{"name": "memory_list", "prefx": "p"}]},
    })
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert "outputs.formats.0.prefx: unknown key 'prefx' (did you mean 'prefix'?)" in result.output


# -- commands ----------------------------------------------------------------------------------


def test_a_plugin_adds_a_command(pm, tmp_path):
    import click
    from click.testing import CliRunner
    from orcapost import cli as cli_module

    @hookimpl
    def orcapost_register_commands(cli):
        @cli.command("hello-plugin")
        @click.argument("who")
        def hello(who):
            """Say hello (a plugin's command)."""
            click.echo(f"hello {who}")

    pm.register(_plugin("commands", orcapost_register_commands=orcapost_register_commands),
                "commands")
    group = click.Group(name="orcapost", commands=dict(cli_module.cli.commands))
    pm.hook.orcapost_register_commands(cli=group)
    result = CliRunner().invoke(group, ["hello-plugin", "world"])
    assert result.exit_code == 0 and result.output == "hello world\n"


@pytest.mark.parametrize("command", ["run", "validate", "plugins", "schema", "demo"])
def test_built_in_commands_are_registered(command):
    from orcapost.cli import cli

    assert command in cli.commands


def test_an_interruption_while_results_are_replayed_ends_the_run_the_same_way(
        pm, campaign, tmp_path):
    """Ctrl-C (or a second stop signal) while ``--resume`` replays the journal is the same
    interruption as during the loop: the run ends with its outputs and says so."""
    config = statistics_config(campaign, tmp_path / "out",
                               thread_policy={"name": "fixed", "threads": 1})
    loaded = validate_data(config, pm.registry)
    Engine(pm, loaded, reporter=_silent(pm)).run()

    @hookimpl
    def orcapost_file_done(replayed):
        if replayed:
            raise KeyboardInterrupt

    pm.register(_plugin("ctrl_c", orcapost_file_done=orcapost_file_done), "ctrl_c")
    engine = Engine(pm, loaded, reporter=_silent(pm), resume=True)
    summary = engine.run()
    assert summary.interrupted and summary.stopped_by == "SIGINT"
    assert engine.report["summary"]["interrupted"] is True
    assert not pm.run_active
