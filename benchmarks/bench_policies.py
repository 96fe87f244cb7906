"""Benchmark: thread policies, on the simulated contention storage or on real demo archives.

Run: ``python benchmarks/bench_policies.py [--files 1500] [--size-mb 20] [--knee 15]
[--degradation 0.176] [--threads 8,15,20,30] [--repeat 5] [--data DIR]``, or on real files
``python benchmarks/bench_policies.py --real --files 1600 --size-mb 3 --threads 1,2,4,15``.

**Contention model** (``--real`` absent): orcapost's ``contention`` source, a SIMULATION (see
docs/engine-plugins.md): each reader gets ``--stream-mbs`` MB/s up to ``--knee`` concurrent
readers; beyond it the store's total falls to 1 / (1 + degradation * (readers - knee) / knee)
of itself, plus ``--latency`` seconds per file. The default degradation, 0.176, is the seed's
own calibration: it makes 30 readers 1 / 1.176 = 85 % of 15 (the seed's 30-vs-15 ratio).

**Real files** (``--real``): ``--files`` demo archives of ``--size-mb`` MB (written once into
``--data``, reused), processed with ``configs/demo.yml``'s result groups through the engine.

On either, the ``fixed`` policy runs at each ``--threads`` count and ``adaptive`` with its
defaults (it is not told the knee; it starts at the fixed default, 15); on the model also
``adaptive@4``, a cold start at 4. Every setting runs once per round, ``--repeat`` rounds
(interleaved: drift of a shared machine hits every setting alike); medians are printed, with
each adaptive run's final concurrency and the acceptance checks:

- model: adaptive >= 95 % of the best fixed setting's throughput;
- real files: the final concurrency of every adaptive run within +-25 % of their median, and
  adaptive's median throughput >= 90 % of the best fixed setting's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources import contention
from orcapost.plugins.sources.contention import throughput, write_contention_campaign

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "configs" / "demo.yml"


def contention_config(campaign: Path, output: Path, policy: dict) -> dict:
    return {
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.contention"]},
        # The model counts its readers per process and the opt-in ``contention`` source is
        # registered in this one: threads only (``processes: 0``). The default hybrid's worker
        # processes do not know the source, and every file they took failed.
        "engine": {"thread_policy": policy,
                   "executor": {"name": "threads", "processes": 0}},
        "results": {"s": {"columns": [{"label": "signal", "kind": "statistics",
                                       "object": "Store", "variable": "Signal",
                                       "statistics": ["max", "std"]}]}},
        "outputs": {"directory": str(output), "formats": ["csv"]},
    }


def real_config(campaign: Path, output: Path, policy: dict) -> dict:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(campaign)
    data["engine"] = {**data.get("engine", {}), "thread_policy": policy}
    data["outputs"] = {**data["outputs"], "directory": str(output), "formats": ["csv"]}
    return data


def run(pm, config: dict) -> dict:
    loaded = validate_data(config, pm.registry, base_directory=DEMO_CONFIG.parent)
    engine = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls())
    started = time.perf_counter()
    summary = engine.run()
    elapsed = time.perf_counter() - started
    levels = [d["to"] for d in engine.report["decisions"]]
    last_reason = engine.report["decisions"][-1].get("reason")
    if summary.ok != summary.files or summary.interrupted:
        # A run that did not do every file has no comparable time: kept out of the medians,
        # and said so (a failure is a row with a reason).
        reason = (f"stopped by {summary.stopped_by}" if summary.interrupted else
                  f"{summary.files - summary.ok} of {summary.files} files not ok: "
                  f"{[f.reason for f in summary.failures[:3]]}")
        return {"elapsed": elapsed, "files_per_second": None, "levels": levels,
                "excluded": reason}
    return {"elapsed": elapsed, "files_per_second": summary.files / elapsed, "levels": levels,
            "last_reason": last_reason}


def write_real_campaign(directory: Path, files: int, size: int) -> None:
    from orcapost.demo import DemoSpec, write_campaign

    if directory.exists() and len(list(directory.glob("*.arrow"))) >= files:
        return
    print(f"writing {files} demo archives of {size / 1e6:g} MB to {directory} ...", flush=True)
    write_campaign(directory, DemoSpec(file_size=size), files=files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true",
                        help="Real demo archives instead of the contention model.")
    parser.add_argument("--files", type=int, default=None,
                        help="Files in the campaign (model: 1500; real: 1600).")
    parser.add_argument("--size-mb", type=float, default=None,
                        help="File size (model: 20 MB; real: 3 MB).")
    parser.add_argument("--knee", type=int, default=15)
    parser.add_argument("--stream-mbs", type=float, default=200.0)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--degradation", type=float, default=0.176,
                        help="0.176: the seed's 30-vs-15 ratio (30 readers = 85%% of 15).")
    parser.add_argument("--threads", default=None,
                        help="Fixed settings (model: 8,15,20,30; real: 1,2,4,15).")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None,
                        help="Where to write the campaign (kept, reused); default a temporary "
                             "folder.")
    args = parser.parse_args()
    files = args.files or (1600 if args.real else 1500)
    size = int((args.size_mb or (3.0 if args.real else 20.0)) * 1e6)
    threads = [int(t) for t in (args.threads or ("1,2,4,15" if args.real else "8,15,20,30"))
               .split(",")]
    model = {"knee": args.knee, "stream_bandwidth": args.stream_mbs * 1e6,
             "latency": args.latency, "degradation": args.degradation}

    with tempfile.TemporaryDirectory(prefix="orcapost-bench-policies-") as tmp:
        root = args.data or Path(tmp)
        pm = get_plugin_manager(entry_points=False)
        if args.real:
            campaign = root / f"real-{files}x{size / 1e6:g}MB"
            write_real_campaign(campaign, files, size)
            make_config = real_config
        else:
            campaign = root / (f"contention-{files}x{size / 1e6:g}MB-knee{args.knee}"
                               f"-d{args.degradation:g}")
            if not campaign.exists():
                write_contention_campaign(campaign, files=files, size=size, knee=args.knee,
                                          stream_bandwidth=model["stream_bandwidth"],
                                          latency=args.latency, degradation=args.degradation,
                                          store_name="bench")
            pm.register(contention, contention.__name__)  # opt-in: a simulated storage
            make_config = contention_config
        settings = [(f"fixed {t}", {"name": "fixed", "threads": t}) for t in threads]
        settings += [("adaptive", {"name": "adaptive"})]
        if not args.real:
            settings += [("adaptive@4", {"name": "adaptive", "start": 4})]
        runs: dict[str, list[dict]] = {label: [] for label, _ in settings}
        for round_index in range(args.repeat):
            for index, (label, policy) in enumerate(settings):
                out = Path(tmp) / f"out-{round_index}-{index}"
                last = run(pm, make_config(campaign, out, policy))
                print(f"  round {round_index + 1}: {label:10s} {last['elapsed']:6.2f} s"
                      + (f"  final {last['levels'][-1]}" if label.startswith("adaptive")
                         else "")
                      + (f"  EXCLUDED: {last['excluded']}" if "excluded" in last else "")
                      + (f"  ({last.get('last_reason')})" if label.startswith("adaptive")
                         else ""),
                      flush=True)
                if "excluded" not in last:
                    runs[label].append(last)

    medians = {label: statistics.median(r["files_per_second"] for r in measured)
               for label, measured in runs.items()}
    fixed = {label: rate for label, rate in medians.items() if label.startswith("fixed")}
    best_label = max(fixed, key=fixed.__getitem__)
    print()
    if args.real:
        print(f"real demo archives: {files} files of {size / 1e6:g} MB, configs/demo.yml; "
              f"medians of {args.repeat} interleaved round(s)")
    else:
        print(f"contention model (SIMULATED): knee {args.knee}, {args.stream_mbs:g} MB/s per "
              f"reader, degradation {args.degradation}, latency {args.latency * 1000:g} ms; "
              f"{files} files of {size / 1e6:g} MB; medians of {args.repeat} interleaved "
              "round(s)")
    print(f"{'setting':12s} {'elapsed s':>10s} {'files/s':>9s} {'vs best fixed':>14s}"
          + ("" if args.real else f" {'model files/s':>14s}"))
    for label, _ in settings:
        elapsed = statistics.median(r["elapsed"] for r in runs[label])
        steady = ""
        if label.startswith("fixed") and not args.real:
            steady = f" {throughput(model, int(label.split()[1]), size):14.1f}"
        print(f"{label:12s} {elapsed:10.2f} {medians[label]:9.1f} "
              f"{100 * medians[label] / fixed[best_label]:13.1f}%{steady}")
    for label in [lbl for lbl, _ in settings if lbl.startswith("adaptive")]:
        finals = [r["levels"][-1] for r in runs[label]]
        median_final = statistics.median(finals)
        spread = max(abs(f - median_final) for f in finals) / median_final
        trail = runs[label][len(runs[label]) // 2]["levels"]
        ratio = medians[label] / fixed[best_label]
        print(f"{label}: final concurrency per run {finals}, median {median_final:g}, "
              f"largest deviation {100 * spread:.0f}%")
        print(f"{label} trail (middle run): {' -> '.join(map(str, trail))}")
        target = 0.90 if args.real else 0.95
        print(f"{label} / best fixed ({best_label}): {100 * ratio:.1f}% "
              f"(target >= {100 * target:.0f}%): {'PASS' if ratio >= target else 'FAIL'}")
        if args.real:
            print(f"{label} final concurrency within +-25% of its median: "
                  f"{'PASS' if spread <= 0.25 else 'FAIL'}")


if __name__ == "__main__":
    main()
