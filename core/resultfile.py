"""What a source hands the extractors: one opened result file, read lazily.

A source plugin opens a file and returns a :class:`ResultFile`. Extractors ask it for series by
object, variable, position and period; the file resolves OrcaFlex's vocabulary (ends, touchdown,
arc length, node; whole simulation, latest wave, stages, specified periods) the same way for every
source, so a subclass only supplies raw arrays. A source backed by an API that resolves these
itself (OrcFxAPI) may override the public methods instead.

Thread affinity: a ResultFile is opened, used and closed on one worker thread. Nothing here is
shared between files.
"""

from __future__ import annotations

import fnmatch
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from orcapost.archive.model import Stage
from orcapost.errors import NotInFile, ResultFileError
from orcapost.schemas.positions import describe_qualifiers
from orcapost.schemas.vocabulary import Period, Position

T = TypeVar("T")

#: OrcFxAPI's name of a line's arc-length variable (sources export node arc lengths under it;
#: OrcaFlex reports it at Touchdown as the touchdown point's arc length).
ARC_LENGTH_VARIABLE = "Arc Length"
#: Sample-time tolerance when a period's bounds are compared with sample times (seconds).
TIME_TOLERANCE = 1e-9


@dataclass(frozen=True)
class VariableInfo:
    name: str
    units: str
    along_line: bool = False


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    type: str
    variables: Mapping[str, VariableInfo] = field(default_factory=dict)
    node_count: int = 0
    has_touchdown: bool = False


class Catalogue:
    """The objects and variables of one file, with glob matching (``Line*``, ``*Tension``)."""

    def __init__(self, objects: list[ObjectInfo]) -> None:
        self._objects = {obj.name: obj for obj in objects}

    def __iter__(self) -> Iterator[ObjectInfo]:
        return iter(self._objects.values())

    def __contains__(self, name: str) -> bool:
        return name in self._objects

    def __getitem__(self, name: str) -> ObjectInfo:
        return self._objects[name]

    @staticmethod
    def _match(pattern: str, names: list[str]) -> list[str]:
        if pattern in names:  # an exact name wins, even if it contains glob characters
            return [pattern]
        return [name for name in names if fnmatch.fnmatchcase(name, pattern)]

    def objects(self, pattern: str) -> list[ObjectInfo]:
        return self._lookup(self._objects, pattern, "object", "in this file")

    def variables(self, obj: ObjectInfo, pattern: str) -> list[VariableInfo]:
        return self._lookup(obj.variables, pattern, "variable", f"for {obj.name}")

    def _lookup(self, by_name: Mapping[str, T], pattern: str, what: str, where: str) -> list[T]:
        """The entries a name or pattern picks, or a failure listing what there is."""
        found = by_name.get(pattern)
        if found is not None:  # an exact name: no list of every name, no pattern matching
            return [found]
        names = self._match(pattern, list(by_name))
        if not names:
            raise NotInFile(f"{what} {pattern!r} matches nothing {where} "
                                  f"({what}s: {', '.join(by_name) or 'none'})")
        return [by_name[name] for name in names]


@dataclass(frozen=True)
class Series:
    """A time history over a period: ``values`` may be a view into the file's memory map."""

    time: np.ndarray
    values: np.ndarray
    units: str
    period: tuple[float, float]


@dataclass(frozen=True)
class SeriesBlock:
    """Several variables' time histories over one period, as rows of one 2-D array
    (:meth:`ResultFile.time_history_block`).

    ``values[i]`` holds the samples of ``variables[i]`` at ``time`` and has unit stride (each
    row contiguous in memory), so a reduction along ``axis=1`` runs over each row as numpy runs
    it over a 1-D series. ``dtypes[i]`` is the dtype the variable's own series has
    (:meth:`ResultFile.time_history`): ``values`` has their common type, so a float32 row in a
    block promoted to float64 gives back its own samples exactly with ``astype(dtypes[i])``.
    The arrays may be views into the file's memory: treat them as read-only.
    """

    time: np.ndarray
    values: np.ndarray
    variables: tuple[str, ...]
    units: tuple[str, ...]
    dtypes: tuple[np.dtype, ...]
    period: tuple[float, float]


class ResultFile(ABC):
    """One opened simulation. Subclasses provide the raw arrays; resolution is shared."""

    def __init__(self, path: Path) -> None:
        self.path = path if isinstance(path, Path) else Path(path)

    # -- what a source must provide -------------------------------------------------------
    @abstractmethod
    def catalogue(self) -> Catalogue: ...

    @abstractmethod
    def load_case(self) -> dict[str, float | int | str]:
        """Load-case metadata (Hs, Tp, heading, seed, ...)."""

    @abstractmethod
    def state(self) -> str:
        """"complete", "unfinished", "unstable" or "static"."""

    @abstractmethod
    def stages(self) -> list[Stage]: ...

    @abstractmethod
    def latest_wave(self) -> tuple[float, float] | None: ...

    @abstractmethod
    def sample_times(self) -> np.ndarray: ...

    @abstractmethod
    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        """All samples of a time-domain variable, shape (samples,)."""

    @abstractmethod
    def raw_line_values(self, obj: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        """Node arc lengths (nodes,) and all samples of a line variable (samples, nodes)."""

    @abstractmethod
    def raw_touchdown(self, obj: str) -> np.ndarray | None:
        """Touchdown arc length at each sample, or None if the file does not carry it."""

    @abstractmethod
    def raw_static(self, obj: str, var: str) -> float | np.ndarray | None:
        """Static-state value (scalar, or per node for line variables), None if not stored."""

    def raw_point_values(self, obj: str, var: str, at: Mapping[str, Any]) -> np.ndarray:
        """All samples of a time-domain variable at a point (``at``: a position's
        :meth:`~orcapost.schemas.positions.Position.qualifiers`, e.g. ``{"point": [x, y, z]}``).

        Sources that carry per-point series override this; by default there are none.
        """
        raise ResultFileError(f"{obj} / {var} at {', '.join(describe_qualifiers(dict(at)))} "
                              "is not in this file")

    def raw_line_point_values(self, obj: str, var: str, at: Mapping[str, Any]
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Node arc lengths and all samples of a line variable at a wall point (or other
        qualifier, ``at``), like :meth:`raw_line_values`. None by default."""
        raise ResultFileError(f"{obj} / {var} at {', '.join(describe_qualifiers(dict(at)))} "
                              "is not in this file")

    def raw_point_static(self, obj: str, var: str, at: Mapping[str, Any]
                         ) -> float | np.ndarray | None:
        """The static-state value at a point, as :meth:`raw_static`; None if not stored."""
        return None

    def model_data(self, object: str, name: str, index: int | None = None):  # noqa: A002
        """A model data item (OrcaFlex ``model[object].GetData(name, index)``).

        Sources that carry model data override this; the default says it is not available, which
        the metadata extractor reports as a per-file failure of that column.
        """
        where = f"{object} / {name}" + (f"[{index}]" if index is not None else "")
        raise ResultFileError(f"model data {where} is not available in this file")

    def model_metadata(self) -> dict[str, dict[str, Any]]:
        """The model data a source carries without being asked, ``{object: {name: value}}``
        (OrcaFlex: wave, current and wind data, vessel headings), which ``export`` stores in the
        archive. None by default."""
        return {}

    def read_identity(self) -> dict[str, Any] | None:
        """The identity of the file as this object read it (the value of
        :func:`orcapost.fingerprints.file_identity`, from the source's own open and bytes),
        or None (the default): the task then hashes the file itself before opening it.
        Only called when the source's class sets ``identifies_files`` (docs/plugins.md)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional for sources that hold nothing open
        """Release the file. Called on the thread that opened it."""

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shared resolution ----------------------------------------------------------------
    def period_bounds(self, period: Period) -> tuple[float, float]:
        """The [t0, t1] a period covers, clipped to what the simulation actually reached."""
        stages = self.stages()
        times = self.sample_times()
        reached = float(times[-1]) if times.size else 0.0
        if period.kind == "whole_simulation":
            # OrcaFlex's whole simulation starts at stage 1: the build-up stage is excluded.
            start = stages[1].start if len(stages) > 1 else stages[0].start
            return start, reached
        if period.kind == "latest_wave":
            latest = self.latest_wave()
            if latest is None:
                raise ResultFileError("latest wave period is not available in this file")
            return latest
        if period.kind == "stage":
            number = period.stage_number()
            if number >= len(stages):
                raise ResultFileError(
                    f"stage {number} does not exist (stages 0 to {len(stages) - 1})"
                )
            stage = stages[number]
            if stage.start > reached:
                raise ResultFileError(f"the simulation stopped before stage {number}")
            return stage.start, min(stage.end, reached)
        if period.kind == "specified":
            first = float(times[0]) if times.size else 0.0
            return specified_bounds(period, first, reached, self.state())
        raise ResultFileError(f"period {period.describe()} has no time range")

    def period_slice(self, period: Period) -> slice:
        """Sample indices with t0 <= t <= t1 (both ends included, as OrcaFlex does)."""
        # Every column of a file usually shares one or two periods: resolve each once.
        cache = self.__dict__.setdefault("_period_slices", {})
        found = cache.get(period)
        if found is None:
            found = cache[period] = self._resolve_period_slice(period)
        return found

    def _resolve_period_slice(self, period: Period) -> slice:
        t0, t1 = self.period_bounds(period)
        times = self.sample_times()
        lo = int(np.searchsorted(times, t0 - TIME_TOLERANCE, side="left"))
        hi = int(np.searchsorted(times, t1 + TIME_TOLERANCE, side="right"))
        if hi <= lo:
            raise ResultFileError(f"no samples in {period.describe()} ({t0:g} to {t1:g} s)")
        return slice(lo, hi)

    def time_history(
        self, obj: str, var: str, position: Position | None, period: Period
    ) -> Series:
        """A variable's time history at a position over a period."""
        info = self._variable(obj, var)
        if period.kind == "static_state":
            raise ResultFileError("static state is a single value: use the static extractor")
        window = self.period_slice(period)
        times = self.sample_times()[window]
        at = position_qualifiers(obj, var, info, position)
        if not info.along_line:
            values = (self.raw_point_values(obj, var, at) if at
                      else self.raw_time_values(obj, var))[window]
        else:
            assert position is not None
            arcs, grid = (self.raw_line_point_values(obj, var, at) if at
                          else self.raw_line_values(obj, var))
            values = self._at_position(obj, arcs, grid, position, window)
        bounds = (float(times[0]), float(times[-1]))
        return Series(time=times, values=values, units=info.units, period=bounds)

    def time_history_block(
        self, obj: str, variables: Sequence[str], position: Position | None, period: Period
    ) -> SeriesBlock:
        """Many variables of one object at a position over a period, in one call: what
        :meth:`time_history` gives for each, as the rows of a :class:`SeriesBlock`.

        This default stacks :meth:`time_history` calls, so every source supports it unchanged
        (and a problem with one variable raises as :meth:`time_history` does for it), at the
        cost of a copy of every series. A source that stores variables side by side (OpenFAST
        channels) overrides it to hand out its own storage without a copy per variable; the
        values must be those :meth:`time_history` returns, sample for sample.
        """
        series = [self.time_history(obj, var, position, period) for var in variables]
        return stack_series(list(variables), series)

    def range_values(
        self, obj: str, var: str, period: Period,
        arc_range: tuple[float, float] | float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Arc lengths and (samples, nodes) values of a line variable over a period and range:
        the whole line (None), the nodes in [s0, s1], or one arc length S (interpolated, as
        :meth:`time_history` gives it, shape (samples, 1))."""
        if isinstance(arc_range, (int, float)):
            at = Position(kind="arc_length", value=float(arc_range))
            series = self.time_history(obj, var, at, period)
            return np.array([float(arc_range)]), series.values[:, np.newaxis]
        info = self._variable(obj, var)
        if not info.along_line:
            raise ResultFileError(f"{obj} / {var} is not a line variable: no range graph")
        arcs, grid = self.raw_line_values(obj, var)
        nodes = slice(None)
        if arc_range is not None:
            s0, s1 = arc_range
            lo = int(np.searchsorted(arcs, s0 - TIME_TOLERANCE, side="left"))
            hi = int(np.searchsorted(arcs, s1 + TIME_TOLERANCE, side="right"))
            if hi <= lo:
                raise ResultFileError(f"no nodes of {obj} between {s0:g} and {s1:g} m")
            nodes = slice(lo, hi)
        return arcs[nodes], grid[self.period_slice(period), nodes]

    def static_value(self, obj: str, var: str, position: Position | None) -> float:
        """The static-state value, at a position for line variables."""
        info = self._variable(obj, var)
        at = position_qualifiers(obj, var, info, position)
        static = self.raw_point_static(obj, var, at) if at else self.raw_static(obj, var)
        if static is None:
            where = f" at {position.describe()}" if at and position is not None else ""
            raise NotInFile(f"{obj} / {var} has no static-state value{where} in this file")
        if not info.along_line:
            return float(static)
        assert position is not None
        arcs, _ = (self.raw_line_point_values(obj, var, at) if at
                   else self.raw_line_values(obj, var))
        values = np.asarray(static, dtype=np.float64)[np.newaxis, :]
        if position.kind == "touchdown":
            raise ResultFileError("Touchdown has no static value here: use an arc length")
        return float(self._at_position(obj, arcs, values, position, slice(None))[0])

    # -- helpers --------------------------------------------------------------------------
    def _variable(self, obj: str, var: str) -> VariableInfo:
        catalogue = self.catalogue()
        if obj not in catalogue:
            raise ResultFileError(f"no object {obj!r} in this file")
        info = catalogue[obj].variables.get(var)
        if info is None:
            raise ResultFileError(f"{obj} has no variable {var!r}")
        return info

    def _at_position(
        self, obj: str, arcs: np.ndarray, grid: np.ndarray, position: Position, window: slice
    ) -> np.ndarray:
        nodes = arcs.shape[0]
        if position.kind == "end_a":
            return grid[window, 0]
        if position.kind == "end_b":
            return grid[window, nodes - 1]
        if position.kind == "node":
            node = int(position.number())
            if node > nodes:
                raise ResultFileError(f"{obj} has {nodes} nodes, not {node}")
            return grid[window, node - 1]
        if position.kind == "arc_length":
            s = position.number()
            if s < arcs[0] - TIME_TOLERANCE or s > arcs[-1] + TIME_TOLERANCE:
                raise ResultFileError(
                    f"arc length {s:g} is outside {obj} ({arcs[0]:g} to {arcs[-1]:g} m)"
                )
            return _interpolate_rows(arcs, grid[window], np.full(grid[window].shape[0], s))
        if position.kind == "touchdown":
            touchdown = self.raw_touchdown(obj)
            if touchdown is None:
                raise ResultFileError(f"{obj} has no touchdown point in this file")
            at = np.asarray(touchdown, dtype=np.float64)[window]
            # Off the line, interpolation would clamp to an end and give that end's values as
            # the touchdown's: refused, as an arc length outside the line is.
            outside = (at < arcs[0] - TIME_TOLERANCE) | (at > arcs[-1] + TIME_TOLERANCE)
            if outside.any():
                first = int(np.flatnonzero(outside)[0])
                raise ResultFileError(
                    f"{obj}'s touchdown arc length {at[first]:g} m (sample {first + 1} of the "
                    f"period) is outside the line ({arcs[0]:g} to {arcs[-1]:g} m): its "
                    "touchdown series does not lie on it; check the file, or use an arc length")
            return _interpolate_rows(arcs, grid[window], at)
        raise ResultFileError(f"position {position.describe()} is not supported")


def stack_series(variables: list[str], series: list[Series]) -> SeriesBlock:
    """The :class:`SeriesBlock` of several :class:`Series` over one period (same sample times)."""
    if not series:
        raise ResultFileError("a block of time histories needs at least one variable")
    first = series[0]
    for var, one in zip(variables, series, strict=True):
        if one.time.shape != first.time.shape:
            raise ResultFileError(f"{var}: its samples do not share the sample times of "
                                  f"{variables[0]} ({one.time.shape[0]} against "
                                  f"{first.time.shape[0]})")
    values = np.stack([one.values for one in series])  # C-contiguous rows (a copy)
    return SeriesBlock(time=first.time, values=values, variables=tuple(variables),
                       units=tuple(one.units for one in series),
                       dtypes=tuple(one.values.dtype for one in series), period=first.period)


def position_qualifiers(obj: str, var: str, info: VariableInfo,
                        position: Position | None) -> dict[str, Any]:
    """The qualifiers (``at``) of a position for one variable, or a per-file error when the
    position does not apply to it: a line variable needs a line point; any other variable takes
    End A/End B (no-ops, as OrcaFlex ignores them there), a point, a support, a winch
    connection or external-result text, but not a pipe-wall point."""
    if info.along_line:
        if position is None or not position.is_line_point():
            given = f" ({position.describe()} is not one)" if position is not None else ""
            raise ResultFileError(
                f"{obj} / {var} is a line variable: give a line position (End A, End B, "
                f"Touchdown, arc_length or node){given}"
            )
        return position.qualifiers()
    if position is None:
        return {}
    if position.is_line_point() and (position.kind not in ("end_a", "end_b")
                                     or position.qualifiers()):
        raise ResultFileError(
            f"{obj} / {var} is not a line variable: position {position.describe()} "
            "does not apply"
        )
    return position.qualifiers()


def specified_bounds(period: Period, first: float, reached: float, state: str
                     ) -> tuple[float, float]:
    """The [t0, t1] of a specified period on a simulation sampled from ``first`` to ``reached``.

    A period that misses the simulation entirely is an error. A finite bound outside it is an
    error too (the column would silently cover less than it says), except past the end of a
    simulation that stopped early (``state`` not complete/static: what was reached is all there
    is, and the row's ``simulation_state`` says so) and when the column asked for
    ``period_policy: clip``. An infinite bound (legacy ``[t]``, ``[NULL, NULL]``) means the
    simulation's start or end and is always resolved to it.
    """
    start, end = period.bounds()
    if start > reached or end < first:
        raise ResultFileError(
            f"specified period {period.describe()} lies outside the simulation "
            f"({first:g} to {reached:g} s)"
        )
    early = math.isfinite(start) and start < first - TIME_TOLERANCE
    late = math.isfinite(end) and end > reached + TIME_TOLERANCE
    stopped = state not in ("complete", "static")
    if not period.clip and (early or (late and not stopped)):
        raise ResultFileError(
            f"specified period {period.describe()} runs outside the {state} simulation "
            f"({first:g} to {reached:g} s): give a period inside it, or period_policy: clip"
        )
    return max(start, first), min(end, reached)


def sample_interval(time: np.ndarray, even: str | None = None) -> float:
    """The sample interval of a series' times: the mean step (exact for a regular grid). With
    ``even`` (what needs it, e.g. "extremes"), times that are not evenly spaced (to 1e-6 of the
    step) are an error naming it: the mean step of a record sampled at 0.1 s and then 1 s is
    neither, and a rate or period computed from it is wrong."""
    if time.shape[0] < 2:
        raise ResultFileError("a single sample has no sample interval")
    dt = float(time[-1] - time[0]) / (time.shape[0] - 1)
    if even is not None and (not dt > 0 or float(np.max(np.abs(np.diff(time) - dt)))
                             > 1e-6 * dt + 1e-12):
        raise ResultFileError(f"{even} needs a constant sample interval; this period's samples "
                              "are not evenly spaced (steps from "
                              f"{float(np.min(np.diff(time))):g} to "
                              f"{float(np.max(np.diff(time))):g} s)")
    return dt


def _interpolate_rows(arcs: np.ndarray, grid: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Linear interpolation along arc length, a different point per row, vectorised.

    Exact node values are returned when ``s`` falls on a node (weight 0).
    """
    s = np.clip(s.astype(np.float64), arcs[0], arcs[-1])
    right = np.clip(np.searchsorted(arcs, s, side="right"), 1, arcs.shape[0] - 1)
    left = right - 1
    weight = (s - arcs[left]) / (arcs[right] - arcs[left])
    rows = np.arange(grid.shape[0])
    lo = grid[rows, left].astype(np.float64)
    hi = grid[rows, right].astype(np.float64)
    blended = lo + weight * (hi - lo)
    return np.where(weight == 0.0, lo, np.where(weight == 1.0, hi, blended))


def latest_wave(time: np.ndarray, elevation: np.ndarray,
                after: float = 0.0) -> tuple[float, float] | None:
    """The last complete zero-up-crossing cycle of the elevation, as sample times: OrcaFlex's
    latest wave. Crossings at or before ``after`` (the build-up stage, for the demo) don't count."""
    up = np.flatnonzero((elevation[:-1] < 0) & (elevation[1:] >= 0)) + 1
    up = up[time[up] > after]
    if up.size < 2:
        return None
    return float(time[up[-2]]), float(time[up[-1]])
