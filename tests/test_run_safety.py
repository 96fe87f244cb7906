"""A run is safe to stop, to share a folder with, to hang, and to plug into.

- one run per output folder (a lock file; a real second process is refused, a stale lock is
  taken over);
- SIGTERM, SIGHUP and Ctrl-C end a run with its outputs written and exit 128 + the signal; a
  second Ctrl-C during the shutdown only hurries it; Ctrl-C during ``validate`` exits 130;
- ``engine.file_timeout`` fails a hung file and the run goes on (threads and processes), and the
  command exits without waiting for a stuck thread;
- an exception in any plugin's run hook is that plugin's failure, never the run's.

The slow and hanging files come from a test plugin (``orcapost_slowtest``, below) installed as
an entry point in a folder put on the path: ``orcapost run`` subprocesses and spawned worker
processes load it like any installed plugin; its behaviour is set by ``SLOWTEST_*`` variables.
Every subprocess and wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.journal import JOURNAL_NAME, Journal
from orcapost.lock import LOCK_NAME, RunLock
from orcapost.names import PARTIAL_FOLDER
from orcapost.run_report import RUN_REPORT_NAME

POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX signals sent with os.kill")
RUN_HOOKS = ("orcapost_run_start", "orcapost_file_started", "orcapost_file_done",
             "orcapost_heartbeat", "orcapost_run_finish", "orcapost_run_summary")

SLOW_PLUGIN = '''
"""Test plugin: files that take a while or hang, a slow shutdown, a slow validation."""
import os
import threading
import time
from pathlib import Path

from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.schemas.config import ColumnOptions
from pydantic import field_validator

RELEASE = threading.Event()


def _env(name, default=None):
    return os.environ.get("SLOWTEST_" + name, default)


def _mark(name):
    folder = _env("MARK")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).touch()


@hookimpl(tryfirst=True)
def orcapost_process_file(task):
    _mark(task.file.path.name)
    hang = _env("HANG")
    if hang and hang in task.file.path.name:
        RELEASE.wait(float(_env("HANG_SECONDS", "3600")))
    time.sleep(float(_env("SECONDS", "0")))
    return None  # the built-in implementation processes the file


@hookimpl
def orcapost_run_finish():
    seconds = _env("FINISH_SECONDS")
    if seconds:
        _mark("finishing")
        time.sleep(float(seconds))


class SlowColumn(ColumnOptions):
    @field_validator("label")
    @classmethod
    def _slow(cls, value):
        _mark("validating")
        time.sleep(float(_env("VALIDATE_SECONDS", "0")))
        return value


class SlowExtractor(Extractor):
    name = "slowtest"
    Options = SlowColumn

    def extract(self, file, column):
        return {column.label: 1.0}


@hookimpl
def orcapost_register_extractors(register):
    register(SlowExtractor)
'''


@pytest.fixture(scope="module")
def slow_site(tmp_path_factory) -> Path:
    """A folder holding the test plugin as an installed distribution with an entry point."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "orcapost_slowtest-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orcapost-slowtest\n"
                                   "Version: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[orcapost]\nslowtest = orcapost_slowtest\n",
                                           encoding="utf-8")
    (site / "orcapost_slowtest.py").write_text(textwrap.dedent(SLOW_PLUGIN), encoding="utf-8")
    return site


@pytest.fixture
def slow_module(slow_site, monkeypatch):
    """The test plugin imported in this process (to register on ``pm``); hung threads are
    released when the test ends."""
    monkeypatch.syspath_prepend(str(slow_site))
    import orcapost_slowtest

    orcapost_slowtest.RELEASE.clear()
    yield orcapost_slowtest
    orcapost_slowtest.RELEASE.set()


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """8 demo archives of 2.1 MB: big enough to run one task each (no batches of small
    files), so a stopped run has some files done and some not."""
    from orcapost.demo import DemoSpec, write_campaign

    directory = tmp_path_factory.mktemp("large")
    write_campaign(directory, DemoSpec(headings=(0.0, 45.0), wave_heights=(2.0, 6.0),
                                       seeds=(1, 2), file_size=2_100_000))
    return directory


def _env(site: Path, **slow) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORCAPOST_", "SLOWTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env.update({f"SLOWTEST_{key.upper()}": str(value) for key, value in slow.items()})
    return env


def _start(site: Path, *args, **slow) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orcapost", *map(str, args)],
                            env=_env(site, **slow), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"orcapost did not end within {timeout} s:\n{err}")
    return process.returncode, err


def _wait_for(predicate, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _config(write_config, campaign: Path, out: Path, threads: int = 1, **engine) -> Path:
    return write_config(statistics_config(campaign, out,
                                          thread_policy={"name": "fixed", "threads": threads},
                                          **engine))


def _consistent(out: Path) -> tuple[int, dict]:
    """The outputs of a stopped run agree: its partial set (in ``partial/``, beside the
    complete set it leaves alone) has a row for every journaled file; its report is there and
    names the missing files. Returns the number of rows and the report."""
    partial = out / PARTIAL_FOLDER
    rows = pacsv.read_csv(partial / "lines.csv").to_pydict()["path"] \
        if (partial / "lines.csv").exists() else []
    assert sorted(rows) == sorted(Journal(out).journaled_paths())
    report = json.loads((partial / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    assert report["result_set"]["complete"] is False
    assert len(report["result_set"]["missing"]) == 8 - len(rows)
    assert not (out / "lines.csv").exists()  # no complete set was there: none is made up
    assert not (out / LOCK_NAME).exists()  # released
    return len(rows), report


# -- one run per output folder ----------------------------------------------------------------


@POSIX
def test_a_second_run_into_the_folder_is_refused_and_sigterm_ends_the_first(
        slow_site, large, tmp_path, write_config):
    out, marks = tmp_path / "out", tmp_path / "marks"
    config = _config(write_config, large, out)
    # 3 s a file: the first run must outlast the second's start-up on a loaded machine (at 1 s
    # its 8 files, 2 or more at once beside a worker process, were done before the second run
    # looked at the lock, which it then rightly did not find).
    first = _start(slow_site, "run", config, "--no-progress", seconds=3, mark=marks)
    try:
        _wait_for(lambda: (out / LOCK_NAME).exists() and marks.exists(), what="the first run")
        second = subprocess.run([sys.executable, "-m", "orcapost", "run", config, "--quiet"],
                                env=_env(slow_site), capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid} on" in second.stderr and "since" in second.stderr
        assert str(config) in second.stderr and "Traceback" not in second.stderr
        # A scheduler's time limit: SIGTERM ends the run like Ctrl-C, outputs written.
        _wait_for(lambda: Journal(out).journaled_paths(), what="a finished file")
        first.send_signal(signal.SIGTERM)
        code, err = _finish(first)
    finally:
        first.kill()
    assert code == 143, err
    assert "Traceback" not in err
    rows, report = _consistent(out)
    assert 1 <= rows < 8
    assert report["summary"]["interrupted"] is True
    assert report["summary"]["stopped_by"] == "SIGTERM"


def test_a_stale_lock_is_taken_over_with_a_warning(pm, campaign, tmp_path, write_config):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({
        "pid": dead.pid, "host": __import__("socket").gethostname(),
        "started": time.time() - 60, "started_at": "a minute ago", "config": "old.yml",
        "token": "stale"}), encoding="utf-8")
    warnings = []
    loaded = validate_data(statistics_config(campaign, out), pm.registry)
    summary = Engine(pm, loaded, warn=warnings.append).run()
    assert summary.exit_code == 0
    assert any("took over the lock" in w and f"pid {dead.pid}" in w for w in warnings)
    assert not (out / LOCK_NAME).exists()


def test_a_lock_held_on_another_host_is_refused(run_cli, campaign, tmp_path, write_config):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({
        "pid": 4242, "host": "elsewhere", "started": time.time(), "started_at": "just now",
        "config": "theirs.yml", "token": "x"}), encoding="utf-8")
    result = run_cli("run", write_config(statistics_config(campaign, out)), "--quiet")
    assert result.exit_code == 2
    assert "pid 4242 on elsewhere, since just now, config theirs.yml" in result.output
    assert not (out / JOURNAL_NAME).exists()  # nothing written
    assert (out / LOCK_NAME).exists()  # theirs, left alone


def test_the_lock_is_released_when_a_run_ends_with_an_error(pm, campaign, tmp_path):
    class Stopper:
        @hookimpl
        def orcapost_run_start(self):
            raise SystemExit(9)  # not an Exception: never swallowed (Ctrl-C ends the run)

    pm.register(Stopper(), name="stopper")
    out = tmp_path / "out"
    loaded = validate_data(statistics_config(campaign, out), pm.registry)
    with pytest.raises(SystemExit):
        Engine(pm, loaded).run()
    assert not (out / LOCK_NAME).exists()
    pm.unregister(name="stopper")
    assert Engine(pm, loaded).run().exit_code == 0


def test_a_lock_is_only_released_by_its_own_run(tmp_path):
    mine = RunLock(tmp_path, "a.yml")
    assert mine.acquire() == []
    with pytest.raises(OrcapostError, match="another orcapost run"):
        RunLock(tmp_path, "b.yml").acquire()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": os.getpid(), "token": "other"}))
    mine.release()  # not its lock any more: left alone
    assert (tmp_path / LOCK_NAME).exists()


# -- signals --------------------------------------------------------------------------------


@POSIX
def test_sighup_ends_a_run_with_its_outputs_without_waiting_for_a_hung_file(
        slow_site, large, tmp_path, write_config):
    out, marks = tmp_path / "out", tmp_path / "marks"
    config = _config(write_config, large, out, threads=2, file_timeout=None)
    hung = sorted(p.name for p in large.glob("*.arrow"))[0]
    process = _start(slow_site, "run", config, "--no-progress", hang=hung, seconds=0.3,
                     mark=marks)
    try:
        _wait_for(lambda: len(list(marks.glob("*.arrow"))) >= 3, what="files started")
        process.send_signal(signal.SIGHUP)
        code, err = _finish(process, timeout=30)  # the hung thread is not waited for
    finally:
        process.kill()
    assert code == 129, err
    rows, report = _consistent(out)
    assert rows >= 1 and report["summary"]["stopped_by"] == "SIGHUP"


@POSIX
def test_a_second_ctrl_c_during_the_shutdown_only_hurries_it(slow_site, large, tmp_path,
                                                              write_config):
    out, marks = tmp_path / "out", tmp_path / "marks"
    config = _config(write_config, large, out)
    process = _start(slow_site, "run", config, "--no-progress", seconds=0.5, mark=marks,
                     finish_seconds=2)
    try:
        _wait_for(lambda: len(list(marks.glob("*.arrow"))) >= 2, what="files started")
        process.send_signal(signal.SIGINT)
        _wait_for(lambda: (marks / "finishing").exists(), what="the shutdown")
        process.send_signal(signal.SIGINT)
        code, err = _finish(process)
    finally:
        process.kill()
    assert code == 130, err
    assert "Aborted!" not in err and "Traceback" not in err
    rows, report = _consistent(out)
    assert rows >= 1 and report["summary"]["stopped_by"] == "SIGINT"


@POSIX
def test_ctrl_c_in_a_terminal_stops_a_processes_run_without_tracebacks(
        slow_site, large, tmp_path, write_config):
    """A terminal's Ctrl-C goes to the whole process group, worker processes included."""
    out, marks = tmp_path / "out", tmp_path / "marks"
    config = _config(write_config, large, out, threads=2, executor="processes")
    process = subprocess.Popen(
        [sys.executable, "-m", "orcapost", "run", config, "--no-progress"],
        env=_env(slow_site, seconds=1, mark=marks), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(lambda: len(list(marks.glob("*.arrow"))) >= 2, timeout=60,
                  what="files started in the workers")
        os.killpg(process.pid, signal.SIGINT)
        code, err = _finish(process)
    finally:
        process.kill()
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    _consistent(out)


@POSIX
def test_ctrl_c_during_validate_exits_130_quietly(slow_site, tmp_path, write_config):
    marks = tmp_path / "marks"
    config = write_config({"version": 2, "inputs": {"directory": str(tmp_path)},
                           "results": {"g": {"columns": [{"label": "x", "kind": "slowtest"}]}}})
    process = _start(slow_site, "validate", config, mark=marks, validate_seconds=30)
    try:
        _wait_for(lambda: (marks / "validating").exists(), what="the validation")
        process.send_signal(signal.SIGINT)
        code, err = _finish(process, timeout=30)
    finally:
        process.kill()
    assert code == 130, err
    assert "Aborted!" not in err and "Traceback" not in err


def test_signal_handlers_are_restored_after_a_run(pm, campaign, tmp_path):
    before = {name: signal.getsignal(getattr(signal, name))
              for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)}
    seen = []

    class Spy:
        @hookimpl
        def orcapost_run_start(self):
            seen.append(signal.getsignal(signal.SIGTERM))

    pm.register(Spy(), name="spy")
    Engine(pm, validate_data(statistics_config(campaign, tmp_path / "out"), pm.registry)).run()
    assert seen and seen[0] is not before["SIGTERM"]  # installed for the run
    assert {name: signal.getsignal(getattr(signal, name)) for name in before} == before


# -- file timeout ---------------------------------------------------------------------------


def _run_bounded(engine: Engine, timeout: float = 60):
    """Run on a daemon thread so a hang fails the test instead of hanging it."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("summary", engine.run()),
                              daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the run did not end within {timeout} s"
    return box["summary"]


def _timeout_failures(out: Path) -> list[dict]:
    return [f for f in pacsv.read_csv(out / "failures.csv").to_pylist()
            if f["stage"] == "timeout"]


def test_a_hung_file_times_out_under_threads_and_the_run_goes_on(
        pm, slow_module, campaign, tmp_path, monkeypatch):
    hung = sorted(p.name for p in campaign.glob("*.arrow"))[2]
    monkeypatch.setenv("SLOWTEST_HANG", hung)
    pm.register(slow_module, name="slowtest")
    out = tmp_path / "out"
    config = statistics_config(campaign, out, thread_policy={"name": "fixed", "threads": 2},
                               file_timeout=1.0)
    engine = Engine(pm, validate_data(config, pm.registry))
    summary = _run_bounded(engine)
    assert summary.failed == 1 and summary.ok == 7
    assert [f["file"] for f in _timeout_failures(out)] == [hung]
    assert any("file_timeout" in d["reason"] and "abandoned" in d["reason"]
               for d in engine.report["decisions"])


def test_a_hung_file_times_out_under_processes_its_worker_killed(
        pm, slow_site, large, tmp_path, monkeypatch):
    import psutil

    monkeypatch.syspath_prepend(str(slow_site))  # spawned workers load the test plugin
    hung = sorted(p.name for p in large.glob("*.arrow"))[0]
    monkeypatch.setenv("SLOWTEST_HANG", hung)
    out = tmp_path / "out"
    # The clock starts when a file is handed to a worker: a fresh worker process's start-up
    # (imports, plugins, the first file's warm-up) takes seconds here, so not 1 s.
    config = statistics_config(large, out, thread_policy={"name": "fixed", "threads": 2},
                               executor="processes", file_timeout=10.0)
    engine = Engine(pm, validate_data(config, pm.registry))
    summary = _run_bounded(engine, timeout=120)
    assert summary.failed == 1 and summary.ok == 7, summary.failures
    assert [f["file"] for f in _timeout_failures(out)] == [hung]
    assert any("worker process was killed" in d["reason"] for d in engine.report["decisions"])

    def workers():  # multiprocessing's resource tracker lives as long as this process
        alive = []
        for child in psutil.Process().children(recursive=True):
            try:
                if child.status() != psutil.STATUS_ZOMBIE and \
                        "resource_tracker" not in " ".join(child.cmdline()):
                    alive.append(child)
            except psutil.NoSuchProcess:
                continue
        return alive

    _wait_for(lambda: not workers(), timeout=30, what="the worker processes to end")


def test_the_command_does_not_wait_for_a_timed_out_thread_at_exit(slow_site, large,
                                                                   tmp_path, write_config):
    out = tmp_path / "out"
    config = _config(write_config, large, out, threads=2, file_timeout=1.0)
    hung = sorted(p.name for p in large.glob("*.arrow"))[0]
    process = _start(slow_site, "run", config, "--quiet", hang=hung)
    try:
        code, err = _finish(process, timeout=60)
    finally:
        process.kill()
    assert code == 1, err
    assert [f["file"] for f in _timeout_failures(out)] == [hung]


def test_file_timeout_is_validated(pm, campaign, tmp_path):
    default = validate_data(statistics_config(campaign, tmp_path), pm.registry)
    assert default.model.engine.file_timeout == 3600.0
    none = validate_data(statistics_config(campaign, tmp_path, file_timeout=None), pm.registry)
    assert none.model.engine.file_timeout is None
    with pytest.raises(OrcapostError, match="file_timeout"):
        validate_data(statistics_config(campaign, tmp_path, file_timeout=0), pm.registry)


# -- plugin hooks ----------------------------------------------------------------------------


class Chaos:
    """Raises in every run hook, and in a wrapper's setup and teardown."""

    def __init__(self):
        self.calls: dict[str, int] = {}

    def _boom(self, hook):
        self.calls[hook] = self.calls.get(hook, 0) + 1
        raise RuntimeError(f"chaos in {hook}")

    @hookimpl
    def orcapost_run_start(self):
        self._boom("orcapost_run_start")

    @hookimpl
    def orcapost_file_started(self):
        self._boom("orcapost_file_started")

    @hookimpl
    def orcapost_file_done(self):
        self._boom("orcapost_file_done")

    @hookimpl
    def orcapost_heartbeat(self):
        self._boom("orcapost_heartbeat")

    @hookimpl
    def orcapost_run_finish(self):
        self._boom("orcapost_run_finish")

    @hookimpl
    def orcapost_run_summary(self):
        self._boom("orcapost_run_summary")


class ChaosWrappers:
    @hookimpl(wrapper=True)
    def orcapost_run_finish(self):
        raise ValueError("before yield")
        yield  # pragma: no cover

    @hookimpl(wrapper=True, tryfirst=True)
    def orcapost_file_done(self):
        yield
        raise ValueError("after yield")


def test_a_plugin_raising_in_every_run_hook_fails_alone(pm, campaign, tmp_path):
    chaos = Chaos()
    pm.register(chaos, name="chaos")
    pm.register(ChaosWrappers(), name="chaos-wrappers")
    out = tmp_path / "out"
    warnings = []
    config = statistics_config(campaign, out, thread_policy={"name": "fixed", "threads": 2})
    engine = Engine(pm, validate_data(config, pm.registry), monitor_interval=0.05,
                    warn=warnings.append)
    summary = engine.run()
    assert summary.exit_code == 0 and summary.ok == 8  # the same exit code
    assert chaos.calls["orcapost_file_done"] == 8  # called for every file, every time
    assert pacsv.read_csv(out / "lines.csv").num_rows == 8  # the other listeners went on
    report = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    errors = {(e["plugin"], e["hook"]): e for e in report["plugin_errors"]}
    expected = {("chaos", hook) for hook in RUN_HOOKS if hook in chaos.calls}
    assert expected >= {("chaos", h) for h in RUN_HOOKS if h != "orcapost_heartbeat"}
    assert set(errors) == expected | {("chaos-wrappers", "orcapost_run_finish"),
                                      ("chaos-wrappers", "orcapost_file_done")}
    assert errors[("chaos", "orcapost_file_done")]["count"] == 8
    assert "RuntimeError: chaos in orcapost_file_done" in \
        errors[("chaos", "orcapost_file_done")]["traceback"]
    assert "before yield" in errors[("chaos-wrappers", "orcapost_run_finish")]["error"]
    assert not any(e["own"] for e in errors.values())
    # One warning per plugin and hook, naming both; the run summary's error is in the report.
    assert len(warnings) == len(errors)
    assert any("'chaos' failed in orcapost_run_summary" in w for w in warnings)


def test_plugin_errors_keep_the_exit_code_and_show_tracebacks_when_debugging(
        run_cli, pm, campaign, tmp_path, write_config, monkeypatch):
    pm.register(Chaos(), name="chaos")
    config = write_config(statistics_config(campaign, tmp_path / "out"))
    quiet = run_cli("run", config, "--quiet")
    assert quiet.exit_code == 0
    assert "warning: plugin 'chaos' failed in orcapost_file_done" in quiet.output
    assert "Traceback" not in quiet.output
    monkeypatch.setenv("ORCAPOST_DEBUG", "1")
    debug = run_cli("run", config, "--quiet")
    assert debug.exit_code == 0 and "Traceback" in debug.output


@pytest.mark.parametrize("raised, code", [
    (OSError(28, "No space left on device"), 2),  # the machine refused: exit 2, not a bug
    (RuntimeError("the sink has a bug"), 3),
], ids=["disk-full", "bug"])
def test_the_runs_own_listener_failing_names_it(run_cli, pm, campaign, tmp_path, write_config,
                                                raised, code):
    from orcapost.components import Sink
    from orcapost.schemas.base import StrictModel

    class BrokenSink(Sink):
        name = "broken"
        Options = StrictModel
        suffix = ".broken"

        def write(self, name, table, directory):
            raise raised

    class Plugin:
        @hookimpl
        def orcapost_register_sinks(self, register):
            register(BrokenSink)

    pm.register(Plugin(), name="broken-sink")
    out = tmp_path / "out"
    config = statistics_config(campaign, out)
    config["outputs"]["formats"] = ["broken"]
    result = run_cli("run", write_config(config), "--quiet")
    assert result.exit_code == code
    assert f"'orcapost.run.tables' failed in orcapost_run_finish: {type(raised).__name__}: " \
        f"{raised}" in result.output
    assert "--resume" in result.output
    report = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    assert [(e["plugin"], e["own"], e["os_error"]) for e in report["plugin_errors"]] == [
        ("orcapost.run.tables", True, isinstance(raised, OSError))]
    assert len(Journal(out).journaled_paths()) == 8


def test_a_stale_lock_with_this_processes_pid_is_taken_over(tmp_path):
    """A run that died leaves its pid in the lock; a later process may get the same pid (in a
    container every run is the same pid on the same host): it started after the lock was
    taken, so the lock is stale, not "another engine in this process"."""
    import psutil

    started = psutil.Process().create_time() - 60  # a minute before this process existed
    (tmp_path / LOCK_NAME).write_text(json.dumps({
        "pid": os.getpid(), "host": __import__("socket").gethostname(), "started": started,
        "started_at": "a minute ago", "config": "old.yml", "token": "dead"}), encoding="utf-8")
    lock = RunLock(tmp_path, "new.yml")
    warnings = lock.acquire()
    assert any("took over the lock" in w for w in warnings)
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_of_another_engine_in_this_process_is_refused(tmp_path):
    first = RunLock(tmp_path, "a.yml")
    first.acquire()
    try:
        with pytest.raises(OrcapostError, match="another orcapost run"):
            RunLock(tmp_path, "b.yml").acquire()
    finally:
        first.release()


def test_a_file_finished_on_a_pool_killed_for_a_timeout_is_kept(pm, campaign, tmp_path):
    """Under processes a timeout kills the hung file's pool and the other files in flight on
    it start again; one that had already finished (its result waiting to be collected) keeps
    its result instead of being computed again."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

    from orcapost.results import STATUS_FAILED, STATUS_OK, FileResult

    config = statistics_config(campaign, tmp_path / "out", executor="processes",
                               file_timeout=1.0)
    engine = Engine(pm, validate_data(config, pm.registry),
                    executor_factory=lambda kind, workers: ThreadPoolExecutor(1))
    run = engine._prepare()
    hung_file, done_file = run.context.files[:2]
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))  # no workers
    hung, done = Future(), Future()
    hung.set_running_or_notify_cancel()
    done.set_result([FileResult(path=str(done_file.path), size=done_file.size,
                                status=STATUS_OK)])
    run.executor = pool
    run.running = {hung: [hung_file], done: [done_file]}
    engine._pool_of = {hung: pool, done: pool}
    engine._deadlines = {hung: time.monotonic() - 1, done: time.monotonic() + 60}
    engine._time_out(run)
    try:
        by_path = {r.path: r.status for r in run.context.results}
        assert by_path == {str(hung_file.path): STATUS_FAILED, str(done_file.path): STATUS_OK}
        assert done_file not in run.pending and not run.running
    finally:
        run.executor.shutdown()


def test_a_preflight_failure_leaves_the_earlier_outputs_and_takes_no_lock(
        pm, campaign, tmp_path, monkeypatch):
    from orcapost.components import Source

    out = tmp_path / "out"
    loaded = validate_data(statistics_config(campaign, out), pm.registry)
    Engine(pm, loaded).run()
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def refuse(self, files):
        raise OrcapostError("cannot read these files here")

    monkeypatch.setattr(Source, "preflight", refuse)
    with pytest.raises(OrcapostError, match="cannot read"):
        Engine(pm, loaded).run()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (out / LOCK_NAME).exists()


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"),
                                   OSError(30, "Read-only file system")])
def test_an_output_folder_that_refuses_the_lock_is_a_clear_error(tmp_path, monkeypatch, error):
    """A read-only output folder gave 'internal error: PermissionError' (exit 3): the user is
    told which folder refuses writes and what to do (exit 2)."""
    import orcapost.lock as lock_module
    from orcapost.errors import OrcapostError

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(lock_module.os, "open", refuse)
    lock = RunLock(tmp_path, "test")
    with pytest.raises(OrcapostError, match="cannot write in the output folder") as caught:
        lock.acquire()
    assert "--output" in (caught.value.hint or "")
    assert not lock.held
