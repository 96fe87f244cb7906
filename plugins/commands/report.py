"""``orcapost report RESULTS``: a run report as tables, or the results drawn.

Every run writes ``orcapost-run.json`` into its output folder (see orcapost.run_report); this
command shows its settings, summary, concurrency decisions, memory, phase times, slowest files,
failures and the warnings raised while files were read. With ``--html [FILE]`` it writes one
self-contained HTML page of the results' figures instead (envelopes, heat maps, extreme values,
rainflow ranges, time histories, the run timeline), and with ``--png DIR`` the figures as PNG
files: see the ``report_html`` package and docs/report.md.
"""

from __future__ import annotations

from pathlib import Path

import click
from orcapost.api import hookimpl, human_bytes


def _bytes(value) -> str:
    return "" if value is None else human_bytes(value)


def _s(value) -> str:
    return "" if value is None else f"{value:.3f} s"


def render(report: dict, console, files: int = 10) -> None:
    from rich.table import Table

    settings = report.get("settings", {})
    table = Table(title="settings", show_header=False)
    table.add_column("key")
    table.add_column("value")
    for key, value in settings.items():
        table.add_row(key, str(value))
    console.print(table)

    summary = report.get("summary", {})
    table = Table(title="summary")
    for heading in ("files", "ok", "failed", "partial", "data", "elapsed", "files/s", "MB/s",
                    "memory holds"):
        table.add_column(heading, justify="right")
    rate = summary.get("bytes_per_second")
    fps = summary.get("files_per_second")
    table.add_row(str(summary.get("files")), str(summary.get("ok")), str(summary.get("failed")),
                  str(summary.get("partial")), _bytes(summary.get("bytes")),
                  _s(summary.get("elapsed")), f"{fps:.2f}" if fps else "",
                  f"{rate / 1e6:.1f}" if rate else "", str(summary.get("memory_holds", 0)))
    console.print(table)

    table = Table(title="concurrency decisions")
    for heading in ("at", "after files", "from", "to", "policy", "reason"):
        table.add_column(heading)
    for d in report.get("decisions", []):
        table.add_row(_s(d.get("at")), str(d.get("after_files")), str(d.get("from") or ""),
                      str(d.get("to")), str(d.get("policy") or ""), str(d.get("reason") or ""))
    console.print(table)

    memory = report.get("memory", {})
    table = Table(title="memory and machine")
    for heading in ("RSS at start", "peak RSS", "min available", "mean CPU", "max read rate"):
        table.add_column(heading, justify="right")
    cpu = memory.get("mean_cpu_percent")
    read = memory.get("max_read_rate")
    table.add_row(_bytes(memory.get("baseline_rss")), _bytes(memory.get("peak_rss")),
                  _bytes(memory.get("min_available")), f"{cpu:.0f}%" if cpu is not None else "",
                  f"{read / 1e6:.1f} MB/s" if read is not None else "")
    console.print(table)

    table = Table(title="phase times per file")
    for heading in ("phase", "median", "max", "sum"):
        table.add_column(heading, justify="right")
    for phase, stats in report.get("phases", {}).items():
        table.add_row(phase, _s(stats["median"]), _s(stats["max"]), _s(stats["sum"]))
    console.print(table)

    rows = sorted(report.get("files", []), key=lambda r: -(r.get("total") or 0.0))[:files]
    if rows:
        table = Table(title=f"slowest {len(rows)} files")
        for heading in ("file", "size", "status", "queued", "open", "extract", "write", "total"):
            table.add_column(heading, justify="right" if heading != "file" else "left")
        for r in rows:
            table.add_row(Path(r["file"]).name, _bytes(r["size"]), r["status"], _s(r.get("queued")),
                          _s(r.get("open")), _s(r.get("extract")), _s(r.get("write")),
                          _s(r.get("total")))
        console.print(table)

    failures = report.get("failures", [])
    if failures:
        table = Table(title=f"failures ({len(failures)})")
        for heading in ("file", "stage", "column", "reason"):
            table.add_column(heading)
        for f in failures:
            table.add_row(Path(f["file"]).name, f["stage"], f.get("column") or "", f["reason"])
        console.print(table)

    warned = report.get("warnings", [])
    if warned:
        table = Table(title=f"warnings while files were read ({len(warned)})")
        for heading in ("file", "column", "warning", "count"):
            table.add_column(heading, justify="right" if heading == "count" else "left")
        for w in warned:
            column = f"{w['group']}/{w['column']}" if w.get("column") else ""
            table.add_row(Path(w["file"]).name, column, f"{w['category']}: {w['message']}",
                          str(w["count"]))
        console.print(table)


#: The page's file name in the results folder when --html names no file.
HTML_NAME = "report.html"


def _config_for(report: dict, results: Path, given: Path | None, registry):
    """The report options: from ``--config``, else the config the run names (its path as
    recorded, or a config shipped with orcapost), else the defaults; and a note for the page."""
    from importlib import resources

    from orcapost.api import ReportConfig, load_config

    if given is not None:
        return load_config(given, registry).model.outputs.report, f"Figures as {given} asks."
    recorded = (report.get("settings") or {}).get("config")
    if recorded:
        candidates = [Path(recorded)]
        if not Path(recorded).is_absolute():
            shipped = resources.files("orcapost.configs") / Path(recorded).name
            candidates.append(Path(str(shipped)))
        for path in candidates:
            if path.is_file():
                return (load_config(path, registry).model.outputs.report,
                        f"Figures as {path} (the run's config) asks.")
        return ReportConfig(), (f"The run's config {recorded} was not found: default figures "
                                "(give --config CONFIG for its outputs.report).")
    return ReportConfig(), "Default figures (the run report names no config)."


@click.command("report")
@click.argument("run_report", metavar="RESULTS", type=click.Path(path_type=Path))
@click.option("--files", "file_count", type=click.IntRange(0, 1_000_000), default=10,
              show_default=True, help="How many of the slowest files to list.")
@click.option("--html", "html_file", is_flag=False, flag_value="", default=None,
              metavar="[FILE]",
              help=f"Write the results' figures as one self-contained HTML page to FILE "
              f"(default: {HTML_NAME} in the results folder).")
@click.option("--png", "png_folder", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Write the figures as PNG files into this folder.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="The config whose outputs.report chooses the figures "
              "(default: the config the run report names, if found).")
@click.pass_context
def report_command(ctx, run_report, file_count, html_file, png_folder, config_path):
    """Show RESULTS (an output folder, or the orcapost-run.json in it) as tables; with --html
    or --png, draw its tables' figures."""
    from orcapost.api import read_report

    report = read_report(run_report)
    if html_file is None and png_folder is None:
        render(report, report_console(), files=file_count)
        return
    from orcapost.plugins.commands.report_html import write_html, write_pngs

    results = run_report if run_report.is_dir() else run_report.parent
    registry = ctx.find_root().obj["pm"].registry
    options, note = _config_for(report, results, config_path, registry)
    failed: list[str] = []
    if html_file is not None:
        target = Path(html_file) if html_file else results / HTML_NAME
        path, count, failed = write_html(results, report, options, target, config_note=note)
        click.echo(f"wrote {path} ({count} figures)")
    if png_folder is not None:
        written, failed = write_pngs(results, report, options, png_folder)
        click.echo(f"wrote {len(written)} figures into {png_folder}")
    for failure in failed:
        click.echo(f"not drawn: {failure}", err=True)
    if failed:  # the page is written, and says which figures are missing and why
        ctx.exit(1)


#: The width of a piped report: tables at their natural width, never cut to fit a terminal.
PIPED_WIDTH = 100_000


def report_console(stream=None):
    """The console a report prints on: the terminal's width on a terminal; piped (a file, a
    pager, grep), wide enough that no cell -- a file name -- is cut with an ellipsis."""
    import sys

    from rich.console import Console

    stream = stream or sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, width=None if tty else PIPED_WIDTH, soft_wrap=False)


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(report_command)
