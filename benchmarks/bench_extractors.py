"""Benchmark: every extractor against the time it takes to read the data it needs.

Run: ``python benchmarks/bench_extractors.py [--samples 36000] [--files 2] [--repeat 3]``

One archive per file with 10 lines x 50 nodes (Effective Tension and Bend Moment along each
line, float32, a smooth narrow-band wave-frequency response like OrcaFlex's) and 20 result
columns over it: statistics at ends and arc lengths, range graphs over whole lines and ranges,
linked statistics, static values, Rayleigh and GPD extremes, fatigue at **every node** of every
line (DEL and Miner damage), a range histogram, metadata and a time-history export.

Per file it prints the **read time** (opening the archive and touching every array the columns
use, from the page cache: memory-mapped pages, as a run sees them after the OS has the file) next
to the time of each extractor, and each extractor's throughput in samples per second per core
(samples = samples in the period x series it reads; one thread, so per core). Timings are the
median of ``--repeat`` runs on a freshly opened file (no cached slices between runs).

Targets: statistics, range graphs and linked statistics at memory speed (within a small factor of
the read time: one vectorised pass per statistic, no per-node Python loop); rainflow counting
>= 20 M samples/s/core (the fatigue columns: turning points and counting, per node). The figures
are recorded in docs/extractors/benchmark.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from orcapost.archive import LineVariable, ObjectData, SimulationData, Stage, write_archive
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources.archive import ArchiveResultFile

LINES = 10
NODES = 50
DT = 0.1
VARIABLES = ("Effective Tension", "Bend Moment")


def narrow_band(n: int, rng: np.random.Generator, tp: float = 10.0) -> np.ndarray:
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, DT)
    wp = 2.0 * np.pi / tp
    amp = np.exp(-0.5 * ((omega - wp) / (0.12 * wp)) ** 2)
    return np.fft.irfft(amp * np.exp(1j * rng.uniform(0, 2 * np.pi, omega.size)), n)


def make_file(path: Path, samples: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    time_ = np.arange(samples) * DT - 10.0
    arcs = np.linspace(0.0, 500.0, NODES)
    objects = []
    for i in range(LINES):
        a, b = narrow_band(samples, rng), narrow_band(samples, rng, tp=14.0)
        a, b = a / a.std(), b / b.std()
        shape = np.sin(np.pi * arcs / 500.0)
        tension = (800.0 - arcs)[None, :] + 40.0 * (a[:, None] * (1.0 - 0.5 * shape)
                                                    + 0.3 * b[:, None] * shape)
        moment = 50.0 * (a[:, None] * shape + 0.5 * b[:, None] * np.cos(np.pi * arcs / 250.0))
        objects.append(ObjectData(
            f"Line{i + 1:02d}", "Line",
            [LineVariable("Effective Tension", "kN", tension.astype(np.float32),
                          static=800.0 - arcs),
             LineVariable("Bend Moment", "kN.m", moment.astype(np.float32),
                          static=np.zeros(NODES))],
            arc_lengths=arcs,
        ))
    sim = SimulationData(time=time_, stages=[Stage(0, -10.0, 0.0), Stage(1, 0.0, time_[-1])],
                         objects=objects, load_case={"Hs": 4.0, "heading": 0.0, "seed": seed},
                         sample_interval=DT, generator="bench_extractors")
    return write_archive(path, sim)


def columns() -> list[dict]:
    """20 result columns over every line ("Line*")."""
    t, m = "Effective Tension", "Bend Moment"
    line = {"object": "Line*"}
    return [
        {"label": "top T", "kind": "statistics", **line, "variable": t, "position": "End A",
         "statistics": ["max", "min", "mean", "std"]},
        {"label": "bottom T", "kind": "statistics", **line, "variable": t, "position": "End B",
         "statistics": ["max", "min"]},
        {"label": "T at 120", "kind": "statistics", **line, "variable": t,
         "position": {"arc_length": 120.0}, "statistics": ["max", "p99"]},
        {"label": "top M", "kind": "statistics", **line, "variable": m, "position": "End A",
         "statistics": ["abs_max", "rms"]},
        {"label": "T envelope", "kind": "range_graph", **line, "variable": t,
         "statistics": ["max", "min", "mean", "std"], "with_arc_length": True},
        {"label": "M envelope", "kind": "range_graph", **line, "variable": m,
         "statistics": ["max", "min"], "with_arc_length": True, "envelope_output": True},
        {"label": "T 100-300", "kind": "range_graph", **line, "variable": t,
         "arc_length": [100.0, 300.0], "statistics": ["max"]},
        {"label": "M 0-100", "kind": "range_graph", **line, "variable": m,
         "arc_length": [0.0, 100.0], "statistics": ["max", "min", "mean", "std"]},
        {"label": "top linked", "kind": "linked_statistics", **line, "variable": t,
         "position": "End A", "linked": [m]},
        {"label": "bottom linked", "kind": "linked_statistics", **line, "variable": m,
         "position": "End B", "linked": [t]},
        {"label": "static T", "kind": "static", **line, "variable": t, "position": "End A"},
        {"label": "static M", "kind": "static", **line, "variable": m,
         "position": {"arc_length": 250.0}},
        {"label": "top T MPM", "kind": "extremes", **line, "variable": t, "position": "End A"},
        {"label": "bottom T MPM", "kind": "extremes", **line, "variable": t,
         "position": "End B", "tail": "lower"},
        {"label": "top T GPD", "kind": "extremes", **line, "variable": t, "position": "End A",
         "method": "gpd", "threshold_quantile": 0.98},
        {"label": "T DEL", "kind": "fatigue", **line, "variable": t, "m": 3.0,
         "with_arc_length": True},
        {"label": "M damage", "kind": "fatigue", **line, "variable": m,
         "sn_curve": "DNV-RP-C203:F:seawater-cp", "stress_factor": 0.5,
         "with_arc_length": True},
        {"label": "top T histogram", "kind": "fatigue", **line, "variable": t,
         "position": "End A", "outputs": ["cycles"], "bins": 20},
        {"label": "{key}", "kind": "metadata", "keys": ["Hs", "heading", "seed"],
         "pattern": r"file(?P<index>\d+)"},
        {"label": "top T history", "kind": "time_history", **line, "variable": t,
         "position": "End A", "resample": 0.5},
    ]


def series_read(column: dict, samples: int) -> int:
    """How many series of ``samples`` values a column reads."""
    kind = column["kind"]
    if kind == "metadata":
        return 0
    whole_line = column.get("position") is None and kind in ("range_graph", "fatigue")
    nodes = NODES if whole_line else 1
    if kind == "range_graph" and isinstance(column.get("arc_length"), list):
        s0, s1 = column["arc_length"]
        nodes = int(np.sum((np.linspace(0, 500, NODES) >= s0) & (np.linspace(0, 500, NODES) <= s1)))
    if kind == "linked_statistics":
        nodes = 1 + len(column["linked"])
    if kind == "static":
        return 0
    return LINES * nodes


def read_time(path: Path) -> float:
    """Open the archive and touch every line array (what a run must at least do)."""
    started = time.perf_counter()
    with ArchiveResultFile(path) as file:
        for i in range(LINES):
            for var in VARIABLES:
                _, grid = file.raw_line_values(f"Line{i + 1:02d}", var)
                np.add.reduce(grid, axis=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=36_000, help="samples per file (1 h at 0.1 s)")
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None, help="folder for the archives")
    args = parser.parse_args()

    pm = get_plugin_manager(entry_points=False)
    registry = pm.registry
    specs = columns()
    built = []
    for spec in specs:
        entry = registry.get("extractor", spec["kind"])
        options = entry.cls.Options.model_validate({k: v for k, v in spec.items() if k != "kind"})
        built.append((spec, entry.cls(options), options))

    folder = args.data or Path(tempfile.mkdtemp(prefix="orcapost-bench-extractors-"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(args.files):
        path = folder / f"file{k + 1:03d}.arrow"
        if not path.exists():
            make_file(path, args.samples, seed=k + 1)
        paths.append(path)
    size = paths[0].stat().st_size
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} logical CPUs; {args.files} files of {size / 1e6:.0f} MB "
          f"({LINES} lines x {NODES} nodes x {len(VARIABLES)} variables x {args.samples} "
          f"samples, float32); median of {args.repeat} runs")

    # Warm-up: page cache and numba (compile or load the cache) outside the timings.
    for path in paths:
        read_time(path)
        with ArchiveResultFile(path) as file:
            for _, extractor, options in built:
                extractor.extract(file, options)

    totals = {spec["label"]: [] for spec in specs}
    for path in paths:
        reads = [read_time(path) for _ in range(args.repeat)]
        read = statistics.median(reads)
        data_bytes = LINES * len(VARIABLES) * NODES * args.samples * 4
        print(f"\n{path.name}: read {read * 1e3:8.1f} ms  ({data_bytes / read / 1e9:5.2f} GB/s, "
              f"{LINES * len(VARIABLES) * NODES * args.samples / read / 1e6:7.0f} M samples/s)")
        print(f"  {'column':<18} {'kind':<18} {'ms':>9} {'x read':>7} {'M samples/s/core':>17}")
        for spec, extractor, options in built:
            times = []
            for _ in range(args.repeat):
                with ArchiveResultFile(path) as file:
                    started = time.perf_counter()
                    extractor.extract(file, options)
                    times.append(time.perf_counter() - started)
            spent = statistics.median(times)
            totals[spec["label"]].append(spent)
            samples = series_read(spec, args.samples) * args.samples
            rate = f"{samples / spent / 1e6:17.0f}" if samples else f"{'-':>17}"
            print(f"  {spec['label']:<18} {spec['kind']:<18} {spent * 1e3:9.2f} "
                  f"{spent / read:7.2f} {rate}")
        total = sum(t[-1] for t in totals.values())
        print(f"  {'all 20 columns':<37} {total * 1e3:9.2f} {total / read:7.2f}")


if __name__ == "__main__":
    main()
