"""Benchmark: how long the command line takes to start, and what its imports cost.

Run: ``python benchmarks/bench_startup.py [--repeat 7] [--top 15] [--config configs/demo.yml]``

Each command runs ``--repeat`` times as a fresh subprocess (``python -m orcapost ...``, what the
``orcapost`` script does) with bytecode caching on; the figures are the median wall and CPU
(user + system) times and the largest peak RSS of the runs (CPU and RSS on POSIX only: the
child's own rusage, from ``os.wait4``). CPU time moves less than wall time when other work
shares the machine. A bare ``python -c pass``
is measured the same way as the floor no command can go under. Then ``python -X importtime``
of what every command but ``--version`` imports (``orcapost.cli`` and the plugin manager with
every plugin) lists the slowest imports, by cumulative time (a module and what it imports) and
by self time (the module's own code).

The numbers printed are what docs/benchmarks.md records; they vary with the machine's load, so
compare figures taken in one sitting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import child_env  # noqa: E402  (beside this script)

REPO = Path(__file__).resolve().parents[1]

#: What every command but --version pays: the command line and the plugin manager. The plugin
#: modules are imported with ``__import__`` first because -X importtime only times the import
#: statement's machinery, not ``importlib.import_module`` (which the plugin manager uses).
IMPORT_PROBE = ("import orcapost.cli\n"
                "from orcapost.plugins import BUILTIN_PLUGINS\n"
                "for name in BUILTIN_PLUGINS:\n"
                "    __import__(name)\n"
                "from orcapost.pluginmanager import get_plugin_manager\n"
                "get_plugin_manager()\n")


def _run_once(argv: list[str]) -> tuple[float, float | None, int | None]:
    """Wall seconds, CPU seconds and peak RSS (bytes) of one run of ``argv`` (None where the
    platform cannot tell)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
                               env=child_env())
    if hasattr(os, "wait4"):
        # wait4 reports this child's own rusage; RUSAGE_CHILDREN would be the max over all runs.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        cpu = usage.ru_utime + usage.ru_stime
        # ru_maxrss is in KiB on Linux, bytes on macOS.
        rss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    else:
        _, stderr_bytes = process.communicate()
        elapsed = time.perf_counter() - started
        stderr, cpu, rss = stderr_bytes.decode(errors="replace"), None, None
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}:\n{stderr}")
    return elapsed, cpu, rss


def measure(argv: list[str], repeat: int) -> tuple[float, float | None, int | None]:
    """Median wall and CPU seconds and the largest peak RSS over ``repeat`` runs, after one
    warm-up run (which writes the bytecode caches and fills the page cache)."""
    _run_once(argv)
    runs = [_run_once(argv) for _ in range(repeat)]
    cpu = [c for _, c, _ in runs if c is not None]
    rss = [r for _, _, r in runs if r is not None]
    return (statistics.median(t for t, _, _ in runs),
            statistics.median(cpu) if cpu else None, max(rss) if rss else None)


def slowest_imports(top: int) -> tuple[list[tuple[int, int, str]], int]:
    """``(self µs, cumulative µs, module)`` rows of ``-X importtime`` for the probe, and the
    sum of the top-level imports' cumulative times (µs)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_PROBE],
                          capture_output=True, text=True, cwd=REPO, check=True, env=child_env())
    rows = []
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        rows.append((int(own), int(cumulative), name.strip()))
        if not name.startswith("  "):  # one space after the bar: imported by the probe itself
            total += int(cumulative)
    return rows, total


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="Runs per command (median).")
    parser.add_argument("--top", type=int, default=15, help="Slowest imports to list.")
    parser.add_argument("--config", default="configs/demo.yml",
                        help="Config for `orcapost validate` (relative to the repository).")
    args = parser.parse_args()

    python = [sys.executable]
    commands = {
        "python -c pass": [*python, "-c", "pass"],
        "orcapost --version": [*python, "-m", "orcapost", "--version"],
        "orcapost --help": [*python, "-m", "orcapost", "--help"],
        f"orcapost validate {args.config}": [*python, "-m", "orcapost", "validate", args.config],
        "orcapost plugins": [*python, "-m", "orcapost", "plugins"],
    }
    print(f"median of {args.repeat} runs each, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'command':44} {'wall':>8} {'CPU':>8} {'peak RSS':>9}")
    for label, argv in commands.items():
        wall, cpu, rss = measure(argv, args.repeat)
        cpu_text = "-" if cpu is None else f"{cpu:.3f}s"
        print(f"{label:44} {wall:7.3f}s {cpu_text:>8} {_mb(rss):>9}")

    rows, total = slowest_imports(args.top)
    print(f"\n-X importtime of orcapost.cli + get_plugin_manager(): {total / 1e6:.3f} s in "
          f"top-level imports ({len(rows)} modules)")
    for heading, key in (("cumulative", 1), ("self", 0)):
        print(f"\nslowest {args.top} by {heading} time:")
        print(f"{'cumulative':>11} {'self':>9}  module")
        for own, cumulative, name in sorted(rows, key=lambda row: row[key], reverse=True)[
                :args.top]:
            print(f"{cumulative / 1000:9.1f}ms {own / 1000:7.1f}ms  {name}")
    heavy = [name for name in ("numba", "scipy", "pyarrow.compute")
             if any(row[2] == name for row in rows)]
    print(f"\nheavy libraries imported at start-up: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
