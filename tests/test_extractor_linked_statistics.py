"""linked_statistics: the primary's extremes, their times and linked values equal numpy."""

from __future__ import annotations

import numpy as np
from helpers import extract, first_archive, whole
from orcapost.archive import Archive
from orcapost.plugins.extractors.linked_statistics import LinkedStatisticsExtractor


def test_values_at_the_primary_extremes_equal_numpy(campaign):
    path = first_archive(campaign)
    out = extract(LinkedStatisticsExtractor, path, object="Riser", variable="Effective Tension",
                  position="End A", linked=["Bend Moment", "Curv*"], label="top")
    with Archive(path) as archive:
        mask = whole(archive)
        time = archive.time[mask]
        tension = np.array(archive.column("Riser/Effective Tension"))[mask, 0]
        moment = np.array(archive.column("Riser/Bend Moment"))[mask, 0]
        curvature = np.array(archive.column("Riser/Curvature"))[mask, 0]
    for stat, at in (("max", int(np.argmax(tension))), ("min", int(np.argmin(tension)))):
        assert out[f"top {stat}"] == float(tension[at])
        assert out[f"top {stat} time"] == float(time[at])
        assert out[f"top {stat} Bend Moment"] == float(moment[at])
        assert out[f"top {stat} Curvature"] == float(curvature[at])
    assert out["top max"] == float(tension.max()) and out["top min"] == float(tension.min())


def test_time_variables_over_a_specified_period(campaign):
    path = first_archive(campaign)
    out = extract(LinkedStatisticsExtractor, path, object="FPSO", variable="Heave",
                  linked=["Pitch", "Surge"], period=[5.0, 30.0], statistics=["max"])
    with Archive(path) as archive:
        t = archive.time
        mask = (t >= 5.0 - 1e-9) & (t <= 30.0 + 1e-9)
        heave = np.array(archive.column("FPSO/Heave"))[mask]
        pitch = np.array(archive.column("FPSO/Pitch"))[mask]
        at = int(np.argmax(heave))
        assert out["x max time"] == float(t[mask][at])
        assert out["x max Pitch"] == float(pitch[at])
    assert set(out) == {"x max", "x max time", "x max Pitch", "x max Surge"}
