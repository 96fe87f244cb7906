"""Benchmark: thread policies on the simulated contention storage.

Run: ``python benchmarks/bench_policies.py [--files 1000] [--size-mb 20] [--knee 15]
[--threads 4,8,15,30] [--repeat 1] [--data DIR]``

The storage is orcapost's ``contention`` source (a SIMULATION, see docs/engine-plugins.md): each
reader gets ``--stream-mbs`` MB/s up to ``--knee`` concurrent readers; beyond it the store's total
falls to 1 / (1 + degradation * (readers - knee) / knee) of itself, plus ``--latency`` seconds per
file. On it, the ``fixed`` policy runs at each ``--threads`` count, and ``file_size`` and
``adaptive`` run with their defaults -- ``adaptive`` is not told the knee; it starts at the fixed
default, 15, so ``adaptive@4`` also runs it from a cold start of 4 to show it climbs there. Each setting runs
``--repeat`` times, in rounds (every setting once per round); the medians are printed with the
model's own steady-state rate for reference, and the two acceptance checks:

- adaptive reaches >= 90% of the best fixed setting's throughput;
- adaptive beats fixed at 30 by >= 15% (with the knee at 15).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources import contention
from orcapost.plugins.sources.contention import throughput, write_contention_campaign


def config_for(campaign: Path, output: Path, policy: dict) -> dict:
    return {
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
        "engine": {"thread_policy": policy},
        "results": {"s": {"columns": [{"label": "signal", "kind": "statistics",
                                       "object": "Store", "variable": "Signal",
                                       "statistics": ["max", "std"]}]}},
        "outputs": {"directory": str(output), "formats": ["csv"]},
    }


def run(pm, campaign: Path, output: Path, policy: dict) -> dict:
    loaded = validate_data(config_for(campaign, output, policy), pm.registry)
    engine = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls())
    started = time.perf_counter()
    summary = engine.run()
    elapsed = time.perf_counter() - started
    assert summary.ok == summary.files, summary.failures[:3]
    levels = [d["to"] for d in engine.report["decisions"]]
    return {"elapsed": elapsed, "files_per_second": summary.files / elapsed, "levels": levels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--knee", type=int, default=15)
    parser.add_argument("--stream-mbs", type=float, default=200.0)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--degradation", type=float, default=0.5)
    parser.add_argument("--threads", default="4,8,15,30")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", type=Path, default=None,
                        help="Where to write the (sparse) campaign; default a temporary folder.")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    size = int(args.size_mb * 1e6)
    model = {"knee": args.knee, "stream_bandwidth": args.stream_mbs * 1e6,
             "latency": args.latency, "degradation": args.degradation}

    with tempfile.TemporaryDirectory(prefix="orcapost-bench-policies-") as tmp:
        root = args.data or Path(tmp)
        campaign = root / f"contention-{args.files}x{args.size_mb:g}MB-knee{args.knee}"
        if not campaign.exists():
            write_contention_campaign(campaign, files=args.files, size=size, knee=args.knee,
                                      stream_bandwidth=model["stream_bandwidth"],
                                      latency=args.latency, degradation=args.degradation,
                                      store_name="bench")
        pm = get_plugin_manager(entry_points=False)
        pm.register(contention, contention.__name__)  # opt-in: a simulated storage
        settings = [(f"fixed {t}", {"name": "fixed", "threads": t}) for t in threads]
        settings += [("file_size", {"name": "file_size"}), ("adaptive", {"name": "adaptive"}),
                     ("adaptive@4", {"name": "adaptive", "start": 4})]
        runs: dict[str, list[dict]] = {label: [] for label, _ in settings}
        for round_index in range(args.repeat):
            for index, (label, policy) in enumerate(settings):
                out = Path(tmp) / f"out-{round_index}-{index}"
                runs[label].append(run(pm, campaign, out, policy))
                print(f"  round {round_index + 1}: {label:10s} "
                      f"{runs[label][-1]['elapsed']:6.2f} s", flush=True)

    medians = {label: statistics.median(r["files_per_second"] for r in measured)
               for label, measured in runs.items()}
    fixed = {label: rate for label, rate in medians.items() if label.startswith("fixed")}
    best_label = max(fixed, key=fixed.get)
    print()
    print(f"contention model (SIMULATED): knee {args.knee}, {args.stream_mbs:g} MB/s per reader, "
          f"degradation {args.degradation}, latency {args.latency * 1000:g} ms; "
          f"{args.files} files of {args.size_mb:g} MB; medians of {args.repeat} run(s)")
    print(f"{'setting':12s} {'elapsed s':>10s} {'files/s':>9s} {'vs best fixed':>14s} "
          f"{'model files/s':>14s}")
    for label, _ in settings:
        elapsed = statistics.median(r["elapsed"] for r in runs[label])
        steady = ""
        if label.startswith("fixed"):
            steady = f"{throughput(model, int(label.split()[1]), size):14.1f}"
        print(f"{label:12s} {elapsed:10.2f} {medians[label]:9.1f} "
              f"{100 * medians[label] / fixed[best_label]:13.1f}% {steady}")
    for label in ("adaptive", "adaptive@4"):
        trail = runs[label][len(runs[label]) // 2]["levels"]
        print(f"{label} concurrency trail: {' -> '.join(map(str, trail))}")
    fs_trail = runs["file_size"][0]["levels"]
    print(f"file_size concurrency: {' -> '.join(map(str, fs_trail))}")
    for label in ("adaptive", "adaptive@4"):
        ratio_best = medians[label] / fixed[best_label]
        print(f"{label} / best fixed ({best_label}): {100 * ratio_best:.1f}% "
              f"(target >= 90%): {'PASS' if ratio_best >= 0.90 else 'FAIL'}")
        if "fixed 30" in fixed:
            gain = medians[label] / fixed["fixed 30"] - 1
            print(f"{label} vs fixed 30: {100 * gain:+.1f}% (target >= +15% at knee 15): "
                  f"{'PASS' if gain >= 0.15 else 'FAIL'}")


if __name__ == "__main__":
    main()
