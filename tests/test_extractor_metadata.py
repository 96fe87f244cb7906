"""metadata: load-case keys, file-name patterns and model data as columns."""

from __future__ import annotations

import pytest
from helpers import extract, first_archive
from orcapost.errors import ResultFileError
from orcapost.plugins.extractors.metadata import MetadataExtractor
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.resultfile import ResultFile
from pydantic import ValidationError


def test_keys_pattern_and_model_data(campaign):
    path = first_archive(campaign)  # LC001_H000_Hs2.0_S01.arrow
    out = extract(MetadataExtractor, path, label="{key}", keys=["Hs", "seed"],
                  pattern=r"LC(?P<case>\d+)_H(?P<dir>\d+)_Hs(?P<hs>[\d.]+)_(?P<tag>S\d+)",
                  data=[{"object": "Environment", "name": "WaveHs"},
                        {"object": "Riser", "name": "Length", "label": "riser length"}])
    assert out == {"Hs": 2.0, "seed": 1, "case": 1, "dir": 0, "hs": 2.0, "tag": "S01",
                   "WaveHs": 2.0, "riser length": 600.0}


def test_the_key_is_appended_when_the_label_has_no_placeholder(campaign):
    out = extract(MetadataExtractor, first_archive(campaign), label="lc", keys=["heading"])
    assert out == {"lc heading": 0.0}


@pytest.mark.parametrize(("options", "message"), [
    ({"keys": ["Hmax"]}, "no load-case key 'Hmax'"),
    ({"pattern": r"(?P<x>NOPE)"}, "does not match pattern"),
    ({"data": [{"object": "Riser", "name": "OD"}]}, "model data Riser / OD is not available"),
    ({"data": [{"object": "Nothing", "name": "Length"}]}, "no object 'Nothing'"),
])
def test_what_a_file_lacks_is_a_per_file_error(campaign, options, message):
    with pytest.raises(ResultFileError, match=message):
        extract(MetadataExtractor, first_archive(campaign), **options)


def test_model_data_is_not_abstract_and_says_what_is_missing(campaign):
    assert "model_data" not in ResultFile.__abstractmethods__
    with ArchiveResultFile(first_archive(campaign)) as file, pytest.raises(
            ResultFileError, match=r"Riser / Length\[2\]"):
        ResultFile.model_data(file, "Riser", "Length", 2)


@pytest.mark.parametrize(("options", "message"), [
    ({}, "give keys, pattern or data"),
    ({"pattern": "(no group)"}, "no named group"),
    ({"pattern": "(?P<x>"}, "not a regular expression"),
])
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(ValidationError, match=message):
        MetadataExtractor.Options(**options)
