"""Per-node envelopes equal numpy's axis-0 reductions, for every dtype and layout."""

from __future__ import annotations

import numpy as np
import pytest
from orcapost.numerics.envelopes import envelopes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ddof", [0, 1])
def test_envelopes_equal_numpy(dtype, ddof):
    rng = np.random.default_rng(3)
    # A large offset and a small spread: the case where naive sums of squares cancel.
    grid = (1e4 + rng.normal(size=(2001, 7)) * np.linspace(0.1, 30, 7)).astype(dtype)
    out = envelopes(grid, ["max", "min", "mean", "std"], ddof=ddof)
    assert np.array_equal(out["max"], grid.max(axis=0).astype(np.float64))
    assert np.array_equal(out["min"], grid.min(axis=0).astype(np.float64))
    np.testing.assert_allclose(out["mean"], grid.mean(axis=0, dtype=np.float64), rtol=1e-13)
    np.testing.assert_allclose(out["std"], grid.std(axis=0, dtype=np.float64, ddof=ddof),
                               rtol=1e-10)


def test_a_column_slice_one_sample_and_constant_nodes():
    grid = np.arange(60, dtype=np.float32).reshape(12, 5)
    grid[:, 2] = 7.0
    part = grid[:, 1:4]  # not contiguous
    out = envelopes(part, ["std", "mean"])
    np.testing.assert_allclose(out["std"], part.std(axis=0, dtype=np.float64), rtol=1e-13)
    assert out["std"][1] == 0.0 and out["mean"][1] == 7.0
    single = envelopes(grid[:1], ["max", "std"])
    assert np.array_equal(single["max"], grid[0]) and np.all(single["std"] == 0.0)


def test_unknown_statistic_and_bad_shape_are_refused():
    with pytest.raises(ValueError, match="unknown envelope statistic 'p99'"):
        envelopes(np.zeros((3, 2)), ["p99"])
    with pytest.raises(ValueError, match="samples, nodes"):
        envelopes(np.zeros(3), ["max"])
