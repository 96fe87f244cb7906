"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from orcapost.demo import DemoSpec

#: Small but complete: every object and variable of the demo, two headings x two Hs x two seeds.
SMALL_SPEC = DemoSpec(headings=(0.0, 45.0), wave_heights=(2.0, 6.0), seeds=(1, 2),
                      file_size=390_000)

#: A small but complete legacy post-processing config: one summary group of one column.
LEGACY_CONFIG = """\
basename: orcaflex_post_process
orcaflex:
  postprocess:
    summary:
      flag: True
summary_settings:
  groups:
    - Label: moorings
      Columns:
        - Command: TimeHistory
          ObjectName: Line1
          Variable: Effective Tension
          objectExtra: [End B]
          Statistic_Type: Max
          Label: L1
"""


def statistics_config(inputs: Path, outputs: Path, **engine) -> dict:
    """A config over the demo campaign touching every position and several periods."""
    return {
        "version": 2,
        "inputs": {"directory": str(inputs)},
        "engine": engine or {"thread_policy": {"name": "fixed", "threads": 3}},
        "results": {
            "lines": {"columns": [
                {"label": "{object} top", "kind": "statistics", "object": "Mooring*",
                 "variable": "Effective Tension", "position": "End B",
                 "statistics": ["max", "mean", "std"]},
                {"label": "riser tdp", "kind": "statistics", "object": "Riser",
                 "variable": "Bend Moment", "position": "Touchdown",
                 "statistics": ["max", "time_of_max"]},
                {"label": "riser s100", "kind": "statistics", "object": "Riser",
                 "variable": "Effective Tension", "position": {"arc_length": 100.0},
                 "period": "latest wave", "statistics": ["max", "p95"]},
            ]},
            "vessel": {"columns": [
                {"label": "heave", "kind": "statistics", "object": "FPSO",
                 "variable": "Heave", "statistics": ["min", "max", "abs_max", "rms"]},
                {"label": "heave build-up", "kind": "statistics", "object": "FPSO",
                 "variable": "Heave", "period": {"stage": 0}, "statistics": ["std"]},
            ]},
        },
        "outputs": {"directory": str(outputs), "formats": ["csv", "parquet"]},
    }


def first_archive(campaign: Path) -> Path:
    """The first demo archive of a campaign folder."""
    return sorted(campaign.glob("*.arrow"))[0]


def extract(extractor_cls, path: Path, **column):
    """Run one extractor on one archive with a column given as keyword options: its values,
    without the units it gives them (:func:`extract_units` has those)."""
    return extract_units(extractor_cls, path, **column)[0]


def extract_units(extractor_cls, path: Path, **column):
    """An extractor's values and units (output name -> unit) on one archive."""
    from orcapost.plugins.sources.archive import ArchiveResultFile
    from orcapost.units import split_units

    options = extractor_cls.Options.model_validate({"label": "x", **column})
    with ArchiveResultFile(path) as file:
        return split_units(extractor_cls(options).extract(file, options))


def whole(archive) -> object:
    """Boolean mask of the whole-simulation period (stage 1 on) of an open Archive."""
    time = archive.time
    start = archive.stages[1].start if len(archive.stages) > 1 else archive.stages[0].start
    return (time >= start - 1e-9) & (time <= time[-1] + 1e-9)


def journal_writes(monkeypatch) -> list[int]:
    """The lines each journal write puts on disk, in order, for the rest of the test."""
    from orcapost.journal import Journal

    written: list[int] = []
    original = Journal.flush

    def counted(self, *args, **kwargs):
        if self.pending:
            written.append(self.pending)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Journal, "flush", counted)
    return written
