"""Live figures the reporters share: rates, ETA, memory."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    done: int
    total: int
    bytes_done: int
    bytes_total: int
    elapsed: float
    busy: int
    failed: int
    rss: int
    available: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes_done / 1e6 / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.bytes_done <= 0 or self.elapsed <= 0:
            return None
        rate = self.bytes_done / self.elapsed
        return max(0.0, (self.bytes_total - self.bytes_done) / rate)


def figures(context) -> Figures:
    # The monitor's latest sample (memory with the workers', read in its own thread); psutil
    # is read here only when there is none (a context outside an engine run).
    sample = context.sample or {}
    if "rss" in sample and "available" in sample:
        rss, available = int(sample["rss"]), int(sample["available"])
    else:
        from orcapost.api import available_memory, process_rss

        rss, available = process_rss(), available_memory()
    return Figures(
        done=context.done, total=context.total_files, bytes_done=context.bytes_done,
        bytes_total=context.total_bytes, elapsed=context.elapsed, busy=context.in_flight,
        failed=context.failed, rss=rss, available=available,
    )


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def summary_lines(summary) -> list[str]:
    lines = [
        f"{summary.files} files: {summary.ok} ok, {summary.partial} partial or unfinished, "
        f"{summary.failed} failed in {summary.elapsed:.1f} s "
        f"({human_bytes(summary.bytes)}, "
        f"{summary.bytes / 1e6 / summary.elapsed if summary.elapsed else 0:.1f} MB/s)"
    ]
    result_set = summary.result_set
    if result_set and result_set.get("kept"):
        lines.append(f"{result_set['kept']}; fix the inputs and run again (their tables "
                     "then replace the published set)")
    elif result_set and not result_set.get("complete", True):
        lines.append(
            f"{'interrupted' if summary.interrupted else 'incomplete'}: the "
            f"{result_set.get('files', 0)} files finished are in {result_set.get('directory')} "
            f"({len(result_set.get('missing', []))} missing, no campaign tables); the last "
            "complete tables are untouched; `orcapost run --resume` finishes the set")
    elif result_set.get("unchanged"):
        lines.append(
            "tables unchanged: nothing they are made of changed (config, versions, every "
            f"file) and the {len(result_set.get('tables') or ())} published files are as "
            "written, so none was rebuilt or rewritten (see reused in the run report)")
    elif summary.interrupted:
        lines.append("interrupted: the tables hold the files finished before the interruption")
    debug = bool(os.environ.get("ORCAPOST_DEBUG"))
    for failure in summary.failures[:20]:
        column = f" [{failure.group}/{failure.column}]" if failure.column else ""
        lines.append(f"  {failure.stage} failed: {failure.file}{column}: {failure.reason}")
        if debug and failure.traceback:  # a bug's traceback (also in the run report)
            lines.extend("    " + line for line in failure.traceback.rstrip().splitlines())
    if len(summary.failures) > 20:
        lines.append(f"  ... and {len(summary.failures) - 20} more (see the failures table)")
    warned = summary.warnings
    if warned:
        lines.append(f"{warned} warning{'s' if warned > 1 else ''} while files were read (from "
                     "numpy, scipy or an extractor's checks): listed by file and column in the "
                     "run report (orcapost report)")
    for path in summary.outputs:
        lines.append(f"wrote {path}")
    return lines


#: The figures of the live line, in the order they are dropped when the line is too wide for
#: the terminal (first dropped first). The file count and a failure count are never dropped;
#: the bar shrinks to BAR_MIN before any figure goes, and goes last.
DROP_ORDER = ("free", "rss", "bytes", "rate", "busy", "eta")
BAR_MIN, BAR_MAX = 10, 40


@dataclass(frozen=True)
class LineParts:
    """The live line's texts: ``files`` then the bar, then ``figures`` by name, in order."""

    files: str
    fraction: float
    figures: dict[str, str]


def line_parts(f: Figures, final_elapsed: float | None = None, busy: bool = True) -> LineParts:
    """The texts of the progress line for ``f``; ``final_elapsed`` (the run's time) makes it
    the last frame: ``done in ...`` instead of an ETA, no busy count (nor with ``busy``
    false: the frame before the first file starts)."""
    rate = (f.bytes_done / 1e6 / final_elapsed if final_elapsed else f.mb_per_s)
    figures = {
        "bytes": f"{human_bytes(f.bytes_done)}/{human_bytes(f.bytes_total)}",
        "rate": f"{rate:.1f} MB/s",
        "eta": (f"done in {final_elapsed:.1f} s" if final_elapsed is not None
                else f"ETA {human_seconds(f.eta)}"),
        "busy": f"{f.busy} busy",
        "rss": f"RSS {human_bytes(f.rss)}",
        "free": f"free {human_bytes(f.available)}",
        "failed": f"{f.failed} failed",
    }
    if final_elapsed is not None or not busy:
        del figures["busy"]
    if not f.failed:
        del figures["failed"]
    fraction = (f.bytes_done / f.bytes_total if f.bytes_total else
                (f.done / f.total if f.total else 1.0))
    return LineParts(f"{f.done}/{f.total} files", min(1.0, max(0.0, fraction)), figures)


def fit_line(parts: LineParts, width: int) -> tuple[int, list[str]]:
    """The bar's width (0: no bar) and the figures that fit in ``width`` columns with the
    file count, dropping figures in :data:`DROP_ORDER` (never the file or failure count)."""
    kept = dict(parts.figures)

    def used(bar: int) -> int:
        texts = [parts.files, *kept.values()]
        return sum(len(t) for t in texts) + len(texts) - 1 + (bar + 1 if bar else 0)

    for name in (None, *DROP_ORDER):
        if name is not None:
            kept.pop(name, None)
        if used(BAR_MIN) <= width:
            return min(BAR_MAX, BAR_MIN + width - used(BAR_MIN)), list(kept.values())
    return 0, list(kept.values())
