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
- **overhead ms/file**: the scheduling overhead seen from the workers. For each worker slot (a
  worker process and thread, from the run report's ``process`` and ``worker``), the files it ran
  in the order it opened them; the time between one file's close and the next file's open on
  the same slot is time the slot spent outside files: the task's trip to the worker and the
  result's back, waiting for the coordinator to submit, the plan's set-up on a fresh worker.
  The sum over all slots, divided by the number of files. Batches of small files share one
  trip, so their files' gaps are small.

On a machine shared with other jobs the figures move by tens of percent; compare executors
within one run of this script.
"""

from __future__ import annotations

import argparse
import itertools
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
    slots: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in rows:
        if row["opened_at"] is not None and row["closed_at"] is not None:
            slots.setdefault((row["process"], row["worker"]), []).append(
                (row["opened_at"], row["closed_at"]))
    gaps = 0.0
    for spans in slots.values():
        spans.sort()
        gaps += sum(max(0.0, nxt[0] - prev[1]) for prev, nxt in itertools.pairwise(spans))
    return {"executor": executor, "files": files, "ok": summary.ok, "total": total,
            "startup": startup, "work": work, "slots": len(slots),
            "overhead_ms": gaps / files * 1000 if files else 0.0,
            "ceiling": report["settings"]["ceiling"]}


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
              f"{'slots':>5} {'total s':>8} {'start-up s':>10} {'work s':>8} "
              f"{'overhead ms/file':>16}")
        for label, directory in campaigns:
            sizes = [path.stat().st_size for path in directory.glob("*.arrow")]
            print(f"{label}: {len(sizes)} files of {sum(sizes) / len(sizes) / 1e3:.0f} KB "
                  f"on average")
            for executor in executors:
                r = run(executor, directory)
                print(f"{label:<8} {executor:<10} {r['files']:>6} {r['ok']:>6} "
                      f"{r['ceiling']:>7} {r['slots']:>5} {r['total']:>8.2f} {r['startup']:>10.2f} "
                      f"{r['work']:>8.2f} {r['overhead_ms']:>16.3f}", flush=True)


if __name__ == "__main__":
    main()
