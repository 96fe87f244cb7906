"""Benchmark: the admission optimizer keeps a run within a memory budget.

Run: ``python benchmarks/bench_memory.py [--files 8] [--size-mb 300] [--budget-gib 1]
[--threads 30] [--without-admission]``

Eight files of 300 MB, each holding its whole size in memory while open (as an OrcaFlex
simulation loaded by ``LoadSimulation`` does), are run with 30 threads requested and the
``admission`` optimizer given a 1 GiB budget. The files are orcapost's SIMULATED ``contention``
files (docs/engine-plugins.md): sparse on disk, their memory real (``memory_ratio: 1``). The run
must complete (a file larger than what is left still runs, alone) with peak resident memory
<= 1.25 GiB. ``--without-admission`` runs the same campaign without the optimizer, to show what
it prevents.

Peak memory is the larger of the monitor's sampled peak and the OS's own high-water mark of this
process (``ru_maxrss`` on POSIX, ``peak_wset`` on Windows).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources import contention
from orcapost.plugins.sources.contention import write_contention_campaign

GIB = 2**30


def os_peak_rss() -> int:
    """The OS's high-water mark of this process's resident memory (bytes), 0 if unknown."""
    info = psutil.Process().memory_info()
    if hasattr(info, "peak_wset"):  # Windows
        return int(info.peak_wset)
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS: bytes; Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--size-mb", type=float, default=300.0)
    parser.add_argument("--budget-gib", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=30)
    parser.add_argument("--without-admission", action="store_true")
    args = parser.parse_args()
    size = int(args.size_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-memory-") as tmp:
        campaign = Path(tmp) / "campaign"
        write_contention_campaign(campaign, files=args.files, size=size, knee=64,
                                  stream_bandwidth=1e9, latency=0.01, memory_ratio=1.0,
                                  store_name="memory")
        optimizers = [] if args.without_admission else [
            {"name": "admission", "budget": int(args.budget_gib * GIB)}, "gc"]
        config = {
            "version": 2,
            "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
            "engine": {"thread_policy": {"name": "fixed", "threads": args.threads},
                       "memory_optimizers": optimizers},
            "results": {"s": {"columns": [{"label": "signal", "kind": "statistics",
                                           "object": "Store", "variable": "Signal",
                                           "statistics": ["max"]}]}},
            "outputs": {"directory": str(Path(tmp) / "out"), "formats": ["csv"]},
        }
        pm = get_plugin_manager(entry_points=False)
        pm.register(contention, contention.__name__)  # opt-in: a simulated storage
        engine = Engine(pm, validate_data(config, pm.registry), monitor_interval=0.05,
                        reporter=pm.registry.get("reporter", "silent").cls())
        started = time.perf_counter()
        summary = engine.run()
        elapsed = time.perf_counter() - started
    memory = engine.report["memory"]
    peak = max(memory["peak_rss"], os_peak_rss())
    files_at_once = max(d["to"] for d in engine.report["decisions"])
    print(f"{args.files} files of {args.size_mb:g} MB (each held in memory while open), "
          f"{args.threads} threads requested, "
          + ("no admission" if args.without_admission
             else f"admission budget {args.budget_gib:g} GiB"))
    print(f"completed: {summary.ok}/{summary.files} files ok in {elapsed:.2f} s; "
          f"policy concurrency {files_at_once}; memory holds "
          f"{engine.report['summary']['memory_holds']}")
    print(f"RSS at start {memory['baseline_rss'] / GIB:.3f} GiB; "
          f"peak RSS {peak / GIB:.3f} GiB (monitor {memory['peak_rss'] / GIB:.3f}, "
          f"OS high-water {os_peak_rss() / GIB:.3f})")
    if not args.without_admission:
        limit = 1.25 * args.budget_gib
        ok = summary.ok == summary.files and peak <= limit * GIB
        print(f"target: completes and peak <= {limit:g} GiB: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
