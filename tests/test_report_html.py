"""`orcapost report RESULTS --html / --png`: the results' figures, drawn and checked in a real
headless browser (Debian's chromium) when one is installed."""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from orcapost.cli import cli

pytest.importorskip("matplotlib", reason="the HTML report needs the report extra (matplotlib)")

#: Every kind of figure the report draws, from one demo campaign of 8 files.
KINDS = {"envelope", "heatmap", "probability", "fit", "rainflow", "time_history", "timeline"}


def report_config(campaign: Path, output: Path, report: dict | None = None) -> dict:
    """A config on the demo campaign whose tables feed every kind of figure."""
    config = {
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.arrow"]},
        "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
        "results": {
            "mooring": {"columns": [
                {"label": "{object} fairlead tension", "kind": "statistics",
                 "object": "Mooring*", "variable": "Effective Tension", "position": "End B",
                 "statistics": ["max", "mean"]}]},
            "riser": {"columns": [
                {"label": "Riser top tension", "kind": "statistics", "object": "Riser",
                 "variable": "Effective Tension", "position": "End A",
                 "statistics": ["max", "min"]},
                {"label": "Riser tension", "kind": "range_graph", "object": "Riser",
                 "variable": "Effective Tension", "arc_length": None,
                 "statistics": ["max", "min"], "envelope_output": True},
                {"label": "Riser TDZ fatigue", "kind": "fatigue", "object": "Riser",
                 "variable": "Bend Moment", "position": "Touchdown", "m": 3, "bins": 12}]},
            "vessel": {"columns": [
                {"label": "Heave", "kind": "statistics", "object": "FPSO", "variable": "Heave",
                 "statistics": ["max"]},
                {"label": "Heave POT", "kind": "extremes", "method": "weibull",
                 "object": "FPSO", "variable": "Heave", "threshold_quantile": 0.8,
                 "sample_output": True},
                # From the start of the build-up (t < 0): the report shades it.
                {"label": "Heave", "kind": "time_history", "object": "FPSO",
                 "variable": "Heave", "period": {"specified": [-1000, 1000]},
                 "period_policy": "clip", "resample": 0.5, "layout": "long"}]},
        },
        "outputs": {"directory": str(output), "formats": ["parquet"]},
    }
    if report is not None:
        config["outputs"]["report"] = report
    return config


@pytest.fixture
def commands(pm, run_cli):
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


@pytest.fixture
def results(commands, campaign, tmp_path, write_config):
    """A run of the demo campaign with every kind of table, and its config."""
    config = write_config(report_config(campaign, tmp_path / "out", report={
        "title": "Demo campaign",
        "envelopes": [{"table": "riser_Riser_tension_envelope",
                       "allowables": [{"value": 900, "label": "allowable tension"}]}]}))
    run = commands("run", config, "--quiet")
    assert run.exit_code == 0, run.output
    return tmp_path / "out", config


class _Figures(html.parser.HTMLParser):
    """The figures of a page: id, data-drawn, and how many drawn SVG elements each holds."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self.body: dict = {}
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "figure" and "plot" in (attrs.get("class") or ""):
            self.figures.append({"id": attrs.get("id"), "drawn": attrs.get("data-drawn"),
                                 "marks": 0, "svg": False})
            self._inside = True
        elif self._inside and tag == "svg":
            self.figures[-1]["svg"] = True
        elif self._inside and tag in ("path", "use", "text", "rect"):
            self.figures[-1]["marks"] += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self._inside = False


def _figures(text: str) -> _Figures:
    parser = _Figures()
    parser.feed(text)
    return parser


def test_the_report_draws_every_kind_of_figure_on_one_self_contained_page(commands, results):
    out, config = results
    result = commands("report", out, "--html")
    assert result.exit_code == 0, result.output
    page = out / "report.html"
    assert f"wrote {page}" in result.output
    text = page.read_text(encoding="utf-8")
    # Self-contained: nothing is fetched when the page is viewed.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text
    figures = _figures(text).figures
    kinds = {f["id"].split("-")[0].replace("timehistory", "time_history") for f in figures}
    assert kinds == KINDS, kinds
    assert all(f["svg"] and f["marks"] > 10 for f in figures), figures
    assert len({f["id"] for f in figures}) == len(figures)  # one id per figure
    # The config's outputs.report was found through the run report and applied.
    assert "<title>Demo campaign</title>" in text
    assert "allowable tension (900" in text
    assert "build-up (stage 0)" in text  # the time history starts in the build-up
    assert "Failures (0)" in text and "No file failed." in text


def test_the_report_lists_the_failures(commands, campaign_copy, tmp_path, write_config):
    (sorted(campaign_copy.iterdir())[0]).write_bytes(b"broken")
    config = write_config(report_config(campaign_copy, tmp_path / "out"))
    assert commands("run", config, "--quiet").exit_code == 1
    target = tmp_path / "page" / "campaign.html"
    result = commands("report", tmp_path / "out" / "orcapost-run.json", "--html", target)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "Failures (1)" in text and "LC001" in text


def test_png_writes_each_figure_as_a_png_file(commands, results, tmp_path):
    out, _ = results
    result = commands("report", out, "--png", tmp_path / "png", "--html")  # both at once
    assert result.exit_code == 0, result.output
    pngs = sorted((tmp_path / "png").glob("*.png"))
    figures = _figures((out / "report.html").read_text("utf-8")).figures
    assert sorted(p.stem for p in pngs) == sorted(f["id"] for f in figures)
    assert {p.stem.split("-")[0] for p in pngs} == {"envelope", "heatmap", "probability", "fit",
                                                     "rainflow", "timehistory", "timeline"}
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_a_table_the_report_config_names_that_is_not_there_is_a_usage_error(
        commands, campaign, tmp_path, write_config):
    config = write_config(report_config(campaign, tmp_path / "out", report={
        "heatmaps": [{"group": "riser", "column": "Riser nothing max"}]}))
    assert commands("run", config, "--quiet").exit_code == 0
    result = commands("report", tmp_path / "out", "--html")
    assert result.exit_code == 2
    assert "has no column 'Riser nothing max'" in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_bad_report_option_is_refused_by_validate(commands, campaign, tmp_path, write_config):
    config = write_config(report_config(campaign, tmp_path / "out", report={
        "heatmaps": [{"group": "riser", "column": "c", "x": "Hs", "y": "Hs"}],
        "max_figure": 3}))
    result = commands("validate", config)
    assert result.exit_code == 2
    assert "max_figure" in result.output and "did you mean 'max_figures'" in result.output


def test_without_a_config_the_defaults_come_from_the_tables(commands, results, tmp_path):
    out, config = results
    config.unlink()  # the run's config is gone: the report draws what the tables hold
    result = commands("report", out, "--html", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "was not found: default figures" in text
    assert "allowable tension" not in text  # only the config gave an allowable
    assert len(_figures(text).figures) >= len(KINDS)


def test_the_report_without_options_still_prints_the_tables(commands, results):
    out, _ = results
    result = commands("report", out)
    assert result.exit_code == 0 and "concurrency decisions" in result.output
    assert not (out / "report.html").exists()


def test_a_missing_matplotlib_is_a_clear_error(commands, results, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    out, _ = results
    result = commands("report", out, "--html")
    assert result.exit_code == 2
    assert "need matplotlib" in result.output and "orcapost[report]" in result.output


# -- in a real browser ---------------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in (os.environ.get("ORCAPOST_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def headless(chromium: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Chromium without a display, a sandbox (CI runs as root) or a GPU; console messages go
    to stderr (``--enable-logging=stderr``: one ``:CONSOLE`` line per message)."""
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=timeout, check=False)


def test_every_figure_draws_in_a_headless_browser(commands, results):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; or set "
                    "ORCAPOST_CHROMIUM): the page cannot be checked in a browser")
    out, _ = results
    assert commands("report", out, "--html").exit_code == 0
    page = (out / "report.html").resolve()
    shown = headless(chromium, "--dump-dom", page.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    console = [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console  # no script error, no figure that did not draw
    dom = _figures(shown.stdout)
    expected = len(_figures(page.read_text(encoding="utf-8")).figures)
    assert expected >= len(KINDS)
    # The page's own check ran in the browser, after layout: every figure has a size and marks.
    assert dom.body.get("data-figures") == str(expected)
    assert dom.body.get("data-undrawn") == "0"
    assert [f["drawn"] for f in dom.figures] == ["yes"] * expected, dom.figures


def test_the_browser_check_catches_a_figure_that_did_not_draw(tmp_path):
    """The check can fail: an empty figure is reported on the console and marked undrawn."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    from orcapost.plugins.commands.report_html.page import figure_html, page

    text = page("t", "s", "", [("a", "A", [figure_html("empty", "Empty", "<svg></svg>", ""),
                                           figure_html("ok", "OK", '<svg width="50" height="50">'
                                                       '<rect width="40" height="40"/></svg>',
                                                       "")])], [])
    path = tmp_path / "bad.html"
    path.write_text(text, encoding="utf-8")
    shown = headless(chromium, "--dump-dom", path.resolve().as_uri())
    assert "figure empty did not draw" in shown.stderr
    dom = _figures(shown.stdout)
    assert [f["drawn"] for f in dom.figures] == ["no", "yes"]
    assert dom.body.get("data-undrawn") == "1"


def test_a_figure_that_fails_is_named_with_its_reason_and_the_rest_are_drawn(
        commands, results, monkeypatch):
    import orcapost.plugins.commands.report_html as report_html

    def broken(table, options):
        raise ValueError("cannot draw this heat map")

    monkeypatch.setattr(report_html, "heatmap_figure", broken)
    out, _ = results
    result = commands("report", out, "--html")
    assert result.exit_code == 1  # written, but not whole: as a run with failed files
    assert "not drawn: heatmap of riser: ValueError: cannot draw this heat map" in result.output
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Not drawn (failed): heatmap of riser: ValueError: cannot draw this heat map" in text
    kinds = {f["id"].split("-")[0] for f in _figures(text).figures}
    assert "heatmap" not in kinds and {"envelope", "probability", "timeline"} <= kinds


def test_time_histories_are_the_series_not_the_load_case_columns(commands, results):
    # A long time-history table leads with its file's load case (load_case, heading, Hs, Tp,
    # gamma, seed): constants of each file, which the report drew as "time histories" of their
    # own, one figure each, pushing the real series down the page.
    out, _ = results
    assert commands("report", out, "--html").exit_code == 0
    import pyarrow.parquet as pq

    names = pq.read_schema(out / "vessel_Heave_time_history.parquet").names
    assert {"heading", "seed"} <= set(names)  # the table does lead with the load case
    ids = [f["id"] for f in _figures((out / "report.html").read_text(encoding="utf-8")).figures
           if f["id"].startswith("timehistory")]
    assert ids == ["timehistory-vessel-heave-time-history-heave"], ids
