"""The ``rich`` reporter: a live progress line and a final summary table, for a terminal.

``engine.progress: auto`` (the default) picks it only when stderr is a terminal, as pytest
registers its terminal progress only on a TTY; CI logs and batch jobs get ``plain`` lines.

The line is laid out for the terminal's width each time it is drawn: the file count, a bar,
then the figures (bytes done/total, MB/s, ETA, busy workers, RSS, free memory, failures),
dropping figures in :data:`~orcapost.plugins.reporters._figures.DROP_ORDER` when they do not
fit, never cutting one short. The last frame shows the run's final totals (the summary's files,
bytes, time and rate), not the state of the last heartbeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orcapost.api import Reporter, StrictModel, hookimpl
from orcapost.plugins.reporters._figures import (
    Figures,
    LineParts,
    figures,
    fit_line,
    human_bytes,
    line_parts,
)
from pydantic import Field

if TYPE_CHECKING:  # rich loads with the first run that shows it, not with `orcapost --help`
    from rich.console import Console
    from rich.live import Live


class RichOptions(StrictModel):
    refresh_per_second: float = Field(default=4.0, gt=0, le=30,
                                      description="Screen refreshes per second.")


class ProgressLine:
    """The live line as a rich renderable, laid out for the width it is drawn at."""

    def __init__(self) -> None:
        self.parts: LineParts | None = None

    def __rich_console__(self, console: Any, options: Any):
        from rich.text import Text

        if self.parts is None:
            return
        width = options.max_width
        bar, kept = fit_line(self.parts, width)
        line = Text(self.parts.files, style="bold", no_wrap=True, overflow="ignore")
        if bar:
            filled = round(bar * self.parts.fraction)
            line.append(" ")
            line.append("━" * filled, style="magenta")
            line.append("━" * (bar - filled), style="grey35")
        for text in kept:
            line.append(" ")
            line.append(text, style="red" if text.endswith(" failed") and
                        not text.startswith("0 ") else "")
        yield line


class RichReporter(Reporter):
    """Live progress line (files, bytes, MB/s, ETA, workers, memory, failures) and a summary."""

    name = "rich"
    Options = RichOptions

    def __init__(self, options=None, console: Console | None = None) -> None:
        super().__init__(options)
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.live: Live | None = None
        self.line = ProgressLine()
        self.context: Any = None

    def start(self, context) -> None:
        from rich.live import Live

        self.context = context
        self.live = Live(self.line, console=self.console,
                         refresh_per_second=self.options.refresh_per_second, transient=False)
        self.live.start()
        # Before the first submission no worker is busy yet: no busy count to mislead.
        self.line.parts = line_parts(figures(context), busy=False)
        self.live.refresh()

    def heartbeat(self, context) -> None:
        # Drawn by Live's refresh thread, refresh_per_second times a second.
        if self.live is not None:
            self.line.parts = line_parts(figures(context))

    def file_done(self, result) -> None:
        if self.live is not None and self.context is not None:
            self.line.parts = line_parts(figures(self.context))
        if self.live is not None and result.status == "failed":
            reason = result.failures[0].reason if result.failures else ""
            self.live.console.print(f"[red]failed[/] {result.name}: {reason}")

    def final_figures(self, summary) -> Figures:
        """The last frame's figures: the summary's totals (memory from the last sample)."""
        last = figures(self.context) if self.context is not None else None
        done = summary.ok + summary.partial + summary.failed
        total_bytes = self.context.total_bytes if self.context is not None else summary.bytes
        return Figures(done=done, total=summary.files, bytes_done=summary.bytes,
                       bytes_total=total_bytes, elapsed=summary.elapsed, busy=0,
                       failed=summary.failed, rss=last.rss if last else 0,
                       available=last.available if last else 0)

    def finish(self, summary) -> None:
        from rich.table import Table

        if self.live is not None:
            self.line.parts = line_parts(self.final_figures(summary),
                                         final_elapsed=summary.elapsed)
            self.live.refresh()
            self.live.stop()
            self.live = None
        table = Table(title="orcapost run", show_header=True)
        for heading in ("files", "ok", "partial/unfinished", "failed", "data", "time", "MB/s"):
            table.add_column(heading, justify="right", no_wrap=True)
        rate = summary.bytes / 1e6 / summary.elapsed if summary.elapsed else 0.0
        table.add_row(str(summary.files), str(summary.ok), str(summary.partial),
                      str(summary.failed), human_bytes(summary.bytes),
                      f"{summary.elapsed:.1f} s", f"{rate:.1f}")
        self.console.print(table)
        if summary.failures:
            failures = Table(title="failures", show_header=True)
            for heading in ("file", "stage", "column", "reason"):
                failures.add_column(heading, overflow="fold")
            for failure in summary.failures[:30]:
                failures.add_row(failure.file, failure.stage, failure.column or "",
                                 failure.reason)
            self.console.print(failures)
        if summary.interrupted:
            self.console.print("[yellow]interrupted[/]: tables hold the files finished so far")
        if summary.warnings:
            self.console.print(
                f"[yellow]{summary.warnings} warning{'s' if summary.warnings > 1 else ''}[/] "
                "while files were read (from numpy, scipy or an extractor's checks): listed by "
                "file and column in the run report (orcapost report)", highlight=False)
        for path in summary.outputs:
            self.console.print(f"wrote {path}", overflow="fold")


@hookimpl
def orcapost_register_reporters(register):
    register(RichReporter)
