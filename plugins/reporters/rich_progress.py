"""The ``rich`` reporter: a live progress bar and a final summary table, for a terminal.

``engine.progress: auto`` (the default) picks it only when stderr is a terminal, as pytest
registers its terminal progress only on a TTY; CI logs and batch jobs get ``plain`` lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orcapost.api import Reporter, StrictModel, hookimpl
from orcapost.plugins.reporters._figures import figures, human_bytes
from pydantic import Field

if TYPE_CHECKING:  # rich loads with the first run that shows it, not with `orcapost --help`
    from rich.console import Console
    from rich.progress import Progress


class RichOptions(StrictModel):
    refresh_per_second: float = Field(default=4.0, gt=0, le=30,
                                      description="Screen refreshes per second.")


class RichReporter(Reporter):
    """Live progress bar (files, bytes, MB/s, ETA, workers, memory, failures) and a summary."""

    name = "rich"
    Options = RichOptions

    def __init__(self, options=None, console: Console | None = None) -> None:
        super().__init__(options)
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None

    def start(self, context) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[files]}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=self.console,
            refresh_per_second=self.options.refresh_per_second,
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("files", total=context.total_bytes or 1,
                                           files="", status="")
        self.heartbeat(context)

    def heartbeat(self, context) -> None:
        if self.progress is None:
            return
        f = figures(context)
        failed = f"[red]{f.failed} failed[/]" if f.failed else "0 failed"
        self.progress.update(
            self.task, completed=f.bytes_done,
            files=f"{f.done}/{f.total} files",
            status=(f"{f.busy} busy  RSS {human_bytes(f.rss)}  "
                    f"free {human_bytes(f.available)}  {failed}"),
        )

    def file_done(self, result) -> None:
        if self.progress is not None and result.status == "failed":
            reason = result.failures[0].reason if result.failures else ""
            self.progress.console.print(f"[red]failed[/] {result.name}: {reason}")

    def finish(self, summary) -> None:
        from rich.table import Table

        if self.progress is not None:
            self.progress.stop()
        table = Table(title="orcapost run", show_header=True)
        for heading in ("files", "ok", "partial/unfinished", "failed", "data", "time", "MB/s"):
            table.add_column(heading, justify="right")
        rate = summary.bytes / 1e6 / summary.elapsed if summary.elapsed else 0.0
        table.add_row(str(summary.files), str(summary.ok), str(summary.partial),
                      str(summary.failed), human_bytes(summary.bytes),
                      f"{summary.elapsed:.1f} s", f"{rate:.1f}")
        self.console.print(table)
        if summary.failures:
            failures = Table(title="failures", show_header=True)
            for heading in ("file", "stage", "column", "reason"):
                failures.add_column(heading)
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
            self.console.print(f"wrote {path}")


@hookimpl
def orcapost_register_reporters(register):
    register(RichReporter)
