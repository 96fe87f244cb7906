"""Shards and merge: ``orcapost run --shard I/N`` takes a stable 1/N of the files, and ``orcapost
merge`` joins the shards into the tables one run over the whole campaign writes."""

from __future__ import annotations

import filecmp
import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml
from orcapost import hookimpl
from orcapost.names import JOURNAL_NAME, PARTIAL_FOLDER, RUN_REPORT_NAME, SHARD_RECORD_NAME
from orcapost.results import FileInfo
from orcapost.schemas.config import ColumnOptions
from orcapost.shards import Shard, parse_shard, relative_name, select, shard_of

TABLE_SUFFIXES = (".csv", ".parquet")


def _demo_config(campaign: Path, tmp_path: Path) -> Path:
    """orcapost's demo config (every extractor, campaign tables, CSV and Parquet) on
    ``campaign``, as a file."""
    text = resources.files("orcapost.configs").joinpath("demo.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["inputs"]["directory"] = str(campaign)
    data["outputs"]["directory"] = str(tmp_path / "default-output")
    data["engine"] = {"thread_policy": {"name": "fixed", "threads": 2}}
    path = tmp_path / "demo.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _tables(directory: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(directory.iterdir()) if p.suffix in TABLE_SUFFIXES}


@pytest.fixture
def shards(campaign, tmp_path, run_cli):
    """A full run and shards 0/3, 1/3, 2/3 of the demo config on the session campaign."""
    config = _demo_config(campaign, tmp_path)
    full = tmp_path / "full"
    assert run_cli("run", config, "--output", full, "-q").exit_code == 0
    folders = []
    for index in range(3):
        folder = tmp_path / f"shard{index}"
        result = run_cli("run", config, "--shard", f"{index}/3", "--output", folder, "-q")
        assert result.exit_code == 0, result.output
        folders.append(folder)
    return config, full, folders


# -- which files a shard takes ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["3/3", "0/0", "a/b", "1", "-1/3", "1/3/4", ""])
def test_a_bad_shard_is_exit_2_naming_the_form(text, run_cli, tmp_path):
    result = run_cli("run", tmp_path / "no-such-config.yml", "--shard", text)
    assert result.exit_code == 2
    assert "--shard" in result.output and "I/N" in result.output
    assert "Traceback" not in result.output


def test_parse_shard():
    assert parse_shard("2/5") == Shard(2, 5)
    assert parse_shard(" 0 / 1 ") == Shard(0, 1)
    assert str(parse_shard("1/3")) == "1/3"


def test_the_shard_of_a_path_is_pinned():
    # The hash is part of the shard format: shards run by different orcapost installs (a
    # Windows machine and a Linux node) must agree on it. sha256 of the relative path with
    # forward slashes, first 8 bytes big-endian, modulo N.
    # Hard-coded: computed once, so a change of the hash (or of the name's form) fails here.
    assert int.from_bytes(bytes.fromhex("c6493264a74b7a13"), "big") % 1000 == 139
    pinned = {"LC001_H000_Hs2.0_S01.arrow": (0, 5, 139), "sub/LC001.sim": (2, 4, 158),
              "LC001.SIM": (2, 5, 271), "LC001.sim": (0, 6, 612)}
    for name, expected in pinned.items():
        assert (shard_of(name, 3), shard_of(name, 7), shard_of(name, 1000)) == expected, name
    assert shard_of("a", 1) == 0


def test_windows_and_posix_paths_give_one_relative_name():
    assert relative_name(r"C:\campaign\sub\LC001.sim", "C:\\campaign") == "sub/LC001.sim"
    assert relative_name("/mnt/campaign/sub/LC001.sim", "/mnt/campaign/") == "sub/LC001.sim"
    assert relative_name("/mnt/campaign/sub/LC001.sim", "/mnt/campaign") == "sub/LC001.sim"


def test_shards_split_the_files_exactly_once_whatever_their_order(campaign):
    files = [FileInfo(campaign / f"sub{n % 3}" / f"LC{n:03d}.sim", 1) for n in range(300)]
    parts = [select(files, campaign, Shard(i, 4)) for i in range(4)]
    assert sorted(f.path for part in parts for f in part) == sorted(f.path for f in files)
    assert all(parts)  # 300 files into 4 shards: none is empty
    reordered = [select(list(reversed(files)), campaign, Shard(i, 4)) for i in range(4)]
    assert [set(p) for p in parts] == [set(p) for p in reordered]
    # Moved elsewhere (another machine's mount point), the files go to the same shards.
    moved = [FileInfo(Path("/elsewhere") / f.path.relative_to(campaign), 1) for f in files]
    assert [[f.path.name for f in p] for p in parts] == [
        [f.path.name for f in select(moved, Path("/elsewhere"), Shard(i, 4))] for i in range(4)]


# -- shard runs -------------------------------------------------------------------------------

def test_a_shard_runs_its_files_and_records_itself(shards, campaign):
    _config, _full, folders = shards
    everything = sorted(p.name for p in campaign.glob("*.arrow"))
    seen = []
    for index, folder in enumerate(folders):
        report = json.loads((folder / RUN_REPORT_NAME).read_text())
        record = json.loads((folder / SHARD_RECORD_NAME).read_text())
        assert report["shard"] == f"{index}/3" == record["shard"]
        assert report["config_fingerprint"] == record["fingerprint"]
        assert len(report["config_fingerprint"]) == 64
        files = sorted(Path(row["file"]).name for row in report["files"])
        assert files == record["files"]
        assert all(shard_of(name, 3) == index for name in files)
        seen.extend(files)
        header = json.loads((folder / JOURNAL_NAME).read_text().splitlines()[0])
        assert header["shard"] == f"{index}/3"
        assert header["shard_fingerprint"] == record["fingerprint"]
        # A shard holds part of the campaign: no campaign table is written over it.
        assert not (folder / "riser_lifetime_damage.csv").exists()
        assert (folder / "riser.csv").exists()
    assert sorted(seen) == everything
    assert len({json.loads((f / SHARD_RECORD_NAME).read_text())["fingerprint"]
                for f in folders}) == 1


def test_a_run_without_shard_removes_a_shard_record(shards, run_cli):
    config, _full, folders = shards
    assert run_cli("run", config, "--output", folders[0], "-q").exit_code == 0
    assert not (folders[0] / SHARD_RECORD_NAME).exists()
    assert run_cli("merge", *folders, "--output", folders[0].parent / "m").exit_code == 2


# -- merge ------------------------------------------------------------------------------------

def test_merged_shards_write_the_tables_of_one_run(shards, run_cli, tmp_path):
    _config, full, folders = shards
    merged = tmp_path / "merged"
    result = run_cli("merge", *folders, "--output", merged)
    assert result.exit_code == 0, result.output
    expected, got = _tables(full), _tables(merged)
    assert set(got) == set(expected)
    assert "riser_lifetime_damage.parquet" in got  # campaign tables included
    for name, path in expected.items():
        assert filecmp.cmp(path, got[name], shallow=False), name
    report = json.loads((merged / RUN_REPORT_NAME).read_text())
    assert report["result_set"]["complete"] is True
    assert [m["shard"] for m in report["merged_from"]] == ["0/3", "1/3", "2/3"]
    assert report["summary"]["files"] == report["summary"]["ok"] == 8
    assert not (merged / SHARD_RECORD_NAME).exists()
    assert not (merged / PARTIAL_FOLDER).exists()


def test_resume_from_a_merged_folder_reuses_every_file(shards, run_cli, tmp_path):
    config, _full, folders = shards
    merged = tmp_path / "merged"
    assert run_cli("merge", *folders, "--output", merged, "-q").exit_code == 0
    result = run_cli("run", config, "--output", merged, "--resume", "-q")
    assert result.exit_code == 0, result.output
    reused = json.loads((merged / RUN_REPORT_NAME).read_text())["summary"]["reused"]
    assert reused["files"] == 8


def test_a_merged_journal_holds_the_shared_texts_its_entries_name(shards, run_cli, tmp_path):
    """Journal format 4 writes a layout's names and units once (shared texts): the merged
    journal must carry them, or its entries would not read back and --resume would compute
    every file again. (Without the run report the set is not confirmed unchanged: the
    journal's cells are read.)"""
    config, _full, folders = shards
    merged = tmp_path / "merged"
    assert run_cli("merge", *folders, "--output", merged, "-q").exit_code == 0
    lines = [json.loads(line) for line in
             (merged / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()]
    named = {packed[part]["text"] for line in lines if "cells" in line
             for packed in line["cells"].values() for part in ("names", "units")
             if isinstance(packed.get(part), dict)}
    assert named and named <= {line["journal_text"] for line in lines if "journal_text" in line}
    (merged / RUN_REPORT_NAME).unlink()
    result = run_cli("run", config, "--output", merged, "--resume", "-q")
    assert result.exit_code == 0, result.output
    reused = json.loads((merged / RUN_REPORT_NAME).read_text())["summary"]["reused"]
    assert reused["files"] == 8


def test_a_missing_shard_is_refused(shards, run_cli, tmp_path):
    _config, _full, folders = shards
    result = run_cli("merge", folders[0], folders[2], "--output", tmp_path / "m")
    assert result.exit_code == 2
    assert "shard 1/3 is missing" in result.output
    assert not (tmp_path / "m").exists()


def test_a_duplicated_shard_is_refused(shards, run_cli, tmp_path):
    _config, _full, folders = shards
    copy = tmp_path / "copy-of-shard1"
    shutil.copytree(folders[1], copy)
    result = run_cli("merge", *folders, copy, "--output", tmp_path / "m")
    assert result.exit_code == 2
    assert "shard 1/3 is given twice" in result.output and str(copy) in result.output
    result = run_cli("merge", folders[0], folders[1], folders[1], folders[2],
                     "--output", tmp_path / "m")
    assert result.exit_code == 2 and "given twice" in result.output


def test_a_file_in_two_shards_is_refused(shards, run_cli, tmp_path):
    _config, _full, folders = shards
    record_path = folders[2] / SHARD_RECORD_NAME
    record = json.loads(record_path.read_text())
    stolen = json.loads((folders[0] / SHARD_RECORD_NAME).read_text())["files"][0]
    record["files"].append(stolen)
    record_path.write_text(json.dumps(record))
    result = run_cli("merge", *folders, "--output", tmp_path / "m")
    assert result.exit_code == 2
    assert f"file {stolen} is in two shards" in result.output


def test_shards_of_another_config_are_refused(shards, run_cli, tmp_path, campaign):
    config, _full, folders = shards
    data = yaml.safe_load(config.read_text())
    data["results"]["mooring"]["columns"][0]["label"] = "renamed"
    other = tmp_path / "other.yml"
    other.write_text(yaml.safe_dump(data))
    assert run_cli("run", other, "--shard", "1/3", "--output", tmp_path / "o1",
                   "-q").exit_code == 0
    result = run_cli("merge", folders[0], tmp_path / "o1", folders[2], "--output",
                     tmp_path / "m")
    assert result.exit_code == 2 and "config fingerprint" in result.output


def test_another_thread_count_or_output_folder_still_merges(shards, run_cli, tmp_path):
    config, full, folders = shards
    again = tmp_path / "threads1"
    assert run_cli("run", config, "--shard", "1/3", "--threads", "1", "--output", again,
                   "-q").exit_code == 0
    merged = tmp_path / "m"
    assert run_cli("merge", folders[0], again, folders[2], "--output", merged,
                   "-q").exit_code == 0
    assert all(filecmp.cmp(p, merged / name, shallow=False)
               for name, p in _tables(full).items())


class _StopAfterOne:
    """Ctrl-C once the first file is done: the shard's run ends with a partial set."""

    @hookimpl
    def orcapost_file_done(self, replayed):
        raise KeyboardInterrupt


def test_a_partial_shard_is_refused_naming_it(shards, run_cli, pm, tmp_path):
    config, _full, folders = shards
    partial = tmp_path / "partial-shard1"
    pm.register(_StopAfterOne(), name="stop-after-one")
    result = run_cli("run", config, "--shard", "1/3", "--output", partial, "-q",
                     "--threads", "1")
    pm.unregister(name="stop-after-one")
    assert result.exit_code == 130, result.output
    assert (partial / PARTIAL_FOLDER / RUN_REPORT_NAME).is_file()
    result = run_cli("merge", folders[0], partial, folders[2], "--output", tmp_path / "m")
    assert result.exit_code == 2
    assert f"shard {partial} (1/3) ended partial" in result.output
    assert "--resume" in result.output
    # Completed with --resume, the shard merges.
    assert run_cli("run", config, "--shard", "1/3", "--output", partial, "--resume",
                   "-q").exit_code == 0
    assert run_cli("merge", folders[0], partial, folders[2], "--output", tmp_path / "m",
                   "-q").exit_code == 0


def test_a_folder_that_is_no_shard_is_refused(shards, run_cli, tmp_path):
    _config, full, folders = shards
    result = run_cli("merge", folders[0], full, folders[2], "--output", tmp_path / "m")
    assert result.exit_code == 2
    assert f"{full.resolve()}: not a shard's output folder" in result.output


def test_merging_into_a_shard_folder_is_refused(shards, run_cli):
    _config, _full, folders = shards
    result = run_cli("merge", *folders, "--output", folders[1])
    assert result.exit_code == 2 and "is one of the shard folders" in result.output


def test_a_shard_without_files_runs_and_says_so(campaign, tmp_path, run_cli):
    config = _demo_config(campaign, tmp_path)
    names = [p.name for p in campaign.glob("*.arrow")]
    count = 4 * len(names)  # more shards than files: some shards hold none
    empty = next(i for i in range(count) if all(shard_of(n, count) != i for n in names))
    out = tmp_path / "empty"
    result = run_cli("run", config, "--shard", f"{empty}/{count}", "--output", out, "-q")
    assert result.exit_code == 0, result.output
    record = json.loads((out / SHARD_RECORD_NAME).read_text())
    assert record["files"] == [] and record["campaign"]["files"] == len(names)
    report = json.loads((out / RUN_REPORT_NAME).read_text())
    assert report["summary"]["files"] == 0 and report["result_set"]["complete"] is True


def test_a_shard_whose_journal_moved_on_after_its_complete_run_is_refused(campaign, tmp_path,
                                                                        run_cli):
    """A shard's later run that died before its run report (killed, the node lost): the record
    and journal are the new run's, the report still the last complete run's. The merge took
    the journal's entries -- a set no run of the shard ever published -- as complete."""
    import os

    own = tmp_path / "campaign"
    shutil.copytree(campaign, own)
    config = _demo_config(own, tmp_path)
    folders = [tmp_path / f"s{index}" for index in range(2)]
    for index, folder in enumerate(folders):
        assert run_cli("run", config, "--shard", f"{index}/2", "--output", folder,
                       "-q").exit_code == 0
    report = (folders[1] / RUN_REPORT_NAME).read_bytes()
    name = json.loads((folders[1] / SHARD_RECORD_NAME).read_text())["files"][0]
    changed = own / name
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert run_cli("run", config, "--shard", "1/2", "--output", folders[1], "--resume",
                   "-q").exit_code == 0
    (folders[1] / RUN_REPORT_NAME).write_bytes(report)  # as if it died before the report
    result = run_cli("merge", *folders, "--output", tmp_path / "m")
    assert result.exit_code == 2, result.output
    assert f"shard {folders[1].resolve()} (1/2)" in result.output
    assert "journal" in result.output and "--resume" in result.output
    assert not (tmp_path / "m").exists()


class _WarnsColumn(ColumnOptions):
    pass


def _warns_plugin():
    import warnings

    from orcapost.components import Extractor

    class Warns(Extractor):
        name = "warns_in_shards"
        Options = _WarnsColumn

        def extract(self, file, column):
            warnings.warn("a column's doubt", UserWarning, stacklevel=1)
            return {column.label: 1.0}

    class Plugin:
        @hookimpl
        def orcapost_register_extractors(self, register):
            register(Warns)

    return Plugin()


def test_the_merged_report_counts_the_shards_warnings(pm, campaign, tmp_path, run_cli):
    """The merged run report listed every file's warnings but its summary counted none (0),
    unlike a single run's over the campaign."""
    from helpers import statistics_config

    pm.register(_warns_plugin(), name="warns-in-shards")
    data = statistics_config(campaign, tmp_path / "full")
    data["results"]["extra"] = {"columns": [{"label": "w", "kind": "warns_in_shards"}]}
    config = tmp_path / "warns.yml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert run_cli("run", config, "-q").exit_code == 0
    folders = [tmp_path / f"s{index}" for index in range(2)]
    for index, folder in enumerate(folders):
        assert run_cli("run", config, "--shard", f"{index}/2", "--output", folder,
                       "-q").exit_code == 0
    assert run_cli("merge", *folders, "--output", tmp_path / "m", "-q").exit_code == 0
    full = json.loads((tmp_path / "full" / RUN_REPORT_NAME).read_text())
    merged = json.loads((tmp_path / "m" / RUN_REPORT_NAME).read_text())
    assert len(merged["warnings"]) == len(full["warnings"]) == 8
    assert merged["summary"]["warnings"] == full["summary"]["warnings"] == 8


def test_a_merge_output_that_cannot_be_made_is_a_clear_error(shards, run_cli, tmp_path):
    """--output naming a file (or a folder without permission) was an internal error, exit 3
    ('please report it'): it is the machine's answer, exit 2 naming the folder."""
    _config, _full, folders = shards
    taken = tmp_path / "a-file"
    taken.write_text("not a folder", encoding="utf-8")
    result = run_cli("merge", *folders, "--output", taken / "merged")
    assert result.exit_code == 2, result.output
    assert f"{taken / 'merged'}" in result.output and "cannot be created" in result.output


def test_a_shard_run_into_another_shard_s_or_a_whole_run_s_folder_is_refused(shards, run_cli):
    """An array job giving every shard one --output: shard 1's run replaced shard 0's tables
    with its own rows (and, without --resume, restarted its journal), so shard 0's results were
    lost; into a whole run's folder it replaced the campaign's tables with one shard's rows
    beside the old campaign tables. Refused before anything is written."""
    config, full, folders = shards
    before = {name: path.read_bytes() for name, path in _tables(folders[0]).items()}
    journal = (folders[0] / JOURNAL_NAME).read_bytes()
    result = run_cli("run", config, "--shard", "1/3", "--output", folders[0], "-q")
    assert result.exit_code == 2, result.output
    assert "shard 0/3" in result.output and "--output" in result.output
    assert {name: path.read_bytes() for name, path in _tables(folders[0]).items()} == before
    assert (folders[0] / JOURNAL_NAME).read_bytes() == journal
    assert json.loads((folders[0] / SHARD_RECORD_NAME).read_text())["shard"] == "0/3"
    whole = {name: path.read_bytes() for name, path in _tables(full).items()}
    result = run_cli("run", config, "--shard", "1/3", "--output", full, "-q")
    assert result.exit_code == 2, result.output
    assert "whole campaign" in result.output
    assert {name: path.read_bytes() for name, path in _tables(full).items()} == whole
    # The same shard again, and --resume, run as before.
    assert run_cli("run", config, "--shard", "0/3", "--output", folders[0], "--resume",
                   "-q").exit_code == 0
