"""Shards: ``orcapost run CONFIG --shard I/N`` processes a stable 1/N of a campaign's files.

Which shard a file belongs to depends only on its path relative to ``inputs.directory``, with
forward slashes and the case it has on disk: the first 8 bytes of that text's sha256, as a
big-endian number, modulo N (:func:`shard_of`). Neither the order files are discovered in nor
the machine (Windows or Linux, where the campaign folder is mounted) changes it, so the N
shards of an array job cover every file exactly once wherever each one runs.

A shard's run writes, besides its tables, journal and run report, a *shard record*
(``orcapost-shard.json``, :data:`~orcapost.names.SHARD_RECORD_NAME`) into its output folder:
which shard it is, the shard fingerprint of its config (:func:`shard_fingerprint`), orcapost's
and the plugins' versions, the campaign's file list (relative paths, every shard's) and the
validated config itself, so ``orcapost merge`` can check the shards belong together and write
the tables of the whole campaign without the config file (docs/sharding.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orcapost.atomic import atomic_open
from orcapost.errors import OrcapostError
from orcapost.fingerprints import digest
from orcapost.names import RUN_REPORT_NAME, SHARD_RECORD_NAME
from orcapost.results import FileInfo

#: The shard record's format.
SHARD_RECORD_FORMAT = 1
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
#: Settings that say where and how fast a shard runs, not what it computes: left out of the
#: shard fingerprint, so shards run on different machines (another mount point for the
#: campaign, their own output folder, another thread count) still merge.
MACHINE_SETTINGS = {
    "inputs": ("directory",),
    "outputs": ("directory",),
    "engine": ("thread_policy", "executor", "progress", "io_scheduler"),
}


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0 <= index < count)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, relative: str) -> bool:
        return shard_of(relative, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"I/N"`` as a :class:`Shard`; anything else (``3/3``, ``0/0``, ``a/b``) is an
    :class:`~orcapost.errors.OrcapostError` saying what a shard looks like."""
    match = _SHARD.fullmatch(str(text))
    hint = ("give --shard I/N with 0 <= I < N, e.g. --shard 0/3, --shard 1/3 and --shard 2/3 "
            "for three shards (SLURM: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT "
            "with --array=0-<N-1>)")
    if match is None:
        raise OrcapostError(f"--shard {text!r} is not I/N (two whole numbers)", hint=hint)
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise OrcapostError(f"--shard {text!r}: N (the number of shards) must be at least 1",
                            hint=hint)
    if index >= count:
        raise OrcapostError(f"--shard {text!r}: shards are numbered 0 to {count - 1}, so I "
                            f"must be less than N", hint=hint)
    return Shard(index, count)


def relative_name(path: Path | str, inputs_directory: Path | str) -> str:
    """A file's path relative to ``inputs_directory`` with forward slashes and its case as on
    disk (a file outside it, e.g. from ``inputs.files``: its path as given, with forward
    slashes)."""
    # Text, not PurePath.relative_to: `orcapost merge` maps the paths a shard journaled on
    # Windows while it runs on Linux (and back), where the other platform's paths do not parse.
    text = str(path).replace("\\", "/")
    folder = str(inputs_directory).replace("\\", "/").rstrip("/") + "/"
    return text[len(folder):] if text.startswith(folder) else text


def shard_of(relative: str, count: int) -> int:
    """The shard (0 to count - 1) the file at ``relative`` (:func:`relative_name`) is in."""
    hashed = hashlib.sha256(relative.encode("utf-8")).digest()
    return int.from_bytes(hashed[:8], "big") % count


def select(files: list[FileInfo], inputs_directory: Path, shard: Shard) -> list[FileInfo]:
    """The files of ``shard``, in the order given."""
    return [f for f in files if shard.holds(relative_name(f.path, inputs_directory))]


def shard_fingerprint(model: Any) -> str:
    """The fingerprint shards must share to be merged: the validated config (after migration
    and defaults) without :data:`MACHINE_SETTINGS`."""
    data = model.model_dump(mode="json") if hasattr(model, "model_dump") else dict(model)
    for section, keys in MACHINE_SETTINGS.items():
        part = data.get(section)
        if isinstance(part, dict):
            data[section] = {k: v for k, v in part.items() if k not in keys}
    return digest(data)


def campaign_digest(relative_names: list[str]) -> str:
    return digest(sorted(relative_names))


def shard_record(shard: Shard, loaded: Any, versions: dict[str, Any], inputs_directory: Path,
                 campaign: list[FileInfo], files: list[FileInfo]) -> dict[str, Any]:
    """What a shard's run writes into its output folder for ``orcapost merge``."""
    names = [relative_name(f.path, inputs_directory) for f in campaign]
    return {
        "shard_format": SHARD_RECORD_FORMAT,
        "shard": str(shard), "index": shard.index, "count": shard.count,
        "fingerprint": shard_fingerprint(loaded.model),
        "versions": versions,
        "inputs_directory": str(inputs_directory),
        "campaign": {"files": len(names), "digest": campaign_digest(names),
                     "names": sorted(names)},
        "files": sorted(relative_name(f.path, inputs_directory) for f in files),
        "config": {"data": loaded.data, "source": loaded.source, "stem": loaded.stem,
                   "base_directory": str(loaded.base_directory)},
    }


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def check_output(directory: Path, shard: Shard) -> None:
    """Refuse a shard's run into a folder that holds another shard's results (an array job that
    gave every shard one ``--output``: each shard would replace the one before) or the complete
    set of a run over the whole campaign (merged or not: its tables would be replaced by one
    shard's rows). Called before anything of the run is written."""
    directory = Path(directory)
    hint = ("give each shard an --output of its own (e.g. --output "
            "results/shard-$SLURM_ARRAY_TASK_ID), then `orcapost merge` them")
    record = _json(directory / SHARD_RECORD_NAME) if (directory / SHARD_RECORD_NAME).is_file() \
        else None
    if record is not None:
        other = record.get("shard")
        if isinstance(other, str) and other != str(shard):
            raise OrcapostError(f"{directory} holds the results of shard {other}: the run of "
                                f"shard {shard} would replace them; nothing was written",
                                hint=hint)
        return
    report = _json(directory / RUN_REPORT_NAME) if (directory / RUN_REPORT_NAME).is_file() \
        else None
    if report is not None and report.get("shard") is None and \
            (report.get("result_set") or {}).get("complete"):
        raise OrcapostError(f"{directory} holds the complete result set of a run over the whole "
                            f"campaign: the run of shard {shard} would replace its tables with "
                            "one shard's rows; nothing was written", hint=hint)


def write_record(directory: Path, record: dict[str, Any]) -> Path:
    path = Path(directory) / SHARD_RECORD_NAME
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, default=str)
    return path


def read_record(directory: Path) -> dict[str, Any]:
    """A shard's record; a clear error when ``directory`` holds none."""
    path = Path(directory) / SHARD_RECORD_NAME
    if not path.is_file():
        raise OrcapostError(
            f"{directory}: not a shard's output folder (no {SHARD_RECORD_NAME})",
            hint="give the output folders of `orcapost run CONFIG --shard I/N` runs")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise OrcapostError(f"{path}: cannot be read as a shard record ({exc})",
                            hint="run the shard again (orcapost run CONFIG --shard I/N "
                                 "--resume)") from None
    if not isinstance(record, dict) or record.get("shard_format") != SHARD_RECORD_FORMAT:
        raise OrcapostError(f"{path}: not a shard record orcapost can read",
                            hint="run the shard again with this orcapost")
    return record
