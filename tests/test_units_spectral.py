"""Units of the spectrum and exceedance extractors reach the tables: spectral moments
m_n = integral f^n S(f) df (f in Hz) in unit²·Hzⁿ, hs in the variable's unit, periods in s,
the PSD table in Hz and unit²/Hz, the exceedance table's level in the variable's unit."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from helpers import extract, extract_units, first_archive
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.plugins.extractors.exceedance import ExceedanceExtractor
from orcapost.plugins.extractors.spectrum import (
    SpectrumExtractor,
    moment_unit,
    psd_unit,
    spectral_units,
    squared,
)
from orcapost.units import UNIT_KEY

ALL = ["m0", "m1", "m2", "m4", "hs", "tz", "tm01", "tp"]


def test_unit_algebra_of_the_spectral_outputs():
    assert squared("m") == "m²" and squared("kN") == "kN²"
    assert squared("kN.m") == "(kN.m)²" and squared("m/s") == "(m/s)²"
    assert squared("-") == "-" and squared("") is None and squared(None) is None
    assert [moment_unit("kN", k) for k in (0, 1, 2, 4)] == [
        "kN²", "kN²·Hz", "kN²·Hz²", "kN²·Hz⁴"]
    assert moment_unit("-", 2) == "Hz²" and moment_unit(None, 1) is None
    assert psd_unit("kN.m") == "(kN.m)²/Hz" and psd_unit("-") == "1/Hz"
    assert spectral_units("m") == {"m0": "m²", "m1": "m²·Hz", "m2": "m²·Hz²", "m4": "m²·Hz⁴",
                                   "hs": "m", "tz": "s", "tm01": "s", "tp": "s"}
    # An unknown unit: the periods are still seconds, nothing else is guessed.
    assert spectral_units(None) == {"m0": None, "m1": None, "m2": None, "m4": None,
                                    "hs": None, "tz": "s", "tm01": "s", "tp": "s"}


def test_spectrum_returns_the_unit_of_every_output_and_of_its_table(campaign):
    values, units = extract_units(SpectrumExtractor, first_archive(campaign), object="FPSO",
                                  variable="Heave", outputs=ALL)
    assert units == {f"x {name}": unit for name, unit in spectral_units("m").items()}
    assert values["x psd"]["units"] == {"frequency": "Hz", "psd": "m²/Hz"}


def test_exceedance_table_carries_level_probability_and_count_units(campaign):
    out = extract(ExceedanceExtractor, first_archive(campaign), object="FPSO",
                  variable="Heave", levels=4)
    assert out["x exceedance"]["units"] == {
        "level": "m", "exceedance_probability": "-", "samples_above": "-", "samples": "-"}


def test_a_table_of_series_in_different_units_claims_no_common_unit(campaign):
    # Every FPSO variable (m and deg among them) in one table: no single unit for level.
    out = extract(ExceedanceExtractor, first_archive(campaign), object="FPSO",
                  variable="*", levels=3)
    units = out["x exceedance"].get("units", {})
    assert "level" not in units and units["exceedance_probability"] == "-"


@pytest.fixture(scope="module")
def spectral_results(tmp_path_factory):
    """Spectrum and exceedance columns over 2 demo files, written to parquet."""
    from orcapost.pluginmanager import get_plugin_manager

    root = tmp_path_factory.mktemp("spectral_units")
    campaign = root / "campaign"
    write_campaign(campaign, DemoSpec(file_size=120_000), files=2)
    data = {
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.arrow"]},
        "results": {"spectra": {"columns": [
            {"label": "Heave spectrum", "kind": "spectrum", "object": "FPSO",
             "variable": "Heave", "outputs": ALL},
            {"label": "TDP moment spectrum", "kind": "spectrum", "object": "Riser",
             "variable": "Bend Moment", "position": "Touchdown", "outputs": ["m0", "hs"]},
            {"label": "Heave exceedance", "kind": "exceedance", "object": "FPSO",
             "variable": "Heave", "levels": 5}]}},
        "outputs": {"directory": str(root / "results"), "formats": ["parquet"]},
    }
    config = root / "spectral.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    pm = get_plugin_manager(entry_points=False)
    summary = Engine(pm, load_config(config, pm.registry)).run()
    assert summary.exit_code == 0
    return root / "results"


def _units(path: Path) -> dict[str, str]:
    return {f.name: f.metadata[UNIT_KEY].decode() for f in pq.read_schema(path)
            if f.metadata and UNIT_KEY in f.metadata}


def test_parquet_spectral_columns_and_tables_carry_their_units(spectral_results):
    group = _units(spectral_results / "spectra.parquet")
    for name, unit in spectral_units("m").items():
        assert group[f"Heave spectrum {name}"] == unit
    assert group["TDP moment spectrum m0"] == "(kN.m)²"
    assert group["TDP moment spectrum hs"] == "kN.m"
    assert _units(spectral_results / "spectra_Heave_spectrum_psd.parquet") == {
        "frequency": "Hz", "psd": "m²/Hz"}
    assert _units(spectral_results / "spectra_Heave_exceedance_exceedance.parquet") == {
        "level": "m", "exceedance_probability": "-", "samples_above": "-", "samples": "-"}
