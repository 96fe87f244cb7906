"""A file truncated, replaced or deleted while a run reads it fails that file, never the run.

The change comes from a test plugin (``orcapost_changetest``, below) installed as an entry point
in a folder put on the path, so that ``orcapost run`` subprocesses and spawned worker processes
load it: its extractor changes one file (``CHANGETEST_FILE``) between the open and the first read
of a column, then reads a column near the end of the file and touches every value. Runs are
subprocesses: a memory-mapped read past the new end of a truncated file is SIGBUS, which kills
the process (exit -7), and must fail the test, not pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest
from orcapost.archive import Archive, ArchiveFormatError, reader
from orcapost.demo import DemoSpec, write_campaign
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.resultfile import ResultFileError

CHANGE_PLUGIN = '''
"""Test plugin: an extractor that changes one file under the run, then reads it."""
import os
import shutil
from pathlib import Path

import numpy as np
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.schemas.config import ColumnOptions


class ChangeExtractor(Extractor):
    name = "changetest"
    Options = ColumnOptions

    def extract(self, file, column):
        path = Path(file.path)
        if path.name == os.environ.get("CHANGETEST_FILE"):
            mode = os.environ["CHANGETEST_MODE"]
            if mode == "truncate":  # an in-place copy or rsync --inplace, caught half-way
                os.truncate(path, path.stat().st_size // 2)
            elif mode == "replace":  # rsync: a new file renamed over the old name
                other = next(p for p in sorted(path.parent.glob("*.arrow")) if p != path)
                temporary = path.with_name(".incoming.tmp")
                shutil.copyfile(other, temporary)
                os.replace(temporary, path)
            elif mode == "delete":
                path.unlink()
        # The last column of the file: past the middle, every value touched.
        _, grid = file.raw_line_values("Riser", "Curvature")
        return {column.label: float(np.max(grid))}


@hookimpl
def orcapost_register_extractors(register):
    register(ChangeExtractor)
'''

POSIX = pytest.mark.skipif(os.name == "nt", reason="an open file cannot be deleted or replaced "
                           "on Windows")


@pytest.fixture(scope="module")
def change_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    dist = site / "orcapost_changetest-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orcapost-changetest\n"
                                   "Version: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[orcapost]\nchangetest = orcapost_changetest\n",
                                           encoding="utf-8")
    (site / "orcapost_changetest.py").write_text(textwrap.dedent(CHANGE_PLUGIN),
                                                 encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def four(tmp_path_factory) -> Path:
    """4 demo archives of 2.1 MB (one task each, not batched)."""
    directory = tmp_path_factory.mktemp("four")
    write_campaign(directory, DemoSpec(headings=(0.0,), wave_heights=(2.0, 6.0), seeds=(1, 2),
                                       file_size=2_100_000))
    return directory


def _run(site: Path, campaign: Path, out: Path, write_config, executor: str, mode: str,
         victim: str, **source) -> tuple[int, str]:
    config = write_config({
        "version": 2,
        "inputs": {"directory": str(campaign), "patterns": ["*.arrow"],
                   **({"sources": [{"name": "archive", **source}]} if source else {})},
        "engine": {"thread_policy": {"name": "fixed", "threads": 2}, "executor": executor},
        "results": {"riser": {"columns": [
            {"label": "changed", "kind": "changetest"},
            {"label": "heave", "kind": "statistics", "object": "FPSO", "variable": "Heave",
             "statistics": ["max"]},
        ]}},
        "outputs": {"directory": str(out), "formats": ["csv"]},
    })
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORCAPOST_", "CHANGETEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env.update(CHANGETEST_FILE=victim, CHANGETEST_MODE=mode)
    done = subprocess.run([sys.executable, "-m", "orcapost", "run", str(config), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr


REASONS = {
    "truncate": "the file changed while it was read: it is now {half} bytes, was {size}",
    "replace": "the file was replaced while it was read",
    "delete": "the file was deleted while it was read",
}


@pytest.mark.parametrize("executor", ["threads", "processes"])
@pytest.mark.parametrize("mode", [
    "truncate", pytest.param("replace", marks=POSIX), pytest.param("delete", marks=POSIX)])
def test_a_file_changed_mid_read_fails_that_file_and_the_run_goes_on(
        change_site, four, tmp_path, write_config, executor, mode):
    campaign = tmp_path / "campaign"
    shutil.copytree(four, campaign)
    files = sorted(campaign.glob("*.arrow"))
    victim = files[1]
    size = victim.stat().st_size
    code, err = _run(change_site, campaign, tmp_path / "out", write_config, executor, mode,
                     victim.name)
    assert code == 1, f"exit {code} (-7: SIGBUS):\n{err}"
    assert "Traceback" not in err
    table = pacsv.read_csv(tmp_path / "out" / "riser.csv").to_pydict()
    rows = dict(zip(table["path"], table["status"], strict=True))
    assert rows == {str(p): "failed" if p == victim else "ok" for p in files}
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert failures["path"] == [str(victim)]  # one row: the file's, not one per column
    reason = failures["reason"][0]
    assert REASONS[mode].format(half=size // 2, size=size) in reason, reason
    assert "its results are discarded" in reason
    # None of what was read from it reached the table.
    index = table["path"].index(str(victim))
    assert table["changed"][index] is None and table["heave"][index] is None


def test_the_memory_map_option_reads_the_same_values(change_site, four, tmp_path, write_config):
    """``memory_map: true`` is today's zero-copy read: same tables, when nothing changes."""
    tables = []
    for name, source in (("read", {}), ("mapped", {"memory_map": True})):
        code, err = _run(change_site, four, tmp_path / name, write_config, "threads", "none",
                         "no such file", **source)
        assert code == 0, err
        tables.append(pacsv.read_csv(tmp_path / name / "riser.csv").to_pydict())
    assert tables[0] == tables[1]


def test_the_reader_names_a_truncation_and_hands_out_read_only_arrays(four, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(reader, "WHOLE_READ_BYTES", 0)  # column by column, as a large file
    path = tmp_path / "one.arrow"
    shutil.copyfile(sorted(four.glob("*.arrow"))[0], path)
    size = path.stat().st_size
    with Archive(path) as archive:
        assert not archive.memory_map
        heave = archive.column("FPSO/Heave")
        assert not heave.flags.writeable
        os.truncate(path, size // 2)
        with pytest.raises(ArchiveFormatError) as caught:
            archive.column("Riser/Curvature")
        assert str(caught.value) == (f"the file changed while it was read: it is now {size // 2}"
                                     f" bytes, was {size} (column 'Riser/Curvature')")
        assert float(np.max(heave)) == float(np.max(archive.column("FPSO/Heave")))  # cached
    with pytest.raises(ResultFileError, match="not a readable orcapost archive"):
        ArchiveResultFile(path)  # opened truncated: the footer is gone


def test_the_source_turns_a_failed_read_into_a_file_error(four, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "WHOLE_READ_BYTES", 0)  # column by column, as a large file
    path = tmp_path / "one.arrow"
    shutil.copyfile(sorted(four.glob("*.arrow"))[0], path)
    with ArchiveResultFile(path) as file:
        file.sample_times()
        os.truncate(path, path.stat().st_size // 2)
        with pytest.raises(ResultFileError, match="the file changed while it was read"):
            file.raw_line_values("Riser", "Curvature")


def test_a_small_file_is_read_whole_when_opened(four, tmp_path):
    # One read at open: a later truncation no longer reaches its columns (the task's check
    # after close then fails the file), and no column read parses the footer again.
    path = tmp_path / "one.arrow"
    shutil.copyfile(sorted(four.glob("*.arrow"))[0], path)
    assert path.stat().st_size <= reader.WHOLE_READ_BYTES
    with Archive(path) as archive:
        before = np.array(archive.column("FPSO/Heave"))
        os.truncate(path, path.stat().st_size // 2)
        assert np.array_equal(archive.column("Riser/Curvature"), archive.column("Riser/Curvature"))
        assert np.array_equal(archive.column("FPSO/Heave"), before)
