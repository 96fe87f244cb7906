"""The ``plain`` reporter: periodic one-line progress, for CI logs and batch jobs."""

from __future__ import annotations

import sys
import time

from orcapost.api import Reporter, StrictModel, hookimpl
from orcapost.plugins.reporters._figures import (
    figures,
    human_bytes,
    human_seconds,
    summary_lines,
)
from pydantic import Field


class PlainOptions(StrictModel):
    interval: float = Field(default=10.0, gt=0, description="Seconds between progress lines.")


class PlainReporter(Reporter):
    """Plain progress lines every few seconds and a summary (for logs; no terminal needed)."""

    name = "plain"
    Options = PlainOptions

    def __init__(self, options=None, stream=None) -> None:
        super().__init__(options)
        self.stream = stream or sys.stderr
        self._last = 0.0

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, context) -> None:
        self._last = time.monotonic()
        self._print(f"orcapost: {context.total_files} files, {human_bytes(context.total_bytes)}, "
                    f"{context.concurrency} at once ({context.executor})")

    def heartbeat(self, context) -> None:
        now = time.monotonic()
        if now - self._last >= self.options.interval:
            self._last = now
            self._line(context)

    def _line(self, context) -> None:
        f = figures(context)
        self._print(
            f"[{f.done}/{f.total}] {human_bytes(f.bytes_done)} of {human_bytes(f.bytes_total)}, "
            f"{f.mb_per_s:.1f} MB/s, ETA {human_seconds(f.eta)}, {f.busy} busy, "
            f"RSS {human_bytes(f.rss)}, available {human_bytes(f.available)}, "
            f"{f.failed} failed"
        )

    def finish(self, summary) -> None:
        for line in summary_lines(summary):
            self._print(line)


@hookimpl
def orcapost_register_reporters(register):
    register(PlainReporter)
