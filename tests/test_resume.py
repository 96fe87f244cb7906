"""--resume is exact: cells are reused only where the column, the file and its reader are
unchanged; whatever changed is computed again, and the tables equal a fresh run's."""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.fingerprints import RunFingerprints, file_identity
from orcapost.journal import JOURNAL_NAME, TEXT_KEY, unpacked
from orcapost.plugins.extractors.extremes import ExtremesExtractor
from orcapost.plugins.extractors.statistics import StatisticsExtractor
from orcapost.task import Plan, PlanSpec

FILES = 8  # the session campaign


def _config(campaign: Path, out: Path) -> dict:
    config = statistics_config(campaign, out)
    config["results"]["vessel"]["columns"].append(
        {"label": "heave MPM", "kind": "extremes", "method": "rayleigh", "object": "FPSO",
         "variable": "Heave", "storm_duration": 10800})
    config["outputs"]["formats"] = ["parquet"]
    return config


def _tables(out: Path) -> dict[str, list[dict]]:
    """Every table of a run, by file name, without the per-run columns."""
    return {p.name: pq.read_table(p).to_pylist() for p in sorted(out.glob("*.parquet"))}


class _Watch:
    """Counts files opened and columns extracted (by label) in this process."""

    def __init__(self, monkeypatch):
        self.opened: list[str] = []
        self.extracted: Counter[str] = Counter()
        for cls in (StatisticsExtractor, ExtremesExtractor):
            original = cls.extract

            def counted(this, file, column, _original=original):
                self.extracted[column.label] += 1
                return _original(this, file, column)

            monkeypatch.setattr(cls, "extract", counted)

    @hookimpl(wrapper=True)
    def orcapost_process_file(self, task):
        self.opened.append(task.file.path.name)
        return (yield)


def _run(pm, config: dict, base: Path, **kwargs) -> Engine:
    engine = Engine(pm, validate_data(config, pm.registry, base_directory=base), **kwargs)
    engine.run()
    return engine


@pytest.fixture
def watch(pm, monkeypatch):
    watcher = _Watch(monkeypatch)
    pm.register(watcher, name="watch")
    return watcher


def _fresh(pm, config: dict, tmp_path: Path) -> dict:
    """The tables of a run of ``config`` from nothing, in a folder of its own."""
    config = copy.deepcopy(config)
    out = tmp_path / "fresh"
    config["outputs"]["directory"] = str(out)
    assert _run(pm, config, tmp_path).report["summary"]["failed"] == 0
    return _tables(out)


def test_an_unchanged_resume_opens_nothing_and_writes_the_same_tables(pm, campaign, tmp_path,
                                                                      monkeypatch):
    out = tmp_path / "out"
    config = _config(campaign, out)
    first = _run(pm, config, tmp_path)
    before = _tables(out)
    assert first.report["summary"]["reused"] == {"files": 0, "partial_files": 0, "cells": 0}
    watcher = _Watch(monkeypatch)
    pm.register(watcher, name="watch")
    second = _run(pm, config, tmp_path, resume=True)
    assert watcher.opened == [] and not watcher.extracted
    cells = sum(len(values) for r in first.tables.results for values in r.values.values())
    assert second.report["summary"]["reused"] == {"files": FILES, "partial_files": 0,
                                                  "cells": cells}
    assert _tables(out) == before


def test_without_resume_everything_is_computed_again(pm, campaign, tmp_path, watch):
    config = _config(campaign, tmp_path / "out")
    _run(pm, config, tmp_path)
    _run(pm, config, tmp_path)
    assert len(watch.opened) == 2 * FILES
    assert watch.extracted["heave"] == 2 * FILES


def test_a_changed_column_is_computed_again_for_every_file_and_only_it(pm, campaign, tmp_path,
                                                                       watch):
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    watch.opened.clear()
    watch.extracted.clear()
    changed = copy.deepcopy(config)
    changed["results"]["vessel"]["columns"][2]["storm_duration"] = 3600  # the MPM changes
    changed["results"]["vessel"]["columns"][0]["statistics"].append("mean")
    engine = _run(pm, changed, tmp_path, resume=True)
    # Each file opened once, for the two changed columns only.
    assert sorted(watch.opened) == sorted(p.name for p in campaign.glob("*.arrow"))
    assert watch.extracted == Counter({"heave": FILES, "heave MPM": FILES})
    reused = engine.report["summary"]["reused"]
    assert reused["files"] == 0 and reused["partial_files"] == FILES and reused["cells"] > 0
    tables = _tables(out)
    assert tables == _fresh(pm, changed, tmp_path)
    assert all("heave mean" in row for row in tables["vessel.parquet"])
    # And the next unchanged resume reuses the merged results whole.
    watch.opened.clear()
    assert _run(pm, changed, tmp_path, resume=True).report["summary"]["reused"]["files"] == FILES
    assert watch.opened == []
    assert _tables(out) == tables


def test_an_added_column_is_in_every_row_and_a_removed_one_in_none(pm, campaign, tmp_path,
                                                                   watch):
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    watch.extracted.clear()
    edited = copy.deepcopy(config)
    del edited["results"]["lines"]["columns"][1]  # riser tdp
    edited["results"]["lines"]["columns"].insert(0, {
        "label": "surge", "kind": "statistics", "object": "FPSO", "variable": "Surge",
        "statistics": ["max"]})
    _run(pm, edited, tmp_path, resume=True)
    assert watch.extracted == Counter({"surge": FILES})
    rows = _tables(out)["lines.parquet"]
    assert all(row["surge"] is not None for row in rows)
    assert not any(name.startswith("riser tdp") for row in rows for name in row)
    assert _tables(out) == _fresh(pm, edited, tmp_path)


def test_output_side_changes_reuse_every_cell(pm, campaign, tmp_path, watch):
    config = _config(campaign, tmp_path / "out")
    _run(pm, config, tmp_path)
    watch.opened.clear()
    edited = copy.deepcopy(config)
    edited["outputs"]["formats"] = ["parquet", "csv"]
    edited["outputs"]["naming"] = "{config}_{group}"
    edited["engine"] = {"thread_policy": {"name": "fixed", "threads": 1}}
    edited["campaign"] = [{"name": "by_heading", "group": "vessel", "by": ["heading"],
                           "reductions": [{"kind": "max", "columns": ["heave max"]}]}]
    engine = _run(pm, edited, tmp_path, resume=True)
    assert watch.opened == []
    assert engine.report["summary"]["reused"]["files"] == FILES
    assert (tmp_path / "out" / "config_by_heading.csv").is_file()


def test_a_rewritten_or_touched_file_is_computed_again(pm, campaign_copy, tmp_path, watch):
    config = _config(campaign_copy, tmp_path / "out")
    _run(pm, config, tmp_path)
    files = sorted(campaign_copy.glob("*.arrow"))
    # Same size, same modification time, other bytes at the end: the content check sees it.
    rewritten, touched = files[0], files[1]
    stat = rewritten.stat()
    data = bytearray(rewritten.read_bytes())
    data[-1] ^= 0xFF
    rewritten.write_bytes(bytes(data))
    os.utime(rewritten, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert rewritten.stat().st_mtime_ns == stat.st_mtime_ns
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # a nanosecond later
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert sorted(watch.opened) == [rewritten.name, touched.name]


def test_a_failed_column_is_tried_again_and_the_rest_reused(pm, campaign, tmp_path, watch):
    config = _config(campaign, tmp_path / "out")
    config["results"]["vessel"]["columns"].append(
        {"label": "ghost", "kind": "statistics", "object": "Ghost", "variable": "Heave"})
    first = _run(pm, config, tmp_path)
    assert first.report["summary"]["partial"] == FILES
    watch.extracted.clear()
    second = _run(pm, config, tmp_path, resume=True)
    assert watch.extracted == Counter({"ghost": FILES})
    assert second.report["summary"]["partial"] == FILES
    assert len(second.report["failures"]) == FILES


def test_a_config_setting_that_changes_cells_changes_every_column_fingerprint(pm, campaign,
                                                                              tmp_path):
    def prints(config):
        loaded = validate_data(config, pm.registry, base_directory=tmp_path)
        plan = Plan.build(pm, loaded.model, PlanSpec("k", loaded.data, str(tmp_path)))
        return RunFingerprints.of(pm, loaded.model, plan, [".arrow"])

    config = _config(campaign, tmp_path / "out")
    base = prints(config)
    shrunk = prints({**config, "engine": {"memory_optimizers": ["single_precision"]}})
    assert all(a != b for group in base.columns
               for a, b in zip(base.columns[group], shrunk.columns[group], strict=True))
    # Engine and output settings change the config's fingerprint, never a column's.
    other = prints({**config, "engine": {"memory_optimizers": ["gc"]},
                    "outputs": {**config["outputs"], "formats": ["csv"]}})
    assert other.columns == base.columns and other.config != base.config
    # A plugin's version is in its columns' fingerprints.
    plugin = pm.registry.get("extractor", "statistics").plugin
    pm.distributions[plugin] = "orcapost-statistics 9.9"
    try:
        bumped = prints(config)
    finally:
        pm.distributions[plugin] = "orcapost (built-in)"
    assert bumped.columns["lines"] != base.columns["lines"]
    assert bumped.columns["vessel"][-1] == base.columns["vessel"][-1]  # extremes: unchanged


def test_changed_source_options_recompute_the_files_they_read(pm, campaign, tmp_path):
    config = _config(campaign, tmp_path / "out")
    loaded = validate_data(config, pm.registry, base_directory=tmp_path)
    plan = Plan.build(pm, loaded.model, PlanSpec("k", loaded.data, str(tmp_path)))
    edited = {**config, "inputs": {**config["inputs"],
                                   "sources": [{"name": "orcaflex", "thread_count": 2}]}}
    loaded2 = validate_data(edited, pm.registry, base_directory=tmp_path)
    a = RunFingerprints.of(pm, loaded.model, plan, [".arrow", ".sim"])
    b = RunFingerprints.of(pm, loaded2.model, plan, [".arrow", ".sim"])
    assert a.readers[".arrow"] == b.readers[".arrow"]
    assert a.readers[".sim"] != b.readers[".sim"]


def test_an_old_journal_is_never_replayed(pm, campaign, tmp_path, watch):
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    journal = out / JOURNAL_NAME
    # A journal of the previous format: no run header, values in the result.
    old = [json.dumps({"mtime": Path(e["result"]["path"]).stat().st_mtime,
                       "result": {**e["result"], "values": {}}})
           for e in map(json.loads, journal.read_text(encoding="utf-8").splitlines())
           if "result" in e]
    journal.write_text("\n".join(old) + "\n", encoding="utf-8")
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert len(watch.opened) == FILES


def test_an_entry_with_a_run_id_that_is_not_a_string_is_not_reused(pm, campaign, tmp_path, watch):
    # A hand-edited or foreign journal: an unhashable run id used to crash --resume with a
    # TypeError; such an entry belongs to no run and is computed again.
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    journal = out / JOURNAL_NAME
    entries = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    for entry in entries:
        if "result" in entry:
            entry["run"] = [entry["run"]]
    journal.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert len(watch.opened) == FILES


def test_the_journal_stores_each_output_name_once(pm, campaign, tmp_path):
    out = tmp_path / "out"
    _run(pm, _config(campaign, out), tmp_path)
    lines = [json.loads(line) for line in
             (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()]
    header = lines[0]
    texts = {line[TEXT_KEY]: line["text"] for line in lines if TEXT_KEY in line}
    entries = [line for line in lines if "result" in line]
    assert len(entries) == FILES
    entry = entries[0]
    assert len(header["columns"]["vessel"]) == 3 and header["labels"]["vessel"][2] == "heave MPM"
    assert not {"values", "outputs", "identity"} & set(entry["result"])
    # Packed (format 3): the names once, in one string; the floats as float64 bytes. Shared
    # (format 4): that string once in the whole journal, every file of the layout naming it.
    names = entry["cells"]["vessel"]["names"]
    assert set(names) == {"text"} and texts[names["text"]].count("heave max") == 1
    assert all(e["cells"]["vessel"]["names"] == names for e in entries)
    assert len(texts) == len(set(texts.values()))
    entry = unpacked(entry, header, texts)
    assert [sorted(cells) for cells in entry["cells"]["vessel"]][0] == [
        "heave abs_max", "heave max", "heave min", "heave rms"]
    assert entry["identity"] == file_identity(entry["result"]["path"])


def test_partial_reuse_with_worker_processes(pm, campaign, tmp_path):
    out = tmp_path / "out"
    config = _config(campaign, out)
    config["engine"] = {"executor": "processes", "thread_policy": {"name": "fixed", "threads": 2}}
    _run(pm, config, tmp_path)
    changed = copy.deepcopy(config)
    changed["results"]["vessel"]["columns"][2]["storm_duration"] = 3600
    engine = _run(pm, changed, tmp_path, resume=True)
    assert engine.report["summary"]["reused"]["partial_files"] == FILES
    assert _tables(out) == _fresh(pm, {**changed, "engine": {}}, tmp_path)


def test_a_file_with_nothing_to_reuse_is_not_read_to_compare_it(pm, campaign, tmp_path,
                                                                monkeypatch):
    # Every column's fingerprint changed: the journal gives nothing, so the coordinator must
    # not read each file's first and last 64 KB to compare its identity (its task reads them).
    import orcapost.journal
    import orcapost.outputs

    config = _config(campaign, tmp_path / "out")
    _run(pm, config, tmp_path)
    read = []
    # The journal's reuse and the unchanged-set check (orcapost.outputs) both compare files.
    for module in (orcapost.journal, orcapost.outputs):
        monkeypatch.setattr(module, "file_identity",
                            lambda path: read.append(path) or file_identity(path))
    shrunk = {**config, "engine": {"memory_optimizers": ["single_precision"]}}
    engine = _run(pm, shrunk, tmp_path, resume=True)
    assert engine.report["summary"]["reused"]["cells"] == 0 and read == []
    _run(pm, shrunk, tmp_path, resume=True)  # unchanged: each file compared once
    assert len(read) == FILES
