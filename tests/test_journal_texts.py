"""Journal format 4's shared texts (a layout's names and units written once) under the
journal's own failures: a write that fails, a line a kill cut short, a text that is valid JSON
but no UTF-8. Each must leave the entries written after it reusable, never crash a resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from orcapost.fingerprints import RunFingerprints, file_identity
from orcapost.journal import JOURNAL_NAME, TEXT_KEY, Journal
from orcapost.results import FileInfo, FileResult

NAMES = [[f"channel_{i:03d} max", f"channel_{i:03d} min"] for i in range(20)]
PRINTS = RunFingerprints(config="c", versions={}, columns={"g": [f"fp{i}" for i in range(20)]},
                         readers={".sim": "r"})


def _file(directory: Path, n: int) -> FileInfo:
    path = directory / f"f{n}.sim"
    path.write_bytes(b"x" * (100 + n))
    return FileInfo(path=path, size=path.stat().st_size)


def _result(file: FileInfo) -> FileResult:
    values = {name: i + 0.5 for i, name in enumerate(n for column in NAMES for n in column)}
    return FileResult(path=str(file.path), size=file.size, values={"g": values},
                      units={"g": dict.fromkeys(values, "kN")},
                      identity=file_identity(file.path),
                      outputs={"g": [list(column) for column in NAMES]})


def _reusable(directory: Path, files: list[FileInfo]) -> list[str]:
    return sorted(Path(p).name for p in Journal(directory).reusable(files, PRINTS))


def test_entries_after_a_failed_write_carry_their_texts_again(tmp_path):
    """A write that fails (a full disk for a moment: the run goes on) loses its batch, shared
    texts included; the layout's later entries must write them again, or none of them would
    read back."""
    files = [_file(tmp_path, n) for n in range(4)]
    journal = Journal(tmp_path)
    journal.start(keep=False, fingerprints=PRINTS)
    journal.append(_result(files[0]))
    write = journal._handle.write

    def full_disk(text):
        raise OSError(28, "No space left on device")

    journal._handle.write = full_disk
    try:
        journal.flush()
    except OSError:
        pass
    journal._handle.write = write
    for file in files[1:]:
        journal.append(_result(file))
    journal.close()
    assert _reusable(tmp_path, files) == ["f1.sim", "f2.sim", "f3.sim"]


def test_a_resumed_run_does_not_glue_its_header_to_a_line_cut_short(tmp_path):
    files = [_file(tmp_path, n) for n in range(3)]
    journal = Journal(tmp_path)
    journal.start(keep=False, fingerprints=PRINTS)
    for file in files[:2]:
        journal.append(_result(file))
    journal.close()
    path = tmp_path / JOURNAL_NAME
    path.write_text(path.read_text(encoding="utf-8") + '{"run": "cut sh', encoding="utf-8")
    again = Journal(tmp_path)
    again.start(keep=True, fingerprints=PRINTS)  # --resume: the journal is kept
    again.append(_result(files[2]))
    again.close()
    assert _reusable(tmp_path, files) == ["f0.sim", "f1.sim", "f2.sim"]


def test_a_text_that_is_no_utf_8_is_no_crash(tmp_path):
    """A lone surrogate is valid JSON but no UTF-8: the line is read (its hash taken as it
    is) and, naming no entry's text, changes nothing; the resume does not fail."""
    files = [_file(tmp_path, 0)]
    journal = Journal(tmp_path)
    journal.start(keep=False, fingerprints=PRINTS)
    journal.append(_result(files[0]))
    journal.close()
    path = tmp_path / JOURNAL_NAME
    odd = json.dumps({TEXT_KEY: "abc", "text": "\ud800"})
    path.write_text(path.read_text(encoding="utf-8") + odd + "\n", encoding="utf-8")
    assert _reusable(tmp_path, files) == ["f0.sim"]
    headers, last = Journal(tmp_path).last_lines()  # orcapost merge reads it so
    assert len(last) == 1


def _journal_of(directory: Path, files: list[FileInfo]) -> Path:
    journal = Journal(directory)
    journal.start(keep=False, fingerprints=PRINTS)
    for file in files:
        journal.append(_result(file))
    journal.close()
    return directory / JOURNAL_NAME





@pytest.mark.parametrize("damage", [
    b"\xff\xfe\n",                                   # bytes that are no UTF-8
    b'{"result": [1]}\n',                            # a result that is no object
    b'{"journal": 4, "run": []}\n',                  # a run id that is no string
    b'{"journal": 4, "run": "r", "readers": "x"}\n',  # readers that are no mapping
    b'{"run": "r", "result": {"path": 5}}\n',        # a path that is no string
])
def test_a_damaged_or_hand_edited_line_costs_only_itself(tmp_path, damage):
    """Each of these crashed --resume and merge with an internal error (exit 3): the line is
    skipped as a cut one is, and every other entry is reused."""
    files = [_file(tmp_path, n) for n in range(3)]
    path = _journal_of(tmp_path, files)
    with open(path, "ab") as handle:
        handle.write(damage)
    assert _reusable(tmp_path, files) == ["f0.sim", "f1.sim", "f2.sim"]
    journal = Journal(tmp_path)
    headers, last = journal.last_lines()
    assert sorted(Path(p).name for p in last) == ["f0.sim", "f1.sim", "f2.sim"]
    assert len(journal.journaled_paths()) == 3


def test_an_entry_whose_inside_is_damaged_is_computed_again(tmp_path):
    """An entry of the right kind with cells that are no mapping: that file only is run again."""
    files = [_file(tmp_path, n) for n in range(3)]
    path = _journal_of(tmp_path, files)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        entry = json.loads(line)
        if entry.get("result", {}).get("path") == str(files[1].path):
            entry["cells"] = [1, 2]
            lines[i] = json.dumps(entry) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert _reusable(tmp_path, files) == ["f0.sim", "f2.sim"]
