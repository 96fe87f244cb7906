"""range_graph: summaries, arc lengths and envelope tables equal numpy on the archive arrays."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import extract, first_archive, whole
from orcapost.archive import Archive
from orcapost.plugins.extractors.range_graph import RangeGraphExtractor
from orcapost.tables import TABLE_MARKER
from pydantic import ValidationError


def _riser(path):
    with Archive(path) as archive:
        arcs = np.asarray(next(o for o in archive.objects if o["name"] == "Riser")["arc_lengths"])
        grid = np.array(archive.column("Riser/Effective Tension"))[whole(archive)]
    return arcs, grid


def test_whole_line_summaries_and_arc_lengths_equal_numpy(campaign):
    path = first_archive(campaign)
    out = extract(RangeGraphExtractor, path, object="Riser", variable="Effective Tension",
                  statistics=["max", "min", "mean", "std"], with_arc_length=True)
    arcs, grid = _riser(path)
    mx, mn = grid.max(axis=0), grid.min(axis=0)
    mean, std = grid.mean(axis=0, dtype=np.float64), grid.std(axis=0, dtype=np.float64)
    assert out["x max"] == float(mx.max())
    assert out["x max arc length"] == float(arcs[np.argmax(mx)])
    assert out["x min"] == float(mn.min())
    assert out["x min arc length"] == float(arcs[np.argmin(mn)])
    # float64 sums in another order than numpy's pairwise ones: equal to rounding.
    assert out["x mean"] == pytest.approx(float(mean.max()), rel=1e-12)
    assert out["x std"] == pytest.approx(float(std.max()), rel=1e-12)
    assert out["x std arc length"] == float(arcs[np.argmax(std)])


def test_an_arc_length_range_keeps_only_its_nodes(campaign):
    path = first_archive(campaign)
    out = extract(RangeGraphExtractor, path, object="Riser", variable="Effective Tension",
                  arc_length=[100, 300], statistics=["min"], with_arc_length=True)
    arcs, grid = _riser(path)
    inside = (arcs >= 100) & (arcs <= 300)
    mn = grid[:, inside].min(axis=0)
    assert out["x"] == float(mn.min())
    assert out["x arc length"] == float(arcs[inside][np.argmin(mn)])
    assert 100 <= out["x arc length"] <= 300


def test_one_arc_length_interpolates_between_nodes(campaign):
    path = first_archive(campaign)
    out = extract(RangeGraphExtractor, path, object="Riser", variable="Effective Tension",
                  arc_length=[145.0], statistics=["max"])  # legacy [S] means S
    arcs, grid = _riser(path)
    i = int(np.searchsorted(arcs, 145.0, side="right"))
    w = (145.0 - arcs[i - 1]) / (arcs[i] - arcs[i - 1])
    at = grid[:, i - 1].astype(float) + w * (grid[:, i].astype(float) - grid[:, i - 1])
    assert out["x"] == pytest.approx(float(at.max()), rel=1e-12)


def test_envelope_table_holds_every_node_of_every_matched_line(campaign):
    path = first_archive(campaign)
    out = extract(RangeGraphExtractor, path, object="Mooring*", variable="Effective Tension",
                  statistics=["max", "std"], envelope_output=True, label="{object} T")
    table = out["Mooring* T envelope"]
    assert table[TABLE_MARKER] == "Mooring* T envelope"
    columns = table["columns"]
    with Archive(path) as archive:
        mask = whole(archive)
        for line in ("Mooring1", "Mooring6"):
            grid = np.array(archive.column(f"{line}/Effective Tension"))[mask]
            rows = [i for i, o in enumerate(columns["object"]) if o == line]
            assert [columns["max"][i] for i in rows] == grid.max(axis=0).astype(float).tolist()
            assert np.allclose([columns["std"][i] for i in rows],
                               grid.std(axis=0, dtype=np.float64), rtol=1e-12)
            assert out[f"{line} T max"] == float(grid.max())


def test_a_non_line_variable_is_a_per_file_error(campaign):
    from orcapost.errors import ResultFileError

    with pytest.raises(ResultFileError, match="not a line variable"):
        extract(RangeGraphExtractor, first_archive(campaign), object="FPSO", variable="Heave")


def test_a_reversed_range_is_a_config_error():
    with pytest.raises(ValidationError, match="ends before it starts"):
        RangeGraphExtractor.Options(label="x", object="Riser", variable="T", arc_length=[3, 1])


def test_sections_are_summarised_each_on_its_own(campaign):
    path = first_archive(campaign)
    out = extract(RangeGraphExtractor, path, object="Riser", variable="Effective Tension",
                  arc_length=[[0, 120], [300, 600]], statistics=["max", "min"],
                  label="T {section}", envelope_output=True)
    arcs, grid = _riser(path)
    for s0, s1 in ((0, 120), (300, 600)):
        inside = (arcs >= s0) & (arcs <= s1)
        assert out[f"T {s0}-{s1} max"] == float(grid[:, inside].max())
        assert out[f"T {s0}-{s1} min"] == float(grid[:, inside].min())
    table = out["T {section} envelope"]["columns"]
    assert set(table["section"]) == {"0-120", "300-600"}
    assert len(table["arc_length"]) == int(((arcs <= 120) | (arcs >= 300)).sum())


def test_a_section_that_is_not_a_pair_is_a_config_error():
    with pytest.raises(ValidationError, match="each section"):
        RangeGraphExtractor.Options(label="x", object="R", variable="T",
                                    arc_length=[[1, 2], [5]])


def test_a_label_that_names_two_outputs_alike_fails_the_column(tmp_path):
    # Line "A" with variable "B C" and line "A B" with variable "C": "{object} {variable}"
    # gives both "A B C". One value would silently replace the other.
    from orcapost.demo import DemoSpec, write_campaign
    from orcapost.errors import ResultFileError

    spec = DemoSpec(file_size=60_000, extra_lines=(("A", ("B C",)), ("A B", ("C",))))
    (path,) = write_campaign(tmp_path, spec, files=1)
    with pytest.raises(ResultFileError, match="names two outputs 'A B C'"):
        extract(RangeGraphExtractor, path, object="A*", variable="*C",
                label="{object} {variable}", statistics=["max"])


def test_a_repeated_statistic_is_one_output(campaign):
    out = extract(RangeGraphExtractor, first_archive(campaign), object="Riser",
                  variable="Effective Tension", statistics=["max", "max"], label="T")
    assert list(out) == ["T max"]


@pytest.mark.parametrize(("criterion", "node"), [
    ({"allowable": 100.0}, 1), ({"limits": {"min": -100.0}}, 1),
    ({"limits": {"max": -100.0}}, 0),  # the largest mean is the worst against a maximum
])
def test_a_mean_envelope_with_a_criterion_reports_its_worst_node(tmp_path, criterion, node):
    """Node means -10, -500 and -20: the summary was the largest mean (-10, at 0 m), so a
    criterion checked on it passed although the node at 50 m breaches; with a criterion the
    summary is the worst node by the check (the breach), so checking it checks every node."""
    from orcapost.archive import (
        LineVariable,
        ObjectData,
        SimulationData,
        Stage,
        write_archive,
    )

    time = np.arange(0.0, 10.01, 1.0)
    grid = np.stack([np.full(time.size, -10.0), np.full(time.size, -500.0),
                     np.full(time.size, -20.0)], 1) + 0.1 * np.sin(time)[:, None]
    sim = SimulationData(time=time, stages=[Stage(0, -1.0, 0.0), Stage(1, 0.0, 10.0)],
                         objects=[ObjectData("Line1", "Line", [LineVariable("T", "kN", grid)],
                                             arc_lengths=np.array([0.0, 50.0, 100.0]))])
    path = write_archive(tmp_path / "a.arrow", sim)
    out = extract(RangeGraphExtractor, path, object="Line1", variable="T", statistics=["mean"],
                  with_arc_length=True, **criterion)
    assert out["x"] == pytest.approx(grid[:, node].mean())
    assert out["x arc length"] == 50.0 * node
    plain = extract(RangeGraphExtractor, path, object="Line1", variable="T", statistics=["mean"],
                    with_arc_length=True)
    assert plain["x arc length"] == 0.0  # without a criterion: the largest mean, as before
