"""The run report is written by json's C encoder a line at a time (orcapost.run_report.report_text):
the text must read back as the report json.dumps would have written, and keep a file's row on a
line of its own."""

from __future__ import annotations

import json
import math
from pathlib import Path

from orcapost.run_report import report_text, write_report


def _report() -> dict:
    return {
        "report_version": 1,
        "settings": {"config": Path("/c/x.yml"), "capacity": None, "ceiling": 15},
        "summary": {"files": 2, "elapsed": 0.5, "reused": {"files": 0, "cells": 3}},
        "decisions": [],
        "memory": {},
        "workers": {3: "a", None: "b", True: "c", 2.5: "d"},
        "files": [{"file": "/c/a.sim", "size": 1, "total": 0.25, "status": "ok"},
                  {"file": "/c/\u00e9 \"b\".sim", "size": 2, "total": math.nan, "status": "ok"}],
        "failures": [],
        "criteria": None,
        "samples": [{"t": 0.0, "rss": 10}],
    }


def test_the_text_reads_back_as_json_dumps_would_have_written():
    report = _report()
    expected = json.loads(json.dumps(report, indent=1, default=str))
    got = json.loads(report_text(report))
    assert repr(got) == repr(expected)  # NaN included
    assert list(got) == list(report)


def test_a_file_row_is_one_line(tmp_path):
    path = write_report(tmp_path, _report())
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if '"file": "/c/' in line]
    assert len(rows) == 2 and all(json.loads(row.strip().rstrip(",")) for row in rows)
