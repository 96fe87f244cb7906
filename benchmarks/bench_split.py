"""Benchmark: few large files -- does splitting a file across workers use every core?

Run: ``python benchmarks/bench_split.py [--campaigns 1x1GB,2x1GB] [--runs 5] [--data DIR]
[--memory-map]``

For each campaign (demo archives from ``orcapost.demo``; a campaign already in ``--data``
is reused read-only, and a campaign of fewer files of a size ``--data`` holds is made of links
to its first files) the shipped demo config (``configs/demo.yml``) runs as a **whole process**
(``python -m orcapost run CONFIG -q``) in three modes, interleaved, ``--runs`` times each:
``split`` (``engine.split_files: true``: a large file of a source without thread affinity is
split by column across the free threads, large files one at a time), ``whole``
(``engine.split_files: false``: each file whole on one worker, several at once) and
``--threads 1``. The default, ``auto``, is ``split`` with ``--memory-map`` and ``whole``
without. With
``--memory-map`` the archive source reads columns as views of the page cache
(``inputs.sources: [{name: archive, memory_map: true}]``) in every mode. Printed per campaign
and mode: median wall and CPU (user + system, and the system part alone: fresh memory is
kernel time), the median peak resident memory the run report measured, the ratio one worker /
mode (above 1: the mode is faster), and whether every table (CSV and Parquet) has the same
bytes in every mode. Then how many cores the machine gave just then (2.0 on an idle 2-core
machine).

Outputs go to a temporary folder (or ``--work``), never into ``--data``. The machine this runs
on may be shared: ratios within one run are what count, not the absolute seconds.
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

import yaml
from orcapost.demo import DemoSpec, write_campaign
from pydantic import ByteSize, TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import child_env  # noqa: E402 - the sibling benchmarks'
from bench_cores import cores_available, digest  # noqa: E402

SIZE = TypeAdapter(ByteSize)
#: (name, command-line options, engine.split_files).
MODES = (("split", [], True), ("whole", [], False), ("--threads 1", ["--threads", "1"], True))


def campaign(data: Path, work: Path, files: int, size: int) -> Path:
    """The campaign folder: ``data``'s, links to the first files of a larger one of the same
    size there, or demo archives written into ``data``."""
    name = f"campaign-{files}x{size}"
    own = data / name
    if own.is_dir() and len(list(own.glob("*.arrow"))) == files:
        return own
    for other in sorted(data.glob(f"campaign-*x{size}")):
        found = sorted(other.glob("*.arrow"))
        if len(found) >= files:
            linked = work / name
            linked.mkdir(parents=True, exist_ok=True)
            for path in found[:files]:
                target = linked / path.name
                if not target.exists():
                    target.symlink_to(path)
            return linked
    write_campaign(own, DemoSpec(file_size=size), files=files)
    return own


def config_for(inputs: Path, output: Path, split: bool, memory_map: bool) -> Path:
    import orcapost.configs

    config = yaml.safe_load((Path(orcapost.configs.__file__).parent / "demo.yml")
                            .read_text(encoding="utf-8"))
    config["inputs"]["directory"] = str(inputs)
    if memory_map:
        config["inputs"]["sources"] = [{"name": "archive", "memory_map": True}]
    config["outputs"]["directory"] = str(output)
    config["engine"]["split_files"] = split
    path = output.parent / f"{output.name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def children_times() -> tuple[float, float]:
    times = os.times()
    return times.children_user, times.children_system


def run_once(config: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall, CPU and system seconds of one whole-process run."""
    (user, system), wall = children_times(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "orcapost", "run", str(config), "-q", *extra],
                          capture_output=True, text=True, env=child_env())
    wall = time.perf_counter() - wall
    user_after, system_after = children_times()
    if done.returncode != 0:
        raise SystemExit(f"orcapost run {' '.join(extra)} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return wall, user_after - user + system_after - system, system_after - system


def peak_rss(output: Path) -> float:
    report = json.loads((output / "orcapost-run.json").read_text(encoding="utf-8"))
    return float(report["memory"]["peak_rss"] or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", default="1x1GB,2x1GB",
                        help="comma-separated FILESxSIZE")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None,
                        help="where the campaigns are (or are written): default a temporary "
                             "folder")
    parser.add_argument("--work", type=Path, default=None,
                        help="where the outputs go: default a temporary folder")
    parser.add_argument("--memory-map", action="store_true",
                        help="the archive source maps the files (memory_map: true)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-split-") as scratch:
        data = args.data or Path(scratch) / "data"
        work = args.work or Path(scratch) / "work"
        data.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, "
              f"{platform.system()} {platform.machine()}, Python {platform.python_version()}; "
              f"load average {', '.join(f'{x:.1f}' if isinstance(x, float) else x for x in load)}")
        print(f"demo config, whole process, medians of {args.runs} interleaved runs"
              + (", memory_map: true" if args.memory_map else ""))
        print(f"{'campaign':10} {'mode':12} {'wall s':>7} {'CPU s':>7} {'sys s':>7} "
              f"{'peak GB':>8} {'1 worker / mode':>16} {'tables identical':>17}")
        for spec in args.campaigns.split(","):
            count, size = spec.lower().split("x")
            inputs = campaign(data, work, int(count), int(SIZE.validate_python(size.upper())))
            configs = {name: config_for(inputs, work / f"results-{spec}-{i}", split,
                                        args.memory_map)
                       for i, (name, _, split) in enumerate(MODES)}
            figures: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n, *_ in MODES}
            for _ in range(args.runs):
                for name, extra, _split in MODES:
                    wall, cpu, system = run_once(configs[name], extra)
                    output = work / f"results-{spec}-{[m[0] for m in MODES].index(name)}"
                    figures[name].append((wall, cpu, system, peak_rss(output)))
            digests = {digest(work / f"results-{spec}-{i}") for i in range(len(MODES))}
            one = statistics.median(f[0] for f in figures["--threads 1"])
            for index, (name, _, _) in enumerate(MODES):
                wall, cpu, system, peak = (statistics.median(f[k] for f in figures[name])
                                           for k in range(4))
                ratio = f"{one / wall:.2f}x" if name != "--threads 1" else ""
                same = ("yes" if len(digests) == 1 else "NO") if index == 0 else ""
                print(f"{spec:10} {name:12} {wall:7.2f} {cpu:7.2f} {system:7.2f} "
                      f"{peak / 1e9:8.2f} {ratio:>16} {same:>17}")
            print(f"{'':10} cores available just after (2 busy processes / 1): "
                  f"{cores_available():.2f}")


if __name__ == "__main__":
    main()
