"""Every file of tests/legacy_corpus (real configs of the legacy tool, SOURCES.txt): a
post-processing job migrates, validates and runs on `orcapost demo --for-config` and writes the
files the legacy tool wrote; one the legacy tool produced nothing from is refused naming why;
every other file is classified by what it is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from orcapost.cli import cli

CORPUS = Path(__file__).parent / "legacy_corpus"


def _sources() -> list[tuple[str, str]]:
    """(file, expected) for every row of SOURCES.txt."""
    rows = []
    for line in (CORPUS / "SOURCES.txt").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) == 4 and cells[0].endswith(".yml"):
            rows.append((cells[0], cells[3]))
    return rows


SOURCES = _sources()
RUNS = [name for name, expected in SOURCES if expected == "runs"]
REFUSED = [(name, expected.removeprefix("refused: ")) for name, expected in SOURCES
           if expected.startswith("refused: ")]
KINDS = {name: expected.removeprefix("kind: ") for name, expected in SOURCES
         if expected.startswith("kind: ")}


@pytest.fixture
def cli_with_commands(pm, run_cli):
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


def test_the_sources_list_every_file_of_the_corpus():
    assert sorted(name for name, _ in SOURCES) == sorted(p.name for p in CORPUS.glob("*.yml"))
    # The measure: real post-processing jobs that run, out of all post-processing configs.
    assert len(RUNS) / (len(RUNS) + len(REFUSED)) >= 0.75


def _labels(data: dict, key: str) -> list[str]:
    """The group labels of ``key`` as the legacy tool named its files: Label (older:
    SummaryFileName), or the master group's at the same position (opp.py)."""
    groups = (data.get(key) or {}).get("groups") or []
    master = (data.get(f"{key}_master") or {}).get("groups") or []
    out = []
    for i, group in enumerate(groups):
        template = master[i] if i < len(master) else {}
        out.append(group.get("Label") or group.get("SummaryFileName") or template.get("Label")
                   or template.get("SummaryFileName"))
    return out


def legacy_files(data: dict, stem: str, sims: list[str]) -> set[str]:
    """The CSV files the legacy tool wrote for a job (opp_summary.save_summary,
    opp_linkedstatistics.save_linked_statistics: <config>_<group>.csv; opp_time_series.
    get_time_series_data: <simulation>_<group>.csv; all_vars: <config>_<type>_var_data.csv,
    which orcapost writes as one <config>_var_data.csv)."""
    post = data["orcaflex"]["postprocess"]

    def on(kind: str) -> bool:
        return isinstance(post.get(kind), dict) and post[kind].get("flag") is True

    files = set()
    if on("summary"):
        files |= {f"{stem}_{label}.csv" for label in _labels(data, "summary_settings")}
    if on("linked_statistics"):
        files |= {f"{stem}_{label}.csv" for label in _labels(data, "linked_statistics_settings")}
    if on("time_series") and (data.get("time_series_settings") or {}).get("data"):
        files |= {f"{sim}_{label}.csv" for label in _labels(data, "time_series_settings")
                  for sim in sims}
    if on("all_vars"):
        files.add(f"{stem}_var_data.csv")
    return files


@pytest.mark.parametrize("name", RUNS)
def test_a_real_job_migrates_validates_and_writes_the_legacy_files(cli_with_commands, tmp_path,
                                                                    name):
    config = tmp_path / name
    shutil.copy(CORPUS / name, config)  # a copy: --in-place rewrites it
    migrated = cli_with_commands("migrate", config, "--in-place")
    assert migrated.exit_code == 0, migrated.output
    migrated_data = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert migrated_data["version"] == 2
    assert cli_with_commands("validate", config).exit_code == 0
    # The demo records about a minute; the jobs' periods run to hours. Clipped to the record
    # for this run (a test setting, not the migration's), every series has its file.
    for group in migrated_data["results"].values():
        for column in group["columns"]:
            if isinstance(column.get("period"), list):
                column["period_policy"] = "clip"
    config.write_text(yaml.safe_dump(migrated_data, sort_keys=False), encoding="utf-8")
    result = cli_with_commands("demo", tmp_path / "demo", "--for-config", config, "--files", "2",
                               "--size", "100KB", "--quiet")
    results = tmp_path / "demo" / "results"
    if result.exit_code == 1:
        # Only what the demo campaign cannot have may fail a column, with the reason in
        # failures.csv: an arc-length range between two of its lines' nodes (its lines are not
        # the real ones).
        reasons = (results / "failures.csv").read_text(encoding="utf-8").splitlines()[1:]
        assert reasons and all("no nodes of" in r for r in reasons)
    else:
        assert result.exit_code == 0, result.output
    written = {p.name for p in results.glob("*.csv")}
    sims = sorted(p.stem for p in (tmp_path / "demo").rglob("*.arrow"))
    legacy = legacy_files(yaml.safe_load((CORPUS / name).read_text(encoding="utf-8")),
                          config.stem, sims)
    assert legacy and legacy <= written
    # What orcapost writes besides (docs/migration.md, "What differs"): a time-series group's
    # own table of sample counts, and failures.csv when a file failed.
    extra = written - legacy - {"failures.csv"}
    series = {label for label in _labels(yaml.safe_load((CORPUS / name).read_text()),
                                         "time_series_settings")}
    assert extra <= {f"{config.stem}_{label}.csv" for label in series}


@pytest.mark.parametrize(("name", "says"), REFUSED)
def test_a_job_the_legacy_tool_produced_nothing_from_is_refused_saying_why(run_cli, name, says):
    result = run_cli("validate", CORPUS / name)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output


def test_every_other_file_is_classified_by_what_it_is(cli_with_commands):
    result = cli_with_commands("migrate", CORPUS, "--check", "--format", "json")
    report = json.loads(result.output)
    found = {Path(f["path"]).name: f for f in report["files"]}
    assert set(found) == {name for name, _ in SOURCES}
    for name, kind in KINDS.items():
        assert (found[name]["kind"], found[name]["state"]) == (kind, "skipped"), name
    for name in RUNS:
        assert (found[name]["kind"], found[name]["state"]) == ("post-processing config",
                                                               "migrated")
    for name, _ in REFUSED:
        assert found[name]["state"] == "error"
    assert result.exit_code == 2  # the refused jobs are real errors


#: What `orcapost validate` says each kind of file is.
SAYS = {
    "a visualisation config": "this is a visualisation config",
    "a post-processing config with nothing switched on": "nothing is switched on",
    "pre-OPP post-processing config": "the older pre-OPP dialect",
    "legacy results file": "a results file the legacy tool wrote",
    "analysis config": "an analysis/simulation-run config",
    "OrcaFlex model file": "an OrcaFlex model (data) file",
    "another tool's config": "a config for another tool",
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_validate_says_what_a_file_that_is_no_job_is(run_cli, name):
    result = run_cli("validate", CORPUS / name)
    assert result.exit_code == 2
    assert SAYS[KINDS[name]] in result.output and "Traceback" not in result.output
