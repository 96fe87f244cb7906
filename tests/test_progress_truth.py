"""Progress that tells the truth: the last frame shows the final totals, the line fits 80 and
160 columns without cutting a figure, busy workers are counted after submission."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.plugins.reporters._figures import (
    DROP_ORDER,
    Figures,
    fit_line,
    human_bytes,
    line_parts,
)
from orcapost.plugins.reporters.rich_progress import ProgressLine, RichReporter
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
BIG = Figures(done=12_345, total=100_000, bytes_done=3_100_000_000_000,
              bytes_total=8_000_000_000_000, elapsed=12_345.0, busy=16, failed=1234,
              rss=123_400_000_000, available=456_700_000_000)


def _render(parts, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    line = ProgressLine()
    line.parts = parts
    console.print(line)
    return console.export_text().rstrip("\n")


@pytest.mark.parametrize("width", [80, 160])
def test_the_line_fits_the_width_without_cutting_a_figure(width):
    text = _render(line_parts(BIG), width)
    assert "…" not in text and "\n" not in text and len(text) <= width
    assert text.startswith("12345/100000 files") and "1234 failed" in text


def test_at_160_columns_every_figure_is_shown():
    text = _render(line_parts(BIG), 160)
    for figure in ("3.1 TB/8.0 TB", "MB/s", "ETA", "16 busy", "RSS 123.4 GB", "free 456.7 GB"):
        assert figure in text


def test_figures_are_dropped_in_the_documented_order():
    parts = line_parts(BIG)
    full = fit_line(parts, 1000)[1]
    dropped = []
    for width in range(200, 20, -1):
        kept = fit_line(parts, width)[1]
        dropped = [name for name in parts.figures if parts.figures[name] not in kept]
        assert set(dropped) == set(DROP_ORDER[:len(dropped)]), width
    assert len(full) == len(parts.figures) and "failed" not in dropped


def _run(tmp_path: Path, width: int, threads: int = 1):
    from orcapost.pluginmanager import get_plugin_manager

    write_campaign(tmp_path / "campaign", DemoSpec(file_size=60_000), files=6)
    data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(tmp_path / "campaign")
    data["outputs"] = {"directory": str(tmp_path / "results"), "formats": ["csv"]}
    data["engine"]["thread_policy"] = {"name": "fixed", "threads": threads}
    (tmp_path / "demo.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    pm = get_plugin_manager(entry_points=False)
    console = Console(width=width, record=True, file=io.StringIO(), force_terminal=True)
    summary = Engine(pm, load_config(tmp_path / "demo.yml", pm.registry),
                     reporter=RichReporter(console=console)).run()
    return summary, console.export_text()


@pytest.mark.parametrize("width", [80, 160])
def test_the_last_frame_shows_the_summary_totals(tmp_path, width):
    summary, text = _run(tmp_path, width)
    progress = text[:text.index("orcapost run")]
    frames = [f for f in re.split(r"(?=\d+/\d+ files)", progress) if f.strip()]
    assert frames and all("…" not in f and len(f.rstrip()) <= width for f in frames)
    last = frames[-1]
    rate = summary.bytes / 1e6 / summary.elapsed
    assert last.startswith(f"{summary.files}/{summary.files} files")
    assert f"{human_bytes(summary.bytes)}/{human_bytes(summary.bytes)}" in last
    assert f"{rate:.1f} MB/s" in last and f"done in {summary.elapsed:.1f} s" in last
    assert "ETA" not in last and "busy" not in last
    table = text[text.index("orcapost run"):]
    assert f"{summary.elapsed:.1f} s" in table and f"{rate:.1f}" in table


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_busy_workers_are_counted_after_submission(tmp_path, monkeypatch, executor):
    """--threads 1 showed `0 busy` mid-run: heartbeats came between a file's end and the next
    file's start. Every heartbeat while files remain sees the one worker busy."""
    import orcapost.engine as engine
    from orcapost.api import hookimpl
    from orcapost.pluginmanager import get_plugin_manager

    monkeypatch.setattr(engine, "HEARTBEAT_SECONDS", 0.0)  # a heartbeat every loop
    monkeypatch.setattr(engine, "SMALL_FILE_BYTES", 1)  # a task per file, not one batch
    seen = []

    class Listener:
        @hookimpl
        def orcapost_heartbeat(self, context):
            if context.done < context.total_files:
                seen.append(context.in_flight)

    write_campaign(tmp_path / "campaign", DemoSpec(file_size=60_000), files=4)
    data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(tmp_path / "campaign")
    data["outputs"] = {"directory": str(tmp_path / "results"), "formats": ["csv"]}
    data["engine"]["thread_policy"] = {"name": "fixed", "threads": 1}
    data["engine"]["progress"] = "silent"
    data["engine"]["executor"] = executor
    (tmp_path / "demo.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    pm = get_plugin_manager(entry_points=False)
    pm.register(Listener(), name="busy-listener")
    Engine(pm, load_config(tmp_path / "demo.yml", pm.registry)).run()
    assert seen and set(seen) == {1}


def test_a_piped_report_never_cuts_a_file_name(tmp_path):
    from orcapost.plugins.commands.report import render, report_console

    name = "LC003_H090_Hs6.0_S02_with_a_long_descriptive_name_for_the_case.arrow"
    report = {"files": [{"file": f"/x/{name}", "size": 1, "status": "ok", "total": 1.0}],
              "failures": [{"file": f"/x/{name}", "stage": "open", "reason": "r" * 120}]}
    stream = io.StringIO()  # not a terminal
    render(report, report_console(stream))
    text = stream.getvalue()
    assert text.count(name) == 2 and "…" not in text
