"""The demo campaign: deterministic, sized as asked, and physically plausible."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from orcapost.archive import Archive
from orcapost.demo import DemoSpec, jonswap, simulate, write_campaign


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_campaign_has_24_load_cases_named_by_case():
    cases = DemoSpec().load_cases()
    assert len(cases) == 24
    assert DemoSpec().file_name(cases[0]) == "LC001_H000_Hs2.0_S01.arrow"
    assert len({DemoSpec().file_name(c) for c in cases}) == 24


def test_the_campaign_is_deterministic(tmp_path):
    spec = DemoSpec(file_size=120_000)
    first = write_campaign(tmp_path / "a", spec, files=3)
    second = write_campaign(tmp_path / "b", spec, files=3)
    assert [_digest(p) for p in first] == [_digest(p) for p in second]


@pytest.mark.parametrize("size", [60_000, 400_000, 3_000_000])
def test_file_size_follows_the_request(tmp_path, size):
    (path,) = write_campaign(tmp_path, DemoSpec(file_size=size), files=1)
    assert 0.7 * size <= path.stat().st_size <= 1.3 * size


def test_more_files_than_the_grid_get_further_seeds(tmp_path):
    spec = DemoSpec(headings=(0.0,), wave_heights=(2.0,), seeds=(1,), file_size=60_000)
    paths = write_campaign(tmp_path, spec, files=3)
    assert len({p.name for p in paths}) == 3


@pytest.mark.parametrize("size", [60_000, 2_000_000])
def test_every_size_has_stages_and_a_complete_latest_wave(size):
    spec = DemoSpec(file_size=size)
    sim = simulate(spec, spec.load_cases()[-1])  # the longest peak period
    assert sim.stages[0].start < 0 == sim.stages[0].end == sim.stages[1].start
    assert sim.latest_wave is not None
    t0, t1 = sim.latest_wave
    assert sim.time[0] >= sim.stages[0].start and 0 < t0 < t1 <= sim.time[-1]


def test_wave_elevation_has_the_requested_significant_height():
    spec = DemoSpec(file_size=20_000_000, sample_interval=0.2)
    case = spec.load_cases()[5]
    sim = simulate(spec, case)
    environment = next(o for o in sim.objects if o.name == spec.environment)
    elevation = next(v for v in environment.variables if v.name == spec.elevation).values
    stationary = elevation[sim.time >= 0]
    hs = 4 * float(np.std(stationary))
    assert hs == pytest.approx(case["Hs"], rel=0.15)  # one realisation of a random sea


def test_jonswap_integrates_to_hs():
    omega = np.linspace(0.01, 5, 20_000)
    m0 = np.trapezoid(jonswap(omega, 6.0, 12.0), omega)
    assert 4 * np.sqrt(m0) == pytest.approx(6.0, rel=0.02)


def test_line_tension_varies_along_arc_length_and_touchdown_moves(tmp_path):
    (path,) = write_campaign(tmp_path, DemoSpec(file_size=400_000), files=1)
    with Archive(path) as archive:
        tension = np.asarray(archive.column("Mooring1/Effective Tension"))
        touchdown = np.asarray(archive.column("Mooring1/#touchdown"))
    assert tension.ndim == 2 and tension.shape[1] > 2
    mean_along = tension.mean(axis=0)
    assert mean_along[-1] > mean_along[0]  # fairlead (End B) above anchor
    assert np.ptp(touchdown) > 0
