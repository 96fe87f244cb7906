"""Benchmark: orcapost against NREL's pCrunch on real OpenFAST output files, whole process.

pCrunch is *not* an orcapost dependency. Give the benchmark a Python that has it, e.g.::

    python -m venv pcrunch-env && pcrunch-env/bin/pip install pCrunch==2.1.5
    python benchmarks/bench_openfast_vs_pcrunch.py --pcrunch-python pcrunch-env/bin/python

(or install pCrunch into the environment that runs the benchmark; without either the benchmark
says so and skips). The real files are the ones pCrunch ships in its package
(``pCrunch/test/data``), copied round-robin into campaigns of ``--files`` files (400):

- ``112``: ``Test1..3.outb`` (FileID 2, 112 channels, 6001 steps = 600 s; 1.35 MB each);
- ``276``: ``DLC1p1/*.outb`` (FileID 4, 276 channels, 801 steps = 10 s; 0.45 MB each).

Both tools compute, for every channel of every file, min, max, mean, std, median and abs-max,
and the 1 Hz DEL (n_eq = record seconds) of 4 channels (RootMyc1 and RootMxc1 at m = 10,
TwrBsMyt and TwrBsMxt at m = 4). Timed: each tool as a fresh process, from start to exit
(imports, reading, computing, writing its results as CSV), files in the page cache (a warm-up
read of the campaign first), one run per setting (``--rounds`` for more, interleaved in an
order where every setting follows every other equally often, after one untimed run:
``run_order.balanced_order``; ``--rounds`` is then rounded up to whole cycles):

- pCrunch, its documented batch use: ``read`` every file, then
  ``Crunch(outputs, lean=True, fatigue_channels=...).process_outputs(cores=1)`` (its serial
  mode; ``--pcrunch-cores 2`` adds its multiprocessing mode), results written with pandas;
- orcapost: ``orcapost run`` with the default settings, and with ``--threads 1`` and
  ``--executor processes --threads 2``.

Peak memory is the largest resident set of the process and its children (psutil, sampled every
20 ms). Then the numbers are compared value by value and the differences explained: see
docs/benchmarks.md#openfast-campaigns-against-pcrunch for the definitions that differ.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import child_env  # noqa: E402  (beside this script)
from run_order import balanced_order  # noqa: E402

STATS = {"min": "min", "max": "max", "mean": "mean", "std": "std", "median": "p50",
         "abs": "abs_max"}  # pCrunch name -> orcapost name
DEL_CHANNELS = {"RootMyc1": 10.0, "RootMxc1": 10.0, "TwrBsMyt": 4.0, "TwrBsMxt": 4.0}
KINDS = {"112": ["Test1.outb", "Test2.outb", "Test3.outb"],
         "276": [f"DLC1p1/DLC1.1_0_NREL5MW_OC3_spar_{k}.outb" for k in range(5)]}

PCRUNCH_SCRIPT = textwrap.dedent("""
    import sys, glob, os
    import numpy as np
    from pCrunch import Crunch, FatigueParams, read
    campaign, out, cores = sys.argv[1], sys.argv[2], int(sys.argv[3])
    slopes = {slopes!r}
    files = sorted(glob.glob(os.path.join(campaign, "*.outb")))
    outputs = read(files)
    fc = {{c: FatigueParams(slope=m) for c, m in slopes.items()}}
    cruncher = Crunch(outputs, lean=True, fatigue_channels=fc)
    cruncher.process_outputs(cores=cores)
    stats = cruncher.summary_stats.copy()
    stats.index = [os.path.basename(str(i)) for i in stats.index]
    long = stats.stack(level=0, future_stack=True)
    long.index.names = ["file", "channel"]
    long.to_csv(out + "_stats.csv")
    dels = cruncher.dels.copy()
    dels.index = [os.path.basename(str(i)) for i in dels.index]
    dels.index.name = "file"
    dels.to_csv(out + "_dels.csv")
""")


def pcrunch_python(given: str | None) -> tuple[str | None, str]:
    """A Python that imports pCrunch, and its data folder, or (None, why not)."""
    candidates = [given] if given else [sys.executable]
    for python in candidates:
        try:
            found = subprocess.run(
                [python, "-c", "import os, pCrunch; print(pCrunch.__version__ if hasattr("
                 "pCrunch, '__version__') else ''); print(os.path.dirname(pCrunch.__file__))"],
                capture_output=True, text=True, timeout=120)
        except OSError as exc:
            return None, f"{python}: {exc}"
        if found.returncode == 0:
            return python, found.stdout.splitlines()[-1]
    return None, "pCrunch is not importable"


def build_campaign(root: Path, data: Path, kind: str, files: int) -> Path:
    directory = root / f"campaign-{kind}-{files}"
    if directory.exists() and len(list(directory.glob("*.outb"))) == files:
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    sources = [data / name for name in KINDS[kind]]
    for k in range(files):
        shutil.copyfile(sources[k % len(sources)], directory / f"run_{k:04d}.outb")
    return directory


def orcapost_config(campaign: Path, out: Path) -> Path:
    import yaml

    columns = [{"label": "{variable} {statistic}", "kind": "statistics", "object": "OpenFAST",
                "variable": "*", "statistics": list(STATS.values())}]
    dels = [{"label": f"{name} DEL", "kind": "fatigue", "object": "OpenFAST", "variable": name,
             "m": m, "n_eq": "per_second"} for name, m in DEL_CHANNELS.items()]
    config = {"version": 2, "inputs": {"directory": str(campaign), "patterns": ["*.outb"]},
              "results": {"stats": {"columns": columns}, "dels": {"columns": dels}},
              "outputs": {"directory": str(out), "formats": ["csv"]}}
    path = out.parent / f"{out.name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def timed(command: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s of the process tree, peak RSS in MB of the process tree) of ``command``."""
    import psutil

    t0 = time.perf_counter()
    proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        env=child_env())
    peak, cpu = 0, {}
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
            for p in tree:
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, sum(cpu.values()), peak / 1e6


def read_orcapost(out: Path) -> tuple[dict, dict]:
    stats, dels = {}, {}
    for name, target in (("stats", stats), ("dels", dels)):
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                target[Path(row["file"]).name] = row
    return stats, dels


def read_pcrunch(prefix: Path) -> tuple[dict, dict]:
    stats: dict = {}
    with Path(f"{prefix}_stats.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            stats.setdefault(row["file"], {})[row["channel"]] = row
    with Path(f"{prefix}_dels.csv").open(newline="", encoding="utf-8") as f:
        dels = {row["file"]: row for row in csv.DictReader(f)}
    return stats, dels


def compare(ours: tuple[dict, dict], theirs: tuple[dict, dict]) -> list[str]:
    """Per statistic: values compared, how many are bit-identical, the largest relative
    difference; per DEL channel the same."""
    lines = []
    o_stats, o_dels = ours
    p_stats, p_dels = theirs
    for p_name, o_name in STATS.items():
        n = same = 0
        worst = 0.0
        for file, channels in p_stats.items():
            row = o_stats[file]
            for channel, values in channels.items():
                key = f"{channel} {o_name}"
                if key not in row:
                    continue  # pCrunch's Time channel: a variable in pCrunch, the axis here
                a, b = float(row[key]), float(values[p_name])
                n += 1
                same += a == b
                scale = max(abs(a), abs(b))
                if scale > 0:
                    worst = max(worst, abs(a - b) / scale)
        lines.append(f"  {p_name:>6}: {n:7,d} values, {same / max(n, 1):6.1%} bit-identical, "
                     f"largest relative difference {worst:.2e}")
    for channel in DEL_CHANNELS:
        diffs = [float(o_dels[f][f"{channel} DEL"]) / float(p_dels[f][channel]) - 1.0
                 for f in p_dels]
        lines.append(f"  DEL {channel} (m={DEL_CHANNELS[channel]:g}): orcapost / pCrunch - 1: "
                     f"median {statistics.median(diffs):+.2e}, range [{min(diffs):+.2e}, "
                     f"{max(diffs):+.2e}]")
    return lines


def del_reference(path: Path, channel: str, m: float) -> float:
    """The 1 Hz DEL of one file from the `rainflow` package's ASTM cycles (half cycles 0.5),
    float64 decoding: the definition orcapost implements."""
    import rainflow
    from orcapost.formats import openfast

    out = openfast.read(path)
    x = out.channel(channel)
    cycles = np.array([(r, c) for r, _, c, _, _ in rainflow.extract_cycles(x.tolist())])
    return float((np.sum(cycles[:, 1] * cycles[:, 0] ** m) / (out.time[-1] - out.time[0]))
                 ** (1 / m))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pcrunch-python", help="a Python with pCrunch installed")
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--kind", choices=["112", "276", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pcrunch-cores", type=int, nargs="*", default=[1])
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the campaigns are written (default: a temporary folder)")
    args = parser.parse_args()

    python, data = pcrunch_python(args.pcrunch_python)
    if python is None:
        print(f"skipped: {data}. Install pCrunch in a Python of its own "
              "(python -m venv pcrunch-env && pcrunch-env/bin/pip install pCrunch==2.1.5) and "
              "pass --pcrunch-python pcrunch-env/bin/python")
        return
    data_dir = Path(data) / "test" / "data"
    root = args.workdir or Path(tempfile.mkdtemp(prefix="orcapost-pcrunch-"))
    root.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([python, "-c", "import importlib.metadata as m; "
                              "print(m.version('pCrunch'), m.version('fatpack'))"],
                             capture_output=True, text=True).stdout.split()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.platform()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Python "
          f"{platform.python_version()}; pCrunch {' / fatpack '.join(version)}")

    script = root / "pcrunch_run.py"
    script.write_text(PCRUNCH_SCRIPT.format(slopes=DEL_CHANNELS), encoding="utf-8")
    orcapost = [sys.executable, "-m", "orcapost", "run"]
    for kind in (["112", "276"] if args.kind == "both" else [args.kind]):
        campaign = build_campaign(root, data_dir, kind, args.files)
        size = sum(p.stat().st_size for p in campaign.glob("*.outb"))
        for p in campaign.glob("*.outb"):  # warm the page cache for both tools
            p.read_bytes()
        print(f"\n{kind} channels: {args.files} files, {size / 1e6:.0f} MB ({campaign})")
        settings: dict[str, list[str]] = {}
        for cores in args.pcrunch_cores:
            settings[f"pCrunch cores={cores}"] = [
                python, str(script), str(campaign), str(root / f"pcrunch-{kind}"), str(cores)]
        config = orcapost_config(campaign, root / f"orcapost-{kind}")
        settings["orcapost default"] = [*orcapost, str(config), "-q"]
        settings["orcapost --threads 1"] = [*orcapost, str(config), "-q", "--threads", "1"]
        settings["orcapost --executor processes --threads 2"] = [
            *orcapost, str(config), "-q", "--executor", "processes", "--threads", "2"]
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in settings}
        names = list(settings)
        if args.rounds > 1:  # who follows whom balanced (run_order.py); one round: as listed
            order = [names[i] for i in balanced_order(len(names))]
            cycles = -(-args.rounds // (len(names) - 1))
            timed(settings[order[-1]])  # untimed: the first timed run follows the cycle's last
            sequence = order * cycles
            print(f"  {cycles * (len(names) - 1)} runs per setting, every setting after every "
                  "other equally often")
        else:
            sequence = names
        for name in sequence:
            results[name].append(timed(settings[name]))
        best_pcrunch = min(statistics.median(w for w, _, _ in v)
                           for k, v in results.items() if k.startswith("pCrunch"))
        for name, runs in results.items():
            wall = statistics.median(w for w, _, _ in runs)
            cpu = statistics.median(c for _, c, _ in runs)
            rss = max(r for _, _, r in runs)
            print(f"  {name:<44} {wall:7.2f} s wall, {cpu:7.2f} s CPU, peak {rss:7.0f} MB; "
                  f"best pCrunch / this: {best_pcrunch / wall:5.2f}x")
        print("  numbers, orcapost against pCrunch:")
        ours = read_orcapost(root / f"orcapost-{kind}")
        theirs = read_pcrunch(root / f"pcrunch-{kind}")
        for line in compare(ours, theirs):
            print(line)
        first = sorted(campaign.glob("*.outb"))[0]
        for channel, m in DEL_CHANNELS.items():
            ref = del_reference(first, channel, m)
            got = float(ours[1][first.name][f"{channel} DEL"])
            print(f"  {first.name} DEL {channel}: orcapost {got:.10g}, rainflow-package "
                  f"reference {ref:.10g} (relative difference {abs(got / ref - 1):.1e}), "
                  f"pCrunch {float(theirs[1][first.name][channel]):.10g}")


if __name__ == "__main__":
    main()
