"""The demo campaign's tables are the same, byte for byte, as the main branch wrote them before
the run lifecycle was refactored (issue 10): digests stored here were computed on that main.

Paths in the tables are absolute, so the campaign folder is replaced by ``<campaign>`` before
hashing; Parquet files carry the writer's version, so they are compared by content (their
schema and every cell), CSV files by their bytes. The ``size_bytes`` column is left out: it is
the size of the input archive, which grew when the archive header began to count non-finite
samples (a change of the demo's input files, not of what orcapost computes from them).

The digests were computed by running this file's ``__main__`` with the main of before the
refactor (d937241) on the import path, and pass unchanged on the refactored code. One intended
change since (issue 12): the fatigue column's ``Riser TDZ fatigue duration arc length`` is no
longer written (it was the first node's arc length, 300, in every row: a duration is the same at
every node). ``riser.csv``, ``riser.parquet`` and ``demo_riser.csv`` were regenerated; every
other cell of them was checked equal to the earlier tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine

REPO = Path(__file__).resolve().parents[1]

#: Computed on main at d937241 (before the refactor), 24 files of 300 kB, csv+parquet+legacy_csv.
EXPECTED = json.loads((Path(__file__).parent / "demo_digest.json").read_text(encoding="utf-8"))


SIZE_COLUMN = "size_bytes"


def _without_size_column(text: str) -> str:
    """CSV text without its size_bytes column (a plain CSV: no quoted commas in it)."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    header = next(csv.reader([lines[0]]))
    if SIZE_COLUMN not in header:
        return text
    index = header.index(SIZE_COLUMN)
    rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(row[:index] + row[index + 1:] for row in rows)
    return buffer.getvalue()


def _digests(results: Path, campaign: Path) -> dict[str, str]:
    out = {}
    prefixes = (campaign.resolve().as_posix(), str(campaign.resolve()))
    for path in sorted(results.iterdir()):
        if path.suffix == ".csv":
            text = _without_size_column(path.read_text(encoding="utf-8"))
            for prefix in prefixes:
                text = text.replace(prefix, "<campaign>")
            out[path.name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        elif path.suffix == ".parquet":
            table = pq.read_table(path)
            if SIZE_COLUMN in table.column_names:
                table = table.drop_columns([SIZE_COLUMN])
            content = json.dumps([str(table.schema), table.to_pylist()], default=str)
            for prefix in prefixes:
                content = content.replace(prefix, "<campaign>")
            out[path.name] = hashlib.sha256(content.encode("utf-8")).hexdigest()
    return out


def run_demo(tmp_path: Path, pm) -> dict[str, str]:
    campaign = tmp_path / "campaign"
    # positions=False: the campaign the digests were computed on (before wall points and the
    # crane tip were added to the demo).
    write_campaign(campaign, DemoSpec(file_size=300_000, positions=False), files=24)
    data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(campaign)
    data["outputs"] = {"directory": str(tmp_path / "results"),
                       "formats": ["csv", "parquet", "legacy_csv"]}
    data["engine"]["thread_policy"] = {"name": "fixed", "threads": 2}
    config = tmp_path / "demo.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    summary = Engine(pm, load_config(config, pm.registry)).run()
    assert summary.exit_code == 0
    return _digests(tmp_path / "results", campaign)


@pytest.mark.slow
def test_demo_tables_are_byte_for_byte_those_of_the_main_before_the_refactor(tmp_path, pm):
    assert run_demo(tmp_path, pm) == EXPECTED


if __name__ == "__main__":  # regenerate (only when a change to the tables is intended)
    import tempfile

    from orcapost.pluginmanager import get_plugin_manager

    with tempfile.TemporaryDirectory() as folder:
        digests = run_demo(Path(folder), get_plugin_manager(entry_points=False))
    (Path(__file__).parent / "demo_digest.json").write_text(
        json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(digests, indent=1))
