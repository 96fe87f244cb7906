"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from orcapost.demo import DemoSpec

#: Small but complete: every object and variable of the demo, two headings x two Hs x two seeds.
SMALL_SPEC = DemoSpec(headings=(0.0, 45.0), wave_heights=(2.0, 6.0), seeds=(1, 2),
                      file_size=390_000)



def statistics_config(inputs: Path, outputs: Path, **engine) -> dict:
    """A config over the demo campaign touching every position and several periods."""
    return {
        "version": 2,
        "inputs": {"directory": str(inputs)},
        "engine": engine or {"thread_policy": {"name": "fixed", "threads": 3}},
        "results": {
            "lines": {"columns": [
                {"label": "{object} top", "kind": "statistics", "object": "Mooring*",
                 "variable": "Effective Tension", "position": "End B",
                 "statistics": ["max", "mean", "std"]},
                {"label": "riser tdp", "kind": "statistics", "object": "Riser",
                 "variable": "Bend Moment", "position": "Touchdown",
                 "statistics": ["max", "time_of_max"]},
                {"label": "riser s100", "kind": "statistics", "object": "Riser",
                 "variable": "Effective Tension", "position": {"arc_length": 100.0},
                 "period": "latest wave", "statistics": ["max", "p95"]},
            ]},
            "vessel": {"columns": [
                {"label": "heave", "kind": "statistics", "object": "FPSO",
                 "variable": "Heave", "statistics": ["min", "max", "abs_max", "rms"]},
                {"label": "heave build-up", "kind": "statistics", "object": "FPSO",
                 "variable": "Heave", "period": {"stage": 0}, "statistics": ["std"]},
            ]},
        },
        "outputs": {"directory": str(outputs), "formats": ["csv", "parquet"]},
    }
