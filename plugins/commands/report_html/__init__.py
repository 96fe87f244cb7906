"""``orcapost report RESULTS --html`` / ``--png``: the figures of a results folder.

:func:`draw` reads the tables (:mod:`.tables`), plans the figures from ``outputs.report`` or
from what the tables hold (:mod:`.plan`), and draws each with its builder (one small module per
kind of plot); :func:`write_html` puts them on one self-contained page (:mod:`.page`),
:func:`write_pngs` writes them as PNG files. docs/report.md describes every figure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orcapost.api import ReportConfig, atomic_path
from orcapost.plugins.commands.report_html.envelope import envelope_figures
from orcapost.plugins.commands.report_html.figures import Figure, close, pyplot, to_png, to_svg
from orcapost.plugins.commands.report_html.fit import fit_figures
from orcapost.plugins.commands.report_html.heatmap import heatmap_figure
from orcapost.plugins.commands.report_html.page import figure_html, page, summary_html
from orcapost.plugins.commands.report_html.plan import Plan, plan_figures
from orcapost.plugins.commands.report_html.probability import probability_figure
from orcapost.plugins.commands.report_html.rainflow import rainflow_figure
from orcapost.plugins.commands.report_html.tables import Table, read_tables
from orcapost.plugins.commands.report_html.timehistory import time_history_figures
from orcapost.plugins.commands.report_html.timeline import timeline_figure

__all__ = ["draw", "plan", "write_html", "write_pngs"]

_SECTION_TITLES = {"envelope": "Range graphs", "heatmap": "Heat maps",
                   "probability": "Extreme values", "rainflow": "Rainflow ranges",
                   "time_history": "Time histories"}


def _figures_of(kind: str, table: Table, entry: Any, planned: Plan, options: ReportConfig
                ) -> list[Figure]:
    if kind == "envelope":
        return envelope_figures(table, entry, options.max_cases)
    if kind == "heatmap":
        heat = heatmap_figure(table, entry)
        return [heat] if heat is not None else []
    if kind == "probability":
        # A sea state by default is the heat maps' pair of keys (heading, Hs), when present.
        sea_state: list[str] = [k for k in ("heading", "Hs") if k in planned.keys]
        drawn = probability_figure(table, entry, sea_state)
        return [drawn] if drawn is not None else []
    if kind == "fit":
        return fit_figures(table, entry)
    if kind == "rainflow":
        drawn = rainflow_figure(table, entry)
        return [drawn] if drawn is not None else []
    return time_history_figures(table, entry, planned.keys)


def _group_of(table: str, groups: list[str]) -> str:
    """The result group an extra table belongs to: the longest group name it starts with."""
    owners = [g for g in groups if table == g or table.startswith(f"{g}_")]
    return max(owners, key=len) if owners else table


def plan(results: Path, options: ReportConfig) -> Plan:
    """The figures the report of ``results`` (a folder) draws."""
    pyplot()  # a missing matplotlib is a clear error before any table is read
    return plan_figures(read_tables(results), options)


def draw(planned: Plan, report: dict, options: ReportConfig) -> Iterator[tuple[str, Figure]]:
    """Every planned figure with its result group, drawn one at a time (so a page of many
    figures holds one open matplotlib figure at a time); the run timeline last."""
    groups = planned.groups
    for kind, table, entry in planned.entries:
        try:
            drawn = _figures_of(kind, table, entry, planned, options)
        except Exception as exc:  # noqa: BLE001 - one figure's failure is a line, not the page
            _failed(planned, f"{kind} of {table.name}", exc)
            continue
        for figure in drawn:
            yield _group_of(table.name, groups), figure
    if options.timeline:
        try:
            timeline = timeline_figure(report)
        except Exception as exc:  # noqa: BLE001
            _failed(planned, "the run timeline", exc)
            timeline = None
        if timeline is not None:
            yield "run", timeline


def _failed(planned: Plan, what: str, exc: Exception) -> None:
    """A figure that could not be drawn: named with the reason, on the page and by the
    command (exit 1), never silently missing; the other figures are drawn."""
    planned.failed.append(f"{what}: {type(exc).__name__}: {exc}")
    plt = pyplot()
    plt.close("all")  # whatever the failed builder left open


def _folder(results: Path) -> Path:
    return results if results.is_dir() else results.parent


def write_html(results: Path, report: dict, options: ReportConfig, target: Path,
               config_note: str = "") -> tuple[Path, int, list[str]]:
    """The report page of ``results`` written (atomically) to ``target``; (path, figures drawn,
    figures that failed with their reasons)."""
    started = time.perf_counter()
    sections: dict[str, list[str]] = {}
    count = 0
    planned = plan(_folder(results), options)
    for group, figure in draw(planned, report, options):
        try:
            svg = to_svg(figure)
        finally:
            close(figure)
        sections.setdefault(group, []).append(
            figure_html(figure.key, figure.title, svg, figure.caption))
        count += 1
    notes = [config_note] if config_note else []
    notes += [f"Not drawn (failed): {failure}" for failure in planned.failed]
    if planned.left_out:
        notes.append(f"{len(planned.left_out)} figures not drawn (outputs.report.max_figures "
                     f"{options.max_figures}): " + ", ".join(planned.left_out))
    if planned.keys:
        notes.append("Load-case keys: " + ", ".join(planned.keys) + ".")
    ordered = [(f"group-{name}", "Run timeline" if name == "run" else f"Result group {name}",
                parts) for name, parts in sections.items()]
    settings = report.get("settings") or {}
    title = options.title or f"orcapost report: {Path(str(settings.get('config') or 'run')).stem}"
    subtitle = (f"{_folder(results)} · {count} figures · finished {report.get('finished_at')}"
                f" · drawn in {time.perf_counter() - started:.1f} s")
    text = page(title, subtitle, summary_html(report), ordered, notes)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as staged:
        Path(staged).write_text(text, encoding="utf-8")
    return target, count, planned.failed


def write_pngs(results: Path, report: dict, options: ReportConfig, folder: Path
               ) -> tuple[list[Path], list[str]]:
    """Every figure of the report as a PNG file in ``folder`` (named by figure id); (paths,
    figures that failed with their reasons)."""
    written = []
    planned = plan(_folder(results), options)
    for _, figure in draw(planned, report, options):
        try:
            written.append(to_png(figure, folder))
        finally:
            close(figure)
    return written, planned.failed
