"""Benchmark: the executors side by side -- threads, processes, dask -- on small and medium files.

Run: ``python benchmarks/bench_executors.py [--small 2000] [--small-size 20KB] [--medium 48]
[--medium-size 4MB] [--executors threads,processes,dask] [--data DIR]``

Two demo campaigns (``orcapost.demo``, the demo config's objects and variables), written once
into ``--data`` (default: a temporary folder): ``--small`` files of about ``--small-size`` and
``--medium`` files of about ``--medium-size``. Each executor runs the demo config
(``configs/demo.yml``: statistics, MPM, DEL, range graphs ...) on each campaign in-process
through the engine, with its defaults: ``threads`` (fixed policy, 15 at once), ``processes`` (one
worker process per core), ``dask`` (its own ``LocalCluster``: one worker process per core, one
thread each; ``distributed`` must be installed).

Printed per executor and campaign:

- **total**: wall time of the whole run (executor start-up, probe, files, tables, report);
- **start-up**: from the run's start to the first file starting on a worker (pool or cluster
  start, the workers' probe);
- **work**: the files' own time (open + extract + close, summed over files, from the run
  report);
- **overhead ms/file**: ``(total - start-up - work / parallel) / files``, where ``parallel`` is
  the files that can really run at once (the run's ceiling, at most the workers' cores): what
  scheduling, moving tasks and results, and the coordinator's share (journal, tables) add to
  each file beyond its own work.

On a machine shared with other jobs the figures move by tens of percent; compare executors
within one run of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import yaml
from orcapost.config import validate_data
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.pluginmanager import get_plugin_manager
from orcapost.run_report import RUN_REPORT_NAME
from pydantic import ByteSize, TypeAdapter

SIZE = TypeAdapter(ByteSize)


def campaign(root: Path, name: str, files: int, size: int) -> Path:
    directory = root / f"{name}-{files}x{size}"
    if not directory.is_dir() or len(list(directory.glob("*.arrow"))) != files:
        write_campaign(directory, DemoSpec(file_size=size), files=files)
    return directory


def demo_config(inputs: Path, output: Path, executor: str) -> dict:
    import orcapost.configs

    config = yaml.safe_load((Path(orcapost.configs.__file__).parent / "demo.yml")
                            .read_text(encoding="utf-8"))
    config["inputs"]["directory"] = str(inputs)
    config.setdefault("outputs", {})["directory"] = str(output)
    config["engine"] = {"executor": executor}
    return config


def run(executor: str, inputs: Path) -> dict:
    pm = get_plugin_manager(entry_points=False)
    silent = pm.registry.get("reporter", "silent").cls()
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-exec-") as output:
        loaded = validate_data(demo_config(inputs, Path(output), executor), pm.registry)
        began, wall = time.time(), time.perf_counter()
        summary = Engine(pm, loaded, reporter=silent).run()
        total = time.perf_counter() - wall
        report = json.loads((Path(output) / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    rows = report["files"]
    files = len(rows)
    work = sum(row["total"] or 0.0 for row in rows)
    startup = max(0.0, min(row["opened_at"] or began for row in rows) - began) if rows else 0.0
    settings = report["settings"]
    cores = (settings.get("capacity") or {}).get("cpu_count") or os.cpu_count() or 1
    parallel = max(1, min(settings["ceiling"], cores))
    overhead = (total - startup - work / parallel) / files if files else 0.0
    return {"executor": executor, "files": files, "ok": summary.ok, "total": total,
            "startup": startup, "work": work, "parallel": parallel,
            "overhead_ms": overhead * 1000, "ceiling": settings["ceiling"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--small-size", default="20KB")
    parser.add_argument("--medium", type=int, default=48)
    parser.add_argument("--medium-size", default="4MB")
    parser.add_argument("--executors", default="threads,processes,dask")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    executors = [name.strip() for name in args.executors.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-exec-data-") as tmp:
        root = args.data or Path(tmp)
        campaigns = [
            ("small", campaign(root, "small", args.small, int(SIZE.validate_python(args.small_size)))),
            ("medium", campaign(root, "medium", args.medium,
                                int(SIZE.validate_python(args.medium_size)))),
        ]
        print(f"{os.cpu_count()} cores; demo config; each executor with its defaults")
        print(f"{'campaign':<8} {'executor':<10} {'files':>6} {'ok':>6} {'at once':>7} "
              f"{'total s':>8} {'start-up s':>10} {'work s':>8} {'overhead ms/file':>16}")
        for label, directory in campaigns:
            for executor in executors:
                r = run(executor, directory)
                print(f"{label:<8} {executor:<10} {r['files']:>6} {r['ok']:>6} "
                      f"{r['ceiling']:>7} {r['total']:>8.2f} {r['startup']:>10.2f} "
                      f"{r['work']:>8.2f} {r['overhead_ms']:>16.3f}", flush=True)


if __name__ == "__main__":
    main()
