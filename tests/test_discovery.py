"""Discovery: suffixes match whatever their case, unreadable entries come back with a reason
(and become failed rows), and patterns never reach outside inputs.directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pyarrow.csv as pacsv
import pytest
from helpers import first_archive, statistics_config
from orcapost.discovery import discover
from orcapost.schemas.config import InputsConfig

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="links and FIFOs as on POSIX")
not_root = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                              reason="root reads files whatever their permissions")


def _inputs(directory, **options) -> InputsConfig:
    return InputsConfig(directory=directory, **options)


def _names(files) -> list[str]:
    return [f.name for f in files]


def _touch(path, size=10):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def test_suffixes_and_filters_match_whatever_their_case(tmp_path):
    for name in ("a.arrow", "B.ARROW", "c.Arrow", "d.txt"):
        _touch(tmp_path / name)
    assert _names(discover(_inputs(tmp_path), tmp_path)) == ["B.ARROW", "a.arrow", "c.Arrow"]
    kept = discover(_inputs(tmp_path, include=["B*"], exclude=["*.ARROW"]), tmp_path)
    assert _names(kept) == []
    kept = discover(_inputs(tmp_path, include=["b*", "C*"]), tmp_path)
    assert _names(kept) == ["B.ARROW", "c.Arrow"]


def test_sub_folders_by_pattern_or_recursively_and_hidden_files_skipped(tmp_path):
    _touch(tmp_path / "top.arrow")
    _touch(tmp_path / ".hidden.arrow")
    _touch(tmp_path / "sub" / "one.arrow")
    _touch(tmp_path / "sub" / "deeper" / "two.ARROW")
    (tmp_path / "folder.arrow").mkdir()  # a folder is not a result file
    assert _names(discover(_inputs(tmp_path), tmp_path)) == ["top.arrow"]
    assert _names(discover(_inputs(tmp_path, patterns=["sub/*.arrow"]), tmp_path)) == ["one.arrow"]
    assert _names(discover(_inputs(tmp_path, patterns=["sub\\*\\*.arrow"]), tmp_path)) == \
        ["two.ARROW"]
    everything = ["one.arrow", "top.arrow", "two.ARROW"]
    assert sorted(_names(discover(_inputs(tmp_path, recursive=True), tmp_path))) == everything
    assert sorted(_names(discover(_inputs(tmp_path, patterns=["**/*.arrow"]), tmp_path))) == \
        everything


@posix_only
def test_a_link_back_up_the_tree_is_walked_once(tmp_path):
    _touch(tmp_path / "sub" / "one.arrow")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = discover(_inputs(tmp_path, recursive=True), tmp_path)
    assert _names(found) == ["one.arrow"]


@posix_only
def test_entries_that_cannot_be_read_come_back_with_a_reason(tmp_path):
    _touch(tmp_path / "good.arrow", 100)
    (tmp_path / "dangling.arrow").symlink_to(tmp_path / "gone.arrow")
    os.mkfifo(tmp_path / "pipe.arrow")
    (tmp_path / "linked.arrow").symlink_to(tmp_path / "good.arrow")
    found = {f.name: f for f in discover(_inputs(tmp_path, min_size="50B"), tmp_path)}
    assert set(found) == {"good.arrow", "linked.arrow", "dangling.arrow", "pipe.arrow"}
    assert found["good.arrow"].reason is None and found["good.arrow"].size == 100
    assert found["linked.arrow"].reason is None and found["linked.arrow"].size == 100
    assert "dangling link" in found["dangling.arrow"].reason
    assert "gone.arrow" in found["dangling.arrow"].reason
    assert found["pipe.arrow"].reason.startswith("not a regular file (a FIFO)")


@posix_only
@not_root
def test_unreadable_files_and_folders_come_back_with_a_reason(tmp_path):
    _touch(tmp_path / "locked.arrow").chmod(0)
    _touch(tmp_path / "closed" / "inside.arrow")
    (tmp_path / "closed").chmod(0)
    try:
        found = {f.name: f for f in discover(_inputs(tmp_path, recursive=True), tmp_path)}
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert found["locked.arrow"].reason == "permission denied: the file cannot be read"
    assert "folder cannot be listed" in found["closed"].reason


@posix_only
def test_a_run_gives_unreadable_entries_failed_rows_with_the_reason(run_cli, campaign, tmp_path,
                                                                   write_config):
    inputs = tmp_path / "campaign"
    inputs.mkdir()
    shutil.copy(first_archive(campaign), inputs / "CASE1.ARROW")
    (inputs / "dangling.arrow").symlink_to(inputs / "gone.arrow")
    os.mkfifo(inputs / "pipe.arrow")
    out = tmp_path / "out"
    result = run_cli("run", write_config(statistics_config(inputs, out)), "--quiet")
    assert result.exit_code == 1, result.output
    rows = {r["file"]: r["status"] for r in pacsv.read_csv(out / "lines.csv").to_pylist()}
    assert rows == {"CASE1.ARROW": "ok", "dangling.arrow": "failed", "pipe.arrow": "failed"}
    reasons = {r["file"]: r["reason"] for r in pacsv.read_csv(out / "failures.csv").to_pylist()}
    assert "dangling link" in reasons["dangling.arrow"]
    assert "FIFO" in reasons["pipe.arrow"]


@pytest.mark.parametrize(("key", "entry", "problem"), [
    ("patterns", "../../other/*.arrow", "goes up with '..'"),
    ("patterns", "sub/../../*.arrow", "goes up with '..'"),
    ("patterns", "/data/*.arrow", "is absolute"),
    ("patterns", "C:\\\\runs\\\\*.sim", "is absolute"),
    ("patterns", "\\\\\\\\server\\\\share\\\\*.sim", "is absolute"),
])
def test_an_entry_leaving_the_input_folder_is_a_located_config_error(tmp_path, key, entry,
                                                                     problem):
    path = tmp_path / "escape.yml"
    path.write_text(
        "version: 2\n"
        "inputs:\n"
        "  directory: campaign\n"
        f"  {key}: [\"{entry}\"]\n"
        "results: {g: {columns: [{label: x, kind: statistics, object: a, variable: b, "
        "statistics: [max]}]}}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "orcapost", "validate", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"{path}:4: inputs.{key}" in done.stderr and problem in done.stderr
    assert "set inputs.directory to the folder that holds the files" in done.stderr
    assert "Traceback" not in done.stderr


def test_names_with_dots_are_not_mistaken_for_going_up(tmp_path):
    inputs = InputsConfig(directory=tmp_path, patterns=["..case*.arrow", "run..1/*.arrow"])
    assert inputs.patterns == ["..case*.arrow", "run..1/*.arrow"]


def test_profile_refuses_a_pattern_leaving_its_folder_with_a_message(tmp_path):
    done = subprocess.run([sys.executable, "-m", "orcapost", "profile", str(tmp_path),
                           "--pattern", "../*.arrow"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "--pattern: patterns entry '../*.arrow' goes up with '..'" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_file_without_read_permission_is_reported_not_read(tmp_path, monkeypatch):
    # Stands in for chmod 0 where the tests run as root (who may read anything).
    import orcapost.discovery as discovery

    _touch(tmp_path / "locked.arrow")
    _touch(tmp_path / "open.arrow")
    monkeypatch.setattr(discovery.os, "access",
                        lambda path, mode: not str(path).endswith("locked.arrow"))
    found = {f.name: f.reason for f in discover(_inputs(tmp_path), tmp_path)}
    assert found == {"locked.arrow": "permission denied: the file cannot be read",
                     "open.arrow": None}


def test_only_folders_a_pattern_can_reach_into_are_listed(tmp_path, monkeypatch):
    # An unrelated folder that cannot be listed (a Windows drive's "System Volume Information")
    # is no failed row of a run whose patterns never reach into it; nor is it listed at all.
    import orcapost.discovery as discovery

    _touch(tmp_path / "sub" / "one.arrow")
    _touch(tmp_path / "sub" / "deeper" / "two.arrow")
    _touch(tmp_path / "other" / "three.arrow")
    listed = []
    real_scandir = os.scandir

    def scandir(folder):
        listed.append(os.path.basename(folder))
        if os.path.basename(folder) == "other":
            raise PermissionError(13, "Permission denied")
        return real_scandir(folder)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    found = discover(_inputs(tmp_path, patterns=["sub/*.arrow"]), tmp_path)
    assert [(f.name, f.reason) for f in found] == [("one.arrow", None)]
    assert sorted(listed[1:]) == ["sub"]
    found = discover(_inputs(tmp_path, patterns=["s*/**/*.arrow"]), tmp_path)
    assert sorted(_names(found)) == ["one.arrow", "two.arrow"]
    found = discover(_inputs(tmp_path, patterns=["sub/**"]), tmp_path)
    assert sorted(_names(found)) == ["one.arrow", "two.arrow"]
    found = {f.name: f.reason for f in discover(_inputs(tmp_path, recursive=True), tmp_path)}
    assert "folder cannot be listed" in found["other"]  # recursive: every folder may hold files
