"""Benchmark: how long a big config takes to read and validate.

Run: ``python benchmarks/bench_config_load.py [--size-mb 3,50] [--repeat 3] [--loader both]``

A config of about ``--size-mb`` MB is written to a temporary folder: one result group per 200
statistics columns, each column a mapping of six keys (label, kind, object, variable, position,
statistics), as a campaign generator would write it. Each size is loaded with
:func:`orcapost.config.load_config` (read, YAML, migration check, validation against the v2
model: what ``orcapost validate`` does, without interpreter start-up), the YAML phase alone
timed as well, once with libyaml's loader and once with PyYAML's pure-Python one (``--loader``).
Figures are medians of ``--repeat`` runs (wall time, and the whole load's CPU time: the steadier
figure on a shared machine); docs/benchmarks.md records them. Target: a 50 MB
config validates in <= 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from orcapost import yamlread
from orcapost.config import load_config, read_yaml
from orcapost.pluginmanager import get_plugin_manager

COLUMNS_PER_GROUP = 200


def write_config(path: Path, size_bytes: int) -> int:
    """A valid config of about ``size_bytes``; returns its number of columns."""
    head = ("version: 2\ninputs:\n  directory: campaign\n  patterns: ['*.arrow']\n"
            "outputs:\n  directory: results\n  formats: [csv]\nresults:\n")
    column = ("      - label: '{{object}} tension {index}'\n"
              "        kind: statistics\n"
              "        object: Mooring{line}\n"
              "        variable: Effective Tension\n"
              "        position: {{arc_length: {arc}.5}}\n"
              "        statistics: [max, mean, std]\n")
    parts = [head]
    written = len(head)
    columns = 0
    while written < size_bytes:
        if columns % COLUMNS_PER_GROUP == 0:
            parts.append(f"  group{columns // COLUMNS_PER_GROUP}:\n    columns:\n")
        text = column.format(index=columns, line=columns % 12 + 1, arc=columns % 3000)
        parts.append(text)
        written += len(text)
        columns += 1
    path.write_text("".join(parts), encoding="utf-8")
    return columns


def _median(repeat: int, function, *args) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (on a machine shared with other
    work the CPU time is the steadier figure: waiting for a core is not in it)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        function(*args)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", default="3,50", help="Config sizes, comma-separated.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loader", choices=["libyaml", "python", "both"], default="both")
    args = parser.parse_args()
    registry = get_plugin_manager(entry_points=False).registry
    registry.config_model()  # built once per process, not part of loading a file
    loaders = {"libyaml": getattr(yaml, "CSafeLoader", yaml.SafeLoader), "python": yaml.SafeLoader}
    chosen = list(loaders) if args.loader == "both" else [args.loader]
    print(f"libyaml available: {yaml.__with_libyaml__}")
    print(f"{'size':>8} {'columns':>8} {'loader':>8} {'yaml':>9} {'validate':>9} "
          f"{'(cpu)':>9}")
    with tempfile.TemporaryDirectory() as scratch:
        for size_mb in (float(s) for s in args.size_mb.split(",")):
            path = Path(scratch) / f"config-{size_mb:g}MB.yml"
            columns = write_config(path, int(size_mb * 1e6))
            text = path.read_text(encoding="utf-8")
            for name in chosen:
                yamlread.LOADER = loaders[name]
                try:
                    parse, _ = _median(args.repeat, read_yaml, text, str(path))
                    total, cpu = _median(args.repeat, load_config, path, registry)
                finally:
                    yamlread.LOADER = loaders["libyaml"]
                print(f"{path.stat().st_size / 1e6:7.1f}M {columns:8d} {name:>8} "
                      f"{parse:8.2f}s {total:8.2f}s {cpu:8.2f}s")


if __name__ == "__main__":
    main()
