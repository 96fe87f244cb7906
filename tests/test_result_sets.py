"""A run writes a result set, not files: the last complete set is never replaced by a worse one
(issue 11). An interrupted rerun writes its partial set beside it, a failed write leaves it
whole, and ``--resume`` completes the partial set and swaps it in."""

from __future__ import annotations

import json

import pyarrow.csv as pacsv
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.names import PARTIAL_FOLDER, RUN_REPORT_NAME

CAMPAIGN = [{"name": "by_heading", "group": "lines", "by": ["heading"],
             "reductions": [{"kind": "max", "columns": ["riser tdp max"]}]}]


def _config(campaign, out):
    config = statistics_config(campaign, out, thread_policy={"name": "fixed", "threads": 1})
    config["campaign"] = CAMPAIGN
    return config


def _run(pm, campaign, out, *, resume=False):
    return Engine(pm, validate_data(_config(campaign, out), pm.registry), resume=resume).run()


def _snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()
            and path.suffix in (".csv", ".parquet")}


class StopAfter:
    """Ctrl-C once ``files`` files are done."""

    def __init__(self, files: int) -> None:
        self.files = files

    @hookimpl
    def orcapost_file_done(self, context):
        if context.done == self.files:
            raise KeyboardInterrupt


def test_an_interrupted_rerun_leaves_the_complete_set_and_writes_its_own_beside_it(
        pm, campaign, tmp_path):
    out = tmp_path / "out"
    assert _run(pm, campaign, out).exit_code == 0
    complete = _snapshot(out)
    report = (out / RUN_REPORT_NAME).read_bytes()
    assert pacsv.read_csv(out / "lines.csv").num_rows == 8

    pm.register(StopAfter(2), name="stop")
    summary = _run(pm, campaign, out)
    pm.unregister(name="stop")
    assert summary.interrupted and summary.result_set["complete"] is False
    # The complete set, campaign table and report included, is as it was, byte for byte.
    assert _snapshot(out) == complete
    assert (out / RUN_REPORT_NAME).read_bytes() == report
    # The partial set: the two files done, no campaign table over a part of the campaign, and a
    # report that says which files are missing.
    partial = out / PARTIAL_FOLDER
    assert pacsv.read_csv(partial / "lines.csv").num_rows == 2
    assert not (partial / "by_heading.csv").exists()
    partial_report = json.loads((partial / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    assert partial_report["result_set"]["complete"] is False
    assert len(partial_report["result_set"]["missing"]) == 6

    # --resume completes the partial set; the complete set replaces the old one and the
    # partial folder is gone.
    summary = _run(pm, campaign, out, resume=True)
    assert summary.exit_code == 0 and summary.result_set["complete"] is True
    assert not partial.exists()
    assert _snapshot(out) == complete  # the same tables as the first complete run


def test_a_failed_write_leaves_the_previous_set_whole(pm, campaign, tmp_path):
    out = tmp_path / "out"
    assert _run(pm, campaign, out).exit_code == 0
    before = _snapshot(out)

    class DiskFull:
        """The parquet writer runs out of space on its second table."""

        calls = 0

        @hookimpl(wrapper=True)
        def orcapost_run_finish(self):
            import pyarrow.parquet as pq

            real = pq.write_table

            def full(table, where, **kwargs):
                DiskFull.calls += 1
                if DiskFull.calls == 2:
                    raise OSError(28, "No space left on device")
                return real(table, where, **kwargs)

            pq.write_table = full
            try:
                return (yield)
            finally:
                pq.write_table = real

    pm.register(DiskFull(), name="disk_full")
    changed = _config(campaign, out)  # another statistic: every table would change
    changed["results"]["lines"]["columns"][0]["statistics"].append("min")
    engine = Engine(pm, validate_data(changed, pm.registry))
    engine.run()
    pm.unregister(name="disk_full")
    assert DiskFull.calls == 2
    assert any(error.own and "No space left" in error.message()
               for error in engine.plugin_errors)
    # No table was replaced: the csv tables written before the failure were only staged.
    assert _snapshot(out) == before
    assert not list(out.glob(".orcapost-staging-*"))


def test_a_staging_folder_a_killed_run_left_is_removed_by_the_next_set(pm, campaign, tmp_path):
    """A run killed while it published leaves its staging folder (a whole copy of the tables);
    it stayed for good, even after a successful run. The next run's tables remove it."""
    out = tmp_path / "out"
    _run(pm, campaign, out)
    stale = out / ".orcapost-staging-0123456789ab"
    stale.mkdir()
    (stale / "lines.csv").write_text("old", encoding="utf-8")
    changed = _config(campaign, out)
    changed["results"]["lines"]["columns"][0]["statistics"].append("min")
    Engine(pm, validate_data(changed, pm.registry)).run()
    assert not stale.exists()
    assert not list(out.glob(".orcapost-staging-*"))


def test_tables_the_new_set_does_not_write_are_removed_with_the_old_set(pm, campaign, tmp_path):
    """A rerun without the campaign table left the old one beside the new group table (rows of
    another run's numbers, listed in no report). A file the user put in the folder, and an old
    table the user has since edited (another size), are left alone."""
    out = tmp_path / "out"
    assert _run(pm, campaign, out).exit_code == 0
    assert (out / "by_heading.csv").is_file()
    (out / "notes.csv").write_text("mine", encoding="utf-8")
    config = _config(campaign, out)
    config["campaign"] = []
    config["outputs"]["formats"] = ["csv"]
    edited = out / "lines.parquet"
    edited.write_bytes(edited.read_bytes() + b"edited")
    assert Engine(pm, validate_data(config, pm.registry)).run().exit_code == 0
    assert not (out / "by_heading.csv").exists()
    assert not (out / "by_heading.parquet").exists()
    assert (out / "lines.csv").is_file()
    assert (out / "notes.csv").read_text(encoding="utf-8") == "mine"
    assert edited.is_file()  # not as published: the user's now
    listed = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))["result_set"]
    assert "by_heading.csv" not in listed["tables"]


def test_a_rerun_whose_every_file_failed_keeps_the_published_set(pm, campaign, tmp_path):
    """Every input truncated (a share re-syncing): the rerun replaced the good complete set with
    a set of failure rows, campaign tables of error text. The published set is kept whole and
    the failure rows go to partial/, exit 1."""
    import shutil

    inputs = tmp_path / "inputs"
    shutil.copytree(campaign, inputs)
    out = tmp_path / "out"
    assert _run(pm, inputs, out).exit_code == 0
    complete = _snapshot(out)
    report = (out / RUN_REPORT_NAME).read_bytes()
    for path in inputs.iterdir():
        with open(path, "r+b") as handle:
            handle.truncate(1000)
    summary = _run(pm, inputs, out)
    assert summary.exit_code == 1 and summary.failed == len(list(inputs.iterdir()))
    assert _snapshot(out) == complete
    assert (out / RUN_REPORT_NAME).read_bytes() == report
    assert summary.result_set["complete"] is False and "kept" in summary.result_set
    assert (out / PARTIAL_FOLDER / RUN_REPORT_NAME).is_file()
    # Once the inputs are good again, their set replaces the published one as always.
    shutil.rmtree(inputs)
    shutil.copytree(campaign, inputs)
    again = _run(pm, inputs, out)
    assert again.exit_code == 0 and again.result_set["complete"] is True
    assert not (out / PARTIAL_FOLDER).exists()
