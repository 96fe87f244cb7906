"""In-memory description of one simulation's results, as the archive writer takes it.

It mirrors OrcaFlex's result model: objects with a type, variables with units, one set of sample
times, line variables along arc length (time x nodes), simulation stages (the build-up stage at
negative times is stage 0), static-state values and load-case metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

#: Simulation states as OrcaFlex reports them; anything but "complete" means the run stopped early.
SIMULATION_STATES = ("complete", "unfinished", "unstable", "static")


@dataclass(frozen=True)
class Stage:
    """One simulation stage. Stage 0 is the build-up, which ends at time 0."""

    index: int
    start: float
    end: float


@dataclass
class PointSeries:
    """A variable's record at one point of its object (format version 2): ``at`` is the point's
    key, a position's qualifiers (``{"radial": "outer", "theta": 90.0}`` for a pipe-wall point of
    a line, ``{"point": [x, y, z]}`` for a vessel point, ...); ``values`` has the variable's
    shape, (samples,) or (samples, nodes)."""

    at: Mapping[str, object]
    values: np.ndarray
    static: float | np.ndarray | None = None


@dataclass
class TimeVariable:
    """A variable with one value per sample time (vessel motion, line-end tension, ...)."""

    name: str
    units: str
    values: np.ndarray
    static: float | None = None
    #: The variable at other points of the object (a vessel's crane tip, ...).
    points: list[PointSeries] = field(default_factory=list)


@dataclass
class LineVariable:
    """A line variable along arc length: ``values`` has shape (samples, nodes)."""

    name: str
    units: str
    values: np.ndarray
    static: np.ndarray | None = None
    #: The variable at pipe-wall points (or other qualifiers), along the line like ``values``.
    points: list[PointSeries] = field(default_factory=list)


@dataclass
class ObjectData:
    """One model object. ``arc_lengths`` (one per node, increasing) is required for lines.

    ``touchdown`` is an optional time history of the touchdown point's arc length; without it the
    Touchdown position is not available for this object.
    """

    name: str
    type: str
    variables: list[TimeVariable | LineVariable] = field(default_factory=list)
    arc_lengths: np.ndarray | None = None
    touchdown: np.ndarray | None = None


@dataclass
class SimulationData:
    """Everything one archive file holds."""

    time: np.ndarray
    stages: list[Stage]
    objects: list[ObjectData]
    load_case: Mapping[str, float | int | str] = field(default_factory=dict)
    #: OrcaFlex model data by object and data name (``{"Environment": {"WaveHs": 3.5}}``); an
    #: indexed item is a list by index. Written to the header's ``model_data`` section.
    model_data: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    latest_wave: tuple[float, float] | None = None
    state: str = "complete"
    sample_interval: float | None = None
    generator: str = ""
