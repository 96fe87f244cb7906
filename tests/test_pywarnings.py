"""Python warnings raised while files are extracted (numpy's RuntimeWarning, a plugin's own) go
into the run report per file and column, counted, never raw onto the console (issue 12); with
``ORCAPOST_DEBUG=1`` they are shown as well. Under threads and processes executors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from orcapost import pywarnings
from orcapost.names import RUN_REPORT_NAME

WARNS_PLUGIN = '''
import warnings

import numpy as np
from orcapost.api import ColumnOptions, Extractor, hookimpl


class WarnsExtractor(Extractor):
    """Takes the log of a negative number (numpy: RuntimeWarning) and warns by itself."""

    name = "warns"
    Options = ColumnOptions

    def extract(self, file, column):
        values = np.log(np.array([-1.0, np.e]))
        warnings.warn("the plugin's own warning", UserWarning)
        warnings.warn("the plugin's own warning", UserWarning)
        return {column.label: float(np.nansum(values))}


@hookimpl
def orcapost_register_extractors(register):
    register(WarnsExtractor)
'''


@pytest.fixture(scope="module")
def warns_site(tmp_path_factory) -> Path:
    """The plugin as an installed distribution (worker processes load it by entry point)."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "orcapost_warns-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orcapost-warns\nVersion: 1.0\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text("[orcapost]\nwarns = orcapost_warns\n",
                                           encoding="utf-8")
    (site / "orcapost_warns.py").write_text(textwrap.dedent(WARNS_PLUGIN), encoding="utf-8")
    return site


def _run(site: Path, campaign: Path, out: Path, executor: str, *args: str, debug=False):
    config = out.parent / f"{out.name}.yml"
    config.write_text(yaml.safe_dump({
        "version": 2, "inputs": {"directory": str(campaign)},
        "engine": {"executor": executor, "thread_policy": {"name": "fixed", "threads": 2}},
        "results": {"g": {"columns": [
            {"label": "w", "kind": "warns"},
            {"label": "top", "kind": "statistics", "object": "Riser",
             "variable": "Effective Tension", "position": "End A", "statistics": ["max"]}]}},
        "outputs": {"directory": str(out), "formats": ["csv"]}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCAPOST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONWARNINGS", None)
    if debug:
        env["ORCAPOST_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "orcapost", "run", str(config), *args],
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_column_s_warnings_are_in_the_run_report_not_on_the_console(warns_site, campaign,
                                                                      tmp_path, executor):
    done = _run(warns_site, campaign, tmp_path / "out", executor, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # before: the RuntimeWarning, raw
    report = json.loads((tmp_path / "out" / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    files = sorted(p.name for p in campaign.glob("*.arrow"))
    rows = report["warnings"]
    by = {(Path(r["file"]).name, r["category"]): r for r in rows}
    assert len(rows) == 2 * len(files)  # every file's: no once-per-process filter hides one
    for name in files:
        numpy = by[(name, "RuntimeWarning")]
        assert (numpy["group"], numpy["column"], numpy["count"]) == ("g", "w", 1)
        assert numpy["message"] == "invalid value encountered in log"
        own = by[(name, "UserWarning")]
        assert (own["column"], own["count"], own["message"]) == ("w", 2,
                                                                  "the plugin's own warning")
        assert own["where"].startswith("orcapost_warns.py:")
    assert report["summary"]["warnings"] == 3 * len(files)


def test_the_summary_says_where_the_warnings_are_and_debug_shows_them(warns_site, campaign,
                                                                      tmp_path):
    done = _run(warns_site, campaign, tmp_path / "out", "threads", "--no-progress")
    assert done.returncode == 0, done.stderr
    text = done.stdout + done.stderr
    assert "24 warnings while files were read (from numpy, scipy or an extractor's checks): " \
        "listed by file and column in the run report" in text
    assert "RuntimeWarning" not in text
    shown = subprocess.run([sys.executable, "-m", "orcapost", "report", str(tmp_path / "out")],
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, "COLUMNS": "250"})
    assert "warnings while files were read (16)" in shown.stdout
    assert "RuntimeWarning: invalid value encountered in log" in shown.stdout
    debug = _run(warns_site, campaign, tmp_path / "debug", "threads", "--quiet", debug=True)
    assert debug.returncode == 0
    assert "RuntimeWarning: invalid value encountered in log" in debug.stderr


def test_concurrent_files_keep_their_own_warnings_and_every_occurrence():
    # The same code line warns on several threads at once: each thread's collector counts
    # exactly its own, and none is hidden by the once-per-location default filter.
    def warn(n: int, text: str) -> None:
        for _ in range(n):
            warnings.warn(text, RuntimeWarning, stacklevel=1)  # one code line, many times

    results: dict[str, list] = {}
    barrier = threading.Barrier(4)

    def file_task(name: str, n: int) -> None:
        with pywarnings.collecting() as caught:
            barrier.wait()
            with pywarnings.in_column("g", name):
                warn(n, f"from {name}")
            warn(1, "outside a column")
        results[name] = caught.rows()

    with pywarnings.installed():
        threads = [threading.Thread(target=file_task, args=(f"c{i}", 100 + i)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for i in range(4):
        rows = {(r["column"], r["message"]): r["count"] for r in results[f"c{i}"]}
        assert rows == {(f"c{i}", f"from c{i}"): 100 + i, (None, "outside a column"): 1}


def test_installed_puts_the_previous_hook_and_filters_back(monkeypatch):
    # A task run outside an engine earlier in this process made the hook this process's for
    # good (as in a worker process): start from a process that has none.
    monkeypatch.setattr(pywarnings, "_permanent", False)
    monkeypatch.setattr(pywarnings, "_users", 0)
    with warnings.catch_warnings():
        before_show, before_filters = warnings.showwarning, list(warnings.filters)
        with pywarnings.installed():
            assert warnings.showwarning is not before_show
            with pywarnings.installed():  # nested: one hook
                pass
            assert warnings.filters[0][0] == "always"
        assert warnings.showwarning is before_show
        assert warnings.filters == before_filters
        # A warning of a thread that collects nothing goes where it went before.
        with warnings.catch_warnings(record=True) as seen, pywarnings.installed():
            warnings.warn("not a file's", UserWarning, stacklevel=1)
        assert [str(w.message) for w in seen] == ["not a file's"]


def test_the_rich_summary_says_where_the_warnings_are_too():
    import io

    from orcapost.plugins.reporters.rich_progress import RichReporter
    from orcapost.results import RunSummary
    from rich.console import Console

    out = io.StringIO()
    reporter = RichReporter(console=Console(file=out, width=300))
    reporter.finish(RunSummary(files=2, ok=2, failed=0, partial=0, bytes=10, elapsed=1.0,
                               warnings=3))
    assert "3 warnings while files were read (from numpy, scipy or an extractor's checks): " \
        "listed by file and column in the run report" in out.getvalue()


def test_a_user_s_own_always_filter_survives_a_run(monkeypatch):
    # The user's own `simplefilter("always")` is the very tuple the hook puts first: the run's
    # end removed it (and moved one further down to the front, then removed it), so after a
    # run the user's process no longer showed every warning as they asked.
    monkeypatch.setattr(pywarnings, "_permanent", False)
    monkeypatch.setattr(pywarnings, "_users", 0)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("always")
        before = list(warnings.filters)
        with pywarnings.installed():
            pass
        assert warnings.filters == before
        warnings.simplefilter("ignore", DeprecationWarning)  # the user's always now second
        before = list(warnings.filters)
        with pywarnings.installed():
            assert warnings.filters[0][0] == "always"
        assert warnings.filters == before


def test_an_unchanged_resume_keeps_the_set_s_warnings_in_its_report(warns_site, campaign,
                                                                    tmp_path):
    """The confirmed set is the same set: its run report still names the warnings its numbers
    were computed with (the fast path rebuilt the report from rows without them: 0 warnings)."""
    out = tmp_path / "out"
    assert _run(warns_site, campaign, out, "threads", "--quiet").returncode == 0
    first = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    for _ in range(2):  # and the next confirming run, from the confirmed set's report
        done = _run(warns_site, campaign, out, "threads", "--quiet", "--resume")
        assert done.returncode == 0, done.stderr
        again = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
        assert again["result_set"]["unchanged"] is True
        def rows(report):
            return sorted(json.dumps(row, sort_keys=True) for row in report["warnings"])

        assert rows(again) == rows(first)  # in file order now, not in the order files ended
        assert again["summary"]["warnings"] == first["summary"]["warnings"] > 0


def test_worker_thread_code_leaves_the_process_wide_filters_alone(tmp_path, monkeypatch):
    # warnings.catch_warnings swaps the process-wide filter list and puts back, on exit, the list
    # it saw on entry. Two file tasks on two threads whose blocks overlap (skewness on one, an
    # OpenFAST text file on the other: B enters, A enters, B leaves, A leaves) made A put back
    # B's "ignore RuntimeWarning" for good: every later numpy/scipy RuntimeWarning of the run
    # vanished from the run report. Neither may touch the filters.
    from orcapost.formats import openfast
    from orcapost.plugins.extractors import statistics
    from scipy import stats

    path = tmp_path / "empty.out"
    path.write_text("\nheader\n\nTime\tA\n(s)\t(kN)\n", encoding="utf-8")
    inside, go = threading.Event(), threading.Event()
    real_skew, real_loadtxt = stats.skew, np.loadtxt

    def slow_skew(*args, **kwargs):
        inside.set()
        go.wait(10)
        return real_skew(*args, **kwargs)

    def loadtxt_after_skewness(*args, **kwargs):
        go.set()
        worker.join(10)
        return real_loadtxt(*args, **kwargs)

    monkeypatch.setattr(stats, "skew", slow_skew)
    # From a process whose hook is not installed for good (a task run outside an engine
    # earlier in the session makes it so): the run's end puts the filters back as they were.
    monkeypatch.setattr(pywarnings, "_permanent", False)
    monkeypatch.setattr(pywarnings, "_users", 0)
    before = list(warnings.filters)
    worker = threading.Thread(target=statistics.compute_statistics,
                              args=(np.arange(20.0), np.arange(20.0) ** 2, ["skewness"]))
    with pywarnings.installed():
        worker.start()
        assert inside.wait(10)
        monkeypatch.setattr(openfast.np, "loadtxt", loadtxt_after_skewness)
        openfast.read_text(path)
        monkeypatch.setattr(openfast.np, "loadtxt", real_loadtxt)
        worker.join(10)
        with pywarnings.collecting() as caught:
            warnings.warn("after both", RuntimeWarning, stacklevel=1)
        assert [r["message"] for r in caught.rows()] == ["after both"]
    assert warnings.filters == before
