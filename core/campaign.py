"""Campaign tables: after all files, a result group's rows reduced over groups of rows.

The config's ``campaign`` section lists tables. Each takes the rows of one result group, splits
them by the values of metadata columns (``by: [heading]``: one group of rows per heading; empty:
the whole campaign), and applies reductions to value columns. A reduction is a component
(``orcapost_register_reductions``); the built-ins here are ``max``, ``min``, ``mean``,
``gumbel`` (mean and Gumbel fit of per-seed maxima) and ``lifetime_damage``
(probability-weighted damage from per-load-case occurrence). Conventions:
docs/campaign-tables.md.

This module is also a plugin: it registers the built-in reductions.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from orcapost import hookimpl
from orcapost.components import Reduction
from orcapost.numerics.extremes import fit_gumbel
from orcapost.schemas.base import StrictModel
from orcapost.schemas.config import ReductionOptions, create_selected
from pydantic import Field, field_validator, model_validator

SECONDS_PER_YEAR = 365.25 * 24 * 3600.0


def _reduction(spec) -> Reduction:
    # A campaign table is built where no registry is at hand: the validated entry's model knows
    # the component it selects.
    return create_selected(type(spec).component, spec, "kind")


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A column's values as float64, NaN for empty cells and for text."""
    out = np.full(len(column), np.nan)
    for i, value in enumerate(column.to_pylist()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[i] = float(value)
    return out


def _key(value: Any) -> tuple:
    # Sort groups with numbers before text and empty cells last, whatever the mix.
    if value is None:
        return (2, "")
    if isinstance(value, (int, float)):
        return (0, float(value))
    return (1, str(value))


def campaign_table(spec, rows: pa.Table, value_columns: list[str]) -> pa.Table:
    """One campaign table from the rows of its result group."""
    missing = [name for name in spec.by if name not in rows.column_names]
    if missing:
        raise ValueError(f"campaign table {spec.name!r}: no column {missing[0]!r} in group "
                         f"{spec.group!r} to group rows by")
    by = [rows.column(name).to_pylist() for name in spec.by]
    keys = list(zip(*by, strict=True)) if by else [()] * rows.num_rows
    order: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        order.setdefault(key, []).append(i)
    groups = sorted(order.items(), key=lambda item: tuple(_key(v) for v in item[0]))
    out: dict[str, list[Any]] = {name: [key[j] for key, _ in groups]
                                 for j, name in enumerate(spec.by)}
    out["files"] = [len(indices) for _, indices in groups]
    # Each group's rows, taken once for every reduction and value column.
    indices = [np.asarray(members, dtype=np.int64) for _, members in groups]
    subsets = [rows.take(pa.array(members)) for members in indices]
    for reduction_spec in spec.reductions:
        reduction = _reduction(reduction_spec)
        columns = [c for c in value_columns
                   if any(c == p or fnmatch.fnmatchcase(c, p) for p in reduction_spec.columns)]
        if not columns:
            raise ValueError(f"campaign table {spec.name!r}: {reduction_spec.kind} columns "
                             f"{reduction_spec.columns} match no value column of {spec.group!r}")
        for column in columns:
            values = _floats(rows.column(column))
            for g, (members, subset) in enumerate(zip(indices, subsets, strict=True)):
                for suffix, value in reduction.reduce(column, values[members], subset).items():
                    name = f"{column} {suffix}"
                    out.setdefault(name, [None] * len(groups))[g] = _plain(value)
    return pa.table(out)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def campaign_tables(specs: list, group_table: Callable[[str], tuple[pa.Table, list[str]]]
                    ) -> dict[str, pa.Table]:
    """Every campaign table, by name. ``group_table(group)`` gives a group's rows and value
    columns. A table that cannot be computed becomes a one-row table saying why, so the
    per-file tables are written whatever happens here."""
    tables: dict[str, pa.Table] = {}
    for spec in specs:
        rows, value_columns = group_table(spec.group)
        if "status" in rows.column_names:
            keep = [i for i, s in enumerate(rows.column("status").to_pylist()) if s != "failed"]
            rows = rows.take(pa.array(keep, type=pa.int64()))
        try:
            tables[spec.name] = campaign_table(spec, rows, value_columns)
        except Exception as exc:  # noqa: BLE001 - a plugin reduction's bug must not lose the run
            # ValueError is this module's "cannot compute" message; anything else is named.
            why = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
            tables[spec.name] = pa.table({"error": [why]})
    return tables


# -- built-in reductions ----------------------------------------------------------------------


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


class _FiniteReduction(Reduction):
    """One numpy reduction over the group's non-empty cells, reported under the kind's name."""

    Options = ReductionOptions
    function: ClassVar[Callable[[np.ndarray], Any]]

    def reduce(self, column, values, rows):
        kept = _finite(values)
        return {self.name: float(type(self).function(kept)) if kept.size else None}


class MaxReduction(_FiniteReduction):
    """Largest value in each group of rows."""

    name = "max"
    function = np.max


class MinReduction(_FiniteReduction):
    """Smallest value in each group of rows."""

    name = "min"
    function = np.min


class MeanReduction(_FiniteReduction):
    """Mean value over each group of rows (empty cells left out)."""

    name = "mean"
    function = np.mean


class GumbelOptions(ReductionOptions):
    tail: Literal["upper", "lower"] = Field(
        default="upper", description="upper: per-seed maxima; lower: per-seed minima.")
    probabilities: list[float] = Field(
        default_factory=lambda: [0.9],
        description="Non-exceedance probabilities of the extreme to report (p90 = 0.9).")

    @field_validator("probabilities")
    @classmethod
    def _in_unit_interval(cls, value: list[float]) -> list[float]:
        for p in value:
            if not 0.0 < p < 1.0:
                raise ValueError(f"probability {p} is not between 0 and 1")
        return value


class GumbelReduction(Reduction):
    """Mean and maximum-likelihood Gumbel fit of per-seed extremes in each group of rows."""

    name = "gumbel"
    Options = GumbelOptions

    def reduce(self, column, values, rows):
        kept = _finite(values)
        out: dict[str, Any] = {"seeds": int(kept.size),
                               "seed mean": float(kept.mean()) if kept.size else None}
        fit = None
        if kept.size >= 2 and np.ptp(kept) > 0:
            fit = fit_gumbel(kept, self.options.tail)
        out["gumbel loc"] = fit.loc if fit else None
        out["gumbel scale"] = fit.scale if fit else None
        for p in self.options.probabilities:
            out[f"gumbel p{100 * p:g}"] = fit.extreme(p) if fit else None
        return out


class Occurrence(StrictModel):
    where: dict[str, float | int | str] = Field(
        min_length=1, description="Metadata values that pick the load case (Hs: 2, heading: 0).")
    probability: float = Field(ge=0, le=1, description="Its probability of occurrence.")


class LifetimeDamageOptions(ReductionOptions):
    duration: float | str = Field(
        description="Seconds of exposure each file's damage covers, or the column holding them "
        "(e.g. a fatigue column's 'duration' output).")
    lifetime_years: float = Field(default=25.0, gt=0, description="Design life in years.")
    probability: str | None = Field(
        default=None, description="Metadata column giving each row's load-case probability.")
    occurrence: list[Occurrence] = Field(
        default_factory=list, description="Load-case probabilities by metadata values.")
    load_case: list[str] = Field(
        default_factory=list,
        description="Metadata columns identifying a load case; its rows (seeds) are averaged. "
        "Default: the keys of occurrence.where (or none: every row its own load case).")

    @model_validator(mode="after")
    def _one_source(self):
        if isinstance(self.duration, float) and not self.duration > 0:
            raise ValueError("duration must be > 0 seconds")
        if (self.probability is None) == (not self.occurrence):
            raise ValueError("give either probability (a metadata column) or occurrence "
                             "(a list of {where, probability}), not both and not neither")
        return self


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return str(a) == str(b)


class LifetimeDamageReduction(Reduction):
    """Probability-weighted lifetime fatigue damage from per-load-case occurrence."""

    name = "lifetime_damage"
    Options = LifetimeDamageOptions

    def reduce(self, column, values, rows):
        o = self.options
        keys = list(o.load_case) or sorted({k for e in o.occurrence for k in e.where})
        named = [o.probability] if o.probability else []
        if isinstance(o.duration, str):
            named.append(o.duration)
        for key in [*keys, *named]:
            if key not in rows.column_names:
                raise ValueError(f"lifetime_damage: no metadata column {key!r}")
        table = {key: rows.column(key).to_pylist() for key in keys}
        cases: dict[tuple, list[int]] = {}
        for i in range(rows.num_rows):
            case = tuple(table[k][i] for k in keys) if keys else (i,)
            cases.setdefault(case, []).append(i)
        if isinstance(o.duration, str):
            durations = _floats(rows.column(o.duration))
        else:
            durations = np.full(rows.num_rows, o.duration)
        if np.any(durations[np.isfinite(durations)] <= 0):
            raise ValueError(f"lifetime_damage: {o.duration} has a duration <= 0")
        # Damage per second of each file, averaged over a load case's seeds, times the life.
        rates = values / durations
        damage = total = 0.0
        for indices in cases.values():
            p = self._probability(rows, indices[0])
            if p is None:
                continue
            seeds = _finite(rates[indices])
            if seeds.size == 0:
                raise ValueError(f"lifetime_damage: {column} has no value for a load case of "
                                 f"probability {p}")
            damage += p * float(seeds.mean()) * o.lifetime_years * SECONDS_PER_YEAR
            total += p
        return {"lifetime damage": damage,
                "life years": o.lifetime_years / damage if damage > 0 else math.inf,
                "probability covered": total}

    def _probability(self, rows: pa.Table, i: int) -> float | None:
        if self.options.probability is not None:
            value = rows.column(self.options.probability)[i].as_py()
            return None if value is None else float(value)
        for entry in self.options.occurrence:
            if all(k in rows.column_names and _same(rows.column(k)[i].as_py(), v)
                   for k, v in entry.where.items()):
                return entry.probability
        return None


@hookimpl
def orcapost_register_reductions(register):
    for cls in (MaxReduction, MinReduction, MeanReduction, GumbelReduction,
                LifetimeDamageReduction):
        register(cls)
