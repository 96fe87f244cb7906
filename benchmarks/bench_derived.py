"""Benchmark: what a derived channel and a per-point series cost against reading the variables.

Run: ``python benchmarks/bench_derived.py [--size 20MB] [--repeat 5]``

One demo archive of ``--size`` is written to a temporary folder. Timed (median of ``--repeat``,
the file opened fresh each time):

- ``hypot(Surge, Sway)`` as a derived channel's time history, against reading Surge and Sway
  and calling ``numpy.hypot`` by hand (the expression's own cost: parse once, then a tree walk
  per series);
- ``'Effective Tension' / 1200`` at End B of a mooring line, against the tension alone;
- the riser's ZZ Stress at the outer wall (a per-point series), against its own column.

docs/benchmarks.md says the machine the figures were taken on (a shared, loaded 2-core one).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from orcapost.demo import DemoSpec, write_campaign
from orcapost.derived_file import DerivedChannels, with_derived
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.schemas.derived import DerivedChannel
from orcapost.schemas.vocabulary import Period, Position
from pydantic import ByteSize, TypeAdapter

WHOLE = Period.model_validate("whole simulation")
CHANNELS = {"Offset": DerivedChannel(expression="hypot(Surge, Sway)"),
            "T/MBL": DerivedChannel(expression="'Effective Tension' / 1200")}


def median_seconds(task: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="20MB")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    size = int(TypeAdapter(ByteSize).validate_python(args.size))
    channels = DerivedChannels(CHANNELS)
    end_b = Position.model_validate("End B")
    outer = Position.model_validate({"node": 1, "radial": "outer"})
    node = Position.model_validate({"node": 1})
    with tempfile.TemporaryDirectory() as folder:
        (path,) = write_campaign(Path(folder), DemoSpec(file_size=size), files=1)

        def derived(var: str, obj: str, at: Position | None) -> Callable[[], object]:
            def run() -> object:
                with with_derived(ArchiveResultFile(path), channels) as file:
                    return file.time_history(obj, var, at, WHOLE).values
            return run

        def by_hand() -> object:
            with ArchiveResultFile(path) as file:
                surge = file.time_history("FPSO", "Surge", None, WHOLE).values
                sway = file.time_history("FPSO", "Sway", None, WHOLE).values
                return np.hypot(surge, sway)

        def plain(obj: str, var: str, at: Position | None) -> Callable[[], object]:
            def run() -> object:
                with ArchiveResultFile(path) as file:
                    return file.time_history(obj, var, at, WHOLE).values
            return run

        rows = [
            ("hypot(Surge, Sway), derived", derived("Offset", "FPSO", None)),
            ("hypot(Surge, Sway), by hand", by_hand),
            ("T/MBL at End B, derived", derived("T/MBL", "Mooring1", end_b)),
            ("Effective Tension at End B", plain("Mooring1", "Effective Tension", end_b)),
            ("ZZ Stress, outer wall (point series)", plain("Riser", "ZZ Stress", outer)),
            ("ZZ Stress, own column (inner wall)", plain("Riser", "ZZ Stress", node)),
        ]
        print(f"one {path.stat().st_size / 1e6:.1f} MB demo archive, median of {args.repeat} "
              "(file opened each time)")
        for label, task in rows:
            print(f"  {label:<40} {1e3 * median_seconds(task, args.repeat):8.2f} ms")


if __name__ == "__main__":
    main()
