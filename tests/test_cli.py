"""The command line as users meet it: demo, python -m orcapost, plugins, run overrides."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from helpers import statistics_config


def _orcapost(*args, cwd=None, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ORCAPOST_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "orcapost", *map(str, args)], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_python_dash_m_orcapost_shows_every_command():
    done = _orcapost("--help")
    assert done.returncode == 0
    for command in ("run", "validate", "plugins", "schema", "demo"):
        assert command in done.stdout


def test_version():
    import orcapost

    done = _orcapost("--version")
    assert done.returncode == 0 and orcapost.__version__ in done.stdout


def test_demo_writes_the_campaign_and_the_tables(tmp_path):
    done = _orcapost("demo", tmp_path / "d", "--files", "24", "--size", "100KB", "--progress",
                     "plain")
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "d" / "campaign").glob("*.arrow"))
    assert len(files) == 24
    results = tmp_path / "d" / "results"
    for group in ("mooring", "riser", "vessel"):
        table = pacsv.read_csv(results / f"{group}.csv")
        assert table.num_rows == 24
        assert set(table.column("status").to_pylist()) == {"ok"}
        assert pq.read_table(results / f"{group}.parquet").num_rows == 24
    assert "24 files" in done.stderr or "24" in done.stderr  # the plain summary


def test_demo_no_run_only_writes(tmp_path):
    done = _orcapost("demo", tmp_path / "d", "--files", "3", "--size", "60KB", "--no-run")
    assert done.returncode == 0
    assert len(list((tmp_path / "d" / "campaign").glob("*.arrow"))) == 3
    assert not (tmp_path / "d" / "results").exists()


def test_demo_refuses_a_campaign_folder_that_holds_files_and_force_clears_it(tmp_path):
    """`orcapost demo && orcapost demo --files 5` processed the old files with the new ones."""
    first = _orcapost("demo", tmp_path / "d", "--files", "3", "--size", "60KB", "--no-run")
    assert first.returncode == 0
    again = _orcapost("demo", tmp_path / "d", "--files", "2", "--size", "60KB", "--no-run")
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "already holds 3 files" in again.stderr and "--force" in again.stderr
    assert len(list((tmp_path / "d" / "campaign").glob("*.arrow"))) == 3  # untouched
    forced = _orcapost("demo", tmp_path / "d", "--files", "2", "--size", "60KB", "--force",
                       "--progress", "plain")
    assert forced.returncode == 0, forced.stderr
    assert len(list((tmp_path / "d" / "campaign").glob("*.arrow"))) == 2
    assert "2 files: 2 ok" in forced.stderr


def test_demo_shows_progress_while_it_writes_the_files(tmp_path):
    done = _orcapost("demo", tmp_path / "d", "--files", "2", "--size", "60KB", "--no-run",
                     "--progress", "plain")
    assert done.returncode == 0
    assert "wrote 2/2 demo files" in done.stderr


def test_demo_rejects_a_bad_size(tmp_path):
    done = _orcapost("demo", tmp_path / "d", "--size", "huge")
    assert done.returncode == 2
    assert "'huge' is not a size" in done.stderr and "Traceback" not in done.stderr


def test_run_overrides_threads_output_and_executor(run_cli, campaign, tmp_path, write_config):
    config = write_config(statistics_config(campaign, tmp_path / "configured"))
    result = run_cli("run", config, "--threads", "2", "--output", tmp_path / "elsewhere",
                     "--executor", "threads", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "lines.csv").is_file()
    assert not (tmp_path / "configured").exists()


def test_run_with_failures_exits_1_and_says_so(run_cli, campaign_copy, tmp_path, write_config):
    (sorted(campaign_copy.glob("*.arrow"))[0]).write_bytes(b"garbage")
    config = write_config(statistics_config(campaign_copy, tmp_path / "out"))
    result = run_cli("run", config, "--no-progress")
    assert result.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pylist()
    assert [f["stage"] for f in failures] == ["open"]


def test_no_input_files_is_a_usage_error(run_cli, tmp_path, write_config):
    (tmp_path / "empty").mkdir()
    config = write_config(statistics_config(tmp_path / "empty", tmp_path / "out"))
    result = run_cli("run", config, "--quiet")
    assert result.exit_code == 2
    assert "empty" in result.output


def test_plugins_lists_every_built_in_with_what_it_registers(run_cli):
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0
    rows = {row["plugin"]: row for row in json.loads(result.output)["plugins"]}
    assert rows["orcapost.plugins.extractors.statistics"]["registers"] == ["extractor statistics"]
    assert rows["orcapost.plugins.policies.fixed"]["distribution"] == "orcapost (built-in)"
    # Commands count as registrations, named like components.
    assert rows["orcapost.plugins.commands.migrate"]["registers"] == ["command migrate"]
    table = run_cli("plugins")
    assert "orcapost plugins" in table.output and "statistics" in table.output
    # Plugin names are wrapped, never cut short with an ellipsis (they are what
    # ORCAPOST_DISABLE_PLUGINS takes).
    assert "…" not in table.output


@pytest.mark.parametrize("args", [["run"], ["validate"], ["nonsense-command"],
                                  ["run", "x.yml", "--threads", "0"]])
def test_usage_errors_exit_2(args):
    done = _orcapost(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_an_internal_error_is_reported_without_a_traceback_unless_debugging(tmp_path):
    # A plugin whose command crashes stands in for an orcapost bug.
    site = tmp_path / "site"
    dist = site / "orcapost_crash-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orcapost-crash\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[orcapost]\ncrash = orcapost_crash\n")
    (site / "orcapost_crash.py").write_text(
        "from orcapost import hookimpl\n\n"
        "@hookimpl\ndef orcapost_register_commands(cli):\n"
        "    @cli.command('crash')\n    def crash():\n        raise ZeroDivisionError('boom')\n")
    env = {"PYTHONPATH": str(site)}
    done = _orcapost("crash", env=env)
    assert done.returncode == 3
    assert "ZeroDivisionError" in done.stderr and "Traceback" not in done.stderr
    debug = _orcapost("crash", env={**env, "ORCAPOST_DEBUG": "1"})
    assert "Traceback" in debug.stderr


def test_an_output_folder_that_cannot_be_created_is_a_usage_error(campaign, tmp_path):
    import yaml

    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(statistics_config(campaign, blocker / "results")))
    done = _orcapost("run", config, "--quiet")
    assert done.returncode == 2, done.stderr
    assert f"the output folder {blocker / 'results'} cannot be created" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
