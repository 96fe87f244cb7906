"""Campaigns for the OrcFxAPI double: the same simulations as archives and as ".sim" files.

Each demo simulation is written twice with identical contents: ``archives/NAME.arrow`` for the
archive source and ``sims/NAME.sim`` for the OrcaFlex source through the double. Values are
float64 (what OrcFxAPI returns), the load case is what the OrcaFlex source reads from the model
(wave data on the environment, the vessel's heading), and that model data is in the header.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from orcapost.archive import SimulationData, write_archive
from orcapost.demo import DemoSpec, simulate
from orcapost.resultfile import latest_wave

DOUBLE_PATH = Path(__file__).with_name("OrcFxAPI.py")


def load_double():
    """A fresh instance of the double, as module ``OrcFxAPI`` (the caller puts it in
    ``sys.modules``, e.g. with monkeypatch)."""
    spec = importlib.util.spec_from_file_location("OrcFxAPI", DOUBLE_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["OrcFxAPI"] = module  # dataclasses resolve the module while it executes
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["OrcFxAPI"]
    return module


def model_data(case: dict, vessel: str, vessel_heading: float) -> dict:
    return {
        "Environment": {"WaveType": "JONSWAP", "WaveHs": case["Hs"], "WaveTp": case["Tp"],
                        "WaveDirection": case["heading"], "WaveGamma": case["gamma"],
                        "WaveSeed": case["seed"]},
        vessel: {"InitialHeading": vessel_heading},
    }


def load_case(case: dict, vessel: str, vessel_heading: float) -> dict:
    """What the OrcaFlex source's load_case() gives for model_data(case, ...)."""
    return {"wave_type": "JONSWAP", "Hs": case["Hs"], "Tp": case["Tp"],
            "heading": case["heading"], "gamma": case["gamma"], "seed": case["seed"],
            f"{vessel} heading": vessel_heading}


def as_float64(sim: SimulationData) -> SimulationData:
    for obj in sim.objects:
        for var in obj.variables:
            var.values = np.asarray(var.values, dtype=np.float64)
            for point in var.points:
                point.values = np.asarray(point.values, dtype=np.float64)
        if obj.touchdown is not None:
            obj.touchdown = np.asarray(obj.touchdown, dtype=np.float64)
    return sim


def truncated(sim: SimulationData, fraction: float, state: str) -> SimulationData:
    """The simulation as if it had stopped after ``fraction`` of its samples."""
    keep = max(2, int(sim.time.shape[0] * fraction))
    for obj in sim.objects:
        for var in obj.variables:
            var.values = var.values[:keep]
            for point in var.points:
                point.values = point.values[:keep]
        if obj.touchdown is not None:
            obj.touchdown = obj.touchdown[:keep]
    elevation = next(v.values for o in sim.objects for v in o.variables if v.name == "Elevation")
    time = sim.time[:keep]
    return replace(sim, time=time, state=state, latest_wave=latest_wave(time, elevation))


def write_pair(directory: Path, spec: DemoSpec, case: dict, *, vessel_heading: float = 0.0,
               stop_fraction: float | None = None, state: str = "complete") -> tuple[Path, Path]:
    """One simulation as ``archives/NAME.arrow`` and ``sims/NAME.sim``."""
    sim = as_float64(simulate(spec, case))
    if stop_fraction is not None:
        sim = truncated(sim, stop_fraction, state)
    sim.load_case = load_case(case, spec.vessel, vessel_heading)
    name = Path(spec.file_name(case)).stem
    archive = directory / "archives" / f"{name}.arrow"
    archive.parent.mkdir(parents=True, exist_ok=True)
    sim.model_data = model_data(case, spec.vessel, vessel_heading)
    write_archive(archive, sim)
    target = directory / "sims" / f"{name}.sim"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archive, target)
    return archive, target


def write_campaign(directory: Path, spec: DemoSpec) -> tuple[Path, Path]:
    """Every load case of ``spec`` as archives and as .sim files; returns the two folders."""
    for index, case in enumerate(spec.load_cases()):
        write_pair(directory, spec, case, vessel_heading=10.0 * index)
    return directory / "archives", directory / "sims"
