"""Derived channels as variables: a result file that adds the config's ``derived:`` channels.

:func:`with_derived` wraps an opened :class:`ResultFile` so every extractor sees each derived
channel as one more variable of every object that has all the variables it reads (and that its
``objects`` patterns match): in the catalogue, with its unit, along the line when any variable
it reads is. Asked for a derived variable at a position over a period, the file reads each
variable the expression uses at that same position and period (derived ones recursively) and
evaluates the expression with numpy; every other request goes to the wrapped file unchanged,
so the source's own resolution (OrcFxAPI's, an archive's) is used for what the expression reads.

Thread affinity: the wrapper is created, used and closed with the file it wraps, on one worker.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from orcapost.derived import Expression
from orcapost.errors import ResultFileError
from orcapost.resultfile import (
    Catalogue,
    ObjectInfo,
    ResultFile,
    Series,
    SeriesBlock,
    VariableInfo,
)


class DerivedChannels:
    """The config's derived channels, parsed once per plan."""

    def __init__(self, channels: Mapping[str, Any]) -> None:
        self.expressions: dict[str, Expression] = {name: c.parsed()
                                                   for name, c in channels.items()}
        self.units = {name: c.unit for name, c in channels.items()}
        self.objects = {name: list(c.objects) for name, c in channels.items()}

    def __bool__(self) -> bool:
        return bool(self.expressions)


def with_derived(file: ResultFile, channels: DerivedChannels | None) -> ResultFile:
    """``file`` with the derived channels as variables (``file`` itself when there are none)."""
    if not channels:
        return file
    return DerivedResultFile(file, channels)


class _DerivedCatalogue(Catalogue):
    """A catalogue that says why a derived channel an object lacks is not there."""

    def __init__(self, objects: list[ObjectInfo], missing: dict[tuple[str, str], str]) -> None:
        super().__init__(objects)
        self._missing = missing

    def variables(self, obj: ObjectInfo, pattern: str) -> list[VariableInfo]:
        why = self._missing.get((obj.name, pattern))
        if why is not None and pattern not in obj.variables:
            raise ResultFileError(f"derived channel {pattern!r} is not available for "
                                  f"{obj.name}: {why}")
        return super().variables(obj, pattern)


class DerivedResultFile(ResultFile):
    """A result file plus derived channels; see the module docstring."""

    def __init__(self, inner: ResultFile, channels: DerivedChannels) -> None:
        super().__init__(inner.path)
        self.inner = inner
        self.channels = channels
        self._catalogue: Catalogue | None = None
        #: Why a derived channel is missing from an object, for a clear error when asked.
        self._missing: dict[tuple[str, str], str] = {}

    def __getattr__(self, name: str) -> Any:
        # What a particular source adds (range_graph, nonfinite_counts, points, ...).
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # -- the catalogue --------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            objects = []
            for info in self.inner.catalogue():
                variables = dict(info.variables)
                for name in self.channels.expressions:
                    if name in info.variables:
                        continue  # the file's own variable of that name wins
                    found = self._derive_info(info, name, variables, [])
                    if found is not None:
                        variables[name] = found
                objects.append(ObjectInfo(info.name, info.type, variables,
                                          node_count=info.node_count,
                                          has_touchdown=info.has_touchdown))
            self._catalogue = _DerivedCatalogue(objects, self._missing)
        return self._catalogue

    def _derive_info(self, info: ObjectInfo, name: str, variables: dict[str, VariableInfo],
                     seen: list[str]) -> VariableInfo | None:
        if not any(fnmatch.fnmatchcase(info.name, p) for p in self.channels.objects[name]):
            self._missing[(info.name, name)] = "its objects patterns do not match this object"
            return None
        along = False
        for var in self.channels.expressions[name].variables:
            known = variables.get(var) or info.variables.get(var)
            if (known is None and var in self.channels.expressions and var not in seen
                    and (info.name, var) not in self._missing):
                known = self._derive_info(info, var, variables, [*seen, name])
                if known is not None:  # each channel found once, not once per path to it
                    variables[var] = known
            if known is None:
                self._missing[(info.name, name)] = (
                    f"{info.name} has no variable {var!r} (variables: "
                    f"{', '.join(info.variables) or 'none'})")
                return None
            along = along or known.along_line
        return VariableInfo(name, self.channels.units[name], along)

    def _expression(self, obj: str, var: str) -> Expression | None:
        """The expression of a derived variable of ``obj``, None for the file's own variable."""
        if not self._is_derived(obj, var):
            return None
        catalogue = self.catalogue()
        if obj not in catalogue:
            raise ResultFileError(f"no object {obj!r} in this file")
        if var not in catalogue[obj].variables:
            why = self._missing.get((obj, var), "")
            raise ResultFileError(f"derived channel {var!r} is not available for {obj}: {why}")
        return self.channels.expressions[var]

    def _evaluate(self, obj: str, var: str, fetch: Callable[[str], Any],
                  memo: dict[str, Any] | None = None) -> Any:
        """The derived variable from what ``fetch(name)`` gives for each name it reads.

        ``memo`` holds what one evaluation has read and computed, so a variable or channel
        several others use is read and evaluated once (not once per path to it)."""
        memo = {} if memo is None else memo
        expression = self._expression(obj, var)
        assert expression is not None
        values = {}
        for name in expression.variables:
            if name not in memo:
                memo[name] = (self._evaluate(obj, name, fetch, memo)
                              if self._is_derived(obj, name) else fetch(name))
            values[name] = memo[name]
        return expression.evaluate(values)

    def _is_derived(self, obj: str, var: str) -> bool:
        if var not in self.channels.expressions:
            return False
        catalogue = self.inner.catalogue()
        return obj not in catalogue or var not in catalogue[obj].variables

    # -- the public reads -----------------------------------------------------------------------
    def time_history(self, obj: str, var: str, position, period) -> Series:
        if not self._is_derived(obj, var):
            return self.inner.time_history(obj, var, position, period)
        first: list[Series] = []

        def fetch(name: str) -> np.ndarray:
            series = self.inner.time_history(obj, name, position, period)
            if first and (series.time.shape != first[0].time.shape
                          or not np.array_equal(series.time, first[0].time)):
                raise ResultFileError(f"derived channel {var!r}: {name!r} has other sample "
                                      "times than the other variables it reads")
            first.append(series)
            return np.asarray(series.values, dtype=np.float64)

        values = self._evaluate(obj, var, fetch)
        if not first:  # an expression of constants only: one value per sample
            raise ResultFileError(f"derived channel {var!r} reads no variable")
        values = np.broadcast_to(values, first[0].time.shape).copy()
        return Series(time=first[0].time, values=values, units=self.channels.units[var],
                      period=first[0].period)

    def time_history_block(self, obj: str, variables: Sequence[str], position,
                           period) -> SeriesBlock:
        # The file's own variables only: the source's own block (no copy per variable).
        if not any(self._is_derived(obj, var) for var in variables):
            return self.inner.time_history_block(obj, variables, position, period)
        return super().time_history_block(obj, variables, position, period)

    def static_value(self, obj: str, var: str, position) -> float:
        if not self._is_derived(obj, var):
            return self.inner.static_value(obj, var, position)
        return float(self._evaluate(obj, var,
                                    lambda name: self.inner.static_value(obj, name, position)))

    def range_values(self, obj: str, var: str, period, arc_range=None):
        if not self._is_derived(obj, var):
            return self.inner.range_values(obj, var, period, arc_range)
        arcs: list[np.ndarray] = []

        def fetch(name: str) -> np.ndarray:
            at, grid = self.inner.range_values(obj, name, period, arc_range)
            arcs.append(at)
            return np.asarray(grid, dtype=np.float64)

        values = self._evaluate(obj, var, fetch)
        if not arcs:
            raise ResultFileError(f"derived channel {var!r} reads no variable")
        return arcs[0], np.broadcast_to(values, (arcs[0].shape[0],) if values.ndim == 1
                                        else values.shape).copy()

    # -- raw records (export, and sources resolved by the shared code) --------------------------
    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        if not self._is_derived(obj, var):
            return self.inner.raw_time_values(obj, var)
        return self._evaluate(obj, var, lambda name: self.inner.raw_time_values(obj, name))

    def raw_line_values(self, obj: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        if not self._is_derived(obj, var):
            return self.inner.raw_line_values(obj, var)
        arcs: list[np.ndarray] = []

        def fetch(name: str) -> np.ndarray:
            if self.inner.catalogue()[obj].variables[name].along_line:
                at, grid = self.inner.raw_line_values(obj, name)
                arcs.append(at)
                return np.asarray(grid, dtype=np.float64)
            return np.asarray(self.inner.raw_time_values(obj, name))[:, np.newaxis]

        values = self._evaluate(obj, var, fetch)
        return arcs[0], values

    def raw_static(self, obj: str, var: str):
        if not self._is_derived(obj, var):
            return self.inner.raw_static(obj, var)
        statics = {}
        for name in self._leaves(obj, var):
            static = self.inner.raw_static(obj, name)
            if static is None:
                return None
            statics[name] = np.asarray(static, dtype=np.float64)
        return self._evaluate(obj, var, statics.__getitem__)

    def _leaves(self, obj: str, var: str) -> list[str]:
        """The file's own variables a derived one reads, through other derived ones."""
        out: list[str] = []
        seen: set[str] = set()

        def walk(channel: str) -> None:  # each channel walked once
            for name in self.channels.expressions[channel].variables:
                if not self._is_derived(obj, name):
                    if name not in out:
                        out.append(name)
                elif name not in seen:
                    seen.add(name)
                    walk(name)

        walk(var)
        return out

    # -- everything else is the wrapped file's -------------------------------------------------
    def load_case(self):
        return self.inner.load_case()

    def state(self) -> str:
        return self.inner.state()

    def stages(self):
        return self.inner.stages()

    def latest_wave(self):
        return self.inner.latest_wave()

    def sample_times(self) -> np.ndarray:
        return self.inner.sample_times()

    def raw_touchdown(self, obj: str):
        return self.inner.raw_touchdown(obj)

    # A derived channel at a point (export's per-point series): the expression over what the
    # variables it reads are at that point, as for the plain records above.
    def raw_point_values(self, obj: str, var: str, at):
        if not self._is_derived(obj, var):
            return self.inner.raw_point_values(obj, var, at)
        return self._evaluate(obj, var, lambda name: self.inner.raw_point_values(obj, name, at))

    def raw_line_point_values(self, obj: str, var: str, at):
        if not self._is_derived(obj, var):
            return self.inner.raw_line_point_values(obj, var, at)
        arcs: list[np.ndarray] = []

        def fetch(name: str) -> np.ndarray:
            if self.inner.catalogue()[obj].variables[name].along_line:
                at_arcs, grid = self.inner.raw_line_point_values(obj, name, at)
                arcs.append(at_arcs)
                return np.asarray(grid, dtype=np.float64)
            return np.asarray(self.inner.raw_time_values(obj, name))[:, np.newaxis]

        values = self._evaluate(obj, var, fetch)
        return arcs[0], values

    def raw_point_static(self, obj: str, var: str, at):
        if not self._is_derived(obj, var):
            return self.inner.raw_point_static(obj, var, at)
        statics = {}
        along = self.catalogue()[obj].variables[var].along_line
        for name in self._leaves(obj, var):
            # A line channel's point is a wall point: a variable of the object not along the
            # line is read as its own record there, as raw_line_point_values reads it.
            own = along and not self.inner.catalogue()[obj].variables[name].along_line
            static = (self.inner.raw_static(obj, name) if own
                      else self.inner.raw_point_static(obj, name, at))
            if static is None:
                return None
            statics[name] = np.asarray(static, dtype=np.float64)
        return self._evaluate(obj, var, statics.__getitem__)

    def period_bounds(self, period):
        return self.inner.period_bounds(period)

    def period_slice(self, period) -> slice:
        return self.inner.period_slice(period)

    def model_data(self, object: str, name: str, index: int | None = None):  # noqa: A002
        return self.inner.model_data(object, name, index)

    def model_metadata(self):
        return self.inner.model_metadata()

    def close(self) -> None:
        self.inner.close()
