"""The demo campaign: a deterministic set of archives of a moored FPSO with a steel riser.

Irregular long-crested waves from a JONSWAP spectrum drive 6-DOF vessel motions through simple
transfer functions, plus a mean offset and slow drift that grow with Hs squared. Each mooring
line and the riser is a catenary solved at every sample for the instantaneous fairlead offset, so
tension varies along arc length and the touchdown point moves; mooring tensions add a
wave-frequency dynamic part that grows towards the fairlead. A build-up stage (stage 0) runs at
negative times while the waves ramp up, and the latest wave is the last complete zero-up-crossing
cycle of the elevation.

It is a plausible, not a validated, model: its purpose is realistic data (shapes, magnitudes,
names, sizes) for demos, tests and benchmarks without OrcaFlex.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from orcapost.archive import (
    LineVariable,
    ObjectData,
    PointSeries,
    SimulationData,
    Stage,
    TimeVariable,
    write_archive,
)
from orcapost.resultfile import latest_wave

GRAVITY = 9.80665
#: The shortest record, in peak periods, whatever the file size.
MIN_RECORD_PEAK_PERIODS = 8


@dataclass(frozen=True)
class DemoSpec:
    """What the demo campaign contains. Every name is configurable."""

    headings: tuple[float, ...] = (0.0, 45.0, 90.0)
    wave_heights: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0)
    seeds: tuple[int, ...] = (1, 2)
    file_size: int = 2_000_000
    sample_interval: float = 0.1
    water_depth: float = 300.0
    vessel: str = "FPSO"
    environment: str = "Environment"
    mooring_prefix: str = "Mooring"
    moorings: int = 6
    riser: str = "Riser"
    tension: str = "Effective Tension"
    bend_moment: str = "Bend Moment"
    curvature: str = "Curvature"
    elevation: str = "Elevation"
    dofs: tuple[str, ...] = ("Surge", "Sway", "Heave", "Roll", "Pitch", "Yaw")
    extra_objects: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default_factory=tuple)
    #: Further lines (name, variables): shaped like the riser, each variable scaled a little.
    extra_lines: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    #: Model data (name, index) stored with each file's load case for metadata columns
    #: (OrcaFlex GetData), derived from the load case; an index makes the value a list.
    model_data: tuple[tuple[str, int | None], ...] = field(default_factory=tuple)
    #: Results at points (docs/config.md, positions): the riser's wall stress (own column at
    #: OrcaFlex's default inner wall, theta 0, plus ``wall_points``) and the vessel's position
    #: Z (own column at the origin, plus the ``crane_tip`` point: a crane tip's vertical motion). Off: the campaign of
    #: before positions existed (tests/test_demo_digest.py pins it).
    positions: bool = True
    wall_stress: str = "ZZ Stress"
    wall_points: tuple[tuple[str, float], ...] = (("outer", 0.0),)
    crane_tip: tuple[float, float, float] = (40.0, 12.0, 35.0)

    def load_cases(self) -> list[dict]:
        cases = []
        combos = itertools.product(self.headings, self.wave_heights, self.seeds)
        for index, (heading, hs, seed) in enumerate(combos, start=1):
            case: dict[str, Any] = {
                "load_case": index,
                "heading": float(heading),
                "Hs": float(hs),
                "Tp": peak_period(hs),
                "gamma": 3.3,
                "seed": int(seed),
            }
            for name, data_index in self.model_data:
                case.setdefault(name, _model_value(name, data_index, case))
            cases.append(case)
        return cases

    def file_name(self, case: dict) -> str:
        return (f"LC{case['load_case']:03d}_H{case['heading']:03.0f}_Hs{case['Hs']:.1f}"
                f"_S{case['seed']:02d}.arrow")


#: Plausible values for OrcaFlex data names a config may ask for (GetData), from the load case.
_MODEL_DATA = {
    "WaveHeight": lambda c: round(1.86 * c["Hs"], 2),  # the most probable maximum wave
    "WaveHs": lambda c: c["Hs"],
    "WavePeriod": lambda c: c["Tp"],
    "WaveTp": lambda c: c["Tp"],
    "WaveDirection": lambda c: c["heading"],
    "InitialHeading": lambda c: c["heading"],
    "RefCurrentSpeed": lambda c: 0.5,
    "RefCurrentDirection": lambda c: c["heading"],
    "CurrentFactor": lambda c: 1.0,
}


def _model_value(name: str, index: int | None, case: dict) -> object:
    """A model data value derived from the load case; indexed data is a list that has
    ``index``."""
    derived = _MODEL_DATA.get(name, lambda c: float(c["load_case"]))(case)
    return [derived] * (index + 1) if index is not None and index >= 0 else derived


def peak_period(hs: float) -> float:
    """A steepness-limited peak period for a wind sea (s)."""
    return round(3.6 * math.sqrt(hs) + 4.0, 2)


def jonswap(omega: np.ndarray, hs: float, tp: float, gamma: float = 3.3) -> np.ndarray:
    """JONSWAP spectral density S(omega) in m^2 s / rad (DNV-RP-C205 3.5.5), normalised to Hs."""
    wp = 2 * math.pi / tp
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        sigma = np.where(omega <= wp, 0.07, 0.09)
        pm = (5 / 16) * hs**2 * wp**4 * omega**-5.0 * np.exp(-1.25 * (omega / wp) ** -4)
        peak = gamma ** np.exp(-0.5 * ((omega - wp) / (sigma * wp)) ** 2)
        spectrum = np.nan_to_num(pm * peak * (1 - 0.287 * math.log(gamma)))
    spectrum[omega <= 0] = 0.0
    return spectrum


def _layout(spec: DemoSpec) -> tuple[int, int, int]:
    """Samples and node counts that make a file about ``spec.file_size`` bytes."""
    small = spec.file_size < 400_000
    mooring_nodes, riser_nodes = (11, 21) if small else (51, 101)
    floats = (1 + len(spec.dofs) + spec.moorings * (mooring_nodes + 1) + riser_nodes * 3 + 1
              + sum(len(v) for _, _, v in spec.extra_objects)
              + riser_nodes * sum(len(v) for _, v in spec.extra_lines)
              + (riser_nodes * (1 + len(spec.wall_points)) + 2 if spec.positions else 0))
    per_sample = 4 * floats + 8
    overhead = (6_000 + 40 * (spec.moorings * mooring_nodes + riser_nodes)
                + (2_000 + 40 * riser_nodes * len(spec.wall_points) if spec.positions else 0))
    samples = max(64, int((spec.file_size - overhead) / per_sample))
    return samples, mooring_nodes, riser_nodes


def _synthesise(amplitude: np.ndarray, phases: np.ndarray, n: int) -> np.ndarray:
    """sum_k a_k cos(w_k t + phi_k) on n samples, by inverse real FFT."""
    coefficients = (n / 2) * amplitude * np.exp(1j * phases)
    return np.fft.irfft(coefficients, n=n)


def _catenary(h_tension: np.ndarray, weight: float, depth: float, length: float,
              arcs_from_anchor: np.ndarray):
    """Tension along a catenary line from anchor (s=0) to fairlead, for each horizontal tension.

    Returns tension (samples, nodes), curvature (samples, nodes) and the touchdown arc length
    from the anchor (samples,). The grounded part carries the horizontal tension.
    """
    h = h_tension[:, np.newaxis]
    suspended = np.sqrt(depth * (depth + 2 * h_tension / weight))
    grounded = np.clip(length - suspended, 0.0, None)
    s_from_td = np.clip(arcs_from_anchor[np.newaxis, :] - grounded[:, np.newaxis], 0.0, None)
    tension = np.sqrt(h**2 + (weight * s_from_td) ** 2)
    curvature = np.where(s_from_td > 0, weight * h / tension**2, 0.0)
    return tension, curvature, grounded


def simulate(spec: DemoSpec, case: dict) -> SimulationData:
    """One load case's results, deterministic in the case's seed."""
    samples, mooring_nodes, riser_nodes = _layout(spec)
    # Small files have few samples: stretch the interval so the record still spans several peak
    # periods and has a complete latest wave (the demo config asks for it at every size).
    dt = max(spec.sample_interval, round(MIN_RECORD_PEAK_PERIODS * case["Tp"] / samples, 3))
    build_up = round(min(10.0, 0.2 * samples * dt), 1)
    n_build = int(round(build_up / dt))
    build_up = n_build * dt  # stage 0 starts exactly on a sample
    time = (np.arange(samples) - n_build) * dt
    duration = float(time[-1])
    rng = np.random.default_rng([case["seed"], case["load_case"], int(case["heading"] * 10)])

    freqs = np.fft.rfftfreq(samples, dt)
    omega = 2 * np.pi * freqs
    d_omega = 2 * np.pi / (samples * dt)
    amplitude = np.sqrt(2 * jonswap(omega, case["Hs"], case["Tp"], case["gamma"]) * d_omega)
    phases = rng.uniform(0, 2 * np.pi, omega.shape)
    ramp = np.clip((time + build_up) / build_up, 0.0, 1.0) if build_up > 0 else np.ones(samples)
    ramp = 0.5 - 0.5 * np.cos(np.pi * ramp)  # OrcaFlex ramps the waves over the build-up

    beta = math.radians(case["heading"])
    w_rel = omega / 0.6

    def response(gain: np.ndarray, lag: float) -> np.ndarray:
        return _synthesise(amplitude * gain, phases - lag, samples) * ramp

    elevation = response(np.ones_like(omega), 0.0)
    surge_wf = response(math.cos(beta) * 0.8 / (1 + w_rel**2), math.pi / 2)
    sway_wf = response(math.sin(beta) * 0.8 / (1 + w_rel**2), math.pi / 2)
    heave = response(1 / np.sqrt((1 - (omega / 0.55) ** 2) ** 2 + (0.3 * omega / 0.55) ** 2)
                     * np.exp(-(omega / 1.1) ** 2), 0.2)
    roll = response(math.sin(beta) * 3.0 / np.sqrt((1 - (omega / 0.35) ** 2) ** 2
                                                   + (0.1 * omega / 0.35) ** 2)
                    * np.exp(-(omega / 0.9) ** 2), 0.4)
    pitch = response(math.cos(beta) * 1.5 * np.exp(-(omega / 0.8) ** 2), 0.3)
    yaw = response(math.sin(2 * beta) * 0.5 * np.exp(-(omega / 0.7) ** 2), 0.1)
    # Mean offset and slow drift at the surge natural period (~120 s) grow with Hs^2.
    drift = 0.35 * case["Hs"] ** 2
    slow = drift * 0.4 * np.sin(2 * np.pi * time / 120.0 + rng.uniform(0, 2 * np.pi))
    offset_ramp = np.clip((time + build_up) / max(build_up, dt), 0.0, 1.0)
    surge = surge_wf + (drift + slow) * math.cos(beta) * offset_ramp
    sway = sway_wf + (drift + slow) * math.sin(beta) * offset_ramp
    motions = dict(zip(spec.dofs, (surge, sway, heave, roll, pitch, yaw), strict=False))

    objects = [
        ObjectData(spec.environment, "Environment",
                   [TimeVariable(spec.elevation, "m", elevation.astype(np.float32), static=0.0)]),
        ObjectData(spec.vessel, "Vessel", [
            TimeVariable(name, "deg" if name in spec.dofs[3:] else "m",
                         values.astype(np.float32), static=0.0)
            for name, values in motions.items()
        ]),
    ]

    # Mooring lines: spread evenly, anchor at End A, fairlead at End B.
    length, weight, h0, stiffness = 900.0, 1.5, 800.0, 45.0
    arcs = np.linspace(0.0, length, mooring_nodes)
    velocity = np.gradient(surge_wf * math.cos(beta) + sway_wf * math.sin(beta), dt)
    for i in range(spec.moorings):
        azimuth = 2 * math.pi * i / spec.moorings + math.pi / spec.moorings
        towards_anchor = -(surge * math.cos(azimuth) + sway * math.sin(azimuth))
        h_t = np.clip(h0 - stiffness * towards_anchor, 50.0, None)
        tension, _, touchdown = _catenary(h_t, weight, spec.water_depth, length, arcs)
        static, _, _ = _catenary(np.array([h0]), weight, spec.water_depth, length, arcs)
        shape = static[0] / static[0, -1]
        damping = 60.0 * math.cos(azimuth - beta)
        tension = tension + (damping * velocity * ramp)[:, np.newaxis] * shape[np.newaxis, :]
        objects.append(ObjectData(
            f"{spec.mooring_prefix}{i + 1}", "Line",
            [LineVariable(spec.tension, "kN", tension.astype(np.float32), static=static[0])],
            arc_lengths=arcs, touchdown=touchdown.astype(np.float32),
        ))

    # Steel catenary riser: End A at the hang-off, End B on the seabed.
    r_length, r_weight, r_h0, ei = 600.0, 1.0, 150.0, 1.0e5
    r_arcs = np.linspace(0.0, r_length, riser_nodes)
    from_anchor = (r_length - r_arcs)[::-1]
    r_h = np.clip(r_h0 + 12.0 * surge * math.cos(beta) + 8.0 * heave, 20.0, None)
    r_tension, r_curv, r_grounded = _catenary(r_h, r_weight, spec.water_depth, r_length,
                                              from_anchor)
    # Bending stiffness smooths curvature into the grounded part over sqrt(EI/H).
    s_grounded = r_grounded[:, np.newaxis] - from_anchor[np.newaxis, :]
    boundary = (r_weight / r_h)[:, np.newaxis] * np.exp(-np.clip(s_grounded, 0, None)
                                                       / np.sqrt(ei / r_h)[:, np.newaxis])
    r_curv = np.where(s_grounded > 0, boundary, r_curv)
    r_tension, r_curv = r_tension[:, ::-1], r_curv[:, ::-1]
    r_static_t, r_static_c, _ = _catenary(np.array([r_h0]), r_weight, spec.water_depth, r_length,
                                          from_anchor)
    objects.append(ObjectData(
        spec.riser, "Line",
        [
            LineVariable(spec.tension, "kN", r_tension.astype(np.float32),
                         static=r_static_t[0, ::-1]),
            LineVariable(spec.bend_moment, "kN.m", (ei * r_curv).astype(np.float32),
                         static=ei * r_static_c[0, ::-1]),
            LineVariable(spec.curvature, "rad/m", r_curv.astype(np.float32),
                         static=r_static_c[0, ::-1]),
        ],
        arc_lengths=r_arcs, touchdown=(r_length - r_grounded).astype(np.float32),
    ))

    if spec.positions:
        _add_positions(spec, objects, motions, r_tension, ei * r_curv,
                       (r_static_t[0, ::-1], ei * r_static_c[0, ::-1]))

    for name, kind, variables in spec.extra_objects:
        extra: list[TimeVariable | LineVariable] = []
        for j, var in enumerate(variables):
            gain = 1.0 + 0.1 * j
            extra.append(TimeVariable(var, "", (gain * (heave + 0.5 * surge)).astype(np.float32),
                                      static=0.0))
        objects.append(ObjectData(name, kind, extra))

    for k, (name, variables) in enumerate(spec.extra_lines):
        line_variables: list[TimeVariable | LineVariable] = []
        for j, var in enumerate(variables):
            gain = 1.0 + 0.05 * k + 0.1 * j
            line_variables.append(LineVariable(
                var, "", (gain * r_tension).astype(np.float32),
                static=gain * r_static_t[0, ::-1]))
        objects.append(ObjectData(name, "Line", line_variables, arc_lengths=r_arcs,
                                  touchdown=(r_length - r_grounded).astype(np.float32)))

    return SimulationData(
        time=time,
        stages=[Stage(0, -build_up, 0.0), Stage(1, 0.0, duration)],
        objects=objects,
        load_case=case,
        latest_wave=latest_wave(time, elevation),
        sample_interval=dt,
        generator="orcapost demo",
    )


#: The demo riser's pipe: 12.75 in outside diameter, 1 in wall (m).
RISER_OUTER_RADIUS = 0.161925
RISER_INNER_RADIUS = RISER_OUTER_RADIUS - 0.0254
RADII = {"inner": RISER_INNER_RADIUS, "outer": RISER_OUTER_RADIUS,
         "mid": 0.5 * (RISER_INNER_RADIUS + RISER_OUTER_RADIUS)}


def wall_stress(tension: np.ndarray, moment: np.ndarray, radial: str,
                theta: float) -> np.ndarray:
    """Axial wall stress (kPa) of the demo riser at a wall point: T/A + M r cos(theta) / I,
    bending in the theta = 0 plane (tension kN, moment kN.m)."""
    ro, ri = RISER_OUTER_RADIUS, RISER_INNER_RADIUS
    area = math.pi * (ro**2 - ri**2)
    inertia = math.pi / 4 * (ro**4 - ri**4)
    return tension / area + moment * RADII[radial] * math.cos(math.radians(theta)) / inertia


def point_motion(motions: dict[str, np.ndarray], dofs: tuple[str, ...],
                 point: tuple[float, float, float]) -> tuple[np.ndarray, ...]:
    """Global X, Y, Z (m) of a vessel point (vessel axes, m) for small rotations: the point
    plus translation plus rotation x point (roll, pitch, yaw in degrees; heading 0)."""
    surge, sway, heave, roll, pitch, yaw = (motions[d].astype(np.float64) for d in dofs)
    roll, pitch, yaw = np.radians(roll), np.radians(pitch), np.radians(yaw)
    px, py, pz = point
    return (px + surge + pitch * pz - yaw * py,
            py + sway + yaw * px - roll * pz,
            pz + heave + roll * py - pitch * px)


def _add_positions(spec: DemoSpec, objects: list[ObjectData], motions: dict[str, np.ndarray],
                   tension: np.ndarray, moment: np.ndarray, static: tuple) -> None:
    """The riser's wall stress at wall points and the vessel's position at its crane tip."""
    riser = next(o for o in objects if o.name == spec.riser)
    static_t, static_m = static
    riser.variables.append(LineVariable(
        spec.wall_stress, "kPa",
        wall_stress(tension, moment, "inner", 0.0).astype(np.float32),
        static=wall_stress(static_t, static_m, "inner", 0.0),
        points=[PointSeries({"radial": radial, "theta": float(theta)},
                            wall_stress(tension, moment, radial, theta).astype(np.float32),
                            wall_stress(static_t, static_m, radial, theta))
                for radial, theta in spec.wall_points]))
    vessel = next(o for o in objects if o.name == spec.vessel)
    origin = point_motion(motions, spec.dofs, (0.0, 0.0, 0.0))[2]
    tip = point_motion(motions, spec.dofs, spec.crane_tip)[2]
    vessel.variables.append(TimeVariable(
        "Z", "m", origin.astype(np.float32), static=0.0,
        points=[PointSeries({"point": [float(v) for v in spec.crane_tip]},
                            tip.astype(np.float32), float(spec.crane_tip[2]))]))


def write_campaign(directory: Path, spec: DemoSpec, files: int | None = None,
                   progress=None) -> list[Path]:
    """Write the campaign's archives to ``directory`` (created). ``files`` limits or repeats
    the load-case list (extra cases get further seeds)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cases = spec.load_cases()
    if files is not None:
        if files > len(cases):
            extra_seeds = tuple(range(max(spec.seeds) + 1,
                                      max(spec.seeds) + 1 + math.ceil(files / len(cases)) *
                                      len(spec.seeds)))
            spec = replace(spec, seeds=tuple(spec.seeds) + extra_seeds)
            cases = spec.load_cases()
        cases = cases[:files]
    paths = []
    for case in cases:
        path = directory / spec.file_name(case)
        write_archive(path, simulate(spec, case))
        paths.append(path)
        if progress is not None:
            progress(path)
    return paths


def spec_for_config(model, base: DemoSpec | None = None) -> DemoSpec:
    """A demo spec whose objects and variables are the ones a validated config names.

    A column with a position or an arc length (range graphs, line ends) needs a line; one
    without needs an object with time histories (a vessel, a fender); metadata columns need
    their object and the model data they read. Names with glob characters are left to the
    standard demo objects. So any config can be run without OrcaFlex.
    """
    base = base or DemoSpec()
    standard = {base.vessel, base.environment, base.riser,
                *(f"{base.mooring_prefix}{i + 1}" for i in range(base.moorings))}
    lines: dict[str, list[str]] = {}
    others: dict[str, list[str]] = {}
    data: dict[str, int | None] = {}

    def wants(table: dict, obj: str, variable: str | list[str] | None) -> None:
        if any(ch in obj for ch in "*?[") or obj in standard:
            return
        names = table.setdefault(obj, [])
        for name in variable if isinstance(variable, list) else [variable]:
            if name and not any(ch in name for ch in "*?[") and name not in names:
                names.append(name)

    for group in model.results.values():
        for column in group.columns:
            options = column.model_dump()
            obj, variable = options.get("object"), options.get("variable")
            for item in options.get("data") or []:
                wants(others, item["object"], None)
                index = item.get("index")
                data.setdefault(item["name"], index)
            if not obj:
                continue
            is_line = _needs_line(options)
            wants(lines if is_line else others, obj, variable)
            for linked in options.get("linked") or []:
                wants(lines if is_line else others, obj, linked)
    for obj in list(others):
        if obj in lines:
            lines[obj] += [v for v in others.pop(obj) if v not in lines[obj]]
    extra = tuple((name, "Vessel" if not variables or _vessel_like(variables) else "Buoy",
                   tuple(variables) or ("X",)) for name, variables in others.items()
                  if name != base.environment)
    return replace(
        base,
        extra_objects=tuple(base.extra_objects) + extra,
        extra_lines=tuple(base.extra_lines) + tuple(
            (name, tuple(variables) or (base.tension,)) for name, variables in lines.items()),
        model_data=tuple(base.model_data) + tuple(data.items()),
    )


#: Position kinds only a line has (End A / End B also name a rigid body's connection ends).
LINE_POSITIONS = ("arc_length", "node", "touchdown")


def _needs_line(options: dict) -> bool:
    """Whether a column's object must be a line: a range graph, a point along a line, or a line
    end of a variable that is not a rigid body's (a vessel's X at End A stays a vessel)."""
    if options.get("kind") == "range_graph":
        return True
    where = options.get("position")
    if not isinstance(where, dict):
        return False
    if where.get("kind") in LINE_POSITIONS:
        return True
    variable = options.get("variable")
    return not (isinstance(variable, str) and _vessel_like([variable]))


#: Rigid-body motion variables (OrcaFlex vessel and buoy results), lower case.
RIGID_BODY_MOTIONS = ("x", "y", "z", "rotation 1", "rotation 2", "rotation 3", "surge", "sway",
                      "heave", "roll", "pitch", "yaw", "heading", "primary heading")


def _vessel_like(variables: list[str]) -> bool:
    def motion(name: str) -> bool:
        low = name.lower()
        return (low in RIGID_BODY_MOTIONS or low.startswith("dynamic ")
                or "velocity" in low or "acceleration" in low)
    return any(motion(v) for v in variables)
