"""An unchanged ``--resume`` confirms the published set instead of writing it again; anything
changed is rebuilt, and a table whose bytes do not change is left untouched."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.names import JOURNAL_NAME, RUN_REPORT_NAME

FILES = 8  # the session campaign


def _run(pm, config: dict, base: Path, resume: bool = False) -> Engine:
    engine = Engine(pm, validate_data(config, pm.registry, base_directory=base), resume=resume)
    engine.run()
    return engine


def _state(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every table file's bytes and mtime_ns."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(out.iterdir()) if p.suffix in (".csv", ".parquet")}


@pytest.fixture
def published(pm, campaign_copy, tmp_path):
    out = tmp_path / "out"
    config = statistics_config(campaign_copy, out)
    engine = _run(pm, config, tmp_path)
    assert engine.report["summary"]["ok"] == FILES
    assert engine.report["result_set"]["unchanged"] is False
    return config, out, campaign_copy


def test_an_unchanged_resume_touches_no_table_and_reports_the_reuse(pm, published, tmp_path):
    config, out, _campaign = published
    before = _state(out)
    journal = (out / JOURNAL_NAME).read_bytes()
    engine = _run(pm, config, tmp_path, resume=True)
    report = engine.report
    assert report["result_set"]["unchanged"] is True
    assert report["result_set"]["complete"] is True
    assert report["summary"]["reused"]["files"] == FILES
    assert report["summary"]["reused"]["cells"] > FILES
    assert report["summary"]["ok"] == FILES
    assert _state(out) == before  # same bytes, same mtime: not rewritten
    assert (out / JOURNAL_NAME).read_bytes() == journal
    # ... and the next one too: the confirmed set's report carries the record on.
    again = _run(pm, config, tmp_path, resume=True).report
    assert again["result_set"]["unchanged"] is True
    assert again["summary"]["reused"] == report["summary"]["reused"]
    assert _state(out) == before


def test_a_changed_column_still_recomputes(pm, published, tmp_path):
    config, out, _campaign = published
    before = _state(out)
    edited = copy.deepcopy(config)
    edited["results"]["vessel"]["columns"][0]["statistics"] = ["min", "max"]
    engine = _run(pm, edited, tmp_path, resume=True)
    report = engine.report
    assert report["result_set"]["unchanged"] is False
    assert report["summary"]["reused"]["partial_files"] == FILES
    after = _state(out)
    assert after["vessel.csv"][0] != before["vessel.csv"][0]
    assert b"heave abs_max" not in after["vessel.csv"][0]
    # The lines table did not change: its file is left as it was (not replaced).
    assert after["lines.csv"] == before["lines.csv"]
    assert after["lines.parquet"] == before["lines.parquet"]
    fresh = copy.deepcopy(edited)
    fresh["outputs"]["directory"] = str(tmp_path / "fresh")
    _run(pm, fresh, tmp_path)
    assert (tmp_path / "fresh" / "vessel.csv").read_bytes() == after["vessel.csv"][0]


def test_a_deleted_table_is_rewritten_and_the_others_left_alone(pm, published, tmp_path):
    config, out, _campaign = published
    before = _state(out)
    (out / "vessel.parquet").unlink()
    engine = _run(pm, config, tmp_path, resume=True)
    assert engine.report["result_set"]["unchanged"] is False
    assert engine.report["summary"]["reused"]["files"] == FILES
    after = _state(out)
    assert after["vessel.parquet"][0] == before["vessel.parquet"][0]
    assert {k: v for k, v in after.items() if k != "vessel.parquet"} == {
        k: v for k, v in before.items() if k != "vessel.parquet"}
    # Written again, the set is recorded again: the next resume confirms it.
    assert _run(pm, config, tmp_path, resume=True).report["result_set"]["unchanged"] is True


def test_a_table_changed_in_place_is_restored(pm, published, tmp_path):
    config, out, _campaign = published
    good = (out / "lines.csv").read_bytes()
    stat = (out / "lines.csv").stat()
    (out / "lines.csv").write_bytes(good.replace(b"ok", b"KO"))  # same size
    os.utime(out / "lines.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime too
    engine = _run(pm, config, tmp_path, resume=True)
    assert engine.report["result_set"]["unchanged"] is False
    assert (out / "lines.csv").read_bytes() == good


def test_a_changed_input_file_is_computed_again(pm, published, tmp_path):
    config, out, campaign = published
    target = sorted(campaign.glob("*.arrow"))[0]
    other = sorted(campaign.glob("*.arrow"))[1]
    shutil.copyfile(other, target)  # another file's content under this name
    engine = _run(pm, config, tmp_path, resume=True)
    assert engine.report["result_set"]["unchanged"] is False
    assert engine.report["summary"]["reused"]["files"] == FILES - 1


def test_a_set_without_its_record_is_rebuilt(pm, published, tmp_path):
    config, out, _campaign = published
    (out / RUN_REPORT_NAME).unlink()
    engine = _run(pm, config, tmp_path, resume=True)
    assert engine.report["result_set"]["unchanged"] is False
    assert engine.report["summary"]["reused"]["files"] == FILES


class _Listener:
    """A plugin that reads every file's values."""

    def __init__(self):
        self.values: list[dict] = []

    @hookimpl
    def orcapost_file_done(self, result, replayed):
        self.values.append(result.values)


def test_a_plugin_listening_to_files_gets_every_value(pm, published, tmp_path):
    config, out, _campaign = published
    before = _state(out)
    listener = _Listener()
    pm.register(listener, name="listener")
    engine = _run(pm, config, tmp_path, resume=True)
    assert len(listener.values) == FILES and all(v.get("vessel") for v in listener.values)
    assert engine.report["summary"]["reused"]["files"] == FILES
    assert _state(out) == before  # rebuilt, but the same bytes: not replaced


def test_a_confirming_run_stopped_early_writes_no_partial_tables(pm, published, tmp_path,
                                                                 monkeypatch):
    import orcapost.engine

    config, out, _campaign = published
    before = _state(out)
    original = orcapost.engine.Engine._handle
    calls = []

    def handle(self, context, result, replayed=False):
        calls.append(result.path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, context, result, replayed)

    monkeypatch.setattr(orcapost.engine.Engine, "_handle", handle)
    engine = Engine(pm, validate_data(config, pm.registry, base_directory=tmp_path), resume=True)
    summary = engine.run()
    assert summary.interrupted
    assert _state(out) == before
    assert not list((out / "partial").glob("*.csv"))
