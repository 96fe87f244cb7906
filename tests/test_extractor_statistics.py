"""statistics: output names (label, then whatever varies) and the shared naming helpers."""

from __future__ import annotations

import types

from helpers import extract, first_archive
from orcapost.extraction import Namer, Target, namer_for, table_name
from orcapost.plugins.extractors.statistics import StatisticsExtractor


def _target(obj: str, var: str) -> Target:
    return Target(types.SimpleNamespace(name=obj), types.SimpleNamespace(name=var))


def test_one_statistic_of_one_target_is_named_by_the_label(campaign):
    out = extract(StatisticsExtractor, first_archive(campaign), object="Riser",
                  variable="Effective Tension", position="End A")
    assert list(out) == ["x"]


def test_what_varies_is_appended_unless_the_label_places_it(campaign):
    path = first_archive(campaign)
    out = extract(StatisticsExtractor, path, object="Mooring*", variable="Effective Tension",
                  position="End A", statistics=["max", "p95"])
    assert sorted(out) == sorted(f"x Mooring{i} {s}" for i in range(1, 7) for s in ("max", "p95"))
    out = extract(StatisticsExtractor, path, object="Mooring*", variable="Effective Tension",
                  position="End A", statistics=["min", "max"], label="{statistic} of {object}")
    assert sorted(out) == sorted(f"{s} of Mooring{i}" for i in range(1, 7) for s in ("min", "max"))


def test_the_same_column_names_its_outputs_the_same_in_every_file(campaign):
    paths = sorted(campaign.glob("*.arrow"))[:2]
    names = [list(extract(StatisticsExtractor, p, object="FPSO", variable="*",
                          statistics=["max", "mean"])) for p in paths]
    assert names[0] == names[1] and len(set(names[0])) == len(names[0]) > 2


def test_namer_for_varies_only_what_has_several_values():
    one = [_target("A", "T"), _target("A", "T")]
    assert namer_for("x", one).append == []
    assert namer_for("x", one, ["statistic"])(statistic="max") == "x max"
    several = [_target("A", "T"), _target("B", "M")]
    name = namer_for("{variable} x", several, ["statistic"])
    assert name(object="B", variable="M", statistic="max") == "M x B max"
    assert isinstance(name, Namer)


def test_table_name_fills_the_label_with_the_column_patterns():
    column = types.SimpleNamespace(object="Line*", variable="Effective Tension")
    assert table_name("{object} {variable}", column) == "Line* Effective Tension"
    assert table_name("th", column) == "th"


def test_a_repeated_statistic_is_named_as_its_output_names_say(campaign):
    # statistics: [max, max] named "x max" before the naming moved to Extractor.named_statistics
    # (and output_names, through series_names, still says so): the repeat must not rename it.
    from orcapost.plugins.extractors.statistics import StatisticsColumn

    options = dict(label="x", object="Riser", variable="Effective Tension", position="End A",
                   statistics=["max", "max"])
    out = extract(StatisticsExtractor, first_archive(campaign), **options)
    assert list(out) == ["x max"] == StatisticsColumn(**options).output_names()
