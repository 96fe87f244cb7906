"""Benchmark: the worker's CPU time per file on wide OpenFAST files (many channels).

Run: ``python benchmarks/bench_wide_files.py --pcrunch-python PY [--files 100] [--rounds 5]``
or ``python benchmarks/bench_wide_files.py --config stats-276.yml --config stats-112.yml``.

What issue 17 (item 2) asks of the per-file work: the pCrunch campaign's columns (every
channel's min, max, mean, std, p50 and abs_max, plus 4 DELs; see
``bench_openfast_vs_pcrunch.py``, whose campaigns and config this reuses) cost at most 4 ms of
CPU per file on the 276-channel files (801 samples) and 8 ms on the 112-channel files (6001
samples). Timed: :func:`orcapost.task.run_file` (open, read, extract, close: what a worker does
per file, whatever executor runs it) on one thread, ``time.process_time()`` over ``--files``
files from the page cache after a warm-up pass, the median of ``--rounds`` rounds; then the
same per result group (``stats`` alone, ``dels`` alone) to show where the time goes.

``--compare-python`` runs the same measurement in another interpreter (e.g. a checkout of the
previous main with its own venv), interleaved round by round, and prints the ratio: on a shared
machine only side-by-side ratios are worth comparing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_MS = {"276": 4.0, "112": 8.0}


def measure(config: Path, files: int) -> dict[str, float]:
    """CPU ms per file of run_file over the config's first ``files`` files, whole plan and
    per group."""
    from orcapost.config import load_config
    from orcapost.pluginmanager import get_plugin_manager
    from orcapost.results import FileInfo
    from orcapost.task import Plan, PlanSpec, register_plan, run_file

    pm = get_plugin_manager()
    loaded = load_config(config, pm.registry)
    spec = PlanSpec(key=f"bench-{config}", config_data=loaded.data,
                    base_directory=str(loaded.base_directory))
    plan = Plan.build(pm, loaded.model, spec)
    register_plan(plan)
    directory = Path(loaded.model.inputs.directory)
    paths = sorted(p for pattern in loaded.model.inputs.patterns for p in directory.glob(pattern))
    infos = [FileInfo(path=p, size=p.stat().st_size) for p in paths[:files]]
    groups = list(plan.groups)
    figures = {}
    for name, chosen in [("all", groups)] + [(g[0], [g]) for g in groups]:
        plan.groups = chosen
        for info in infos[: min(5, len(infos))]:  # warm-up: imports, caches, page cache
            run_file(spec, info)
        start = time.process_time()
        for info in infos:
            result = run_file(spec, info)
            if result.failures:
                raise SystemExit(f"{info.path}: {result.failures[0].reason}")
        figures[name] = (time.process_time() - start) / len(infos) * 1e3
    plan.groups = groups
    return figures


def configs_from_pcrunch(python: str, files: int, workdir: Path) -> dict[str, Path]:
    sys.path.insert(0, str(HERE))
    import bench_openfast_vs_pcrunch as peer

    found, data = peer.pcrunch_python(python)
    if found is None:
        raise SystemExit(f"pCrunch's data files are needed: {data}")
    data_dir = Path(data) / "test" / "data"
    configs = {}
    for kind in ("276", "112"):
        campaign = peer.build_campaign(workdir, data_dir, kind, files)
        configs[kind] = peer.orcapost_config(campaign, workdir / f"orcapost-{kind}")
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--config", type=Path, action="append", default=[],
                        help="an orcapost config of a wide-file campaign (repeatable)")
    parser.add_argument("--pcrunch-python", help="a Python with pCrunch (for its real files)")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--compare-python", help="another interpreter to measure side by side")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one round in this interpreter, as JSON
        print(json.dumps({str(c): measure(c, args.files) for c in args.config}))
        return
    if args.config:
        configs = {c.stem: c for c in args.config}
    else:
        workdir = args.workdir or Path(tempfile.gettempdir()) / "orcapost-bench-wide"
        configs = configs_from_pcrunch(args.pcrunch_python or sys.executable, args.files,
                                       workdir)
    pythons = [sys.executable] + ([args.compare_python] if args.compare_python else [])
    rounds: dict[str, list[dict]] = {python: [] for python in pythons}
    for _ in range(args.rounds):
        for python in pythons:  # interleaved
            command = [python, str(Path(__file__).resolve()), "--child", "--files",
                       str(args.files)]
            for config in configs.values():
                command += ["--config", str(config)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            rounds[python].append(json.loads(done.stdout.splitlines()[-1]))
    print(f"{platform.processor() or platform.machine()}, {platform.python_version()}; "
          f"{args.files} files, median of {args.rounds} rounds, CPU ms per file (run_file)")
    for kind, config in configs.items():
        print(f"\n{kind} ({config}):")
        medians = {}
        for python in pythons:
            per = [r[str(config)] for r in rounds[python]]
            medians[python] = {g: statistics.median(p[g] for p in per) for g in per[0]}
            parts = ", ".join(f"{g} {v:.2f}" for g, v in medians[python].items())
            print(f"  {python}: {parts}")
        target = next((t for k, t in TARGET_MS.items() if k in kind), None)
        mine = medians[sys.executable]["all"]
        if target is not None:
            print(f"  per file {mine:.2f} ms (target <= {target:g} ms): "
                  f"{'met' if mine <= target else 'NOT met'}")
        if args.compare_python:
            other = medians[args.compare_python]["all"]
            print(f"  {other / mine:.2f}x faster than {args.compare_python}")


if __name__ == "__main__":
    main()
