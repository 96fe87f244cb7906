"""S-N curves checked against DNVGL-RP-C203 (April 2016) Tables 2-1 and 2-2, typed in here.

The tables give, per curve, log a1, log a2 *and* the stress range at 1e7 cycles ("fatigue limit"
column). That last column is not used by the library, so it cross-checks the transcribed
intercepts independently.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from orcapost.errors import OrcapostError
from orcapost.numerics.sn_curves import (
    BUILTIN_CURVES,
    SNCurve,
    SNCurveSpecError,
    UnknownSNCurveError,
    curve_names,
    get_curve,
    miner_damage,
    resolve_curve,
)

# name: (m1, log a1, m2, log a2, stress range at 1e7 cycles [MPa], thickness exponent k)
AIR = {
    "B1": (4.0, 15.117, 5.0, 17.146, 106.97, 0.00),
    "B2": (4.0, 14.885, 5.0, 16.856, 93.59, 0.00),
    "C": (3.0, 12.592, 5.0, 16.320, 73.10, 0.05),
    "C1": (3.0, 12.449, 5.0, 16.081, 65.50, 0.10),
    "C2": (3.0, 12.301, 5.0, 15.835, 58.48, 0.15),
    "D": (3.0, 12.164, 5.0, 15.606, 52.63, 0.20),
    "E": (3.0, 12.010, 5.0, 15.350, 46.78, 0.20),
    "F": (3.0, 11.855, 5.0, 15.091, 41.52, 0.25),
    "F1": (3.0, 11.699, 5.0, 14.832, 36.84, 0.25),
    "F3": (3.0, 11.546, 5.0, 14.576, 32.75, 0.25),
    "G": (3.0, 11.398, 5.0, 14.330, 29.24, 0.25),
    "W1": (3.0, 11.261, 5.0, 14.101, 26.32, 0.25),
    "W2": (3.0, 11.107, 5.0, 13.845, 23.39, 0.25),
    "W3": (3.0, 10.970, 5.0, 13.617, 21.05, 0.25),
}
SEAWATER_CP = {
    "B1": (4.0, 14.917, 5.0, 17.146, 106.97, 0.00),
    "B2": (4.0, 14.685, 5.0, 16.856, 93.59, 0.00),
    "C": (3.0, 12.192, 5.0, 16.320, 73.10, 0.05),
    "C1": (3.0, 12.049, 5.0, 16.081, 65.50, 0.10),
    "C2": (3.0, 11.901, 5.0, 15.835, 58.48, 0.15),
    "D": (3.0, 11.764, 5.0, 15.606, 52.63, 0.20),
    "E": (3.0, 11.610, 5.0, 15.350, 46.78, 0.20),
    "F": (3.0, 11.455, 5.0, 15.091, 41.52, 0.25),
    "F1": (3.0, 11.299, 5.0, 14.832, 36.84, 0.25),
    "F3": (3.0, 11.146, 5.0, 14.576, 32.75, 0.25),
    "G": (3.0, 10.998, 5.0, 14.330, 29.24, 0.25),
    "W1": (3.0, 10.861, 5.0, 14.101, 26.32, 0.25),
    "W2": (3.0, 10.707, 5.0, 13.845, 23.39, 0.25),
    "W3": (3.0, 10.570, 5.0, 13.617, 21.05, 0.25),
}
CASES = [(f"DNV-RP-C203:{k}:air", v, 1e7) for k, v in AIR.items()] + [
    (f"DNV-RP-C203:{k}:seawater-cp", v, 1e6) for k, v in SEAWATER_CP.items()
]


def test_required_curves_are_built_in() -> None:
    names = set(curve_names())
    for cls in ("B1", "B2", "C", "C1", "C2", "D", "E", "F", "F1", "F3", "G", "W1", "W2", "W3"):
        assert f"DNV-RP-C203:{cls}:air" in names
    for cls in ("D", "E", "F"):
        assert f"DNV-RP-C203:{cls}:seawater-cp" in names


@pytest.mark.parametrize(("name", "row", "knee"), CASES)
def test_builtin_curve_matches_table(name: str, row: tuple, knee: float) -> None:
    m1, la1, m2, la2, s_1e7, k = row
    c = get_curve(name)
    assert (c.m1, c.log_a1, c.m2, c.log_a2, c.n_knee, c.k) == (m1, la1, m2, la2, knee, k)
    assert c.t_ref == 25.0 and c.fatigue_limit is None
    # N at 200 MPa (first branch for every curve) and at 10 MPa (second branch), from the table.
    n = c.cycles(np.array([200.0, 10.0]))
    np.testing.assert_allclose(
        n, [10 ** (la1 - m1 * math.log10(200.0)), 10 ** (la2 - m2)], rtol=1e-12
    )
    # Independent column: the curve gives 1e7 cycles at the tabulated stress range (2 decimals:
    # up to m * 0.005 / 21 ~ 1.2e-3 relative in N, plus the ~1e-3 jump of rounded intercepts).
    assert float(c.cycles(s_1e7)) == pytest.approx(1e7, rel=2.5e-3)
    # ...and that column would catch a typo in a log intercept (0.01 in log a -> 2.3 % in N).
    assert abs(math.log10(float(c.cycles(s_1e7))) - 7.0) < 1.1e-3


def test_d_curve_in_air_at_100_mpa() -> None:
    # DNV-RP-C203 Table 2-1, D: log N = 12.164 - 3 log S for N <= 1e7 -> N(100) = 10^6.164.
    assert get_curve("DNV-RP-C203:D:air").cycles(100.0) == pytest.approx(1.4588e6, rel=1e-4)
    assert float(get_curve("DNV-RP-C203:D:air").cycles(100.0)) == pytest.approx(
        10**6.164, rel=1e-12
    )
    # Seawater with CP: log a1 = 11.764 -> N(100) = 10^5.764.
    assert float(get_curve("DNV-RP-C203:D:seawater-cp").cycles(100.0)) == pytest.approx(
        10**5.764, rel=1e-12
    )


@pytest.mark.parametrize(("name", "row", "knee"), CASES)
def test_knee_is_continuous_to_table_rounding(name: str, row: tuple, knee: float) -> None:
    c = get_curve(name)
    s_k = c.s_knee
    assert 10 ** (c.log_a1 - c.m1 * math.log10(s_k)) == pytest.approx(knee, rel=1e-12)
    n2 = 10 ** (c.log_a2 - c.m2 * math.log10(s_k))
    assert n2 == pytest.approx(knee, rel=5e-3)  # 3-decimal log intercepts: ~1e-3 mismatch


def test_wrong_name_lists_valid_names_and_nearest() -> None:
    with pytest.raises(UnknownSNCurveError) as info:
        get_curve("DNV-RP-C203:D:aír")
    msg = str(info.value)
    assert "unknown S-N curve 'DNV-RP-C203:D:aír'" in msg
    assert "did you mean 'DNV-RP-C203:D:air'" in msg
    for name in BUILTIN_CURVES:
        assert name in msg
    assert isinstance(info.value, OrcapostError) and isinstance(info.value, LookupError)
    with pytest.raises(UnknownSNCurveError, match="did you mean 'DNV-RP-C203:F1:seawater-cp'"):
        get_curve("DNV-RP-C203:F1:seawater")
    with pytest.raises(UnknownSNCurveError, match="valid names"):
        get_curve("nothing like it")


def test_lookup_is_case_insensitive() -> None:
    assert get_curve("  dnv-rp-c203:d:AIR ") is get_curve("DNV-RP-C203:D:air")


def test_user_curves_from_dict() -> None:
    one = resolve_curve({"name": "chain", "m": 3.0, "a": 6e10})
    assert one.two_slope is False and one.log_a1 == pytest.approx(math.log10(6e10))
    assert float(one.cycles(100.0)) == pytest.approx(6e10 / 100.0**3, rel=1e-12)
    two = SNCurve.from_dict(
        {"m1": 3, "log_a1": 12.164, "m2": 5, "log_a2": 15.606, "n_knee": 1e7, "k": 0.2}
    )
    assert two.name == "user" and two.s_knee == pytest.approx(52.63, abs=0.02)
    assert resolve_curve(two) is two
    assert resolve_curve("DNV-RP-C203:E:air") is get_curve("DNV-RP-C203:E:air")
    assert SNCurve.from_dict(two.to_dict()) == two


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"m1": 3.0}, "missing"),
        ({"m1": 3.0, "log_a1": 12.0, "m2": 5.0}, "m2, log_a2 and n_knee together"),
        ({"m1": 3.0, "log_a1": 12.0, "slope": 5.0}, "unknown keys"),
        ({"m": 3.0, "m1": 3.0, "log_a1": 12.0}, "both"),
        ({"m1": -3.0, "log_a1": 12.0}, "m1 must be > 0"),
        ({"m1": "three", "log_a1": 12.0}, "non-numeric"),
        ({"m1": 3.0, "a": -1.0}, "must be > 0"),
    ],
)
def test_bad_user_curves(spec: dict, match: str) -> None:
    with pytest.raises(SNCurveSpecError, match=match):
        SNCurve.from_dict(spec)


def test_miner_damage_single_and_two_slope() -> None:
    one = SNCurve(name="one", m1=3.0, log_a1=12.0)
    # Doubling the stress (SCF 2) multiplies the damage of a one-slope m=3 curve by 8.
    d1 = miner_damage([50.0, 80.0], [10.0, 3.0], one)
    assert d1 == pytest.approx(10 * 50.0**3 / 1e12 + 3 * 80.0**3 / 1e12, rel=1e-13)
    assert miner_damage([50.0, 80.0], [10.0, 3.0], one, scf=2.0) == pytest.approx(8 * d1)
    assert miner_damage([50.0, 80.0], [10.0, 3.0], one, thickness_factor=2.0) == pytest.approx(
        8 * d1
    )
    d = get_curve("DNV-RP-C203:D:air")
    # 30 MPa is below the knee (52.6 MPa): the m=5 branch applies.
    assert miner_damage([30.0], [1.0], d) == pytest.approx(30.0**5 / 10**15.606, rel=1e-12)
    assert miner_damage([100.0], [1.0], d) == pytest.approx(100.0**3 / 10**12.164, rel=1e-12)
    assert miner_damage([0.0, 0.0], [1.0, 0.5], d) == 0.0
    assert miner_damage([], [], d) == 0.0
    with pytest.raises(ValueError):
        miner_damage([1.0, 2.0], [1.0], d)


def test_fatigue_limit_cuts_off_small_ranges() -> None:
    c = SNCurve(name="cut", m1=3.0, log_a1=12.0, fatigue_limit=40.0)
    assert miner_damage([39.9, 40.0], [1.0, 1.0], c) == pytest.approx(40.0**3 / 1e12)
    assert np.isinf(c.cycles(39.0))


def test_thickness_factor() -> None:
    d = get_curve("DNV-RP-C203:D:air")
    assert d.thickness_factor(50.0) == pytest.approx(2.0**0.2)
    assert d.thickness_factor(10.0) == 1.0  # no credit below t_ref
    assert get_curve("DNV-RP-C203:B1:air").thickness_factor(100.0) == 1.0  # k = 0
