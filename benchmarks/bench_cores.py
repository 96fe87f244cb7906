"""Benchmark: does the default use every core? The default engine against ``--threads 1``.

Run: ``python benchmarks/bench_cores.py [--campaigns 200x3MB,400x3MB,2x1GB] [--runs 5]
[--data DIR] [--memory-map]``

For each campaign (demo archives from ``orcapost.demo``, written once into ``--data``, default
a temporary folder) the shipped demo config (``configs/demo.yml``, inputs and outputs pointed at
the campaign) runs as a **whole process** (``python -m orcapost run CONFIG -q``: imports,
plugins, discovery, files, tables, report), alternately with the default engine (the
``threads`` executor with ``processes: auto``: worker processes beside a thread of the
coordinator, started as the command line is parsed), 15 threads alone (``processes: 0``, the
default before issue 17) and ``--threads 1``, ``--runs`` times each (rounded up to an even
number), interleaved, so a machine whose load changes during the benchmark changes every mode
alike, in an order in which every mode follows every other equally often
(:func:`balanced_order`: on some hosts a run's time depends on the run before it), after one
untimed warm-up run. Printed per campaign and
mode: the median wall time, the median CPU time of the process and its children (user +
system: worker processes included; not measured on Windows, where it prints 0) and the
median system (kernel) time within it, the ratio of
the medians (one worker / the mode: above 1, the mode is faster; issue 17 asks >= 1.7x for the
default on 2 cores), the files the worker processes ran and when their first file started
(medians, from the run report), and whether every table (CSV and Parquet) has the same bytes
in every mode. After each campaign it prints how many cores the machine gave just then: two
busy pure-Python processes against one (2.0 on an idle 2-core machine; on a shared machine the
default's gain is bounded by it), and the one-worker run's serial part (medians, from its run
report: launch to the first file opened, the first file's warm-up beyond the median file, the
last file closed to the process's end) with Amdahl's bound: the most any engine could be
faster than one worker on this machine's cores with that part left serial. Last, the serial
part the target allows with that campaign's file work, against a bare process's time (printed
first: Python with numpy and pyarrow imported and one cached numba kernel called, no orcapost
code), and the same process writing the campaign's tables (the one-worker run's, read from
its Parquet files, written again as CSV and Parquet by pyarrow; the reading not counted): a
floor under the serial part of any engine that reads with pyarrow, counts with numba and writes
these tables, so where it exceeds the allowance no such engine can reach the target here.

``--memory-map`` has every mode read the archives in place (the archive source's
``memory_map: true``) instead of into memory, the default. On a host that gives back the memory
a guest frees (free page reporting, common on cloud VMs), fresh pages cost seconds of system
time a run, and a mapped file's pages are the page cache's: compare the system-time column.

The machine this runs on may be shared: ratios within one run of this script are what count,
not the absolute seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from orcapost.demo import DemoSpec, write_campaign
from pydantic import ByteSize, TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import child_env  # noqa: E402  (beside this script)
from run_order import balanced_order  # noqa: E402

SIZE = TypeAdapter(ByteSize)
LAST_LAUNCH = 0.0  # when the last run's process was launched (epoch seconds)
#: (name, command-line options, engine.executor of the config or None for the shipped one).
MODES = (("default", [], None),
         ("15 threads", [], {"name": "threads", "processes": 0}),
         ("--threads 1", ["--threads", "1"], None))
#: What issue 17 asks of the default on 2 cores: at least this many times one worker's speed.
TARGET = 1.7


def campaign(root: Path, files: int, size: int) -> Path:
    directory = root / f"campaign-{files}x{size}"
    if not directory.is_dir() or len(list(directory.glob("*.arrow"))) != files:
        write_campaign(directory, DemoSpec(file_size=size), files=files)
    return directory


def config_for(inputs: Path, output: Path, executor: dict | None = None,
               memory_map: bool = False) -> Path:
    """The demo config pointed at ``inputs`` and ``output``, with ``executor`` (None: the
    shipped one) and, with ``memory_map``, the archives read in place."""
    import orcapost.configs

    config = yaml.safe_load((Path(orcapost.configs.__file__).parent / "demo.yml")
                            .read_text(encoding="utf-8"))
    config["inputs"]["directory"] = str(inputs)
    if memory_map:
        config["inputs"]["sources"] = [{"name": "archive", "memory_map": True}]
    config["outputs"]["directory"] = str(output)
    if executor is not None:
        config["engine"]["executor"] = executor
    path = output.parent / f"{output.name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def children_cpu() -> tuple[float, float]:
    """CPU seconds (user + system) and system seconds of the children waited for so far."""
    times = os.times()
    return times.children_user + times.children_system, times.children_system


#: The measured processes' environment (bytecode caching on: bench_core.child_env).
CHILD_ENV = child_env()


def run_once(config: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall, CPU and system seconds of one whole-process run."""
    global LAST_LAUNCH
    LAST_LAUNCH = time.time()
    (cpu, system), wall = children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "orcapost", "run", str(config), "-q", *extra],
                          capture_output=True, text=True, env=CHILD_ENV)
    after = children_cpu()
    wall, cpu, system = time.perf_counter() - wall, after[0] - cpu, after[1] - system
    if done.returncode != 0:
        raise SystemExit(f"orcapost run {' '.join(extra)} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return wall, cpu, system


#: A fixed amount of pure-Python work (about 0.3 s on an idle core).
SPIN = "s = 0\nfor i in range(6_000_000): s += i"


def cores_available(rounds: int = 3) -> float:
    """How many cores this machine gives now: the work two busy processes do together in the
    time one takes, over the work of one (2.0 on an idle 2-core machine, about 1.0 when other
    work leaves one core's worth). Medians of ``rounds`` interleaved measurements."""
    ratios = []
    for _ in range(rounds):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", SPIN], check=True)
        one = time.perf_counter() - began
        began = time.perf_counter()
        pair = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
        for process in pair:
            process.wait()
        two = time.perf_counter() - began
        ratios.append(2 * one / two)
    return statistics.median(ratios)


def run_report(output: Path) -> dict:
    """The run report of the run just written to ``output``."""
    import json

    return json.loads((output / "orcapost-run.json").read_text(encoding="utf-8"))


def on_processes(report: dict, began: float) -> tuple[int, float | None]:
    """Files the worker processes ran in the run of ``report`` and when the first of them
    started (seconds after the process was launched; None: no worker process)."""
    from orcapost.api import WORKER_THREAD_PREFIX

    # The coordinator runs its files on its worker threads; a worker process on its own main
    # thread (the worker processes now start with the command, so who opened a file first
    # says nothing).
    on_worker_processes = [row for row in report.get("files", []) if row.get("worker")
                           and not str(row["worker"]).startswith(WORKER_THREAD_PREFIX)]
    opened = [row["opened_at"] for row in on_worker_processes if row.get("opened_at")]
    return len(on_worker_processes), (min(opened) - began if opened else None)


def serial_part(report: dict, began: float, wall: float) -> tuple[float, float, float]:
    """The parts of the one-worker run of ``report`` that no engine can spread over
    cores, in seconds: the start-up (launch to the first file opened: imports, plugins,
    config, discovery), the first file's warm-up (its time beyond the median file's: numba's
    start, first imports) and the tail (the last file closed to the process's end: tables,
    sinks, report, exit). ``began``: the launch (epoch seconds); ``wall``: the run's wall
    time."""
    rows = sorted((row for row in report.get("files", []) if row.get("opened_at")),
                  key=lambda row: row["opened_at"])
    if not rows:
        return wall, 0.0, 0.0
    start = rows[0]["opened_at"] - began
    others = [row["total"] for row in rows[1:]] or [rows[0]["total"]]
    warm = max(0.0, rows[0]["total"] - statistics.median(others))
    tail = began + wall - max(row["closed_at"] for row in rows)
    return start, warm, max(0.0, tail)


def best_ratio(wall: float, serial: float, cores: int) -> float:
    """Amdahl's bound: the most times faster than a one-worker run of ``wall`` seconds, whose
    ``serial`` seconds no engine can spread, any engine can be on ``cores`` cores (the rest of
    the work split evenly, at no cost)."""
    return wall / (serial + (wall - serial) / max(1, cores))


def serial_budget(file_work: float, cores: int, target: float = TARGET) -> float:
    """The most serial seconds a one-worker run with ``file_work`` seconds of work that can be
    spread may have for any engine to reach ``target`` times its speed on ``cores`` cores
    (Amdahl: ``(s + p) / (s + p / cores) >= target`` solved for ``s``; negative: the target is
    beyond ``cores`` cores whatever the serial part)."""
    if target <= 1.0:
        return float("inf")
    return file_work * (1.0 - target / max(1, cores)) / (target - 1.0)


#: A process that does the least any engine here does before and around its files: Python
#: with numpy and pyarrow imported, one numba kernel (``cache=True``, as orcapost's) loaded from
#: its cache and called, and, given a folder of Parquet tables (a run's), each written again as
#: CSV and Parquet by pyarrow's own multithreaded writers. No orcapost code, no config, no
#: file read. The tables' reading is timed and printed, to be taken off its wall time.
BARE_KERNEL = """import numba, numpy as np
@numba.njit(cache=True, nogil=True)
def turning_points(x):
    n = 0
    for i in range(1, x.size - 1):
        if (x[i] - x[i - 1]) * (x[i + 1] - x[i]) < 0:
            n += 1
    return n
"""
BARE_PROCESS = """import sys, time
from pathlib import Path
import numpy, pyarrow
from bare_kernel import turning_points
turning_points(numpy.arange(8.0))
reading = 0.0
if len(sys.argv) > 1:
    import pyarrow.csv, pyarrow.parquet
    out = Path(sys.argv[2])
    paths = sorted(Path(sys.argv[1]).glob("*.parquet"))
    if not paths:
        sys.exit("no Parquet tables in " + sys.argv[1])
    for path in paths:
        began = time.perf_counter()
        table = pyarrow.parquet.read_table(path)
        reading += time.perf_counter() - began
        pyarrow.csv.write_csv(table, out / (path.stem + ".csv"))
        pyarrow.parquet.write_table(table, out / path.name)
print(reading)
"""


def bare_floor(tables: Path | None = None, runs: int = 7, out: Path | None = None) -> float:
    """The median wall seconds of :data:`BARE_PROCESS` as a whole process (less its reading of
    ``tables``, the Parquet tables of a run to write again, into ``out`` or a temporary folder;
    None: no tables), its kernel compiled into a cache of its own by one untimed run first: a
    floor under any one-worker run's serial part (start-up, the first file's warm-up and the
    tail together) of a run that writes those tables."""
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-bare-") as tmp:
        (Path(tmp) / "bare_kernel.py").write_text(BARE_KERNEL, encoding="utf-8")
        out = out or Path(tmp) / "out"
        out.mkdir(parents=True, exist_ok=True)
        env = {**CHILD_ENV, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache")}
        extra = [str(tables), str(out)] if tables is not None else []
        times = []
        for index in range(runs + 1):
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", BARE_PROCESS, *extra], cwd=tmp,
                                  env=env, check=True, capture_output=True, text=True)
            if index:  # the first run compiles the kernel
                times.append(time.perf_counter() - began - float(done.stdout))
        return statistics.median(times)


def digest(output: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(output.iterdir()):
        if path.suffix in (".csv", ".parquet"):
            sha.update(path.name.encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", default="200x3MB,400x3MB,2x1GB",
                        help="comma-separated FILESxSIZE")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--memory-map", action="store_true",
                        help="read the archives in place (memory_map: true) in every mode")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}: "
          f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
          f"{platform.python_version()}; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg()) if hasattr(os, 'getloadavg') else '?'}")
    order = balanced_order(len(MODES))
    cycles = max(1, -(-args.runs // (len(MODES) - 1)))  # whole cycles: every pair balanced
    runs = cycles * (len(MODES) - 1)
    print(f"demo config, whole process, medians of {runs} interleaved runs"
          f"{f' (--runs {args.runs} rounded up to whole cycles)' if runs != args.runs else ''}"
          "; archives "
          f"{'memory-mapped' if args.memory_map else 'read into memory (the default)'}")
    print(f"{'campaign':<12} {'mode':<12} {'wall s':>7} {'CPU s':>7} {'sys s':>6} "
          f"{'1 worker / mode':>16} "
          f"{'files on processes':>18} {'their 1st file at':>17} {'tables identical':>16}")
    floor = bare_floor()
    print(f"a bare process (Python, numpy and pyarrow imported, one cached numba kernel called; "
          f"no orcapost code): {floor:.2f} s, median of 7; below, the same writing the "
          f"campaign's tables with pyarrow")
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-cores-") as tmp:
        root = args.data or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for item in args.campaigns.split(","):
            files_text, size_text = item.strip().lower().split("x", 1)
            files, size = int(files_text), int(SIZE.validate_python(size_text.upper()))
            inputs = campaign(root, files, size)
            times: dict[str, list[tuple[float, float, float]]] = {
                name: [] for name, _, _ in MODES}
            shares: dict[str, list[tuple[int, float | None]]] = {name: [] for name, _, _ in MODES}
            serial: list[tuple[float, float, float]] = []  # of the one-worker runs
            digests: dict[str, set[str]] = {name: set() for name, _, _ in MODES}
            mapped = "-mapped" if args.memory_map else ""
            outputs = {name: root / f"results-{item.strip()}{mapped}-{index}"
                       for index, (name, _, _) in enumerate(MODES)}
            configs = {name: config_for(inputs, outputs[name], executor, args.memory_map)
                       for name, _, executor in MODES}
            # One untimed run first: the first run of a campaign (after the data were written,
            # or after another campaign's runs) pays for the page cache, numba's cache and the
            # host's memory, whichever mode it is (2 x 1 GB: 4.4-5.9 s against 2.0-3.0 s).
            warm_up = MODES[order[-1]]  # the cycle's last mode: the first timed run follows it
            run_once(configs[warm_up[0]], warm_up[1])
            for index in order * cycles:
                name, extra, _executor = MODES[index]
                times[name].append(run_once(configs[name], extra))
                report = run_report(outputs[name])
                shares[name].append(on_processes(report, LAST_LAUNCH))
                if name == "--threads 1":
                    serial.append(serial_part(report, LAST_LAUNCH, times[name][-1][0]))
                digests[name].add(digest(outputs[name]))
            available = cores_available()
            medians = {name: tuple(statistics.median(run[i] for run in runs) for i in range(3))
                       for name, runs in times.items()}
            same = len(set.union(*digests.values())) == 1
            one = medians["--threads 1"][0]
            for name, _, _ in MODES:
                wall, cpu, system = medians[name]
                ratio = f"{one / wall:.2f}x" if name != "--threads 1" else ""
                count = statistics.median(n for n, _ in shares[name])
                starts = [t for _, t in shares[name] if t is not None]
                first = f"{statistics.median(starts):.2f} s" if starts else "-"
                print(f"{item.strip():<12} {name:<12} {wall:>7.2f} {cpu:>7.2f} {system:>6.2f} "
                      f"{ratio:>16} "
                      f"{count:>18.0f} {first:>17} "
                      f"{('yes' if same else 'NO') if name == 'default' else '':>16}",
                      flush=True)
            default = one / medians["default"][0]
            print(f"{'':<12} the default is {default:.2f}x one worker (target {TARGET}x: "
                  f"{'met' if default >= TARGET else 'NOT met'}); cores available just after "
                  f"(2 busy processes / 1): {available:.2f}", flush=True)
            start, warm, tail = (statistics.median(part[i] for part in serial) for i in range(3))
            cores = os.cpu_count() or 1
            bound = best_ratio(one, start + warm + tail, cores)
            print(f"{'':<12} one worker's serial part: start-up {start:.2f} s, first file's "
                  f"warm-up {warm:.2f} s, tail {tail:.2f} s = {start + warm + tail:.2f} s of "
                  f"{one:.2f} s ({(start + warm + tail) / one:.0%}); with it no engine can be "
                  f"more than {bound:.2f}x one worker on {cores} cores (Amdahl; target "
                  f"{TARGET}x: {'within reach' if bound >= TARGET else 'out of reach'})",
                  flush=True)
            budget = serial_budget(one - (start + warm + tail), cores)
            floor = bare_floor(outputs["--threads 1"])
            print(f"{'':<12} {TARGET}x on {cores} cores allows a serial part of at most "
                  f"{max(0.0, budget):.2f} s with this campaign's "
                  f"{one - (start + warm + tail):.2f} s of file work; the bare process writing "
                  f"its tables takes {floor:.2f} s: "
                  f"{'out of reach of any engine that reads with pyarrow and counts with numba' if floor > budget else 'not ruled out by it'}",
                  flush=True)

if __name__ == "__main__":
    main()
