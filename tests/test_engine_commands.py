"""`orcapost report`, `orcapost profile` and `orcapost bench` on the demo campaign."""

from __future__ import annotations

import json

import pytest
from helpers import statistics_config
from orcapost.cli import cli
from orcapost.plugins.commands.bench import parse_threads, settings_for
from orcapost.plugins.commands.profile import profile
from orcapost.run_report import RUN_REPORT_NAME

MB = 1_000_000
GB = 1_000_000_000


@pytest.fixture
def commands(pm, run_cli):
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


def test_report_shows_a_run_as_tables(commands, campaign_copy, tmp_path, write_config):
    (sorted(campaign_copy.iterdir())[0]).write_bytes(b"broken")
    config = write_config(statistics_config(campaign_copy, tmp_path / "out"))
    assert commands("run", config, "--quiet").exit_code == 1
    result = commands("report", tmp_path / "out" / RUN_REPORT_NAME, "--files", "3")
    assert result.exit_code == 0, result.output
    for title in ("settings", "summary", "concurrency decisions", "memory and machine",
                  "phase times per file", "slowest 3 files", "failures (1)"):
        assert title in result.output
    assert "initial concurrency" in result.output and "queued" in result.output
    assert commands("report", tmp_path / "out").exit_code == 0  # the folder will do


def test_report_of_something_else_is_a_usage_error(commands, tmp_path):
    result = commands("report", tmp_path / "nothing.json")
    assert result.exit_code == 2 and "no such run report" in result.output


def test_profile_recommends_a_policy_for_the_demo_campaign(commands, campaign):
    result = commands("profile", campaign, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["files"] == 8 and data["histogram"] == {"< 1 MB": 8}
    assert data["recommendation"]["thread_policy"] == "file_size"
    assert data["recommendation"]["threads"] == 8  # 30 for small files, capped by 8 files
    assert "small files are CPU-bound" in data["recommendation"]["reason"]
    table = commands("profile", campaign)
    assert table.exit_code == 0 and "recommended: thread_policy file_size" in table.output
    assert " KB" in table.output  # sizes in the reporters' units (human_bytes), not 0.4 MB


def test_profile_errors(commands, tmp_path):
    assert "is not a folder" in commands("profile", tmp_path / "nope").output
    result = commands("profile", tmp_path)
    assert result.exit_code == 2 and "no result files" in result.output


def test_profile_finds_the_files_a_run_would(commands, tmp_path):
    (tmp_path / "sub").mkdir()
    for name, size in (("a.arrow", 100), (".partial.arrow", 50), ("sub/b.arrow", 300)):
        (tmp_path / name).write_bytes(b"x" * size)
    flat = json.loads(commands("profile", tmp_path, "--pattern", "*.arrow", "--json").output)
    assert flat["files"] == 1 and flat["total_bytes"] == 100  # hidden files are skipped
    deep = json.loads(commands("profile", tmp_path, "--pattern", "*.arrow", "--recursive",
                               "--json").output)
    assert deep["files"] == 2 and deep["total_bytes"] == 400


def test_profile_recommendations():
    large = profile([5 * GB] * 40, available=200 * GB)
    assert large["recommendation"]["thread_policy"] == "fixed"
    assert large["recommendation"]["threads"] == 10
    tight = profile([5 * GB] * 40, available=31 * GB)
    assert tight["recommendation"]["threads"] == 6  # (31 - 1) / 5
    assert tight["recommendation"]["memory_optimizers"] == ["admission"]
    assert "memory" in tight["recommendation"]["reason"]
    mixed = profile([1 * MB] * 20 + [3 * GB] * 5, available=200 * GB)
    assert mixed["recommendation"]["thread_policy"] == "file_size"
    assert "sizes range" in mixed["recommendation"]["reason"]
    mapped = profile([5 * GB] * 40, available=31 * GB, ratio=0.1)
    assert mapped["memory_per_worker"] == 500 * MB and mapped["recommendation"]["threads"] == 10


def test_bench_runs_every_setting_and_writes_json(commands, campaign, tmp_path, write_config):
    config = write_config(statistics_config(campaign, tmp_path / "unused"))
    out = tmp_path / "bench.json"
    result = commands("bench", config, "--threads", "1,2", "--policy", "adaptive",
                      "--repeat", "2", "--json", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [s["setting"] for s in data["settings"]] == ["fixed 1", "fixed 2", "adaptive"]
    for setting in data["settings"]:
        assert len(setting["runs"]) == 2 and setting["failed"] == 0
        assert setting["files_per_second"] > 0 and setting["peak_rss"] > 0
    assert max(s["relative_to_best"] for s in data["settings"]) == 1.0
    assert "fixed 2" in result.output and "peak RSS" in result.output
    assert not (tmp_path / "unused").exists()  # outputs went to a temporary folder


def test_bench_argument_errors(commands, campaign, tmp_path, write_config):
    config = write_config(statistics_config(campaign, tmp_path / "unused"))
    result = commands("bench", config, "--threads", "1,x")
    assert result.exit_code == 2 and "comma-separated" in result.output
    result = commands("bench", config, "--policy", "fastest")
    assert result.exit_code == 2 and "no thread policy named 'fastest'" in result.output
    assert parse_threads("1, 2,30") == [1, 2, 30]
    assert settings_for([4], ["file_size"]) == [
        ("fixed 4", {"name": "fixed", "threads": 4}), ("file_size", {"name": "file_size"})]


def test_the_run_report_names_the_config_also_when_it_is_built_in(tmp_path):
    from click.testing import CliRunner
    from orcapost.cli import cli

    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "d"), "--files", "2", "--size",
                                      "100KB", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "d" / "results" / "orcapost-run.json").read_text("utf-8"))
    assert report["settings"]["config"] == "demo.yml"
