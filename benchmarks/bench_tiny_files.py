"""Benchmark: orcapost on a campaign of tiny files against a bare serial open+stat loop.

Run: ``python benchmarks/bench_tiny_files.py [--files 5000] [--repeat 5] [--data DIR]
[--python OTHER_PYTHON ...]``

The campaign is ``bench_core.py``'s tiny case (``--files`` archives of about 10 KB: a vessel's
6 DOF and the wave elevation; written once under ``--data`` and reused). Two measurements, each
the median of ``--repeat`` interleaved runs:

- **in one process**: orcapost's engine with its defaults (config validated, files discovered,
  journal, CSV tables, run report) against the bare loop of ``bench_core.py`` (memory-map,
  min/max/mean/std of every variable, close), both in the same warmed-up process, alternating.
  Target: <= 1.5x.
- **whole process**: ``python -m orcapost run CONFIG --quiet`` against a process that imports
  numpy and pyarrow and runs the bare loop, alternating. Target: <= 2x.

``--python`` adds interpreters of other checkouts (e.g. the previous main's virtualenv): every
interpreter is measured in the same interleaved rounds, so the figures compare side by side on
a machine whose load drifts. Each in-process figure comes from a fresh child process (after one
warm-up run of each side).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402  (beside this script)


def _in_process(directory: Path) -> dict:
    bench_core.run_orcapost(directory, None)  # warm-up: imports, page cache
    bench_core.run_script(directory, 1)
    cpu = time.process_time()
    ours = bench_core.run_orcapost(directory, None)
    ours_cpu, cpu = time.process_time() - cpu, time.process_time()
    theirs = bench_core.run_script(directory, 1)
    theirs_cpu = time.process_time() - cpu
    # CPU time too: on a machine loaded by others, wall time measures the others as well.
    return {"orcapost_s": ours, "reference_s": theirs, "orcapost_cpu_s": ours_cpu,
            "reference_cpu_s": theirs_cpu}


def _bare(directory: Path) -> None:
    bench_core.run_script(directory, 1)


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=HERE.parent / "bench-data")
    parser.add_argument("--python", action="append", default=[],
                        help="Another interpreter (checkout) to measure side by side.")
    parser.add_argument("--no-process", action="store_true",
                        help="Only the in-process figures (no whole-process runs).")
    parser.add_argument("--one", choices=["in-process", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    directory = bench_core.tiny_campaign(args.data, args.files)
    if args.one == "in-process":
        print(json.dumps(_in_process(directory)))
        return
    if args.one == "bare":
        _bare(directory)
        return
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
          if hasattr(os, "getloadavg") else f"machine: {platform.platform()}")
    pythons = [sys.executable, *args.python]
    figures: dict[str, dict[str, list[float]]] = {
        py: {"orcapost_s": [], "reference_s": [], "orcapost_cpu_s": [], "reference_cpu_s": [],
             "process_s": [], "bare_process_s": []}
        for py in pythons}
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "tiny.yml"
        config.write_text(json.dumps(bench_core.config(directory, Path(scratch) / "out", None)),
                          encoding="utf-8")
        script = str(Path(__file__).resolve())
        common = ["--files", str(args.files), "--data", str(args.data)]
        for round_ in range(args.repeat):
            for py in pythons:
                child = subprocess.run([py, script, "--one", "in-process", *common],
                                       check=True, capture_output=True, text=True)
                measured = json.loads(child.stdout.strip().splitlines()[-1])
                for key, value in measured.items():
                    figures[py][key].append(value)
                if args.no_process:
                    continue
                figures[py]["process_s"].append(
                    _timed([py, "-m", "orcapost", "run", str(config), "--quiet"]))
                figures[py]["bare_process_s"].append(
                    _timed([py, script, "--one", "bare", *common]))
            print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr)
    for py in pythons:
        med = {key: statistics.median(values) if values else float("nan")
               for key, values in figures[py].items()}
        per_file = med["orcapost_s"] / args.files * 1e6
        bare_file = med["reference_s"] / args.files * 1e6
        print(f"{py}: {args.files} files | in one process: orcapost {med['orcapost_s']:.2f} s "
              f"({per_file:.0f} us/file), bare loop {med['reference_s']:.2f} s "
              f"({bare_file:.0f} us/file), ratio {med['orcapost_s'] / med['reference_s']:.2f} "
              f"(target <= 1.5); CPU {med['orcapost_cpu_s']:.2f} s against "
              f"{med['reference_cpu_s']:.2f} s, ratio "
              f"{med['orcapost_cpu_s'] / med['reference_cpu_s']:.2f} | whole process: orcapost {med['process_s']:.2f} s, bare "
              f"{med['bare_process_s']:.2f} s, ratio "
              f"{med['process_s'] / med['bare_process_s']:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
