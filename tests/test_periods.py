"""A specified period partly outside a complete simulation is an error naming both spans unless
the column says period_policy: clip; an unfinished simulation is still clipped at its end."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive
from orcapost.errors import ResultFileError
from orcapost.plugins.extractors.statistics import StatisticsColumn, StatisticsExtractor
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.schemas.vocabulary import Period, Position
from orcapost.units import split_units
from pydantic import ValidationError


def _file(tmp_path, state="complete", end=100.0):
    time = np.arange(0.0, end + 0.05, 0.1)
    heave = np.sin(time)
    sim = SimulationData(time=time, stages=[Stage(0, -10.0, 0.0), Stage(1, 0.0, 100.0)],
                         objects=[ObjectData("FPSO", "Vessel", [TimeVariable("Heave", "m", heave)])],
                         state=state)
    return ArchiveResultFile(write_archive(tmp_path / f"{state}.arrow", sim))


def _max(file, period, **options):
    column = StatisticsColumn(label="x", object="FPSO", variable="Heave", period=period,
                              statistics=["max", "time_of_max"], **options)
    return split_units(StatisticsExtractor(column).extract(file, column))[0]


@pytest.mark.parametrize("period", [[50, 500], [-5, 50]])
def test_partly_outside_a_complete_simulation_is_an_error(tmp_path, period):
    with _file(tmp_path) as file, pytest.raises(ResultFileError) as info:
        _max(file, period)
    assert str(info.value) == (f"specified period {period[0]:g} to {period[1]:g} s runs outside "
                               "the complete simulation (0 to 100 s): give a period inside it, "
                               "or period_policy: clip")


def test_clip_clips_to_the_simulation(tmp_path):
    with _file(tmp_path) as file:
        assert _max(file, [50, 500], period_policy="clip") == _max(file, [50, 100])


def test_an_unfinished_simulation_is_clipped_at_its_end_as_documented(tmp_path):
    with _file(tmp_path, "unfinished", end=70.0) as file:
        assert _max(file, [50, 100]) == _max(file, [50, 70])
        with pytest.raises(ResultFileError, match="runs outside the unfinished simulation"):
            _max(file, [-5, 50])  # its start was reached: nothing explains a missing start


def test_infinite_bounds_mean_the_simulations_start_and_end(tmp_path):
    # What legacy [t] and [NULL, NULL] become.
    with _file(tmp_path) as file:
        assert _max(file, [-math.inf, math.inf]) == _max(file, [0, 100])


def test_inside_and_outside_are_unchanged(tmp_path):
    with _file(tmp_path) as file:
        assert _max(file, [0, 100])["x max"] == np.sin(np.arange(0.0, 100.05, 0.1)).max()
        with pytest.raises(ResultFileError, match="lies outside the simulation"):
            _max(file, [200, 300])


def test_clip_needs_a_specified_period():
    with pytest.raises(ValidationError, match="applies to a specified period"):
        StatisticsColumn(label="x", object="FPSO", variable="Heave", period_policy="clip")
    column = StatisticsColumn(label="x", object="FPSO", variable="Heave", period=[1, 2],
                              period_policy="clip")
    again = StatisticsColumn.model_validate(column.model_dump())
    assert again == column and again.period.clip


@pytest.mark.parametrize("period, message", [
    ({"kind": "stage"}, "a stage period needs its stage"),
    ({"kind": "stage", "stage": -1}, "stage takes a whole number >= 0"),
    ({"kind": "specified", "start": 1.0}, "a specified period needs its start and end"),
    ({"kind": "specified", "start": 5.0, "end": 1.0}, "specified period ends (1) before it starts"),
])
def test_the_kind_form_of_a_period_is_checked_like_the_short_forms(period, message):
    # {kind: stage} without a stage used to validate and then fail each file with a TypeError.
    with pytest.raises(ValidationError, match=re.escape(message)):
        StatisticsColumn(label="x", object="FPSO", variable="Heave", period=period)


@pytest.mark.parametrize("position, message", [
    ({"kind": "node"}, "a node position needs its node number"),
    ({"kind": "node", "value": 0}, "node takes a whole number >= 1"),
    ({"kind": "node", "value": 2.5}, "node takes a whole number >= 1"),
    ({"kind": "arc_length"}, "an arc_length position needs its arc length"),
])
def test_the_kind_form_of_a_position_is_checked_like_the_short_forms(position, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Position.model_validate(position)


def test_the_kind_form_still_round_trips():
    for value in (Period(kind="stage", stage=2), Period(kind="specified", start=1.0, end=2.0),
                  Period(kind="whole_simulation"), Position(kind="node", value=3),
                  Position(kind="arc_length", value=12.5), Position(kind="end_a")):
        assert type(value).model_validate(value.model_dump()) == value
