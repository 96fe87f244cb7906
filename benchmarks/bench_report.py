"""Benchmark: the HTML report of a large campaign (``orcapost report RESULTS --html``).

Run: ``python benchmarks/bench_report.py [--files 1000] [--groups 10] [--repeat 3]``

Synthesises the tables of a campaign of ``--files`` files in ``--groups`` result groups
(Parquet, as a run writes them): each group one row per file with load-case keys (heading x Hs x
seed) and 20 value columns; three groups with a range-graph envelope table (100 nodes per file),
one with a rainflow range histogram (20 bins per file), one with an extremes sample (20 peaks
per file), one with a long time history (400 samples per file); and a run report with 600 monitor samples. Then it times the report with its
default figures (per group a heat map and a Gumbel probability plot, one envelope plot per
envelope table with every load case, the histogram, the time histories, the timeline) and
prints the median of ``--repeat`` runs, the figure count and the page size. The target
(issue 15): 1,000 files x 10 groups in at most 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def _cases(files: int) -> dict[str, np.ndarray]:
    headings = np.arange(0.0, 360.0, 30.0)  # 12 headings
    heights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])  # 8 sea states
    index = np.arange(files)
    return {"file": np.array([f"LC{i + 1:05d}.sim" for i in index]),
            "status": np.array(["ok"] * files),
            "heading": headings[index % headings.size],
            "Hs": heights[(index // headings.size) % heights.size],
            "seed": (index // (headings.size * heights.size) + 1).astype(np.int64)}


def synthesise(folder: Path, files: int, groups: int, rng: np.random.Generator) -> None:
    cases = _cases(files)
    response = 1.0 + cases["Hs"] * (1.2 + np.cos(np.radians(cases["heading"])))
    unit = {b"unit": b"kN"}
    for g in range(groups):
        columns = dict(cases)
        for c in range(20):
            columns[f"Line{c + 1} tension max"] = 1000 + 80 * response * rng.gumbel(1, 0.2, files)
        table = pa.table(columns)
        table = table.cast(pa.schema([f.with_metadata(unit) if "tension" in f.name else f
                                      for f in table.schema]))
        pq.write_table(table, folder / f"group{g:02d}.parquet")
        if g < 3:  # range-graph envelopes, 100 nodes per file
            nodes = np.arange(0.0, 500.0, 5.0)
            shape = np.exp(-nodes / 300.0)
            peak = (400 + 50 * response[:, None] * shape[None, :]).ravel()
            pq.write_table(pa.table({
                "file": np.repeat(cases["file"], nodes.size),
                "object": np.array(["Riser"] * (files * nodes.size)),
                "variable": np.array(["Effective Tension"] * (files * nodes.size)),
                "arc_length": np.tile(nodes, files),
                "max": peak, "min": peak - 300 * np.tile(shape, files)}),
                folder / f"group{g:02d}_Riser_tension_envelope.parquet")
        if g == 3:  # rainflow range histogram, 20 bins per file
            edges = np.linspace(0.0, 200.0, 21)
            pq.write_table(pa.table({
                "file": np.repeat(cases["file"], 20),
                "object": np.array(["Riser"] * (files * 20)),
                "variable": np.array(["Bend Moment"] * (files * 20)),
                "arc_length": np.full(files * 20, 350.0),
                "range_low": np.tile(edges[:-1], files), "range_high": np.tile(edges[1:], files),
                "cycles": np.tile(1e4 * np.exp(-edges[:-1] / 20.0), files)}),
                folder / f"group{g:02d}_Riser_TDZ_fatigue_range_histogram.parquet")
        if g == 5:  # an extremes sample (sample_output), 20 peaks per file
            peaks = 3.0 + rng.exponential(0.8, files * 20)
            pq.write_table(pa.table({
                "file": np.repeat(cases["file"], 20), "object": ["FPSO"] * (files * 20),
                "variable": ["Heave"] * (files * 20), "method": ["gpd"] * (files * 20),
                "tail": ["upper"] * (files * 20), "value": peaks,
                "shape": np.full(files * 20, 0.05), "scale": np.full(files * 20, 0.8),
                "loc": np.full(files * 20, np.nan), "threshold": np.full(files * 20, 3.0)}),
                folder / f"group{g:02d}_Heave_POT_extremes_sample.parquet")
        if g == 4:  # long time history, 400 samples per file from the build-up
            t = np.arange(-10.0, 190.0, 0.5)
            pq.write_table(pa.table({
                "file": np.repeat(cases["file"], t.size),
                "time": np.tile(t, files),
                "Heave": (np.sin(0.6 * t)[None, :] * response[:, None]).ravel()}),
                folder / f"group{g:02d}_Heave_time_history.parquet")
    samples = [{"t": 0.5 * i, "cpu_percent": 180.0, "rss": 4e8 + 1e6 * i,
                "available": 2e10 - 1e6 * i, "read_rate": 3e8} for i in range(600)]
    report = {"report_version": 1, "orcapost": "bench", "finished_at": "now",
              "settings": {"config": "bench.yml", "thread_policy": {"name": "adaptive"}},
              "summary": {"files": files, "ok": files, "failed": 0, "partial": 0,
                          "bytes": files * 10**8, "elapsed": 300.0,
                          "files_per_second": files / 300.0},
              "decisions": [{"at": 0.0, "after_files": 0, "from": None, "to": 4,
                             "policy": "adaptive", "reason": "initial concurrency"},
                            {"at": 40.0, "after_files": 120, "from": 4, "to": 8,
                             "policy": "adaptive", "reason": "throughput rose"}],
              "memory": {"peak_rss": 1e9, "min_available": 1e10}, "phases": {}, "files": [],
              "failures": [], "plugin_errors": [], "samples": samples}
    (folder / "orcapost-run.json").write_text(json.dumps(report), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from orcapost.api import ReportConfig, read_report
    from orcapost.plugins.commands.report_html import write_html

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthesise(folder, args.files, args.groups, np.random.default_rng(15))
        report = read_report(folder)
        times, cpu = [], []
        for _ in range(args.repeat):
            started, used = time.perf_counter(), time.process_time()
            page, figures, failed = write_html(folder, report, ReportConfig(),
                                               folder / "report.html")
            assert not failed, failed
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        size = page.stat().st_size
    print(f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"campaign: {args.files} files x {args.groups} groups (3 envelope tables of "
          f"{args.files * 100} rows, a histogram, a time history of {args.files * 400} rows)")
    print(f"report: {figures} figures, {size / 1e6:.2f} MB page; first run (matplotlib imported "
          f"in it, as in a fresh `orcapost report`) {times[0]:.2f} s; median "
          f"{statistics.median(times):.2f} s (best {min(times):.2f} s) over {args.repeat} runs; "
          "target <= 10 s")
    # CPU time: what the report costs whatever else the machine runs (one thread throughout).
    print(f"CPU time: first run {cpu[0]:.2f} s, median {statistics.median(cpu):.2f} s")


if __name__ == "__main__":
    main()
