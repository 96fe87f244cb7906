"""Per-node envelopes of a line variable: statistics over time of a (samples, nodes) array.

Each statistic is one vectorised reduction along the time axis (numpy, no per-node Python
loop); the array is read in its stored precision and accumulated in float64 where sums are
involved, exactly as the ``statistics`` extractor does for one series, so an envelope at a node
equals that node's statistics.
"""

from __future__ import annotations

import numpy as np

ENVELOPE_STATISTICS = ("max", "min", "mean", "std")


def envelopes(grid: np.ndarray, wanted: list[str] | tuple[str, ...], ddof: int = 0
              ) -> dict[str, np.ndarray]:
    """Per-node statistics of ``grid`` (samples, nodes): name -> float64 array (nodes,)."""
    if grid.ndim != 2 or grid.shape[0] == 0:
        raise ValueError(f"an envelope needs a (samples, nodes) array, got shape {grid.shape}")
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        if name == "max":
            out[name] = grid.max(axis=0).astype(np.float64)
        elif name == "min":
            out[name] = grid.min(axis=0).astype(np.float64)
        elif name == "mean":
            out[name] = grid.mean(axis=0, dtype=np.float64)
        elif name == "std":
            out[name] = grid.std(axis=0, dtype=np.float64, ddof=ddof)
        else:
            raise ValueError(f"unknown envelope statistic {name!r}: use "
                             f"{', '.join(ENVELOPE_STATISTICS)}")
    return out
