"""Journal format 3 packs each file's cells (orcapost.journal.pack_cells): they must read back
exactly as written (types, NaN, -0.0, extra tables, units), a packed entry that does not read
back whole must be computed again, and journals of format 2 (written before the cells were
packed, on users' disks) must still be reused by --resume. Format 4 writes a layout's names
and units once (shared texts): a journal of format 3 (every entry with its own) is reused as
before, and an entry whose shared text is missing is computed again."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from orcapost.journal import (
    JOURNAL_NAME,
    TEXT_KEY,
    _json_value,
    pack_cells,
    unpack_cells,
    unpacked,
)
from orcapost.tables import extra_table
from test_resume import _config, _fresh, _run, _tables, watch  # noqa: F401  (fixture)

FILES = 8


def _round_trip(names, values, units=None):
    packed, flat = pack_cells(names, values, units)
    cells, got_units = unpack_cells(json.loads(json.dumps(packed, default=_json_value)))
    return packed, flat, cells, got_units


def test_floats_read_back_bit_for_bit():
    values = {"a": 0.1, "b": -0.0, "c": math.nan, "d": math.inf, "e": np.float64(1 / 3),
              "f": 5e-324, "g": 1.7976931348623157e308}
    packed, _, cells, _ = _round_trip([list(values)], values)
    assert "other" not in packed  # every value a float: bytes only
    got = cells[0]
    assert list(got) == list(values)
    assert all(type(v) is float for v in got.values())
    assert [np.float64(v).tobytes() for v in got.values()] == [
        np.float64(v).tobytes() for v in values.values()]


def test_values_that_are_no_floats_keep_their_json_value():
    table = extra_table("env", {"x": [1.0, 2.0]})
    values = {"i": 3, "t": "text", "n": None, "flag": True, "tab": table, "x": 2.5,
              "f32": np.float32(0.5)}
    _, _, cells, _ = _round_trip([["i", "t"], ["n", "flag", "tab", "x", "f32"]], values)
    assert cells == [{"i": 3, "t": "text"},
                     {"n": None, "flag": True, "tab": table, "x": 2.5, "f32": 0.5}]
    assert type(cells[0]["i"]) is int and type(cells[1]["flag"]) is bool


def test_columns_names_and_units_in_any_order_or_shape():
    values = {"b": 2.0, "a": 1.0, "odd\x00name": 3.0}  # not in column order; a NUL in a name
    units = {"b": "kN", "a": "m", "odd\x00name": "s"}
    packed, flat, cells, got_units = _round_trip([["a"], None, ["b", "missing"],
                                                  ["odd\x00name"]], values, units)
    assert cells == [{"a": 1.0}, {}, {"b": 2.0}, {"odd\x00name": 3.0}]
    assert flat == ["a", "b", "odd\x00name"]
    assert isinstance(packed["names"], list)  # the separator is in a name: kept as a list
    assert "units" not in packed and got_units is None  # not in the names' order: left alone
    packed, _, _, got_units = _round_trip([["a", "b"]], {"a": 1.0, "b": 2.0},
                                          {"a": "m", "b": "kN"})
    assert packed["units"] == "m\x00kN" and got_units == {"a": "m", "b": "kN"}


def test_a_group_of_no_columns_packs_no_cell_and_attributes_none():
    # Its values are then the entry's "other", as in format 2 (this raised UnboundLocalError
    # and the file's journal line was lost).
    packed, flat, cells, _ = _round_trip([], {"x": 1.0}, None)
    assert flat == [] and cells == [] and packed["sizes"] == []


def test_inconsistent_packed_cells_are_refused():
    packed, _ = pack_cells([["a", "b"]], {"a": 1.0, "b": 2.0}, None)
    with pytest.raises(ValueError):
        unpack_cells({**packed, "floats": packed["floats"][:-4]})
    with pytest.raises(ValueError):
        unpack_cells({**packed, "sizes": [3]})
    assert unpacked({"result": {}, "cells": {"g": {**packed, "floats": "@@"}}},
                    {"journal": 3}) is None


def _lines(out):
    return [json.loads(line) for line in
            (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()]


def _texts(lines):
    return {line[TEXT_KEY]: line["text"] for line in lines if TEXT_KEY in line}


def _entries(lines):
    return [line for line in lines if "result" in line]


def test_a_format_2_journal_is_reused_whole(pm, campaign, tmp_path, watch):  # noqa: F811
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    lines = _lines(out)
    header = lines[0]
    assert header["journal"] == 4
    # The journal as orcapost wrote it before format 3: a dict per column, units in the result.
    old = [{**header, "journal": 2}]
    for entry in _entries(lines):
        entry = unpacked(entry, header, _texts(lines))
        assert entry is not None
        old.append(entry)
    text = "".join(json.dumps(e) + "\n" for e in old)
    assert '"names"' not in text
    (out / JOURNAL_NAME).write_text(text, encoding="utf-8")
    (out / "orcapost-run.json").unlink()  # not an unchanged set: the journal is read
    watch.opened.clear()
    engine = _run(pm, config, tmp_path, resume=True)
    assert watch.opened == []
    assert engine.report["summary"]["reused"]["files"] == FILES
    assert _tables(out) == _fresh(pm, config, tmp_path)


def test_a_format_3_journal_is_reused_whole(pm, campaign, tmp_path, watch):  # noqa: F811
    """Format 3, on users' disks: every entry with its names and units, no shared text."""
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    lines = _lines(out)
    texts = _texts(lines)
    old = [{**lines[0], "journal": 3}]
    for entry in _entries(lines):
        for packed in entry["cells"].values():
            for part in ("names", "units"):
                if isinstance(packed.get(part), dict):
                    packed[part] = texts[packed[part]["text"]]
        old.append(entry)
    text = "".join(json.dumps(e) + "\n" for e in old)
    assert TEXT_KEY not in text
    (out / JOURNAL_NAME).write_text(text, encoding="utf-8")
    (out / "orcapost-run.json").unlink()
    watch.opened.clear()
    engine = _run(pm, config, tmp_path, resume=True)
    assert watch.opened == []
    assert engine.report["summary"]["reused"]["files"] == FILES
    assert _tables(out) == _fresh(pm, config, tmp_path)


def test_an_entry_whose_shared_text_is_missing_is_computed_again(pm, campaign, tmp_path,
                                                                 watch):  # noqa: F811
    """A journal cut or edited so that a shared text is gone: the entries naming it do not
    read back whole, so their files are computed again; the others are reused."""
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    lines = _lines(out)
    entries = _entries(lines)
    key = entries[0]["cells"]["vessel"]["names"]["text"]
    kept = [line for line in lines if line.get(TEXT_KEY) != key]
    assert len(kept) == len(lines) - 1
    entries[0]["cells"]["vessel"]["names"] = {"text": "0" * 24}  # a key no line defines
    (out / JOURNAL_NAME).write_text("".join(json.dumps(e) + "\n" for e in kept),
                                    encoding="utf-8")
    (out / "orcapost-run.json").unlink()
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert len(watch.opened) == FILES  # every entry named the text that is gone
    assert _tables(out) == _fresh(pm, config, tmp_path)


def test_an_edited_shared_text_is_no_entry_s_text(pm, campaign, tmp_path, watch):  # noqa: F811
    """A shared text's key is its hash: a text edited since (here two names swapped, the same
    count) is refused, so no entry reads back under the wrong names; its files are computed
    again and the tables are a fresh run's."""
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    lines = _lines(out)
    key = _entries(lines)[0]["cells"]["vessel"]["names"]["text"]
    for line in lines:
        if line.get(TEXT_KEY) == key:
            names = line["text"].split("\x00")
            names[0], names[1] = names[1], names[0]
            line["text"] = "\x00".join(names)
    (out / JOURNAL_NAME).write_text("".join(json.dumps(e) + "\n" for e in lines),
                                    encoding="utf-8")
    (out / "orcapost-run.json").unlink()
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert len(watch.opened) == FILES
    assert _tables(out) == _fresh(pm, config, tmp_path)


def test_a_damaged_packed_entry_is_computed_again(pm, campaign, tmp_path, watch):  # noqa: F811
    out = tmp_path / "out"
    config = _config(campaign, out)
    _run(pm, config, tmp_path)
    lines = _lines(out)
    first = _entries(lines)[0]
    first["cells"]["vessel"]["floats"] = first["cells"]["vessel"]["floats"][8:]
    (out / JOURNAL_NAME).write_text("".join(json.dumps(e) + "\n" for e in lines),
                                    encoding="utf-8")
    (out / "orcapost-run.json").unlink()
    watch.opened.clear()
    _run(pm, config, tmp_path, resume=True)
    assert len(watch.opened) == 1
    assert _tables(out) == _fresh(pm, config, tmp_path)
