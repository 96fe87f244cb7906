"""What the built-in reductions share: the cells a reduction counts."""

from __future__ import annotations

import numpy as np


def finite(values: np.ndarray) -> np.ndarray:
    """The non-empty cells: campaign tables give empty cells (and text) as NaN."""
    return values[np.isfinite(values)]
