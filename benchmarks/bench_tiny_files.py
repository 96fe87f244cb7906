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
  numpy and pyarrow and runs the bare loop, alternating. Target: <= 2x. Child processes run
  with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed), as after a pip install,
  after one unmeasured run of each.

It prints the two ratios (wall time) and, beside them, CPU times and how much of orcapost's
CPU the journal's lines take (``Journal.append``/``flush`` on the coordinator's thread, timed
in one more run), so the journal's share of the in-process ratio is known.

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
            "reference_cpu_s": theirs_cpu, "journal_cpu_s": _journal_cpu(directory)}


def _journal_cpu(directory: Path) -> float:
    """CPU time the journal's lines take in one more run (its appends and flushes, on the
    coordinator's thread): the share of orcapost's time that batching and encoding the
    journal (core/journal.py) can still change. NaN where the journal has no such methods."""
    from orcapost.journal import Journal

    spent = [0.0]
    originals = {name: getattr(Journal, name, None) for name in ("append", "flush")}
    if None in originals.values():
        return float("nan")

    def timed(original):
        def call(self, *args, **kwargs):
            started = time.thread_time()
            try:
                return original(self, *args, **kwargs)
            finally:
                spent[0] += time.thread_time() - started
        return call

    for name, original in originals.items():
        setattr(Journal, name, timed(original))
    try:
        bench_core.run_orcapost(directory, None)
    finally:
        for name, original in originals.items():
            setattr(Journal, name, original)
    return spent[0]


def _bare(directory: Path) -> None:
    bench_core.run_script(directory, 1)


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=bench_core.child_env())
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
             "journal_cpu_s": [], "process_s": [], "bare_process_s": []}
        for py in pythons}
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "tiny.yml"
        config.write_text(json.dumps(bench_core.config(directory, Path(scratch) / "out", None)),
                          encoding="utf-8")
        script = str(Path(__file__).resolve())
        common = ["--files", str(args.files), "--data", str(args.data)]
        if not args.no_process:  # once each first: bytecode written, files in the page cache
            for py in pythons:
                _timed([py, "-m", "orcapost", "run", str(config), "--quiet"])
                _timed([py, script, "--one", "bare", *common])
        for round_ in range(args.repeat):
            for py in pythons:
                child = subprocess.run([py, script, "--one", "in-process", *common],
                                       check=True, capture_output=True, text=True,
                                       env=bench_core.child_env())
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
        journal_ratio = med["journal_cpu_s"] / med["reference_cpu_s"]
        print(f"{py}: {args.files} files | in one process: orcapost {med['orcapost_s']:.2f} s "
              f"({per_file:.0f} us/file), bare loop {med['reference_s']:.2f} s "
              f"({bare_file:.0f} us/file); CPU {med['orcapost_cpu_s']:.2f} s against "
              f"{med['reference_cpu_s']:.2f} s (ratio "
              f"{med['orcapost_cpu_s'] / med['reference_cpu_s']:.2f}), of which the journal "
              f"{med['journal_cpu_s']:.2f} s ({journal_ratio:.2f} of that ratio) | whole "
              f"process: orcapost {med['process_s']:.2f} s, bare {med['bare_process_s']:.2f} s")
        # The two figures issue 17 item 4 asks for (wall time, medians of interleaved runs).
        print(f"  in one process: {med['orcapost_s'] / med['reference_s']:.2f}x the bare "
              "serial loop (target <= 1.5)")
        print(f"  whole process:  {med['process_s'] / med['bare_process_s']:.2f}x "
              "(target <= 2)")

if __name__ == "__main__":
    main()
