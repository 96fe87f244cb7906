"""The ``statistics`` extractor: summary statistics of a time history.

Over the column's period, at its position: min, max, mean, std, abs_max, rms, range,
time_of_max, time_of_min, integrated, skewness, kurtosis, and percentiles written ``p<q>``
(``p50``, ``p99.9``).

Conventions (docs/extractors/statistics.md):

- ``std`` is the population standard deviation (``ddof: 0``) unless ``ddof`` says otherwise;
  sums are accumulated in float64 whatever the stored precision.
- ``rms`` is ``sqrt(mean(x**2))`` in float64; ``abs_max`` is ``max(|min|, |max|)``.
- ``p<q>`` is numpy's default (linear interpolation between order statistics).
- ``time_of_max``/``time_of_min`` give the first sample time where the extreme occurs.
- ``integrated`` is the time integral by the trapezoid rule over the samples' own times
  (``sum((x[i] + x[i+1]) / 2 * (t[i+1] - t[i]))``), in the variable's unit times seconds.
- ``skewness`` is ``scipy.stats.skew(x)`` (biased Fisher-Pearson coefficient g1 = m3 / m2^1.5);
  ``kurtosis`` is ``scipy.stats.kurtosis(x)`` (Fisher's excess kurtosis g2 = m4 / m2^2 - 3, biased:
  a normal series gives ~0), both with population central moments m_k, unaffected by ``ddof``.
- NaN/inf samples fail the column, or with ``nan_policy: omit`` are skipped (docs/numerics.md).
- Samples with t0 <= t <= t1 are used (both period ends included).
"""

from __future__ import annotations

import re
from typing import Annotated

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    SECONDS,
    Extractor,
    ResultFileError,
    SampleGuard,
    SeriesBlock,
    SeriesColumn,
    Target,
    hookimpl,
    series_names,
    with_units,
)
from orcapost.numerics import selection
from pydantic import AfterValidator, Field, WithJsonSchema

PLAIN_STATISTICS = ("min", "max", "mean", "std", "abs_max", "rms", "range",
                    "time_of_max", "time_of_min", "integrated", "skewness", "kurtosis")
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")


def _statistic(name: str) -> str:
    if name in PLAIN_STATISTICS:
        return name
    match = _PERCENTILE.fullmatch(name)
    if match and 0 <= float(match.group(1)) <= 100:
        return name
    raise ValueError(
        f"unknown statistic {name!r}: use {', '.join(PLAIN_STATISTICS)} or p<q> (p95, p99.9)"
    )


#: The statistics _statistic accepts, as a JSON Schema pattern (p<q>: 0 <= q <= 100).
STATISTIC_PATTERN = (rf"^({'|'.join(PLAIN_STATISTICS)}|p(100(\.0+)?|\d{{1,2}}(\.\d+)?))$")

Statistic = Annotated[str, AfterValidator(_statistic),
                      WithJsonSchema({"type": "string", "pattern": STATISTIC_PATTERN})]


class StatisticsColumn(SeriesColumn):
    statistics: list[Statistic] = Field(
        default_factory=lambda: ["max"], min_length=1,
        description="min, max, mean, std, abs_max, rms, range, time_of_max, time_of_min, "
        "integrated, skewness, kurtosis, p<q>.",
    )
    ddof: int = Field(default=0, ge=0, description="Delta degrees of freedom of std (0: population).")

    def output_names(self) -> list[str]:
        return series_names(self, {"statistic": self.statistics}) + self.omitted_names()


def compute_statistics(time: np.ndarray, x: np.ndarray, wanted: list[str], ddof: int = 0) -> dict:
    """The requested statistics of ``x`` (sampled at ``time``), as Python floats.

    The arithmetic is numpy's own, operation for operation (``x.mean(dtype=float64)`` and
    ``x.std(dtype=float64, ddof=ddof)`` give bit-identical values), but calls the ufunc
    reductions directly: the mean is computed once and shared by ``std``, which saves a pass
    over the data on large series and most of numpy's per-call overhead on small ones.
    """
    out: dict[str, float] = {}
    need = set(wanted)
    # Each is computed below when a statistic that reads it is wanted (NaN is never read).
    lo = hi = float("nan")
    if need & {"min", "max", "abs_max", "range"}:
        lo, hi = float(_minimum(x)), float(_maximum(x))
    mean = np.float64("nan")
    if need & {"mean", "std"}:
        count = x.shape[0]
        total = _sum(x, dtype=np.float64)
        mean = total / count
        out["mean"] = float(mean)
    for name in wanted:
        if name in out:
            continue
        if name == "min":
            out[name] = lo
        elif name == "max":
            out[name] = hi
        elif name == "abs_max":
            out[name] = max(abs(lo), abs(hi))
        elif name == "range":
            out[name] = hi - lo
        elif name == "std":
            out[name] = _std(x, mean, ddof)
        elif name == "rms":
            out[name] = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        elif name == "time_of_max":
            out[name] = float(time[int(np.argmax(x))])
        elif name == "time_of_min":
            out[name] = float(time[int(np.argmin(x))])
        elif name == "integrated":
            out[name] = _integral(time, x)
        elif name in ("skewness", "kurtosis"):
            out[name] = _shape(x, name)
    percentiles = [n for n in wanted if n.startswith("p")]
    if percentiles:
        qs = [float(n[1:]) for n in percentiles]
        for name, value in zip(percentiles, exact_percentiles(x, qs), strict=True):
            out[name] = float(value)
    return {name: out[name] for name in wanted}


def statistic_unit(statistic: str, unit: str) -> str:
    """The unit of a statistic of a variable in ``unit``: the variable's, but seconds for the
    times of the extremes, none for the shape figures (skewness, kurtosis) and the variable's
    times seconds for its time integral."""
    if statistic in ("time_of_max", "time_of_min"):
        return SECONDS
    if statistic in ("skewness", "kurtosis"):
        return DIMENSIONLESS
    if statistic == "integrated":
        return f"{unit}·s" if unit and unit != DIMENSIONLESS else SECONDS
    return unit


_minimum = np.minimum.reduce
_maximum = np.maximum.reduce
_sum = np.add.reduce


def exact_percentiles(values: np.ndarray, qs: list[float], lo: np.ndarray | None = None,
                      hi: np.ndarray | None = None) -> np.ndarray:
    """``np.percentile(values, qs, axis=-1)`` (its default, linear method), bit for bit,
    without numpy's copy of the block, its move of the axis and the two extra positions it
    partitions every row at.

    numpy partitions each row at the order statistics each ``q`` reads (``prev = floor((n - 1)
    q)`` and ``prev + 1``) and also at the first and last positions, only to find NaN there.
    Here only the order statistics themselves are selected (:func:`_ranked`: compiled, or
    ``np.partition`` at those positions), which are the same values, and they go through
    numpy's own interpolation (``_lerp``), operation for operation. What another selection or
    the missing NaN check could change is left to numpy itself, row by row: a row that is not
    finite (numpy's NaN rule, and its warnings), and a row with a ``-0.0`` whose order
    statistics are zero (a selection may pick ``-0.0`` or ``0.0``). ``lo`` and
    ``hi``: the rows' ``np.minimum.reduce`` and ``np.maximum.reduce`` along the last axis, when
    the caller has them (else computed here).
    """
    count = values.shape[-1]
    if count < 2 or values.dtype.kind != "f":
        return np.percentile(values, qs, axis=-1)
    quantiles = np.true_divide(np.asarray(qs, dtype=np.float64), 100)
    virtual = (count - 1) * quantiles  # numpy's "linear" virtual index
    previous = np.floor(virtual).astype(np.intp)
    following = previous + 1
    top = virtual >= count - 1
    previous[top] = following[top] = -1  # the maximum, as numpy takes it
    gamma = (virtual - previous).reshape((-1,) + (1,) * (values.ndim - 1))
    lows = [int(k) % count for k in previous]
    highs = [int(k) % count for k in following]
    ranks = sorted(set(lows + highs))
    if hi is None:
        hi = _maximum(values, axis=-1)
    ranked = _ranked(values, ranks, lo, hi)
    column = {k: ranked[..., i] for i, k in enumerate(ranks)}
    lower = np.stack([column[k] for k in lows])
    upper = np.stack([column[k] for k in highs])
    with np.errstate(all="ignore"):  # a row that could warn is numpy's below, with its warning
        # numpy's _lerp, operation for operation.
        diff = upper - lower
        result = np.add(lower, diff * gamma)
        np.subtract(upper, diff * (1 - gamma), out=result, where=gamma >= 0.5,
                    casting="unsafe", dtype=result.dtype)
    picked = np.concatenate([lower, upper])
    redo = ~(np.isfinite(np.concatenate([picked, result])).all(axis=0)
             & np.isfinite(hi))  # a NaN anywhere in the row (the maximum propagates it)
    zero = (picked == 0).any(axis=0) & ~redo
    if values.ndim == 1:
        if redo or (zero and ((values == 0) & np.signbit(values)).any()):
            return np.percentile(values, qs, axis=-1)
        return result
    if zero.any():  # is it a zero whose sign a partition picks?
        rows = values[zero]
        redo[zero] = ((rows == 0) & np.signbit(rows)).any(axis=-1)
    if redo.any():
        result[:, redo] = np.percentile(values[redo], qs, axis=-1)
    return result


def _ranked(values: np.ndarray, ranks: list[int], lo: np.ndarray | None,
            hi: np.ndarray) -> np.ndarray:
    """The values of ``ranks`` (distinct, ascending) along the last axis: ``out[..., i]`` is what
    ``np.partition(values, ranks, axis=-1)[..., ranks[i]]`` holds, up to the sign of a zero
    (which :func:`exact_percentiles` leaves to numpy). 1-D or 2-D arrays of native float32 or
    float64, 64 samples a row or more, of unit stride along the rows, go through the compiled
    selection once it is worth its start-up (:mod:`orcapost.numerics.selection`); the rows it
    leaves out and every other array go through ``np.partition``."""
    count = values.shape[-1]
    if (values.ndim <= 2 and count >= selection.MIN_ROW_SAMPLES
            and selection.accepts(values.dtype)
            and values.strides[-1] == values.itemsize
            and selection.worth_compiling(values.size)):
        rows = values.reshape(-1, count)
        if lo is None:
            lo = _minimum(rows, axis=1)
        found, ok = selection.order_statistics(rows, ranks, np.reshape(lo, -1),
                                               np.reshape(hi, -1))
        if not ok.all():
            left = ~ok
            found[left] = np.partition(rows[left], ranks, axis=-1)[:, ranks]
        return found.reshape(values.shape[:-1] + (len(ranks),))
    return np.partition(values, ranks, axis=-1)[..., ranks]


def _std(x: np.ndarray, mean: np.float64, ddof: int) -> float:
    # numpy's _var: deviations in float64, squared in place, summed, divided by n - ddof.
    deviations = np.subtract(x, np.asarray(mean, dtype=np.float64), dtype=np.float64)
    np.multiply(deviations, deviations, out=deviations)
    variance = _sum(deviations) / max(x.shape[0] - ddof, 0)
    return float(np.sqrt(variance))


def _integral(time: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid-rule time integral on the samples' own times (unit * s); 0 for one sample."""
    from scipy.integrate import trapezoid

    return float(trapezoid(np.asarray(x, dtype=np.float64), np.asarray(time, dtype=np.float64)))


def _shape(x: np.ndarray, name: str) -> float:
    """scipy.stats' biased skewness (g1) or Fisher excess kurtosis (g2); NaN for a constant."""
    from scipy import stats

    values = np.asarray(x, dtype=np.float64)
    if values.size and _minimum(values) == _maximum(values):
        raise ResultFileError(f"{name} is undefined: the series is constant over the period")
    # No warnings.catch_warnings here: it swaps the process-wide filters, which other worker
    # threads share (it left "ignore RuntimeWarning" in place for the rest of a run; see
    # orcapost.pywarnings). scipy's precision-loss warning for a nearly constant series is
    # about this value: it goes to the run report with the file and column.
    with np.errstate(all="ignore"):  # numpy's error state is per thread
        value = float(stats.skew(values, bias=True) if name == "skewness"
                      else stats.kurtosis(values, fisher=True, bias=True))
    if not np.isfinite(value):
        raise ResultFileError(f"{name} is undefined: the series is constant over the period")
    return value


#: Statistics computed for a whole block of series in one numpy call each (block_statistics);
#: the others (times of the extremes, the integral, the shape figures) are computed per series.
BLOCK_STATISTICS = frozenset({"min", "max", "mean", "std", "abs_max", "rms", "range"})


def is_block_statistic(name: str) -> bool:
    return name in BLOCK_STATISTICS or name.startswith("p")


def block_statistics(values: np.ndarray, wanted: list[str], ddof: int = 0
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """The block statistics among ``wanted`` of every row of ``values`` (series, samples), as
    ``(results, exact)``: ``results[i, j]`` is statistic ``wanted[j]`` of row ``i`` (float64;
    only the block statistics' columns are filled) and ``exact[i]`` says that row's results are
    what :func:`compute_statistics` gives for the row, bit for bit. None: no row can be done
    in a block (its dtype or length; the caller computes each row on its own).

    Why the results are identical: every reduction runs along ``axis=1`` over rows of unit
    stride, where numpy's pairwise summation visits each row exactly as it visits the 1-D row;
    every other operation is elementwise (rows that are not contiguous, e.g. a column layout,
    are copied first: summed in place, numpy would add across rows, in another order). A
    float32 block is summed in float64 through one exact conversion, which is what numpy's
    buffered casting does for a 1-D series that fits in one buffer (``np.getbufsize()``
    samples); longer float32 rows are left to the per-row path rather than rely on how numpy
    chunks them. A row is not exact when one of its samples or results is not finite: the caller
    then applies the column's nan_policy to it and computes it alone, with numpy's own
    warnings.
    """
    count = values.shape[1]
    if not (values.dtype == np.float64
            or (values.dtype == np.float32 and count <= np.getbufsize())):
        return None
    results = np.full((values.shape[0], len(wanted)), np.nan)
    exact = np.empty(values.shape[0], dtype=bool)
    # About a megabyte of rows at a time: the temporaries (percentile's copy, the deviations)
    # stay in the cache and in the allocator's heap; whole-block temporaries of a wide file
    # (megabytes each) were fresh pages every file, and their page faults cost more than the
    # arithmetic.
    step = max(1, BLOCK_BYTES // max(1, 8 * count))
    with np.errstate(all="ignore"):  # per thread; a row that needs numpy's warnings is redone
        for first in range(0, values.shape[0], step):
            rows = slice(first, first + step)
            _block_rows(values[rows], wanted, ddof, results[rows], exact[rows])
    return results, exact


#: Bytes of samples :func:`block_statistics` works on at a time (1 MiB measured fastest on the
#: pCrunch campaigns: 256 kB and 4 MiB were 10-40 % slower per file).
BLOCK_BYTES = 1024 * 1024


def _block_rows(values: np.ndarray, wanted: list[str], ddof: int, results: np.ndarray,
                exact: np.ndarray) -> None:
    """:func:`block_statistics` of some rows, into ``results`` and ``exact`` (views)."""
    count = values.shape[1]
    # Rows of unit stride, as a 1-D series is: every reduction then visits a row as it visits
    # the series (a column layout's min could pick the other zero of -0.0 and 0.0).
    rows = values if values.strides[1] == values.itemsize else np.ascontiguousarray(values)
    # float32 is summed in float64 (see block_statistics), from one exact copy.
    wide = rows if rows.dtype == np.float64 else rows.astype(np.float64)
    total = _sum(wide, axis=1)
    mean = total / count
    # Each row's min and max, only when an extreme is wanted (the percentiles use them then).
    extremes = None
    if any(name in ("min", "max", "abs_max", "range") for name in wanted):
        lo, hi = extremes = _minimum(rows, axis=1), _maximum(rows, axis=1)
        for j, name in enumerate(wanted):
            if name == "min":
                results[:, j] = lo
            elif name == "max":
                results[:, j] = hi
            elif name == "abs_max":
                results[:, j] = np.maximum(np.abs(lo), np.abs(hi))
            elif name == "range":  # in float64, as Python floats subtract
                results[:, j] = np.subtract(hi, lo, dtype=np.float64)
    percentiles = [j for j, name in enumerate(wanted) if name.startswith("p")]
    if percentiles:
        found = exact_percentiles(rows, [float(wanted[j][1:]) for j in percentiles],
                                  *(extremes or (None, None)))
        for k, j in enumerate(percentiles):
            results[:, j] = found[k]
    for j, name in enumerate(wanted):
        if name == "mean":
            results[:, j] = mean
        elif name == "std":
            deviations = np.subtract(wide, mean[:, np.newaxis])
            np.multiply(deviations, deviations, out=deviations)
            results[:, j] = np.sqrt(_sum(deviations, axis=1) / max(count - ddof, 0))
        elif name == "rms":
            results[:, j] = np.sqrt(_sum(np.square(wide), axis=1) / count)
    exact[:] = np.isfinite(total)
    block = [j for j, name in enumerate(wanted) if is_block_statistic(name)]
    if block:
        exact &= np.isfinite(results[:, block]).all(axis=1)


class _Layout:
    """What a column's outputs are called and measured in, for one file layout (the targets
    its patterns match, with their units): worked out once, reused by every file that has the
    same channels."""

    __slots__ = ("found", "names", "flat", "units", "runs")

    def __init__(self, named: list[tuple[Target, dict[str, str]]], wanted: list[str]) -> None:
        found = [target for target, _ in named]
        self.found = found
        #: Per target, the output names in ``wanted`` order.
        self.names = [[names[statistic] for statistic in wanted] for _, names in named]
        self.flat = [name for names in self.names for name in names]
        self.units = {name: statistic_unit(statistic, target.var.units)
                      for (target, names) in named for statistic, name in names.items()}
        #: Each run of targets of one object, read as one block: (first, stop, variables).
        self.runs: list[tuple[int, int, list[str]]] = []
        first = 0
        while first < len(found):
            stop = first + 1
            while stop < len(found) and found[stop].obj.name == found[first].obj.name:
                stop += 1
            self.runs.append((first, stop, [t.var.name for t in found[first:stop]]))
            first = stop


#: Fewer targets of one object than this are read and computed one by one, as before blocks:
#: stacking one or two series and reducing them in chunks cost 130 us a column against ~40 us
#: alone (5,000 tiny archives of 7 one-series columns: 4.6 s against 1.4 s of CPU).
BLOCK_MIN_ROWS = 8
#: Nor when the block would hold more than this many bytes: a source without its own block
#: (archives, OrcaFlex, filtered series) stacks a copy of every series, and series that long
#: cost nothing more one by one (the block saves per-call overhead, which only short series
#: feel).
BLOCK_MAX_BYTES = 64 * 1024 * 1024


class StatisticsExtractor(Extractor):
    """Summary statistics of a time history over a period (min, max, mean, std, percentiles)."""

    name = "statistics"
    Options = StatisticsColumn

    def __init__(self, options=None) -> None:
        super().__init__(options)
        #: Layouts of the files seen, by column and targets (usually one: a campaign's files
        #: share their channels).
        self._layouts: dict[tuple, tuple[StatisticsColumn, _Layout]] = {}
        #: The last file's catalogue, column and layout: a source that shares one catalogue
        #: between files of the same channels (OpenFAST) skips matching the patterns again.
        self._last: tuple[object, StatisticsColumn, _Layout] | None = None

    def extract(self, file, column: StatisticsColumn) -> dict:
        guard = SampleGuard(column)
        wanted = list(dict.fromkeys(column.statistics))
        catalogue = file.catalogue()
        last = self._last
        if last is not None and last[0] is catalogue and last[1] is column:
            layout = last[2]
        else:
            layout = self._layout(column, self.named_statistics(file, column, column.statistics),
                                  wanted)
            self._last = (catalogue, column, layout)
        out: dict = {}
        for first, stop, variables in layout.runs:  # the targets of one object: one block
            self._extract_block(file, column, guard, layout, wanted, first, stop, variables,
                                out)
        return with_units(guard.report(out), layout.units)

    def _layout(self, column: StatisticsColumn, named: list[tuple[Target, dict[str, str]]],
                wanted: list[str]) -> _Layout:
        key = (id(column), tuple((t.obj.name, t.var.name, t.var.units) for t, _ in named))
        cached = self._layouts.get(key)
        if cached is not None and cached[0] is column:
            return cached[1]
        layout = _Layout(named, wanted)
        if len(self._layouts) >= 16:  # files of many layouts: keep the latest few
            self._layouts.clear()
        self._layouts[key] = (column, layout)
        return layout

    def _extract_block(self, file, column: StatisticsColumn, guard: SampleGuard,
                       layout: _Layout, wanted: list[str], first: int, stop: int,
                       variables: list[str], out: dict) -> None:
        """Targets ``first:stop`` (one object) into ``out``, in target order: a target's
        problem raises as it did when each target was read and computed alone."""
        run = layout.found[first:stop]
        obj = run[0].obj.name
        if stop - first < BLOCK_MIN_ROWS or not self._block_fits(file, column, run):
            for i, target in enumerate(run):
                self._one(file, column, guard, layout, wanted, first + i, target, None, i, out)
            return
        try:
            block = file.time_history_block(obj, variables, column.position, column.period)
        except Exception:  # the first failing target says why, in its own words
            block = None
        computed = None if block is None else block_statistics(block.values, wanted,
                                                                column.ddof)
        if block is None or computed is None:
            for i, target in enumerate(run):
                self._one(file, column, guard, layout, wanted, first + i, target, block, i, out)
            return
        results, exact = computed
        if set(block.dtypes) != {block.values.dtype}:  # rows promoted to the block's dtype:
            own = [i for i, dtype in enumerate(block.dtypes) if dtype != block.values.dtype]
            exact[own] = False  # each in its own dtype
        per_row = [name for name in wanted if not is_block_statistic(name)]
        if not per_row and exact.all():  # the usual case: no Python per output
            width = len(wanted)
            out.update(zip(layout.flat[first * width:stop * width], results.ravel().tolist(),
                           strict=True))
            return
        rows = results.tolist()
        for i, target in enumerate(run):
            if not exact[i]:
                self._one(file, column, guard, layout, wanted, first + i, target, block, i, out)
                continue
            values = dict(zip(wanted, rows[i], strict=True))
            if per_row:
                values.update(compute_statistics(block.time, block.values[i], per_row,
                                                 column.ddof))
            for name, statistic in zip(layout.names[first + i], wanted, strict=True):
                out[name] = values[statistic]

    @staticmethod
    def _block_fits(file, column: StatisticsColumn, run: list[Target]) -> bool:
        """Whether the targets' block is at most :data:`BLOCK_MAX_BYTES` (as float64): the
        period's samples, from the file's sample times (resolved once per file and period)."""
        try:
            window = file.period_slice(column.period)
            samples = len(range(*window.indices(file.sample_times().shape[0])))
        except Exception:  # noqa: BLE001 -- the block, or the target alone, says why
            return True
        return len(run) * samples * 8 <= BLOCK_MAX_BYTES

    @staticmethod
    def _one(file, column: StatisticsColumn, guard: SampleGuard, layout: _Layout,
             wanted: list[str], index: int, target: Target, block: SeriesBlock | None,
             row: int, out: dict) -> None:
        """Target ``index`` on its own, as every target was before blocks: read (or taken from
        row ``row`` of ``block``, in its own dtype), nan_policy, :func:`compute_statistics`."""
        obj, var = target.obj.name, target.var.name
        if block is None:
            series = file.time_history(obj, var, column.position, column.period)
            time, values = series.time, series.values
        else:
            time, values = block.time, block.values[row]
            if values.dtype != block.dtypes[row]:
                values = values.astype(block.dtypes[row])
        time, values = guard.series(f"{obj} / {var}", time, values)
        stats = compute_statistics(time, values, column.statistics, column.ddof)
        for name, statistic in zip(layout.names[index], wanted, strict=True):
            out[name] = stats[statistic]


@hookimpl
def orcapost_register_extractors(register):
    register(StatisticsExtractor)
