"""Benchmark: how long each sink takes to write the demo campaign's tables.

Run: ``python benchmarks/bench_sinks.py [--files 24] [--size 300KB] [--repeat 3]``

The demo campaign of ``--files`` files is written and run once (csv); its tables (result groups,
long tables, campaign tables) are then written again by each sink (csv, parquet, legacy_csv,
xlsx) into a temporary folder, timed alone: the median of ``--repeat`` writes. docs/benchmarks.md
records the figures (a loaded, shared 2-core machine: read them as orders of magnitude).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.markers import hookimpl
from orcapost.pluginmanager import get_plugin_manager
from orcapost.tables import RunTables

REPO = Path(__file__).resolve().parents[1]
SINKS = ("csv", "parquet", "legacy_csv", "xlsx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--size", type=int, default=300_000, help="bytes per file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pm = get_plugin_manager(entry_points=False)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_campaign(root / "campaign", DemoSpec(file_size=args.size), files=args.files)
        data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
        data["inputs"]["directory"] = str(root / "campaign")
        data["engine"]["thread_policy"] = {"name": "fixed", "threads": 2}
        data["engine"]["progress"] = "silent"
        data["outputs"] = {"directory": str(root / "results"), "formats": ["csv"]}
        (root / "demo.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
        loaded = load_config(root / "demo.yml", pm.registry)
        results = []

        class Keep:  # the run's file results, to build its tables again outside the run
            @hookimpl
            def orcapost_file_done(self, result):
                results.append(result)

        pm.register(Keep(), name="bench-sinks-keep")
        Engine(pm, loaded).run()
        model = loaded.model
        tables = RunTables(list(model.results), getattr(model, "campaign", None), model)
        for result in results:
            tables.add(result)
        names = tables.groups()
        rows = sum(tables.table(name).num_rows for name in names)
        print(f"{args.files} files, {len(names)} tables, {rows:,} rows")
        for sink_name in SINKS:
            sink = pm.registry.get("sink", sink_name).cls()
            sink._config_stem = "demo" if sink_name == "xlsx" else None  # type: ignore[attr-defined]
            times = []
            for _ in range(args.repeat):
                out = Path(tempfile.mkdtemp(dir=root))
                started = time.perf_counter()
                layout = sink.layout()
                for name in names:
                    sink.write(layout.file_stem(name, captured_context(loaded)),
                               tables.laid_out(name, layout), out)
                sink.finish(out)
                times.append(time.perf_counter() - started)
            print(f"  {sink_name:10s} {statistics.median(times):6.2f} s")


def captured_context(loaded):
    class Context:  # what a layout reads of the run
        config_stem = "demo"
        config = loaded.model
    return Context()


if __name__ == "__main__":
    main()
