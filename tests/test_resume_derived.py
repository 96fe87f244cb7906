"""--resume and the ``derived:`` section: a changed derived channel changes every cell that reads
it, so it must not be reused from the journal."""

from __future__ import annotations

import pyarrow.parquet as pq
import yaml
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.units import table_units


def test_a_changed_derived_channel_is_computed_again_on_resume(pm, tmp_path):
    """The column fingerprint held the column's options but not the derived channels it reads:
    after 'Heave * 2' became 'Heave * 3' (unit m -> ft), --resume reused the old cells and
    their unit, numbers silently wrong."""
    write_campaign(tmp_path / "campaign", DemoSpec(file_size=60_000), files=2)
    config = {
        "version": 2, "inputs": {"directory": str(tmp_path / "campaign")},
        "engine": {"progress": "silent"},
        "derived": {"H2": {"expression": "Heave * 2", "unit": "m"}},
        "results": {"v": {"columns": [
            {"label": "h", "kind": "statistics", "object": "FPSO", "variable": "H2",
             "statistics": ["max"]},
            {"label": "heave", "kind": "statistics", "object": "FPSO", "variable": "Heave",
             "statistics": ["max"]}]}},
        "outputs": {"directory": str(tmp_path / "results"), "formats": ["parquet"]},
    }

    def run(resume: bool):
        path = tmp_path / "c.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        summary = Engine(pm, load_config(path, pm.registry), resume=resume).run()
        assert summary.exit_code == 0
        table = pq.read_table(tmp_path / "results" / "v.parquet")
        return table.column("h").to_pylist(), table.column("heave").to_pylist(), \
            table_units(table)["h"]

    doubled, heave, unit = run(False)
    assert doubled == [2 * h for h in heave] and unit == "m"
    config["derived"]["H2"] = {"expression": "Heave * 3", "unit": "ft"}
    tripled, heave_again, unit = run(True)
    assert heave_again == heave
    assert tripled == [3 * h for h in heave] and unit == "ft"
    assert run(True) == (tripled, heave, "ft")  # unchanged now: reused as computed
