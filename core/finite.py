"""One policy for NaN and inf in the samples a column analyses (docs/numerics.md#non-finite-samples).

A non-finite sample fails the column for that file, with a reason that counts them and says
where, unless the column says ``nan_policy: omit``: then the instants where any series the
column reads is non-finite are skipped together (so no time, index or linked value is ever
taken at such an instant), and the column adds ``<label> omitted samples``, how many it skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from orcapost.errors import ResultFileError
from orcapost.extraction import table_name


def all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite, in one reduction in the stored precision: NaN and inf
    propagate into a sum. Only a sum that overflows with finite values needs the exact test."""
    if values.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(values, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(values).all())


def describe_nonfinite(values: np.ndarray) -> str:
    """``3 NaN and 1 inf samples``: what is wrong with ``values``, by kind."""
    nan = int(np.count_nonzero(np.isnan(values)))
    inf = int(np.count_nonzero(np.isinf(values)))
    kinds = [f"{count} {kind}" for count, kind in ((nan, "NaN"), (inf, "inf")) if count]
    return f"{' and '.join(kinds)} sample{'s' if nan + inf > 1 else ''}"


class SampleGuard:
    """Applies one column's ``nan_policy`` to the series it reads in one file."""

    def __init__(self, column) -> None:
        self.column = column
        self.omit = getattr(column, "nan_policy", "fail") == "omit"
        self.omitted = 0

    def series(self, what: str | Sequence[str], time: np.ndarray, *values: np.ndarray
               ) -> tuple[np.ndarray, ...]:
        """``(time, *values)`` at the instants where every series is finite.

        ``what`` names the series (one name, or one per series) for the failure reason. With
        every sample finite the arrays are returned as they are (views, no copy).
        """
        names = [what] * len(values) if isinstance(what, str) else list(what)
        bad = [i for i, v in enumerate(values) if not all_finite(v)]
        if not bad:
            return (time, *values)
        if not self.omit:
            i = bad[0]
            at = time[~np.isfinite(values[i])]
            raise ResultFileError(
                f"{names[i]}: {describe_nonfinite(values[i])} in {time[0]:g} to {time[-1]:g} s "
                f"(first at {at[0]:g} s); nan_policy: omit skips them")
        keep = np.ones(time.shape[0], bool)
        for i in bad:
            keep &= np.isfinite(values[i])
        kept = int(np.count_nonzero(keep))
        if kept == 0:
            raise ResultFileError(f"{names[bad[0]]}: no finite sample in {time[0]:g} to "
                                  f"{time[-1]:g} s")
        self.omitted += time.shape[0] - kept
        return (time[keep], *(v[keep] for v in values))

    def nodes(self, what: str, arcs: np.ndarray, finite: np.ndarray, samples: int) -> None:
        """Checks per-node counts of finite samples (of ``samples``) of a line variable."""
        missing = samples - finite
        if not missing.any():
            return
        first = int(np.flatnonzero(missing)[0])
        if not self.omit:
            raise ResultFileError(
                f"{what}: {int(missing.sum())} NaN or inf samples at "
                f"{int(np.count_nonzero(missing))} node(s) (first at arc length "
                f"{arcs[first]:g}); nan_policy: omit skips them")
        if not finite.all():
            empty = int(np.flatnonzero(finite == 0)[0])
            raise ResultFileError(f"{what}: no finite sample at arc length {arcs[empty]:g}")
        self.omitted += int(missing.sum())

    def report(self, out: dict) -> dict:
        """Adds ``<label> omitted samples`` under ``nan_policy: omit``; returns ``out``."""
        if self.omit:
            out[f"{table_name(self.column.label, self.column)} omitted samples"] = self.omitted
        return out
