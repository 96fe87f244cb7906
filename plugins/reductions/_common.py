"""What the built-in reductions share: the cells a reduction counts."""

from __future__ import annotations

import numpy as np


def finite(values: np.ndarray) -> np.ndarray:
    """The non-empty cells: campaign tables give empty cells (and text) as NaN."""
    return values[np.isfinite(values)]


def percent(probability: float) -> str:
    """A probability's name as a percentage (0.9 -> ``90``, 0.9999995 -> ``99.99995``): ten
    significant digits, so two probabilities a user tells apart get two names (``:g``'s six
    named 0.9999995 ``99.9999`` and ran 0.1234567 and 0.1234568 into one column)."""
    return f"{100 * probability:.10g}"
