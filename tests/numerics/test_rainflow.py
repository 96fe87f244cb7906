"""Rainflow counting validated against the independent ``rainflow`` package (3.2.0, pure Python)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import rainflow
from orcapost.numerics import rainflow as rf
from orcapost.numerics._kernels import CachedKernel
from orcapost.numerics.sn_curves import SNCurve, get_curve


def reference_cycles(x) -> list[np.ndarray]:
    """(ranges, means, counts, starts, ends) from the reference package, as numpy arrays."""
    cycles = list(rainflow.extract_cycles(list(np.asarray(x, dtype=float))))
    cols = list(zip(*cycles, strict=True)) if cycles else [(), (), (), (), ()]
    return [
        np.array(cols[0], float),
        np.array(cols[1], float),
        np.array(cols[2], float),
        np.array(cols[3], np.int64),
        np.array(cols[4], np.int64),
    ]


def assert_identical(x) -> rf.Cycles:
    got = rf.extract_cycles(x)
    ref = reference_cycles(x)
    names = ("ranges", "means", "counts", "starts", "ends")
    for name, g, r in zip(names, got, ref, strict=True):
        assert g.shape == r.shape, f"{name}: {g.shape} != {r.shape} for {x!r}"
        # Exact equality, element by element and in the same order (no tolerance).
        np.testing.assert_array_equal(g, r, err_msg=f"{name} differ for {x!r}")
    return got


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [3, 4, 5, 10, 101, 1000, 20000])
def test_identical_to_reference_on_random_series(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    assert_identical(rng.normal(size=n))
    # A random walk has long excursions: deep stacks and long residues.
    assert_identical(np.cumsum(rng.normal(size=n)))


@pytest.mark.parametrize("seed", range(5))
def test_identical_with_plateaus(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    # Few distinct levels: many equal neighbours, plateaus on peaks, valleys and slopes.
    assert_identical(rng.integers(-3, 4, size=500).astype(float))
    # Explicit runs of equal values, including at both ends.
    levels = rng.integers(-5, 6, size=200)
    assert_identical(np.repeat(levels, rng.integers(1, 5, size=levels.size)).astype(float))
    walk = np.round(np.cumsum(rng.normal(size=300)))
    assert_identical(walk)


@pytest.mark.parametrize(
    "x",
    [
        [],
        [1.0],
        [1.0, 2.0],
        [2.0, 1.0],
        [1.0, 1.0],
        [1.0, 2.0, 3.0],
        [1.0, 2.0, 1.0],
        [2.0, 1.0, 2.0],
        [1.0, 1.0, 1.0],
        [1.0, 1.0, 2.0],
        [1.0, 2.0, 2.0],
        [0.0, 2.0, 2.0, 2.0, 0.0],
        [5.0, 5.0, 5.0, 1.0],
        [0.0, 1.0, 1.0, 2.0],
        [3.0, 3.0, 1.0, 1.0],
    ],
)
def test_identical_on_short_and_plateau_edge_cases(x: list[float]) -> None:
    assert_identical(np.array(x))


@pytest.mark.parametrize("n", [3, 10, 1000])
def test_identical_on_monotonic_series(n: int) -> None:
    up = np.arange(n, dtype=float)
    for x in (up, -up, up**2, np.repeat(up, 3), np.log1p(up)):
        got = assert_identical(x)
        # A monotonic series is one half cycle from first to last sample.
        assert got.counts.tolist() == [0.5]
        assert (got.starts[0], got.ends[0]) == (0, x.size - 1)


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_identical_across_block_boundaries(block: int) -> None:
    """Reversals are found block by block: plateaus, reversals and deep stacks that straddle a
    block boundary must count exactly as in one pass (tiny blocks put a boundary everywhere)."""
    rng = np.random.default_rng(1000 + block)
    levels = rng.integers(-4, 5, size=120)
    series = (
        rng.normal(size=700),
        np.repeat(levels, rng.integers(1, 3 * block + 3, size=levels.size)).astype(float),
        np.round(np.cumsum(rng.normal(size=900))),
        np.concatenate([np.zeros(2 * block + 1), rng.normal(size=50), np.ones(3 * block)]),
        np.sin(0.3 * np.arange(600)) * np.linspace(1.0, 0.0, 600),  # decaying: deep stack
    )
    for x in series:
        got = rf._extract_cycles(np.ascontiguousarray(x, dtype=float), block)
        ref = reference_cycles(x)
        for g, r in zip(got, ref, strict=True):
            np.testing.assert_array_equal(g, r)


def test_stack_grows_past_its_first_size_in_bounds(tmp_path: Path) -> None:
    """The stack starts at two blocks and doubles on demand: a series whose ranges keep shrinking
    stacks every reversal, well past that size, at the default block and at tiny ones. So do the
    outputs, to the cycles found (every short length, and a rate that rises late). Numba does
    not check bounds by default (a write past the stack would pass unseen), so this runs in a
    process compiled with ``NUMBA_BOUNDSCHECK=1``."""
    env = dict(os.environ)
    env["NUMBA_BOUNDSCHECK"] = "1"
    env["NUMBA_CACHE_DIR"] = str(tmp_path)  # bounds-checked code is not the cached kind
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    code = textwrap.dedent(
        """
        import numpy as np
        import rainflow
        from orcapost.numerics import rainflow as rf
        k = np.arange(3 * rf._BLOCK)
        shrinking = np.where(k % 2 == 0, 1.0, -1.0) * (k.size - k)  # every sample a reversal
        decaying = np.sin(0.3 * np.arange(4000)) * np.linspace(1.0, 0.0, 4000)
        cases = [(shrinking, rf._BLOCK), (shrinking, 3), (decaying, 1)]
        # The outputs grow to the cycle rate so far: a series whose rate rises late (smooth,
        # then noise) outgrows the projection again, at the default block and small ones.
        rng = np.random.default_rng(7)
        rising = np.concatenate([np.sin(0.01 * np.arange(30000)), rng.normal(size=20000)])
        cases += [(rising, rf._BLOCK), (rising[-3000:], 2), (rng.normal(size=5000), 1)]
        for block in (1, 2, 3):
            for n in range(3, 40):
                cases.append((rng.normal(size=n), block))
        # Ranges that keep growing: every point closes a half cycle, as many cycles as points
        # (the most a block can add), at every length near a growth.
        for block in (1, 2, 3, 5, 8):
            for n in range(3, 40 * block):
                k = np.arange(n)
                cases.append((np.where(k % 2 == 0, 1.0, -1.0) * (k + 1), block))
        # Every length near a growth, for small blocks: the last block, the last sample and
        # the residue's two points can fill the stack exactly.
        for block in (1, 2, 3, 5):
            for n in range(3, 12 * block + 12):
                k = np.arange(n)
                cases.append((np.where(k % 2 == 0, 1.0, -1.0) * (n - k), block))
        for x, block in cases:
            got = rf._extract_cycles(x.astype(float), block)
            ref = list(zip(*rainflow.extract_cycles(x.tolist()), strict=True))
            assert all(np.array_equal(np.asarray(r, g.dtype), g) for r, g in zip(ref, got))
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_outputs_are_sized_to_the_cycles_not_the_series() -> None:
    """A narrow-band series has few cycles: its outputs are buffers of about that many, not of
    ``n - 1`` (40 MB for 10^6 samples, fresh pages every call once the heap has moved), and
    they hold exactly the package's cycles."""
    t = np.arange(200_000) * 0.1
    x = np.sin(2 * np.pi * t / 10.0) + 0.2 * np.sin(2 * np.pi * t / 7.7)
    got = rf.extract_cycles(x)
    capacity = got.ranges.base.shape[1]
    assert got.ranges.size <= capacity < x.size // 10
    ref = list(zip(*rainflow.extract_cycles(x.tolist()), strict=True))
    assert all(np.array_equal(np.asarray(r, g.dtype), g) for r, g in zip(ref, got, strict=True))


# The package computes the overflowing steps with numpy scalars, which warn.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("block", [1, 5, 8, 13, 64, 4096])
def test_identical_on_smooth_series_and_mixed_blocks(block: int) -> None:
    """A block without a zero step is flagged in one vectorised pass and, when its reversals
    are sparse (a smooth, oversampled series), compacted 8 samples at a time; a block with a
    plateau goes through the plateau-aware loop. Each path, and a switch between them at every
    block boundary, counts exactly as the package."""
    rng = np.random.default_rng(2000 + block)
    t = np.arange(6000) * 0.1
    smooth = np.sin(2 * np.pi * t / 10.0) + 0.3 * np.sin(2 * np.pi * t / 7.3 + 1.0)
    mixed = smooth.copy()
    for start in rng.integers(0, smooth.size - 20, size=25):  # plateaus here and there
        mixed[start:start + rng.integers(2, 12)] = mixed[start]
    series = (
        smooth,
        mixed,
        np.round(smooth, 2),  # plateaus wherever the rounding hits
        # Steps whose products underflow (no reversal for the package, though signs differ),
        # and steps that overflow to infinity.
        rng.normal(size=3000) * 1e-160,
        np.array([1e308, -1e308] * 40 + [0.0, 1.0, -1e308, 1e308]),
    )
    for x in series:
        got = rf._extract_cycles(np.ascontiguousarray(x, dtype=float), block)
        ref = reference_cycles(x)
        for g, r in zip(got, ref, strict=True):
            np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_a_non_finite_sample_anywhere(bad: float) -> None:
    """Finiteness is checked inside the counting kernel, block by block: a NaN or an infinity
    at the first, second, a block's first or last, or the final sample is refused all the
    same (no cycles from a series that holds one)."""
    rng = np.random.default_rng(5)
    for n in (3, 4, 10, 4097, 9000):
        for position in sorted({0, 1, 2, n // 2, min(4095, n - 1), min(4096, n - 1), n - 2,
                                n - 1}):
            x = rng.normal(size=n)
            x[position] = bad
            with pytest.raises(ValueError, match="NaN or inf"):
                rf.extract_cycles(x)
            for block in (1, 7):
                with pytest.raises(ValueError, match="NaN or inf"):
                    rf._extract_cycles(x, block)
    for x in ([bad], [0.0, bad]):  # too short to count: still refused
        with pytest.raises(ValueError, match="NaN or inf"):
            rf.extract_cycles(x)


def test_accepts_lists_and_integers() -> None:
    x = [0, 5, -3, 7, -7, 2, 1, 4]
    got = rf.extract_cycles(x)
    ref = reference_cycles(x)
    np.testing.assert_array_equal(got.ranges, ref[0])
    assert got.ranges.dtype == np.float64


def test_reversals_match_reference() -> None:
    rng = np.random.default_rng(7)
    for x in (rng.normal(size=300), rng.integers(0, 3, size=300).astype(float), np.zeros(5)):
        idx, vals = rf.reversals(x)
        ref = list(rainflow.reversals(list(x)))
        assert idx.tolist() == [i for i, _ in ref]
        assert vals.tolist() == [v for _, v in ref]


def test_start_end_indices_consistent() -> None:
    rng = np.random.default_rng(11)
    x = np.round(np.cumsum(rng.normal(size=5000)), 1)
    c = rf.extract_cycles(x)
    assert np.all(c.starts < c.ends)
    assert c.starts.min() >= 0 and c.ends.max() <= x.size - 1
    # Range and mean are those of the two samples the indices point at.
    np.testing.assert_array_equal(c.ranges, np.abs(x[c.starts] - x[c.ends]))
    np.testing.assert_array_equal(c.means, 0.5 * (x[c.starts] + x[c.ends]))
    # Each endpoint is a turning point of the series.
    idx, _ = rf.reversals(x)
    assert np.isin(c.starts, idx).all() and np.isin(c.ends, idx).all()
    assert set(np.unique(c.counts)) <= {0.5, 1.0}
    # Point bookkeeping of ASTM: a full cycle retires 2 turning points, a half cycle 1, and the
    # residue of r points gives r - 1 half cycles, so sum(2 * counts) = (#turning points) - 1.
    assert 2.0 * c.counts.sum() == idx.size - 1


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        rf.extract_cycles(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        rf.extract_cycles([0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        rf.extract_cycles([0.0, np.inf, 1.0])


def test_non_contiguous_input() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=2000)
    assert_identical(x[::3])


# --- DEL, damage, histogram against references built from the package's cycles -----------------


def _package_ranges_counts(x) -> tuple[np.ndarray, np.ndarray]:
    cycles = list(rainflow.extract_cycles(list(x)))
    return np.array([c[0] for c in cycles]), np.array([c[2] for c in cycles])


@pytest.mark.parametrize("m", [3.0, 4.0, 5.0, 10.0])
def test_del_matches_reference(m: float) -> None:
    rng = np.random.default_rng(21)
    x = 1e3 * np.cumsum(rng.normal(size=4000))  # kN-like magnitudes
    s_ref, n_ref = _package_ranges_counts(x)
    n_eq = 1e7
    expected = (
        sum(n * s**m for s, n in zip(s_ref.tolist(), n_ref.tolist(), strict=True)) / n_eq
    ) ** (1 / m)
    c = rf.extract_cycles(x)
    assert rf.del_(c.ranges, c.counts, m, n_eq) == pytest.approx(expected, rel=1e-12)


def test_del_edge_cases() -> None:
    assert rf.del_([], [], 3.0, 1e7) == 0.0
    assert rf.del_([0.0, 0.0], [1.0, 0.5], 3.0, 10.0) == 0.0
    # One cycle of range S counted n_eq times has DEL S.
    assert rf.del_([7.0], [1e7], 4.0, 1e7) == pytest.approx(7.0, rel=1e-15)
    with pytest.raises(ValueError):
        rf.del_([1.0], [1.0], 0.0, 1.0)
    with pytest.raises(ValueError):
        rf.del_([1.0], [1.0], 3.0, 0.0)


@pytest.mark.parametrize("name", ["DNV-RP-C203:D:air", "DNV-RP-C203:F:seawater-cp"])
def test_miner_damage_matches_reference(name: str) -> None:
    rng = np.random.default_rng(5)
    x = 40.0 * np.cumsum(rng.normal(size=3000))  # MPa, ranges on both sides of the knee
    s_ref, n_ref = _package_ranges_counts(x)
    # Reference straight from the DNV-RP-C203 (2016) tables, per cycle, in plain Python.
    table = {
        "DNV-RP-C203:D:air": (3.0, 12.164, 5.0, 15.606, 1e7),
        "DNV-RP-C203:F:seawater-cp": (3.0, 11.455, 5.0, 15.091, 1e6),
    }
    m1, la1, m2, la2, n_knee = table[name]
    scf, tf = 1.3, 1.1
    expected = 0.0
    for s, n in zip(s_ref.tolist(), n_ref.tolist(), strict=True):
        s = s * scf * tf
        if s == 0.0:
            continue
        log_n1 = la1 - m1 * np.log10(s)
        log_n = log_n1 if log_n1 <= np.log10(n_knee) else la2 - m2 * np.log10(s)
        expected += n / 10.0**log_n
    c = rf.extract_cycles(x)
    assert (c.ranges * scf * tf < get_curve(name).s_knee).any()  # both branches exercised
    got = rf.miner_damage(c.ranges, c.counts, get_curve(name), scf=scf, thickness_factor=tf)
    assert got == pytest.approx(expected, rel=1e-12)


def test_miner_damage_is_the_sn_function() -> None:
    from orcapost.numerics import sn_curves

    assert rf.miner_damage is sn_curves.miner_damage
    one = SNCurve(name="t", m1=3.0, log_a1=12.0)
    # 1000 cycles of 100 MPa on N = 1e12 / S^3 = 1e6 cycles: damage 1e-3.
    assert rf.miner_damage([100.0], [1000.0], one) == pytest.approx(1e-3, rel=1e-14)


def test_range_histogram_matches_manual_binning() -> None:
    rng = np.random.default_rng(9)
    c = rf.extract_cycles(rng.normal(size=3000))
    hist, edges = rf.range_histogram(c.ranges, c.counts, bins=12, range=(0.0, 6.0))
    expected = np.zeros(12)
    width = 0.5
    for s, n in zip(c.ranges, c.counts, strict=True):
        if 0.0 <= s <= 6.0:
            expected[min(int(s // width), 11)] += n
    np.testing.assert_allclose(hist, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(edges, np.linspace(0.0, 6.0, 13))
    assert hist.sum() == pytest.approx(c.counts[c.ranges <= 6.0].sum())


# --- numba cache robustness ---------------------------------------------------------------------


def test_works_when_numba_cache_is_unwritable(tmp_path: Path) -> None:
    """With no writable cache location numba refuses cache=True; we must warn, not crash."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = dict(os.environ)
    # Only the user-provided locator, pointing under a regular file: no locator can be created
    # (root can write anywhere, so permissions alone would not simulate this).
    env["NUMBA_CACHE_LOCATOR_CLASSES"] = "UserProvidedCacheLocator"
    env["NUMBA_CACHE_DIR"] = str(blocker / "sub")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    code = textwrap.dedent(
        """
        import warnings
        warnings.simplefilter("always")
        from orcapost.numerics.rainflow import extract_cycles
        c = extract_cycles([0.0, 3.0, 1.0, 4.0, -2.0, 2.0, 0.0])
        print(c.ranges.tolist(), c.counts.tolist())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    ref = reference_cycles([0.0, 3.0, 1.0, 4.0, -2.0, 2.0, 0.0])
    assert proc.stdout.strip() == f"{ref[0].tolist()} {ref[2].tolist()}"
    assert "numba cache unavailable" in proc.stderr


def test_cache_write_failure_at_first_call_falls_back() -> None:
    calls = []

    def add(a, b):
        return a + b

    kernel = CachedKernel(add)

    class Broken:
        def __call__(self, *args):
            calls.append(args)
            raise PermissionError("read-only cache directory")

    kernel._dispatcher = Broken()
    with pytest.warns(RuntimeWarning, match="numba cache unavailable"):
        assert kernel(2, 3) == 5
    assert calls == [(2, 3)]
    assert kernel(4, 5) == 9  # the in-memory dispatcher is kept
