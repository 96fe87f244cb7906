"""``p<q>`` statistics (exact_percentiles): numpy's ``np.percentile`` to the last bit, signed
zeros, ties, NaN, infinities, float32 and the extreme quantiles included, with numpy's own
warnings where numpy warns."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from orcapost.numerics import selection
from orcapost.plugins.extractors.statistics import block_statistics, exact_percentiles

QUANTILE_SETS = [[50.0], [99.0], [0.0], [100.0], [50.0, 99.0], [99.9, 0.1, 50.0],
                 [100.0, 50.0], [25.0, 75.0, 100.0, 0.0], [33.3]]


@pytest.fixture(params=["numpy", "compiled"])
def selecting(request, monkeypatch):
    """Each test twice: order statistics by ``np.partition``, then by the compiled selection."""
    monkeypatch.setattr(selection, "worth_compiling", lambda samples: request.param == "compiled")
    return request.param


def _bits(a) -> bytes:
    a = np.asarray(a)
    return a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()


def _series(kind: str, rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal((rows, n))
    if kind == "ties":
        return rng.integers(-3, 4, (rows, n)).astype(float)
    if kind == "signed zeros":
        v = rng.integers(-2, 3, (rows, n)).astype(float)
        zeros = v == 0
        v[zeros] = rng.choice([0.0, -0.0], size=zeros.sum())
        return v
    if kind == "not finite":
        v = rng.standard_normal((rows, n))
        v.flat[rng.integers(0, v.size, 3)] = rng.choice([np.nan, np.inf, -np.inf], 3)
        return v
    if kind == "huge":  # differences of order statistics overflow
        return rng.choice([-1.7e308, 1.7e308, 1.0], size=(rows, n))
    if kind == "quantized":  # OpenFAST's packed int16 channels: many ties, few thousand levels
        return np.round(rng.standard_normal((rows, n)) * 300) / 7
    if kind == "heavy tail":  # the range is one huge spike: the median's bucket is most samples
        return np.exp(rng.standard_normal((rows, n)) * 30)
    if kind == "constant":
        return np.full((rows, n), 3.25)
    if kind == "subnormal range":
        return 5e-324 * rng.integers(0, 3, (rows, n)).astype(float)
    assert kind == "float32", kind
    return rng.standard_normal((rows, n)).astype(np.float32)


@pytest.mark.parametrize("kind", ["normal", "ties", "signed zeros", "not finite", "huge",
                                  "float32"])
def test_percentiles_are_numpys_bit_for_bit(kind, selecting):
    rng = np.random.default_rng(len(kind))
    for trial in range(300):
        n = int(rng.integers(1, 40)) if trial % 3 else int(rng.integers(40, 2500))
        values = _series(kind, rng, int(rng.integers(1, 6)), n)
        qs = QUANTILE_SETS[trial % len(QUANTILE_SETS)]
        with np.errstate(all="ignore"):
            assert _bits(exact_percentiles(values, qs)) == _bits(np.percentile(values, qs, axis=1))
            assert _bits(exact_percentiles(values[0], qs)) == _bits(np.percentile(values[0], qs))


def test_a_negative_zero_median_is_numpys(selecting):
    # numpy's interpolation turns an order statistic of -0.0 into 0.0 (a + 0.0): the row is
    # numpy's own, whichever zero a partition picks.
    for x in (np.array([-0.0, 1.0, -0.0, -1.0, 0.0]),  # numpy's path
              np.array([-0.0, 1.0, -0.0, -1.0, 0.0] * 13)):  # long enough to be compiled
        assert _bits(exact_percentiles(x, [50.0])) == _bits(np.percentile(x, [50.0]))
        assert str(exact_percentiles(x, [50.0])[0]) == str(np.percentile(x, 50.0))


@pytest.mark.parametrize("x", [np.array([-1.7e308, 1.7e308, 2.0, 3.0]),
                               np.array([-1.7e308] * 40 + [1.7e308] * 40)],  # compiled
                         ids=["short", "long"])
def test_numpys_warnings_are_kept(x, selecting):
    # The interpolation between the order statistics overflows.
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = exact_percentiles(x, [40.0, 50.0])
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = np.percentile(x, [40.0, 50.0])
    assert _bits(got) == _bits(expected)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_block_statistics_percentiles_equal_numpys_per_row(selecting):
    rng = np.random.default_rng(7)
    values = rng.standard_normal((40, 801))
    values[3] = 0.0  # a constant channel, common in OpenFAST output
    values[5, ::2] = -0.0
    results, exact = block_statistics(values, ["p50", "p99", "max"])
    assert exact.all()  # every row is finite: each is checked
    for row in range(values.shape[0]):
        assert _bits(results[row, :2]) == _bits(np.percentile(values[row], [50.0, 99.0]))


@pytest.mark.parametrize("kind", ["normal", "quantized", "heavy tail", "ties", "constant",
                                  "subnormal range", "huge", "float32"])
def test_order_statistics_are_partitions_values(kind):
    rng = np.random.default_rng(len(kind) + 100)
    left_out = 0
    for _ in range(60):
        n = int(rng.integers(64, 7000))
        values = _series(kind, rng, int(rng.integers(1, 9)), n)
        middle = n // 2  # adjacent ranks share a bucket: a median of an even count
        ranks = sorted({int(k) for k in rng.integers(0, n, int(rng.integers(1, 5)))}
                       | {0, middle - 1, middle})
        found, ok = selection.order_statistics(values, ranks, values.min(axis=1),
                                               values.max(axis=1))
        assert found.dtype == values.dtype
        expected = np.partition(values, ranks, axis=-1)[:, ranks]
        # Bit for bit, but for the sign of a zero (which exact_percentiles leaves to numpy).
        nonzero = expected[ok] != 0
        assert np.array_equal(found[ok], expected[ok])
        assert _bits(found[ok][nonzero]) == _bits(expected[ok][nonzero])
        left_out += int((~ok).sum())
    if kind in ("normal", "quantized", "float32", "constant"):
        assert left_out == 0  # what wide files hold is selected, not left to numpy
    if kind in ("huge", "subnormal range"):
        assert left_out > 0  # the range overflows or the scale does: numpy's rows


def test_rows_left_out_are_finite_checked_not_guessed():
    values = np.array([[1.0, np.nan] + [2.0] * 100, [np.inf] + [1.0] * 101,
                       [float(i) for i in range(102)]])
    with np.errstate(invalid="ignore"):
        found, ok = selection.order_statistics(values, [50], np.minimum.reduce(values, axis=1),
                                               np.maximum.reduce(values, axis=1))
    assert ok.tolist() == [False, False, True]
    assert found[2, 0] == 50.0


def test_the_compiled_selection_waits_until_numpys_cost_its_start_up(monkeypatch):
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    monkeypatch.setattr(selection, "_selected", 0)
    monkeypatch.setattr(selection, "SKI_RENTAL_SAMPLES", 1000)
    assert not selection.worth_compiling(600)
    assert not selection.worth_compiling(400)  # 1000 so far: not more than the start-up yet
    assert selection.worth_compiling(1)


def test_the_compiled_selection_is_used_at_once_when_numba_is_loaded(monkeypatch):
    import numba  # noqa: F401 -- loaded, as after a fatigue column's first file

    monkeypatch.setattr(selection, "_selected", 0)
    assert selection.worth_compiling(1)
    assert selection._selected == 0


def test_bounds_that_are_not_the_rows_leave_it_out_and_bad_ranks_are_refused():
    values = np.array([[0.0, 1.0, 2.0, 3.0] * 20, [5.0, np.nan] * 40, [1.0, 2.0] * 40])
    # Too narrow, NaN inside the given bounds, the wrong way round: never read out of bounds.
    lo, hi = np.array([0.5, 5.0, 2.0]), np.array([2.0, 5.0 + 1e-9, 1.0])
    found, ok = selection.order_statistics(values, [40], lo, hi)
    assert not ok.any()
    for ranks in ([80], [-1], [3, 3], [5, 2]):
        with pytest.raises(ValueError, match="ranks must be distinct, ascending"):
            selection.order_statistics(values, ranks, lo, hi)


def test_equal_bounds_of_a_row_that_is_not_constant_leave_it_out():
    values = np.vstack([np.arange(80.0), np.full(80, 5.0)])
    found, ok = selection.order_statistics(values, [40], np.array([5.0, 5.0]),
                                           np.array([5.0, 5.0]))
    assert ok.tolist() == [False, True] and found[1, 0] == 5.0


def test_bounds_and_dtypes_order_statistics_cannot_use_are_refused():
    values = np.arange(240.0).reshape(3, 80)
    with pytest.raises(ValueError, match="one bound per row"):
        selection.order_statistics(values, [40], np.array([0.0]), np.array([79.0]))
    for dtype in (np.float16, ">f8", np.int64):
        with pytest.raises(TypeError, match="native float32 or float64"):
            selection.order_statistics(values.astype(dtype), [40], values.min(axis=1),
                                       values.max(axis=1))


@pytest.mark.parametrize("dtype", [np.float16, ">f8", ">f4"])
def test_percentiles_of_other_float_dtypes_are_numpys(dtype, selecting):
    # A plugin source may hand out big-endian or half-precision series: numpy's own path.
    values = np.sin(np.arange(300.0)).astype(dtype)
    assert _bits(exact_percentiles(values, [50.0, 99.0])) == _bits(
        np.percentile(values, [50.0, 99.0]))
    rows = np.vstack([values, values[::-1]]).astype(dtype)  # vstack makes them native
    assert _bits(exact_percentiles(rows, [50.0])) == _bits(np.percentile(rows, [50.0], axis=1))


def test_rows_apart_in_memory_are_selected_exactly(selecting):
    # Rows of unit stride but further apart than their length (every other row of a block).
    block = np.random.default_rng(3).standard_normal((12, 500))
    rows = block[::2]
    assert _bits(exact_percentiles(rows, [50.0, 10.0])) == _bits(
        np.percentile(rows, [50.0, 10.0], axis=1))
