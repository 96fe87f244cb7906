"""Bounded overhead on tiny files (issue 17.4): journal lines written once per task, per-file
hooks called without pluggy's dispatch when only the engine's listeners have them, archives
of one layout checked and described once, and an archive's identity taken from the reader's own
read -- each without changing what a run computes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pytest
from helpers import journal_writes, statistics_config
from orcapost import dispatch, hookimpl
from orcapost import engine as engine_module
from orcapost import task as task_module
from orcapost.archive import (
    HEADER_KEY,
    ArchiveFormatError,
    ObjectData,
    SimulationData,
    Stage,
    TimeVariable,
    write_archive,
)
from orcapost.archive import reader as archive_reader
from orcapost.config import validate_data
from orcapost.engine import DIRECT_LISTENERS, Engine
from orcapost.fingerprints import HEAD_TAIL_BYTES, file_identity
from orcapost.journal import JOURNAL_NAME, Journal
from orcapost.plugins.sources.archive import ArchiveSource


def _run(pm, config: dict, **kwargs):
    return Engine(pm, validate_data(config, pm.registry), **kwargs).run()


def _rows(out: Path) -> dict[str, list[dict]]:
    return {p.name: sorted(pacsv.read_csv(p).to_pylist(), key=lambda r: r["path"])
            for p in sorted(out.glob("*.csv"))}


# -- the journal: one write per task ---------------------------------------------------------


def test_the_journal_is_written_once_per_task_not_per_file(pm, campaign, tmp_path,
                                                            monkeypatch):
    written = journal_writes(monkeypatch)
    out = tmp_path / "out"
    config = statistics_config(campaign, out, thread_policy={"name": "fixed", "threads": 1})
    assert _run(pm, config).exit_code == 0
    assert sum(written) == 8  # every file journaled, once
    assert len(written) < 8  # in batches: the demo's small files run several to a task
    assert len(Journal(out).journaled_paths()) == 8


KILLER = textwrap.dedent("""
    import json, os, sys
    from orcapost import hookimpl
    from orcapost.config import validate_data
    from orcapost.engine import Engine
    from orcapost.pluginmanager import get_plugin_manager

    config, after = json.loads(sys.argv[1]), int(sys.argv[2])

    class Killer:
        @hookimpl
        def orcapost_file_done(self, context, result, replayed):
            if context.done == after:
                os._exit(9)  # as SIGKILL: no clean-up, nothing flushed

    pm = get_plugin_manager(entry_points=False)
    pm.register(Killer(), name="killer")
    Engine(pm, validate_data(config, pm.registry)).run()
""")


@pytest.mark.parametrize("threads", [1, 2])
def test_a_run_killed_outright_loses_at_most_its_batch_and_resumes_exactly(
        pm, campaign, tmp_path, threads):
    out = tmp_path / "out"
    config = statistics_config(campaign, out,
                               thread_policy={"name": "fixed", "threads": threads})
    killed = subprocess.run([sys.executable, "-c", KILLER, json.dumps(config), "7"],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    # Every line written is whole; the files of the batch in flight are not in it.
    lines = (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)
    journaled = Journal(out).journaled_paths()
    assert len(journaled) < 7

    opened: list[str] = []

    class Watch:
        @hookimpl(wrapper=True)
        def orcapost_process_file(self, task):
            opened.append(str(task.file.path))
            return (yield)

    pm.register(Watch(), name="watch")
    summary = Engine(pm, validate_data(config, pm.registry), resume=True).run()
    pm.unregister(name="watch")
    assert summary.exit_code == 0
    assert sorted(opened) == sorted(set(map(str, sorted(campaign.glob("*.arrow"))))
                                    - set(journaled))
    fresh = tmp_path / "fresh"
    assert _run(pm, statistics_config(campaign, fresh, thread_policy={
        "name": "fixed", "threads": threads})).exit_code == 0
    assert _rows(out) == _rows(fresh)


# -- per-file hooks: direct when only the engine's listeners have them ------------------------


@pytest.fixture
def callers(monkeypatch):
    """The per-file hook callers each run chose, by hook name."""
    chosen: dict[str, list] = {}

    def recording(pm, name, allowed):
        caller = dispatch.direct_caller(pm, name, allowed)
        chosen.setdefault(name, []).append(caller)
        return caller

    monkeypatch.setattr(engine_module, "direct_caller", recording)
    return chosen


def test_per_file_hooks_skip_pluggy_when_only_the_engines_listeners_have_them(
        pm, campaign, tmp_path, callers):
    assert _run(pm, statistics_config(campaign, tmp_path / "out")).exit_code == 0
    for name in ("orcapost_file_started", "orcapost_file_done"):
        assert getattr(callers[name][0], "direct", False), name


def test_a_third_party_listener_gets_pluggy_and_every_event(pm, campaign, tmp_path, callers):
    seen: list[str] = []

    class Listener:
        @hookimpl
        def orcapost_file_started(self, file):
            seen.append(f"started {file.name}")

        @hookimpl
        def orcapost_file_done(self, result, replayed):
            seen.append(f"done {result.name}")

    pm.register(Listener(), name="third-party")
    assert _run(pm, statistics_config(campaign, tmp_path / "out")).exit_code == 0
    for name in ("orcapost_file_started", "orcapost_file_done"):
        assert not getattr(callers[name][0], "direct", False), name
    names = sorted(p.name for p in campaign.glob("*.arrow"))
    assert sorted(s for s in seen if s.startswith("started")) == [f"started {n}" for n in names]
    assert sorted(s for s in seen if s.startswith("done")) == [f"done {n}" for n in names]


def test_the_direct_caller_calls_in_pluggys_order_with_pluggys_arguments(pm):
    calls: list[tuple[str, object]] = []

    def listener(tag, **options):
        class Listener:
            @hookimpl(**options)
            def orcapost_file_done(self, result, replayed):
                calls.append((tag, (result, replayed)))
        return Listener()

    names = sorted(DIRECT_LISTENERS)
    for name, (tag, options) in zip(names, [("first", {"tryfirst": True}), ("plain", {}),
                                            ("last", {"trylast": True}), ("plain2", {})], strict=True):
        pm.register(listener(tag, **options), name=name)
    caller = dispatch.direct_caller(pm, "orcapost_file_done", DIRECT_LISTENERS)
    assert getattr(caller, "direct", False)
    caller(context="ctx", result="r", replayed=False)
    direct = list(calls)
    calls.clear()
    pm.hook.orcapost_file_done(context="ctx", result="r", replayed=False)
    assert direct == calls and len(calls) == 4
    # A wrapper, or one plugin not of the engine, and pluggy dispatches again.
    pm.register(listener("other"), name="someone-else")
    assert not getattr(dispatch.direct_caller(pm, "orcapost_file_done", DIRECT_LISTENERS),
                       "direct", False)


# -- archives of one layout -------------------------------------------------------------------


def _archive(path: Path, seed: int, *, unit: str = "m", name: str = "Heave",
             single: bool = False, load_case: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    time = np.arange(0, 41, dtype=np.float64) * 0.5
    values = rng.standard_normal(time.size)
    values = values.astype(np.float32) if single else values
    sim = SimulationData(
        time=time, stages=[Stage(0, -2.5, 0.0), Stage(1, 0.0, 20.0)],
        objects=[ObjectData("Vessel1", "Vessel", [TimeVariable(name, unit, values)])],
        load_case={"case": load_case})
    write_archive(path, sim)
    return path


@pytest.fixture
def fresh_layouts():
    archive_reader.forget_layouts()
    yield
    archive_reader.forget_layouts()


def _open(path: Path):
    return ArchiveSource().open(path)


def test_files_of_one_layout_share_its_description_and_keep_their_own_data(
        tmp_path, fresh_layouts):
    a = _open(_archive(tmp_path / "a.arrow", 1, load_case=1))
    b = _open(_archive(tmp_path / "b.arrow", 2, load_case=2))
    try:
        assert a.archive.layout is b.archive.layout  # checked and described once
        assert a.catalogue() is b.catalogue()
        assert a.load_case() == {"case": 1} and b.load_case() == {"case": 2}
        va, vb = a.raw_time_values("Vessel1", "Heave"), b.raw_time_values("Vessel1", "Heave")
        np.testing.assert_array_equal(va, np.random.default_rng(1).standard_normal(41))
        np.testing.assert_array_equal(vb, np.random.default_rng(2).standard_normal(41))
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("other", [
    {"unit": "ft"},  # another unit
    {"name": "Sway"},  # another variable
    {"single": True},  # the same header objects, another column type
])
def test_another_layout_is_not_confused_with_a_kept_one(tmp_path, fresh_layouts, other):
    a = _open(_archive(tmp_path / "a.arrow", 1))
    b = _open(_archive(tmp_path / "b.arrow", 2, **other))
    try:
        assert a.archive.layout is not b.archive.layout
        variable = b.catalogue()["Vessel1"].variables[other.get("name", "Heave")]
        assert variable.units == other.get("unit", "m")
        assert a.catalogue()["Vessel1"].variables["Heave"].units == "m"
        values = b.raw_time_values("Vessel1", other.get("name", "Heave"))
        assert values.dtype == (np.float32 if other.get("single") else np.float64)
    finally:
        a.close()
        b.close()


def test_a_known_layout_still_has_the_rest_of_its_header_checked(tmp_path, fresh_layouts):
    _open(_archive(tmp_path / "a.arrow", 1)).close()
    path = _archive(tmp_path / "b.arrow", 2)
    table = feather.read_table(path)
    header = json.loads(table.schema.metadata[HEADER_KEY])
    header["stages"] = []
    feather.write_feather(table.replace_schema_metadata({HEADER_KEY: json.dumps(header)}),
                          path, compression="uncompressed")
    with pytest.raises(ArchiveFormatError, match="'stages' is empty"):
        archive_reader.Archive(path)


def test_a_campaign_of_one_layout_gives_the_same_tables_without_the_cache(
        pm, campaign, tmp_path, monkeypatch):
    archive_reader.forget_layouts()
    cached = tmp_path / "cached"
    assert _run(pm, statistics_config(campaign, cached)).exit_code == 0
    monkeypatch.setattr(archive_reader, "_known_layout", lambda objects, schema: None)
    uncached = tmp_path / "uncached"
    assert _run(pm, statistics_config(campaign, uncached)).exit_code == 0
    assert _rows(cached) == _rows(uncached)
    assert os.path.exists(cached / JOURNAL_NAME)


# -- file identity from the reader's own read -------------------------------------------------


def _big_archive(path: Path, samples: int) -> Path:
    time = np.arange(samples, dtype=np.float64) * 0.1
    sim = SimulationData(
        time=time, stages=[Stage(0, 0.0, 0.0), Stage(1, 0.0, float(time[-1]))],
        objects=[ObjectData("Vessel1", "Vessel", [
            TimeVariable("Heave", "m", np.random.default_rng(3).standard_normal(samples))])],
        load_case={"case": 1})
    write_archive(path, sim)
    return path


@pytest.mark.parametrize("samples, whole, mapped", [
    (40, True, False),  # smaller than the hashed head: one read, no tail
    (30_000, True, False),  # head and tail of the bytes read whole
    (30_000, False, False),  # read column by column: head and tail read through the open file
    (30_000, False, True),  # memory-mapped
])
def test_an_archive_gives_the_identity_file_identity_gives(tmp_path, monkeypatch, samples, whole,
                                                          mapped):
    path = _big_archive(tmp_path / "a.arrow", samples)
    if not whole:
        monkeypatch.setattr(archive_reader, "WHOLE_READ_BYTES", 0)
    archive = archive_reader.Archive(path, memory_map=mapped)
    try:
        assert (archive._data is not None) == whole
        assert archive.identity() == file_identity(path)
    finally:
        archive.close()
    assert (path.stat().st_size > HEAD_TAIL_BYTES) == (samples > 40)


def _identities(pm, campaign: Path, out: Path, code: int = 0) -> dict[str, dict]:
    seen: dict[str, dict] = {}

    class Listener:
        @hookimpl
        def orcapost_file_done(self, result, replayed):
            seen[Path(result.path).name] = result.identity

    pm.register(Listener(), name="identities")
    assert _run(pm, statistics_config(campaign, out)).exit_code == code
    return seen


def test_a_task_takes_an_archives_identity_from_its_read_not_a_second_open(
        pm, campaign, tmp_path, monkeypatch):
    def refused(path):
        raise AssertionError(f"{path} opened again for its identity")

    monkeypatch.setattr(task_module, "file_identity", refused)
    seen = _identities(pm, campaign, tmp_path / "out")
    assert seen == {p.name: file_identity(p) for p in campaign.glob("*.arrow")}


def test_a_source_that_gives_no_identity_has_each_file_hashed_before_its_open(
        pm, campaign, tmp_path, monkeypatch):
    order: list[str] = []
    monkeypatch.setattr(ArchiveSource, "identifies_files", False)
    hashed, opened = task_module.file_identity, ArchiveSource.open

    def hashing(path):
        order.append(f"hash {Path(path).name}")
        return hashed(path)

    def opening(self, path):
        order.append(f"open {Path(path).name}")
        return opened(self, path)

    monkeypatch.setattr(task_module, "file_identity", hashing)
    monkeypatch.setattr(ArchiveSource, "open", opening)
    seen = _identities(pm, campaign, tmp_path / "out")
    assert seen == {p.name: file_identity(p) for p in campaign.glob("*.arrow")}
    for name in seen:  # once each, before its open (files run on two threads at once)
        assert order.count(f"hash {name}") == 1
        assert order.index(f"hash {name}") < order.index(f"open {name}")


def test_an_archive_that_fails_to_open_keeps_its_identity(pm, campaign_copy, tmp_path):
    broken = sorted(campaign_copy.glob("*.arrow"))[0]
    broken.write_bytes(b"not an archive" * 100)
    seen = _identities(pm, campaign_copy, tmp_path / "out", code=1)
    assert seen[broken.name] == file_identity(broken) and seen[broken.name] is not None


# -- orcapost_process_file: the built-in called directly when nothing else implements it ------


@pytest.fixture
def process_callers(monkeypatch):
    """The ``orcapost_process_file`` callers the runs' plans chose."""
    chosen: list = []
    original = dispatch.process_file_caller

    def recording(pm):
        caller = original(pm)
        chosen.append(caller)
        return caller

    monkeypatch.setattr(dispatch, "process_file_caller", recording)
    return chosen


def test_process_file_skips_pluggy_when_only_the_built_in_implements_it(
        pm, campaign, tmp_path, process_callers):
    fresh = tmp_path / "out"
    assert _run(pm, statistics_config(campaign, fresh)).exit_code == 0
    assert process_callers and all(getattr(c, "direct", False) for c in process_callers)


def test_a_third_party_process_file_is_still_dispatched_for_every_file(
        pm, campaign, tmp_path, process_callers):
    seen: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def orcapost_process_file(self, task):
            seen.append(Path(task.file.path).name)
            result = yield
            result.timings["wrapped"] = 1.0
            return result

    pm.register(Wrapper(), name="third-party-wrapper")
    out = tmp_path / "out"
    assert _run(pm, statistics_config(campaign, out)).exit_code == 0
    assert process_callers and not any(getattr(c, "direct", False) for c in process_callers)
    assert sorted(seen) == sorted(p.name for p in campaign.glob("*.arrow"))


def test_a_built_in_wrapper_with_work_to_do_is_dispatched(pm, campaign, tmp_path, monkeypatch):
    from orcapost.plugins.executors import dask as dask_executor

    wrapper = dask_executor.orcapost_process_file
    busy: list[bool] = []
    monkeypatch.setattr(wrapper, "idle", lambda: bool(busy))  # idle only after the first file
    caller = dispatch.process_file_caller(pm)
    assert getattr(caller, "direct", False)
    through: list[object] = []
    hook_type = type(pm.hook.orcapost_process_file)
    real_call = hook_type.__call__

    def spy(self, *args, **kwargs):
        if "task" in kwargs:
            through.append(kwargs["task"])
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(hook_type, "__call__", spy)

    class Task:
        def __init__(self) -> None:
            self.file = None

        def execute(self):
            return "executed"

    first, second = Task(), Task()
    assert caller(first) == "executed"  # the wrapper is not idle: through pluggy
    busy.append(True)
    assert caller(second) == "executed"  # idle: the built-in directly
    assert through == [first]


# -- a column's targets and names worked out once per catalogue --------------------------------


def test_a_columns_names_are_worked_out_once_per_catalogue(tmp_path, fresh_layouts, monkeypatch):
    from orcapost.components import Extractor
    from orcapost.plugins.extractors.statistics import StatisticsColumn, StatisticsExtractor

    column = StatisticsColumn(label="heave", object="Vessel1",
                              variable="*", statistics=["min", "max"])
    extractor = StatisticsExtractor(column)
    worked: list[int] = []
    original = Extractor._named_statistics

    def counted(self, file, column, statistics):
        worked.append(1)
        return original(self, file, column, statistics)

    monkeypatch.setattr(Extractor, "_named_statistics", counted)
    a = _open(_archive(tmp_path / "a.arrow", 1))
    b = _open(_archive(tmp_path / "b.arrow", 2))
    c = _open(_archive(tmp_path / "c.arrow", 3, name="Sway"))  # another layout
    try:
        first = extractor.named_statistics(a, column, column.statistics)
        assert extractor.named_statistics(b, column, column.statistics) == first
        assert len(worked) == 1  # b shares a's catalogue
        assert extractor.named_statistics(b, column, ["max"]) != first  # other statistics
        other = extractor.named_statistics(c, column, column.statistics)
        assert len(worked) == 3
        assert [target.var.name for target, _ in other] == ["Sway"]
        assert [names for _, names in first] == [{"min": "heave min", "max": "heave max"}]
        assert extractor.extract(b, column) == StatisticsExtractor(column).extract(b, column)
    finally:
        for opened in (a, b, c):
            opened.close()


class _OsSaying:
    """``os`` for the reader, with ``fstat`` giving another size (the file changed between its
    ``fstat`` and its read)."""

    def __init__(self, delta: int) -> None:
        self.delta = delta

    def __getattr__(self, name):
        return getattr(os, name)

    def fstat(self, fd):
        real = os.fstat(fd)
        fields = list(real)
        fields[6] = real.st_size + self.delta  # st_size
        return os.stat_result(fields)


@pytest.mark.parametrize("delta", [10, -10])
def test_a_small_file_read_whole_is_checked_against_its_size(tmp_path, monkeypatch, delta):
    path = _archive(tmp_path / "a.arrow", 1)
    size = path.stat().st_size
    monkeypatch.setattr(archive_reader, "os", _OsSaying(delta))
    # Shorter than its fstat said (truncated): the bytes read; longer (grown): at least one
    # byte more than it said (this fake fstat still says the old size).
    now = size if delta > 0 else size + delta + 1
    with pytest.raises(ArchiveFormatError, match=f"it is now {now} bytes, was {size + delta}"):
        archive_reader.Archive(path)


def test_a_folder_is_no_archive(tmp_path):
    folder = tmp_path / "a.arrow"
    folder.mkdir()
    with pytest.raises(OSError, match="not a file"):
        archive_reader.Archive(folder)
