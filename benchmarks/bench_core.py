"""Benchmark: orcapost's overhead against minimal scripts doing the same work.

Run: ``python benchmarks/bench_core.py [--data DIR] [--size-gb 2] [--threads 2]
[--tiny-files 5000] [--repeat 3] [--case large|tiny|both] [--memory-map]``

Two cases, both on data in ``--data`` (default ``bench-data/`` beside the repository; written on
the first run and reused):

- **large**: a demo campaign of 24 files totalling ``--size-gb`` GB. orcapost computes min, max,
  mean and std of every variable (time-domain variables, and line variables at End A and End B)
  over the whole simulation, with the fixed policy at ``--threads``. The reference is a minimal
  numpy script computing the same statistics over the same memory-mapped arrays, with a thread
  pool of the same size. Target: orcapost <= 1.25x the script.
- **tiny**: ``--tiny-files`` archives of about 10 KB (a vessel's 6 DOF and the wave elevation).
  orcapost runs its defaults (fixed policy, 15 threads); the reference is a bare serial loop that
  opens each file and computes the same statistics. Target: orcapost <= 1.5x the loop.

orcapost reads archives column by column into memory (the archive source's default); with
``--memory-map`` it memory-maps them (``memory_map: true``), as the reference does.

orcapost runs in-process through its engine (config validation, discovery, the journal, the tables
written as CSV: everything but interpreter start-up). Both sides read from the page cache (the data
was just written or read); each measurement is the median of ``--repeat`` runs, alternating
orcapost and the reference so drift in the machine affects both. The numbers printed are what
docs/benchmarks.md records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive
from orcapost.config import validate_data
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.pluginmanager import get_plugin_manager

REPO = Path(__file__).resolve().parents[1]


def child_env() -> dict[str, str]:
    """The environment of measured child processes: bytecode caching on, as after a pip
    install. With PYTHONDONTWRITEBYTECODE set (some shells and CI images set it) every run
    compiles orcapost's changed sources again (~0.15-0.2 s in each process, worker processes
    too), which no installed orcapost pays."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

STATS = ["min", "max", "mean", "std"]


# -- data ----------------------------------------------------------------------------------------


def large_campaign(root: Path, size_gb: float) -> Path:
    directory = root / f"large-{size_gb:g}GB"
    marker = directory / ".complete"
    if not marker.exists():
        spec = DemoSpec(file_size=int(size_gb * 1e9 / 24))
        print(f"writing 24 demo files of {spec.file_size / 1e6:.0f} MB to {directory} ...")
        write_campaign(directory, spec)
        marker.touch()
    return directory


def tiny_campaign(root: Path, count: int) -> Path:
    directory = root / f"tiny-{count}"
    marker = directory / ".complete"
    if not marker.exists():
        print(f"writing {count} files of about 10 KB to {directory} ...")
        directory.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(7)
        samples = 300
        time_axis = (np.arange(samples) - 20) * 0.5
        for index in range(count):
            noise = rng.standard_normal((7, samples)).astype(np.float32)
            sim = SimulationData(
                time=time_axis,
                stages=[Stage(0, float(time_axis[0]), 0.0), Stage(1, 0.0, float(time_axis[-1]))],
                objects=[
                    ObjectData("Environment", "Environment",
                               [TimeVariable("Elevation", "m", noise[0])]),
                    ObjectData("FPSO", "Vessel", [
                        TimeVariable(dof, unit, noise[k + 1]) for k, (dof, unit) in enumerate(
                            [("Surge", "m"), ("Sway", "m"), ("Heave", "m"), ("Roll", "deg"),
                             ("Pitch", "deg"), ("Yaw", "deg")])]),
                ],
                load_case={"load_case": index + 1}, sample_interval=0.5, generator="bench",
            )
            write_archive(directory / f"case{index:05d}.arrow", sim)
        marker.touch()
    return directory


# -- what is computed ------------------------------------------------------------------------------


def targets(directory: Path) -> list[tuple[str, str, str | None]]:
    """(object, variable, position) for every variable of the campaign's first file."""
    first = min(directory.glob("*.arrow"))
    with pa.memory_map(str(first)) as source:
        header = json.loads(pa.ipc.open_file(source).schema.metadata[b"orcapost.archive"])
    found = []
    for obj in header["objects"]:
        for var in obj["variables"]:
            positions = ["End A", "End B"] if var["along_line"] else [None]
            found += [(obj["name"], var["name"], position) for position in positions]
    return found


#: The archive source's options for orcapost's runs (``--memory-map`` sets ``memory_map``).
SOURCE_OPTIONS: dict = {}


def config(directory: Path, output: Path, threads: int | None) -> dict:
    columns = []
    for obj, var, position in targets(directory):
        column = {"label": f"{obj} {var} {position or ''}".strip(), "kind": "statistics",
                  "object": obj, "variable": var, "statistics": STATS}
        if position:
            column["position"] = position
        columns.append(column)
    engine = {"thread_policy": {"name": "fixed", "threads": threads}} if threads else {}
    inputs: dict = {"directory": str(directory)}
    if SOURCE_OPTIONS:
        inputs["sources"] = [{"name": "archive", **SOURCE_OPTIONS}]
    return {"version": 2, "inputs": inputs, "engine": engine,
            "results": {"all": {"columns": columns}},
            "outputs": {"directory": str(output), "formats": ["csv"]}}


def run_orcapost(directory: Path, threads: int | None) -> float:
    pm = get_plugin_manager(entry_points=False)
    with tempfile.TemporaryDirectory() as output:
        loaded = validate_data(config(directory, Path(output), threads), pm.registry)
        reporter = pm.registry.get("reporter", "silent").cls()
        started = time.perf_counter()
        summary = Engine(pm, loaded, reporter=reporter).run()
        elapsed = time.perf_counter() - started
    assert summary.exit_code == 0, summary
    return elapsed


def _file_statistics(path: Path, wanted: list[tuple[str, str, str | None]]) -> list[float]:
    """The minimal script: memory-map, take zero-copy views, compute, close."""
    out = []
    with pa.memory_map(str(path)) as source:
        batch = pa.ipc.open_file(source).get_batch(0)
        times = batch.column("time").to_numpy()
        start = int(np.searchsorted(times, 0.0 - 1e-9))
        for obj, var, position in wanted:
            column = batch.column(f"{obj}/{var}")
            if position is None:
                values = column.to_numpy()[start:]
            else:
                grid = column.values.to_numpy().reshape(len(column), -1)
                values = grid[start:, 0 if position == "End A" else -1]
            out += [float(values.min()), float(values.max()),
                    float(values.mean(dtype=np.float64)), float(values.std(dtype=np.float64))]
    return out


def run_script(directory: Path, threads: int) -> float:
    wanted = targets(directory)
    files = sorted(directory.glob("*.arrow"))
    started = time.perf_counter()
    if threads == 1:
        rows = [_file_statistics(path, wanted) for path in files]
    else:
        with ThreadPoolExecutor(threads) as pool:
            rows = list(pool.map(lambda p: _file_statistics(p, wanted), files))
    elapsed = time.perf_counter() - started
    assert len(rows) == len(files)
    return elapsed


def compare(name: str, directory: Path, orcapost_threads: int | None, script_threads: int,
            repeat: int, target: float) -> dict:
    files = sorted(directory.glob("*.arrow"))
    total = sum(p.stat().st_size for p in files)
    run_script(directory, script_threads)  # warm the page cache and the imports
    run_orcapost(directory, orcapost_threads)
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(run_orcapost(directory, orcapost_threads))
        theirs.append(run_script(directory, script_threads))
    a, b = statistics.median(ours), statistics.median(theirs)
    row = {"case": name, "files": len(files), "bytes": total,
           "memory_map": bool(SOURCE_OPTIONS.get("memory_map")),
           "orcapost_threads": orcapost_threads or 15, "reference_threads": script_threads,
           "orcapost_s": a, "reference_s": b, "ratio": a / b, "target": target,
           "orcapost_MBps": total / a / 1e6, "columns": len(targets(directory)) * len(STATS)}
    print(f"{name:>5}{' (memory-mapped)' if row['memory_map'] else ''}: {len(files)} files, {total / 1e9:.2f} GB, {row['columns']} statistics "
          f"per file | orcapost {a:.2f} s ({row['orcapost_MBps']:.0f} MB/s) | reference "
          f"{b:.2f} s | ratio {row['ratio']:.2f} (target <= {target}) "
          f"{'OK' if row['ratio'] <= target else 'MISSED'}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench-data")
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--tiny-files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", choices=["large", "tiny", "both"], default="both")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--memory-map", action="store_true",
                        help="orcapost memory-maps the archives (archive source memory_map).")
    args = parser.parse_args()
    if args.memory_map:
        SOURCE_OPTIONS["memory_map"] = True
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}")
    rows = []
    if args.case in ("large", "both"):
        directory = large_campaign(args.data, args.size_gb)
        rows.append(compare("large", directory, args.threads, args.threads, args.repeat, 1.25))
    if args.case in ("tiny", "both"):
        directory = tiny_campaign(args.data, args.tiny_files)
        rows.append(compare("tiny", directory, None, 1, args.repeat, 1.5))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
