"""The legacy_csv sink: legacy file names and leading columns, statistics rows, rounding,
failures; and the simulation_times column behind start_time/stop_time."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
from orcapost.config import load_config
from orcapost.plugins.sinks.legacy_csv import LEADING
from orcapost.plugins.sources.archive import ArchiveResultFile

COLUMNS = [
    {"kind": "simulation_times"},
    {"label": "heave max", "kind": "statistics", "object": "FPSO", "variable": "Heave"},
    {"label": "top tension", "kind": "statistics", "object": "Mooring1",
     "variable": "Effective Tension", "position": "End B", "statistics": ["mean"]},
]


def _config(inputs, outputs, legacy: dict) -> dict:
    return {
        "version": 2,
        "inputs": {"directory": str(inputs)},
        "results": {"vessel": {"columns": COLUMNS},
                    "no_times": {"columns": COLUMNS[1:2]}},
        "outputs": {"directory": str(outputs), "formats": ["csv", {"name": "legacy_csv",
                                                                    **legacy}]},
    }


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_legacy_names_columns_times_and_values(run_cli, write_config, campaign, tmp_path):
    out = tmp_path / "out"
    path = write_config(_config(campaign, out, {"label": "run1", "decimals": 3}), "job.yml")
    result = run_cli("run", path, "--quiet")
    assert result.exit_code == 0, result.output
    table = _read(out / "job_run1_vessel.csv")
    assert table[0] == ["fe_filename", "fe_filename_stem", "run_status", "start_time",
                        "stop_time", "heave max", "top tension"]
    plain = {row[0]: row for row in _read(out / "vessel.csv")[1:]}  # the csv sink's table
    header = _read(out / "vessel.csv")[0]
    files = sorted(campaign.glob("*.arrow"))
    assert [row[0] for row in table[1:]] == [f.resolve().as_posix() for f in files]
    for row, file in zip(table[1:], files, strict=True):
        assert row[1] == file.stem and row[2] == "complete"
        with ArchiveResultFile(file) as opened:
            times = opened.sample_times()
            start = opened.stages()[0].start
        assert float(row[3]) == pytest.approx(round(start, 3))
        assert float(row[4]) == pytest.approx(round(float(times[-1]), 3))
        same = plain[file.name]
        for label in ("heave max", "top tension"):
            assert float(row[table[0].index(label)]) == pytest.approx(
                round(float(same[header.index(label)]), 3), abs=1e-9)
    # Without a simulation_times column the leading time cells stay empty.
    no_times = _read(out / "job_run1_no_times.csv")
    assert all(row[3] == "" and row[4] == "" for row in no_times[1:])


def test_statistics_rows_under_the_files(run_cli, write_config, campaign, tmp_path):
    out = tmp_path / "out"
    path = write_config(_config(campaign, out, {"statistics": ["min", "max", "mean", "std"],
                                                "decimals": None}), "job.yml")
    assert run_cli("run", path, "--quiet").exit_code == 0
    table = _read(out / "job_vessel.csv")
    files = table[1:-4]
    assert [row[0] for row in table[-4:]] == ["Minimum", "Maximum", "Mean", "StdDev"]
    column = table[0].index("heave max")
    values = np.array([float(row[column]) for row in files])
    expected = [values.min(), values.max(), values.mean(), values.std(ddof=1)]
    assert [float(row[column]) for row in table[-4:]] == pytest.approx(expected)


def test_a_failed_file_has_its_status_and_a_failures_table(run_cli, write_config, campaign,
                                                          tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(campaign, inputs)
    broken = sorted(inputs.glob("*.arrow"))[0]
    broken.write_bytes(b"not an archive")
    out = tmp_path / "out"
    path = write_config(_config(inputs, out, {}), "job.yml")
    assert run_cli("run", path, "--quiet").exit_code == 1
    table = _read(out / "job_vessel.csv")
    row = next(r for r in table[1:] if r[1] == broken.stem)
    assert row[2] == "failed" and row[3:] == [""] * (len(table[0]) - 3)
    failures = _read(out / "failures.csv")
    assert any(broken.name in cell for r in failures[1:] for cell in r)


def test_the_sink_is_documented_in_the_schema(pm, write_config, campaign, tmp_path):
    loaded = load_config(write_config(_config(campaign, tmp_path, {"label": "x"})), pm.registry)
    assert [f.name for f in loaded.model.outputs.formats] == ["csv", "legacy_csv"]


def _legacy_only(inputs, outputs, legacy: dict, columns=COLUMNS, **sections) -> dict:
    return {"version": 2, "inputs": {"directory": str(inputs)},
            "results": {"vessel": {"columns": columns}},
            "outputs": {"directory": str(outputs), "formats": [{"name": "legacy_csv", **legacy}]},
            **sections}


def test_the_config_campaign_tables_are_written_under_the_legacy_naming(run_cli, write_config,
                                                                          campaign, tmp_path):
    out = tmp_path / "out"
    tables = [{"name": "by_heading", "group": "vessel", "by": ["heading"],
               "reductions": [{"kind": "max", "columns": ["heave max"]}]}]
    path = write_config(_legacy_only(campaign, out, {"label": "run1"}, campaign=tables), "job.yml")
    assert run_cli("run", path, "--quiet").exit_code == 0
    rows = _read(out / "job_run1_by_heading.csv")
    assert "heading" in rows[0] and len(rows) == 3  # the two headings of the demo campaign
    # The reduction saw the plain group rows: its maximum is the largest heave max of a file.
    vessel = _read(out / "job_run1_vessel.csv")
    heave = [float(r[vessel[0].index("heave max")]) for r in vessel[1:]]
    reduced = [float(cell) for r in rows[1:] for name, cell in zip(rows[0], r, strict=True)
               if "heave max" in name]
    assert max(reduced) == pytest.approx(max(heave), abs=1e-6)


@pytest.mark.parametrize("label", ["sim {time}", "T"])
def test_a_custom_simulation_times_label_still_fills_start_and_stop(run_cli, write_config,
                                                                     campaign, tmp_path, label):
    out = tmp_path / "out"
    columns = [{"kind": "simulation_times", "label": label}, *COLUMNS[1:]]
    path = write_config(_legacy_only(campaign, out, {}, columns), "job.yml")
    assert run_cli("run", path, "--quiet").exit_code == 0
    table = _read(out / "job_vessel.csv")
    assert table[0] == [*LEADING, "heave max", "top tension"]
    assert all(float(row[3]) < float(row[4]) for row in table[1:])


def test_a_stale_failures_table_is_removed_when_no_file_fails(run_cli, write_config, campaign,
                                                             tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "failures.csv").write_text("file,reason\nold.arrow,from an earlier run\n")
    path = write_config(_legacy_only(campaign, out, {}), "job.yml")
    assert run_cli("run", path, "--quiet").exit_code == 0
    assert (out / "job_vessel.csv").exists() and not (out / "failures.csv").exists()


def test_a_label_equal_to_a_load_case_key_keeps_its_name(run_cli, write_config, campaign,
                                                         tmp_path):
    # The demo's load case has Hs; the legacy layout has no load-case columns, so a column
    # labelled Hs is written as Hs (the plain table renames it Hs_2 beside the load case).
    config = _config(campaign, tmp_path / "out", {})
    config["results"] = {"vessel": {"columns": [
        {"kind": "simulation_times"},
        {"label": "Hs", "kind": "statistics", "object": "FPSO", "variable": "Heave"}]}}
    result = run_cli("run", write_config(config, "job.yml"), "--quiet")
    assert result.exit_code == 0, result.output
    assert _read(tmp_path / "out" / "job_vessel.csv")[0][-1] == "Hs"
    assert "Hs_2" in _read(tmp_path / "out" / "vessel.csv")[0]


def test_linked_statistics_layout_keeps_variable_names_and_expands_linked_patterns(
        run_cli, write_config, campaign, tmp_path):
    # The legacy headers are ValueAtMin_<variable>: the variable's own name, even when it holds
    # "Max" (OrcaFlex's "Max von Mises Stress"; "Min" replaced it). A linked pattern is the
    # variables it matched, one LinkedValueAt column each (was one empty "..._Sur*" column).
    out = tmp_path / "out"
    config = {
        "version": 2, "inputs": {"directory": str(campaign)},
        "derived": {"Max Offset": "hypot(Surge, Sway)"},
        "results": {"linked": {"columns": [
            {"label": "offset", "kind": "linked_statistics", "object": "FPSO",
             "variable": "Max Offset", "linked": ["Heave", "Sw*"],
             "statistics": ["max", "min"]}]}},
        "outputs": {"directory": str(out), "formats": ["parquet", {"name": "legacy_csv",
                                                                    "decimals": None}]},
    }
    result = run_cli("run", write_config(config, "job.yml"), "--quiet")
    assert result.exit_code == 0, result.output
    table = _read(out / "job_linked.csv")
    assert table[0] == ["fe_filename", "Label", "run_status", "statistic",
                        "ValueAtMax_Max Offset", "TimeOfMax_Max Offset",
                        "LinkedValueAtMax_Heave", "LinkedValueAtMax_Sway",
                        "ValueAtMin_Max Offset", "TimeOfMin_Max Offset",
                        "LinkedValueAtMin_Heave", "LinkedValueAtMin_Sway"]
    import pyarrow.parquet as pq

    rows = {r["path"]: r for r in pq.read_table(out / "linked.parquet").to_pylist()}
    assert len(table) == 1 + len(rows)
    for row in table[1:]:
        plain = next(r for p, r in rows.items() if p.endswith(row[0].rsplit("/", 1)[-1]))
        for header, name in zip(table[0][4:], ["offset max", "offset max time",
                                               "offset max Heave", "offset max Sway",
                                               "offset min", "offset min time",
                                               "offset min Heave", "offset min Sway"],
                                strict=True):
            assert row[table[0].index(header)] != "", header
            assert float(row[table[0].index(header)]) == pytest.approx(plain[name],
                                                                       rel=1e-6), header


def test_linked_statistics_layout_has_the_statistics_rows_asked_for(run_cli, write_config,
                                                                      campaign, tmp_path):
    # docs/migration.md: the legacy rows under a linked-statistics table come from the sink's
    # statistics option; the linked layout ignored it.
    out = tmp_path / "out"
    config = {
        "version": 2, "inputs": {"directory": str(campaign)},
        "results": {"linked": {"columns": [
            {"label": "heave", "kind": "linked_statistics", "object": "FPSO",
             "variable": "Heave", "linked": ["Surge"], "statistics": ["max"]}]}},
        "outputs": {"directory": str(out), "formats": [{"name": "legacy_csv", "decimals": None,
                                                        "statistics": ["max", "mean"]}]},
    }
    result = run_cli("run", write_config(config, "job.yml"), "--quiet")
    assert result.exit_code == 0, result.output
    table = _read(out / "job_linked.csv")
    files, extra = table[1:-2], table[-2:]
    assert len(files) == len(list(campaign.glob("*.arrow")))
    assert [row[:2] for row in extra] == [["Maximum", "Maximum"], ["Mean", "Mean"]]
    for index in range(4, len(table[0])):
        values = [float(row[index]) for row in files]
        assert float(extra[0][index]) == max(values)
        assert float(extra[1][index]) == pytest.approx(float(np.mean(values)), rel=1e-12)


def test_time_series_files_read_the_load_case_keys_once_per_build(run_cli, write_config,
                                                                   campaign, tmp_path,
                                                                   monkeypatch):
    # Each per-file time-series table gathered every file's load-case keys: files x files
    # load-case look-ups, quadratic in the campaign.
    from orcapost.tables import RunTables

    calls = []
    original = RunTables.load_case

    def counted(self, result):
        calls.append(result.path)
        return original(self, result)

    monkeypatch.setattr(RunTables, "load_case", counted)
    out = tmp_path / "out"
    config = {
        "version": 2, "inputs": {"directory": str(campaign)},
        "results": {"motions": {"columns": [
            {"label": "heave", "kind": "time_history", "object": "FPSO", "variable": "Heave",
             "period": "latest wave", "table": "motions"}]}},
        "outputs": {"directory": str(out), "formats": [{"name": "legacy_csv",
                                                        "time_series": ["motions"]}]},
    }
    result = run_cli("run", write_config(config, "job.yml"), "--quiet")
    assert result.exit_code == 0, result.output
    files = sorted(campaign.glob("*.arrow"))
    written = _read(out / f"{files[0].stem}_motions.csv")
    assert written[0] == ["time", "heave"] and len(written) > 2
    assert len(calls) <= 4 * len(files), len(calls)
