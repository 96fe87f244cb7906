"""Every shipped config runs on a demo campaign and every extractor kind appears in one."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from conftest import REPO
from orcapost.config import read_yaml, validate_data
from orcapost.engine import Engine

CONFIGS = sorted((REPO / "configs").glob("*.yml"))


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_config_runs_on_the_demo_campaign_without_failures(pm, campaign, tmp_path,
                                                                   path: Path):
    data = read_yaml(path.read_text(encoding="utf-8"), path.name)
    data["inputs"]["directory"] = str(campaign)
    data["outputs"]["directory"] = str(tmp_path / "out")
    data["outputs"]["formats"] = ["csv"]
    # Paths other than inputs/outputs (a load-case table) are relative to the config file.
    loaded = validate_data(data, pm.registry, source=path.name, base_directory=path.parent)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    failures = tmp_path / "out" / "failures.csv"
    reasons = pacsv.read_csv(failures).to_pylist() if failures.exists() else []
    # Peaks over threshold on the demo's 80 s records: too few peaks, so the GPD fit is refused
    # with its documented reasons (the config says so); everything else must be fine.
    refused = [r for r in reasons if r["column"] == "Heave GPD" and (
        "shape <= -1" in r["reason"] or "bootstrap failed" in r["reason"])]
    assert reasons == refused, reasons
    assert summary.exit_code == (1 if refused else 0)
    for table in data.get("campaign", []):
        written = pacsv.read_csv(tmp_path / "out" / f"{table['name']}.csv")
        assert "error" not in written.column_names, written.to_pylist()


#: The result vocabulary every OrcaFlex engineer expects (docs/extractors/).
VOCABULARY = {"statistics", "range_graph", "time_history", "static", "linked_statistics",
              "extremes", "fatigue", "metadata", "spectrum", "exceedance"}


def test_every_extractor_of_the_vocabulary_runs_from_a_shipped_config(pm):
    kinds, methods = set(), set()
    for path in CONFIGS:
        data = read_yaml(path.read_text(encoding="utf-8"), path.name)
        columns = [c for g in data["results"].values() for c in g["columns"]]
        kinds |= {c["kind"] for c in columns}
        methods |= {c.get("method", "rayleigh") for c in columns if c["kind"] == "extremes"}
    assert VOCABULARY <= kinds <= set(pm.registry.names("extractor"))
    assert methods == {"rayleigh", "weibull", "gpd", "gumbel"}
