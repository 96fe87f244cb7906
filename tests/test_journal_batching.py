"""The journal is written in batches -- at most every FLUSH_LINES files or FLUSH_SECONDS, and
always when the run finishes, interrupted or not, before the tables record the journal's state
(an unchanged --resume compares it) -- so an interrupted run resumes from every file it
finished."""

from __future__ import annotations

import json

from helpers import journal_writes, statistics_config
from orcapost import hookimpl
from orcapost import journal as journal_module
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.journal import JOURNAL_NAME, Journal
from orcapost.outputs import journal_state
from orcapost.results import FileResult, RunSummary
from orcapost.run_report import RUN_REPORT_NAME

FILES = 8


def _config(campaign, out):
    return statistics_config(campaign, out, thread_policy={"name": "fixed", "threads": 1})


class _Opened:
    def __init__(self):
        self.paths: list[str] = []

    @hookimpl(wrapper=True)
    def orcapost_process_file(self, task):
        self.paths.append(str(task.file.path))
        return (yield)


def test_lines_kept_until_due_are_written_when_the_run_finishes(pm, campaign, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(journal_module, "FLUSH_LINES", 10_000)
    written = journal_writes(monkeypatch)
    out = tmp_path / "out"
    config = validate_data(_config(campaign, out), pm.registry)
    assert Engine(pm, config).run().exit_code == 0
    assert written == [FILES]  # one write, at the end
    assert len(Journal(out).journaled_paths()) == FILES
    # Written before the tables recorded the journal's state: an unchanged --resume holds.
    report = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    assert report["result_set"]["journal"] == journal_state(out)
    opened = _Opened()
    pm.register(opened, name="opened")
    engine = Engine(pm, validate_data(_config(campaign, out), pm.registry), resume=True)
    assert engine.run().exit_code == 0
    pm.unregister(name="opened")
    assert opened.paths == [] and engine.report["result_set"]["unchanged"] is True


def test_an_interrupted_run_writes_every_finished_file_and_resumes_from_them(
        pm, campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(journal_module, "FLUSH_LINES", 10_000)
    written = journal_writes(monkeypatch)

    class Interrupt:
        @hookimpl
        def orcapost_file_done(self, context, result, replayed):
            if context.done == 3:
                # As Ctrl-C twice: the run stops at once, with what was handed on.
                raise KeyboardInterrupt

    out = tmp_path / "out"
    pm.register(Interrupt(), name="interrupt")
    summary = Engine(pm, validate_data(_config(campaign, out), pm.registry)).run()
    pm.unregister(name="interrupt")
    assert summary.interrupted
    journaled = Journal(out).journaled_paths()
    assert 2 <= len(journaled) < FILES
    assert written == [len(journaled)]  # kept, then written once as the run finished
    assert (out / JOURNAL_NAME).read_text(encoding="utf-8").endswith("\n")
    opened = _Opened()
    pm.register(opened, name="opened")
    assert Engine(pm, validate_data(_config(campaign, out), pm.registry),
                  resume=True).run().exit_code == 0
    pm.unregister(name="opened")
    every = sorted(str(p) for p in campaign.glob("*.arrow"))
    assert sorted(opened.paths) == sorted(set(every) - set(journaled))


def test_lines_are_written_once_due(pm, campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(journal_module, "FLUSH_LINES", 3)
    written = journal_writes(monkeypatch)
    out = tmp_path / "out"
    assert Engine(pm, validate_data(_config(campaign, out), pm.registry)).run().exit_code == 0
    assert sum(written) == FILES and len(written) > 1 and all(n >= 3 for n in written[:-1])


def test_kept_lines_are_written_once_the_interval_has_passed(tmp_path):
    writer = journal_module.JournalWriter(tmp_path, keep=False)
    writer.orcapost_run_start(context=None)
    for i in range(3):
        writer.orcapost_file_done(result=FileResult(path=f"/c/f{i}.sim", size=1),
                                  replayed=False)
    writer.flush()  # not due: kept
    assert writer.journal.pending == 3 and Journal(tmp_path).journaled_paths() == []
    writer._written -= journal_module.FLUSH_SECONDS  # as if the interval had passed
    writer.flush()
    assert writer.journal.pending == 0 and len(Journal(tmp_path).journaled_paths()) == 3
    writer.orcapost_file_done(result=FileResult(path="/c/f3.sim", size=1), replayed=False)
    writer.flush(force=True)
    assert len(Journal(tmp_path).journaled_paths()) == 4
    writer.orcapost_run_finish(summary=RunSummary(files=4, ok=4, failed=0, partial=0, bytes=4,
                                                  elapsed=0.0))
    assert not writer.journal.is_open
