"""The ``single_precision`` memory optimizer: keep result arrays as float32.

OrcaFlex stores results in single precision; extractors compute in double. Arrays an extractor
returns to be kept (time histories, envelopes) are halved in memory -- and in the journal and the
output tables -- by storing them as float32, which holds what the simulation computed. Scalars
(statistics) are never touched: they stay exact double-precision results. It runs on the worker,
before a result leaves it, so the coordinator never holds the double-precision copy.
"""

from __future__ import annotations

import numpy as np
from orcapost.api import MemoryOptimizer, hookimpl, is_extra_table


class SinglePrecision(MemoryOptimizer):
    """Keeps float64 arrays that extractors return as float32 (halves their memory)."""

    name = "single_precision"

    def shrink(self, value):
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            return value.astype(np.float32)
        if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
            return [self.shrink(v) for v in value]
        if is_extra_table(value):
            # Time histories, envelopes, histograms: their numeric columns become float32 arrays
            # (4 bytes a value instead of a Python float's 24), written as float32 columns.
            columns = {name: _float32(values) for name, values in value["columns"].items()}
            return {**value, "columns": columns}
        return value


def _float32(values: list):
    numbers = all(isinstance(v, float) for v in values)
    return np.asarray(values, dtype=np.float32) if values and numbers else values


@hookimpl
def orcapost_register_memory_optimizers(register):
    register(SinglePrecision)
