"""time_history: exported tables equal the archive arrays; resampling equals np.interp."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from helpers import extract, first_archive, whole
from orcapost.archive import Archive
from orcapost.config import load_config
from orcapost.engine import Engine
from orcapost.plugins.extractors.time_history import TimeHistoryExtractor
from orcapost.tables import TABLE_MARKER


def test_stored_samples_are_exported_as_they_are(campaign):
    path = first_archive(campaign)
    out = extract(TimeHistoryExtractor, path, object="Mooring*", variable="Effective Tension",
                  position="End B", label="{object} top")
    table = out["Mooring* top time history"]
    assert table["layout"] == "per_file"
    columns = table["columns"]
    with Archive(path) as archive:
        mask = whole(archive)
        assert columns["time"] == archive.time[mask].tolist()
        top = np.array(archive.column("Mooring4/Effective Tension"))[mask, -1]
        assert columns["Mooring4 top"] == top.tolist()
    assert out["Mooring* top samples"] == int(mask.sum())


def test_resampling_is_linear_interpolation_on_a_regular_grid(campaign):
    path = first_archive(campaign)
    out = extract(TimeHistoryExtractor, path, object="FPSO", variable="Heave", resample=0.37,
                  period=[2.0, 20.0], layout="long")
    columns = out["x time history"]["columns"]
    with Archive(path) as archive:
        t = archive.time
        mask = (t >= 2.0 - 1e-9) & (t <= 20.0 + 1e-9)
        t, heave = t[mask], np.array(archive.column("FPSO/Heave"))[mask].astype(np.float64)
    grid = t[0] + 0.37 * np.arange(int(np.floor((t[-1] - t[0]) / 0.37 + 1e-9)) + 1)
    assert columns["time"] == pytest.approx(grid.tolist(), abs=1e-12)
    assert columns["x"] == pytest.approx(np.interp(grid, t, heave).tolist(), rel=1e-12)
    assert columns["time"][-1] <= 20.0


def test_tables_are_written_per_file_and_long_beside_the_group_table(campaign, tmp_path, pm):
    config = {
        "version": 2, "inputs": {"directory": str(campaign)},
        "results": {"th": {"columns": [
            {"label": "heave", "kind": "time_history", "object": "FPSO", "variable": "Heave",
             "layout": "long"},
            {"label": "top", "kind": "time_history", "object": "Riser",
             "variable": "Effective Tension", "position": "End A"},
        ]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["parquet"]},
    }
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(config))
    summary = Engine(pm, load_config(path, pm.registry)).run()
    assert summary.exit_code == 0
    out = tmp_path / "out"
    files = sorted(campaign.glob("*.arrow"))
    long = pq.read_table(out / "th_heave_time_history.parquet")
    group = pq.read_table(out / "th.parquet").to_pylist()
    assert long.num_rows == sum(row["heave samples"] for row in group)
    assert set(long.column("file").to_pylist()) == {f.name for f in files}
    for f in files:
        per_file = pq.read_table(out / f"th_top_time_history_{f.stem}.parquet")
        with Archive(f) as archive:
            expected = np.array(archive.column("Riser/Effective Tension"))[whole(archive), 0]
        assert per_file.column("top").to_pylist() == expected.tolist()
    assert TABLE_MARKER not in " ".join(pq.read_table(out / "th.parquet").column_names)


def test_a_table_name_with_a_long_layout_is_refused():
    # table names per-file tables; with layout: long it was silently ignored.
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="table names a per-file table"):
        TimeHistoryExtractor.Options.model_validate(
            {"label": "x", "object": "FPSO", "variable": "Heave", "layout": "long",
             "table": "motions"})
    TimeHistoryExtractor.Options.model_validate(
        {"label": "x", "object": "FPSO", "variable": "Heave", "table": "motions"})
