"""Files orcapost writes atomically get the mode a plain open() gives: 0o666 less the umask for a
new file, the old mode for a file it replaces (a config migrated in place keeps its own)."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from helpers import LEGACY_CONFIG, statistics_config
from orcapost.atomic import atomic_open, atomic_path
from orcapost.cli import cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_mode_as_open_would(tmp_path, umask):
    with atomic_open(tmp_path / "table.csv") as handle:
        handle.write("a\n")
    with open(tmp_path / "plain.csv", "w") as handle:
        handle.write("a\n")
    assert _mode(tmp_path / "table.csv") == 0o666 & ~umask == _mode(tmp_path / "plain.csv")


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and _mode(target) == 0o640


def test_no_temporary_file_is_left_when_writing_fails(tmp_path):
    with pytest.raises(ZeroDivisionError), atomic_open(tmp_path / "t.csv") as handle:
        handle.write("partial")
        1 / 0  # noqa: B018
    assert list(tmp_path.iterdir()) == []


def test_a_run_writes_tables_and_report_readable_by_the_group(run_cli, campaign, tmp_path,
                                                             write_config, umask):
    out = tmp_path / "out"
    config = write_config(statistics_config(campaign, out))
    assert run_cli("run", config, "--quiet").exit_code == 0
    written = [p for p in out.iterdir() if p.suffix in (".csv", ".parquet", ".json")]
    assert {p.name for p in written} >= {"lines.csv", "vessel.parquet", "orcapost-run.json"}
    assert {p.name: _mode(p) for p in written} == {p.name: 0o666 & ~umask for p in written}


def test_migrate_in_place_keeps_the_config_mode(pm, run_cli, tmp_path, umask):
    pm.hook.orcapost_register_commands(cli=cli)
    path = tmp_path / "job.yml"
    path.write_text(LEGACY_CONFIG, encoding="utf-8")
    path.chmod(0o664)
    result = run_cli("migrate", path, "--in-place")
    assert result.exit_code == 0, result.output
    assert "rewritten in place" in result.output
    assert "version: 2" in path.read_text(encoding="utf-8")
    assert _mode(path) == 0o664


def test_a_run_replacing_its_tables_keeps_their_modes(run_cli, campaign, tmp_path, write_config,
                                                      umask):
    out = tmp_path / "out"
    config = write_config(statistics_config(campaign, out))
    assert run_cli("run", config, "--quiet").exit_code == 0
    (out / "lines.csv").chmod(0o640)
    (out / "vessel.parquet").chmod(0o604)
    assert run_cli("run", config, "--quiet").exit_code == 0
    assert _mode(out / "lines.csv") == 0o640 and _mode(out / "vessel.parquet") == 0o604
    assert _mode(out / "vessel.csv") == 0o666 & ~umask
