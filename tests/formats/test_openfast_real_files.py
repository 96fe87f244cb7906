"""Real OpenFAST files pCrunch ships (tests/formats/data/README.md): read exactly, and read
with a warning when they carry bytes beyond their header or identical duplicated channels."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from orcapost.api import ResultFileError
from orcapost.formats import openfast as of
from orcapost.formats.openfast import FileFmtID, OpenFASTOutput, OpenFASTWarning
from orcapost.plugins.sources.openfast import OpenFASTResultFile

DATA = Path(__file__).parent / "data"
BINARY = DATA / "AOC_WSt.outb"
TEXT = DATA / "AOC_WSt.out"


def test_the_real_binary_and_text_files_hold_the_same_channels():
    binary, text = of.read(BINARY), of.read(TEXT)
    assert binary.file_format == FileFmtID.NO_COMPRESS_WITHOUT_TIME
    assert binary.channels == text.channels and binary.units == text.units
    assert len(binary.channels) == 27 and binary.data.shape == (601, 27)
    np.testing.assert_allclose(binary.time, text.time, rtol=0, atol=5e-5)
    # The text file prints 4 significant digits (ES10.3E2): equal to that precision.
    np.testing.assert_allclose(text.data, binary.data, rtol=6e-4, atol=1e-3)


def test_bytes_beyond_the_header_are_ignored_with_a_warning(tmp_path):
    longer = tmp_path / "longer.outb"
    longer.write_bytes(BINARY.read_bytes() + b"\0" * 13)
    with pytest.warns(OpenFASTWarning, match="13 bytes beyond what its header describes"):
        got = of.read(longer)
    expected = of.read(BINARY)
    np.testing.assert_array_equal(got.data, expected.data)
    with pytest.warns(OpenFASTWarning):
        with OpenFASTResultFile(longer) as file:
            assert file.raw_time_values("OpenFAST", "RotSpeed").size == 601
    truncated = tmp_path / "cut.outb"
    truncated.write_bytes(BINARY.read_bytes()[:-13])
    with pytest.raises(ResultFileError, match="truncated"):
        OpenFASTResultFile(truncated)


def _with_duplicate(tmp_path: Path, differ: bool) -> tuple[Path, OpenFASTOutput, str]:
    real = of.read(BINARY)
    twice = 3
    column = real.data[:, twice].copy()
    if differ:
        column = column + 1.0
    out = OpenFASTOutput(time=real.time, channels=[*real.channels, real.channels[twice]],
                         units=[*real.units, real.units[twice]],
                         data=np.column_stack([real.data, column]))
    path = of.write_binary(tmp_path / "dup.outb", out, FileFmtID.CHAN_LEN_IN)
    return path, real, real.channels[twice]


def test_identical_duplicated_channels_are_kept_once_with_a_warning(tmp_path):
    path, real, name = _with_duplicate(tmp_path, differ=False)
    assert of.read(path).channels.count(name) == 2  # the format reader gives what is there
    with pytest.warns(OpenFASTWarning, match=f"channels {name} appear more than once"):
        file = OpenFASTResultFile(path)
    with file:
        variables = list(file.catalogue()["OpenFAST"].variables)
        assert variables == real.channels
        packed = of.read(path)
        np.testing.assert_array_equal(file.raw_time_values("OpenFAST", name),
                                      packed.data[:, packed.channels.index(name)])


def test_duplicated_channels_that_differ_are_a_clear_error(tmp_path):
    path, _, name = _with_duplicate(tmp_path, differ=True)
    with pytest.raises(ResultFileError, match=f"{name}' appears twice with different values"):
        OpenFASTResultFile(path)


def test_a_campaign_of_the_real_file_runs(tmp_path, pm):
    from orcapost.config import validate_data
    from orcapost.engine import Engine

    campaign = tmp_path / "campaign"
    campaign.mkdir()
    for k in range(3):
        shutil.copy(BINARY, campaign / f"run_{k}.outb")
    data = {"version": 2, "inputs": {"directory": str(campaign), "patterns": ["*.outb"]},
            "results": {"s": {"columns": [
                {"label": "{variable}", "kind": "statistics", "object": "OpenFAST",
                 "variable": "*", "statistics": ["max", "mean"]}]}},
            "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]}}
    loaded = validate_data(data, pm.registry, source="test")
    summary = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.exit_code == 0
    assert not (tmp_path / "out" / "failures.csv").exists()
