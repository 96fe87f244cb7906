"""Benchmark: an unchanged re-run with ``--resume`` against the first run, on the demo campaign.

Run: ``python benchmarks/bench_resume.py [--data DIR] [--files 24] [--size 20MB] [--threads 2]
[--repeat 3] [--whole-process]``

It writes a demo campaign of ``--files`` archives of about ``--size`` each into ``--data``
(default ``bench-data/`` beside the repository; written once and reused), then runs orcapost's
demo config (``configs/demo.yml``: statistics, extremes, fatigue, range graphs, linked statistics,
time histories, metadata and campaign tables) in-process through the engine:

- **first**: a run into an empty output folder (every file opened, every column computed);
- **resume**: the same config again with ``--resume`` (nothing changed: the published set is
  confirmed from its run report -- fingerprints, every file's identity, every table's digest --
  no file is opened, no journal read, no table written; only the run report is written);
- **one column changed**: ``--resume`` after changing one column's options (``storm_duration``
  of the mooring MPM): every file opened once for that column only.

Each figure is the median of ``--repeat`` runs (first and resume alternate), from the page cache.
With ``--whole-process`` the first run and the unchanged resume are also timed as the command
line runs them (``python -m orcapost run CONFIG [--resume]``: interpreter start-up, imports and
plugin loading included).
Target: resume >= 20x faster than the first run. docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import child_env  # noqa: E402  (beside this script)
from orcapost.config import read_yaml, validate_data  # noqa: E402
from orcapost.demo import DemoSpec, write_campaign  # noqa: E402
from orcapost.engine import Engine  # noqa: E402
from orcapost.pluginmanager import get_plugin_manager  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def campaign(root: Path, files: int, size: int) -> Path:
    directory = root / f"resume-{files}x{size // 1_000_000}MB"
    marker = directory / ".complete"
    if not marker.exists():
        print(f"writing {files} demo files of {size / 1e6:.0f} MB to {directory} ...")
        write_campaign(directory, DemoSpec(file_size=size), files=files)
        marker.touch()
    return directory


def demo_config(inputs: Path, output: Path, threads: int) -> dict:
    text = resources.files("orcapost.configs").joinpath("demo.yml").read_text(encoding="utf-8")
    data = read_yaml(text, "demo.yml")
    data["inputs"]["directory"] = str(inputs)
    data["outputs"]["directory"] = str(output)
    data["engine"] = {"thread_policy": {"name": "fixed", "threads": threads}}
    return data


def timed(pm, data: dict, resume: bool) -> tuple[float, dict]:
    loaded = validate_data(data, pm.registry, source="demo.yml", base_directory=REPO)
    engine = Engine(pm, loaded, resume=resume)
    start = time.perf_counter()
    summary = engine.run()
    elapsed = time.perf_counter() - start
    if summary.failed:
        raise SystemExit(f"{summary.failed} files failed")
    return elapsed, engine.report["summary"]["reused"]


def whole_process(config: Path, resume: bool) -> float:
    command = [sys.executable, "-m", "orcapost", "run", str(config), "-q"]
    start = time.perf_counter()
    subprocess.run(command + (["--resume"] if resume else []), check=True, env=child_env())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench-data")
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--size", default="20MB", help="approximate size of each file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--whole-process", action="store_true",
                        help="also time `python -m orcapost run` in a new process")
    args = parser.parse_args()
    size = int(float(args.size.upper().removesuffix("MB")) * 1_000_000)
    inputs = campaign(args.data, args.files, size)
    pm = get_plugin_manager()
    first, resumed, changed = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "results"
        data = demo_config(inputs, output, args.threads)
        edited = copy.deepcopy(data)
        edited["results"]["mooring"]["columns"][2]["storm_duration"] = 3600
        timed(pm, data, resume=False)  # warm the page cache and the imports
        for _ in range(args.repeat):
            shutil.rmtree(output, ignore_errors=True)
            elapsed, reused = timed(pm, data, resume=False)
            first.append(elapsed)
            elapsed, reused = timed(pm, data, resume=True)
            assert reused["files"] == args.files, reused
            resumed.append(elapsed)
            cells = reused["cells"]
            elapsed, reused = timed(pm, edited, resume=True)
            assert reused["partial_files"] == args.files, reused
            changed.append(elapsed)
        processes: tuple[list[float], list[float]] = ([], [])
        if args.whole_process:
            import yaml

            config = Path(tmp) / "demo.yml"
            config.write_text(yaml.safe_dump(data), encoding="utf-8")
            for _ in range(args.repeat):
                shutil.rmtree(output, ignore_errors=True)
                processes[0].append(whole_process(config, resume=False))
                processes[1].append(whole_process(config, resume=True))
    a, b, c = (statistics.median(x) for x in (first, resumed, changed))
    total = sum(f.stat().st_size for f in inputs.glob("*.arrow"))
    print(f"demo campaign: {args.files} files, {total / 1e9:.2f} GB, {args.threads} threads, "
          f"median of {args.repeat}")
    print(f"first run                    {a:8.3f} s")
    print(f"unchanged --resume           {b:8.3f} s   {a / b:6.1f}x faster  "
          f"({args.files} files, {cells} cells reused)")
    print(f"--resume, one column changed {c:8.3f} s   {a / c:6.1f}x faster")
    if args.whole_process:
        d, e = (statistics.median(x) for x in processes)
        print(f"whole process: first run     {d:8.3f} s")
        print(f"whole process: --resume      {e:8.3f} s   {d / e:6.1f}x faster")


if __name__ == "__main__":
    main()
