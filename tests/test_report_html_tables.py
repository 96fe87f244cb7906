"""The HTML report's table reading and figure choice, on small hand-made tables: units from
Parquet field metadata (and a CSV units row), load-case keys, defaults, caps."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from orcapost.api import OrcapostError, ReportConfig

pytest.importorskip("matplotlib", reason="the HTML report needs the report extra (matplotlib)")

from orcapost.plugins.commands.report_html import draw, plan  # noqa: E402
from orcapost.plugins.commands.report_html.figures import to_svg  # noqa: E402
from orcapost.plugins.commands.report_html.tables import (  # noqa: E402
    Table,
    load_case_keys,
    read_tables,
)


def _group(files: int = 12) -> dict:
    index = np.arange(files)
    return {"file": [f"LC{i:03d}.sim" for i in index], "status": ["ok"] * files,
            "heading": (index % 3) * 45.0, "Hs": 2.0 + (index // 3 % 2) * 2.0,
            "seed": index // 6 + 1, "Line tension max": 1000.0 + 37.0 * index ** 1.1,
            "Line tension min": 100.0 - index}


def _with_units(table: pa.Table, units: dict[str, str]) -> pa.Table:
    fields = [f.with_metadata({"unit": units[f.name]}) if f.name in units else f
              for f in table.schema]
    return table.cast(pa.schema(fields))


def test_units_come_from_parquet_field_metadata_onto_the_axes(tmp_path):
    pq.write_table(_with_units(pa.table(_group()), {"Line tension max": "kN"}),
                   tmp_path / "mooring.parquet")
    tables = read_tables(tmp_path)
    assert tables["mooring"].unit("Line tension max") == "kN"
    assert tables["mooring"].unit("Line tension min") is None  # none stored: none shown
    planned = plan(tmp_path, ReportConfig(timeline=False))
    svgs = [to_svg(figure) for _, figure in draw(planned, {}, ReportConfig(timeline=False))]
    assert len(svgs) == 2  # a heat map and a probability plot of the governing column
    assert all("Line tension max" in svg and "[kN]" in svg for svg in svgs)


def test_a_csv_units_row_is_read_as_units_not_data(tmp_path):
    (tmp_path / "vessel.csv").write_text(
        "file,status,heading,Hs,Heave max\n,,deg,m,m\nA,ok,0,2,1.5\nB,ok,45,2,2.5\n"
        "C,ok,0,4,3.5\nD,ok,45,4,4.0\n", encoding="utf-8")
    table = read_tables(tmp_path)["vessel"]
    assert table.rows == 4 and table.is_numeric("Heave max")
    assert table.unit("Heave max") == "m" and table.unit("heading") == "deg"
    assert table.unit("file") is None


def test_load_case_keys_are_the_shared_leading_metadata_block(tmp_path):
    pq.write_table(pa.table(_group()), tmp_path / "a.parquet")
    data = _group()
    data["current"] = [0.5] * 12  # a known key name
    data["Riser top max"] = np.linspace(1, 2, 12)
    pq.write_table(pa.table(data), tmp_path / "b.parquet")
    assert load_case_keys(read_tables(tmp_path)) == ["heading", "Hs", "seed"]


def test_default_heat_maps_use_two_varying_keys_when_there_is_no_heading(tmp_path):
    data = {("wind_speed" if k == "heading" else k): v for k, v in _group().items()}
    pq.write_table(pa.table(data), tmp_path / "g.parquet")
    planned = plan(tmp_path, ReportConfig())
    heat = [entry for kind, _, entry in planned.entries if kind == "heatmap"]
    assert [(h.x, h.y) for h in heat] == [("wind_speed", "Hs")]  # in table order


def _envelope(files: int) -> pa.Table:
    arcs = np.arange(0.0, 100.0, 10.0)
    peak = np.outer(1.0 + np.arange(files), np.exp(-arcs / 50.0)).ravel()
    return pa.table({"file": np.repeat([f"F{i}" for i in range(files)], arcs.size),
                     "object": ["Riser"] * (files * arcs.size),
                     "variable": ["Effective Tension"] * (files * arcs.size),
                     "arc_length": np.tile(arcs, files), "max": peak, "min": -peak})


@pytest.mark.parametrize(("files", "cap", "band"), [(5, 60, False), (80, 60, True)])
def test_envelopes_draw_each_case_up_to_max_cases_then_a_band(tmp_path, files, cap, band):
    pq.write_table(_envelope(files), tmp_path / "riser_env.parquet")
    options = ReportConfig.model_validate({"timeline": False, "max_cases": cap, "envelopes": [
        {"table": "riser_env", "allowables": [{"value": 50.0, "label": "limit"}]}]})
    (_, figure), = list(draw(plan(tmp_path, options), {}, options))
    labels = [text.get_text() for text in figure.figure.axes[0].get_legend().get_texts()]
    assert ("max: spread of 80 load cases" in labels) is band
    assert (f"max, each of {files} load cases" in labels) is not band
    assert "governing max" in labels and "limit (50)" in labels
    assert f"in F{files - 1}" in figure.caption  # the governing file is named


def test_max_figures_caps_the_page_and_lists_the_rest(tmp_path):
    for name in "abcd":
        pq.write_table(pa.table(_group()), tmp_path / f"{name}.parquet")
    planned = plan(tmp_path, ReportConfig(max_figures=3))
    assert len(planned.entries) == 3 and len(planned.left_out) == 5


def test_a_report_entry_naming_a_missing_table_is_an_error(tmp_path):
    pq.write_table(pa.table(_group()), tmp_path / "g.parquet")
    options = ReportConfig.model_validate({"rainflow": [{"table": "g"}]})
    with pytest.raises(OrcapostError, match="'g' is not a histogram table"):
        plan(tmp_path, options)


def test_report_options_are_validated():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs two load-case keys"):
        ReportConfig.model_validate({"heatmaps": [{"group": "g", "column": "c", "x": "Hs",
                                                   "y": "Hs"}]})
    with pytest.raises(ValidationError, match="files"):
        ReportConfig.model_validate({"time_histories": [{"table": "t", "files": 0}]})


def test_the_timeline_draws_concurrency_memory_and_files_done_at_each_decision():
    from orcapost.plugins.commands.report_html.timeline import timeline_figure

    report = {"summary": {"files": 100, "elapsed": 50.0, "files_per_second": 2.0},
              "decisions": [{"at": 0.0, "after_files": 0, "from": None, "to": 4,
                             "reason": "initial concurrency"},
                            {"at": 20.0, "after_files": 30, "from": 4, "to": 8,
                             "reason": "throughput rose"}],
              "samples": [{"t": 0.5 * i, "cpu_percent": 150.0, "rss": 1e8, "available": 8e9,
                           "read_rate": 2e8} for i in range(100)]}
    figure = timeline_figure(report)
    top = figure.figure.axes[0]
    step = top.get_lines()[0]
    assert list(step.get_xdata()) == [0.0, 20.0, 50.0] and list(step.get_ydata()) == [4, 8, 8]
    done = next(ax for ax in figure.figure.axes if ax.get_ylabel() == "files done")
    assert list(done.get_lines()[0].get_xdata()) == [0.0, 20.0, 50.0]
    assert list(done.get_lines()[0].get_ydata()) == [0, 30, 100]
    assert "2: 4 to 8 files at once (throughput rose)" in figure.caption
    assert timeline_figure({"summary": {}}) is None  # nothing sampled, nothing decided


def test_the_summary_lists_failures_warnings_and_plugin_errors():
    from orcapost.plugins.commands.report_html.page import summary_html

    text = summary_html({
        "summary": {"files": 3, "ok": 1, "failed": 2, "partial": 0, "elapsed": 2.0},
        "failures": [{"file": "/c/LC1.sim", "stage": "open", "column": None,
                      "reason": "not an archive <bad>"}],
        "warnings": [{"file": "/c/LC2.sim", "group": "vessel", "column": "Heave MPM",
                      "category": "RayleighAssumptionWarning", "message": "a trend",
                      "count": 2}],
        "plugin_errors": [{"plugin": "p", "hook": "orcapost_run_start", "error": "boom"}]})
    assert "Failures (1)" in text and "LC1.sim" in text and "/c/" not in text
    assert "not an archive &lt;bad&gt;" in text  # escaped, never markup
    assert "Warnings while files were read (1)" in text and "vessel/Heave MPM" in text
    assert "Plugin errors (1)" in text and 'class="card bad"' in text


def test_many_warnings_stay_folded_above_the_figures():
    # The demo campaign's 24 files raise 176 warnings (Rayleigh extrapolation): listed in full,
    # the table pushed the first figure 19,000 px down the page. The rows are folded (a closed
    # <details>, no script) under a line counting them by category; failures stay open.
    from orcapost.plugins.commands.report_html.page import summary_html

    warned = [{"file": f"/c/LC{i}.sim", "group": "vessel", "column": "Heave MPM",
               "category": "RayleighAssumptionWarning" if i % 3 else "RuntimeWarning",
               "message": "doubtful", "count": 1} for i in range(30)]
    text = summary_html({"summary": {"files": 30, "ok": 30}, "warnings": warned})
    folded = re.search(r"<details[^>]*>\s*<summary>(.*?)</summary>(.*?)</details>", text, re.S)
    assert folded and "open" not in text[folded.start():folded.start() + 30]
    assert "RayleighAssumptionWarning 20" in folded.group(1)
    assert "RuntimeWarning 10" in folded.group(1)
    assert folded.group(2).count("<tr>") == 31  # header and every warning, inside the fold


def test_an_axis_reads_its_values_without_a_hidden_offset():
    # Two seeds' maxima 834.866 and 834.871 kN: matplotlib's default labelled the axis 0.066 ..
    # 0.073 with '+8.348e2' in a corner, which reads as 0.07 kN. Every tick is the value itself.
    from orcapost.plugins.commands.report_html.probability import probability_figure
    from orcapost.schemas.report import ProbabilityPlot

    table = Table("riser", {"file": np.array(["a", "b", "c"], dtype=object),
                            "Hs": np.array([8.0, 8.0, 8.0]),
                            "top max": np.array([834.866, 834.871, 834.869])}, {"top max": "kN"},
                  kind="group")
    figure = probability_figure(table, ProbabilityPlot(group="riser", column="top max"), ["Hs"])
    figure.figure.canvas.draw()
    axis = figure.figure.axes[0].xaxis
    assert axis.get_major_formatter().get_offset() == ""
    labels = [t.get_text().replace("\u2212", "-") for t in axis.get_ticklabels() if t.get_text()]
    assert labels and all(834.8 < float(text) < 834.9 for text in labels), labels
