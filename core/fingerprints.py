"""Fingerprints: what ``orcapost run --resume`` compares before it reuses a journaled cell.

A fingerprint is the sha256 of canonical JSON (sorted keys, no spaces) of plain data, so the same
validated settings give the same fingerprint in every process and on every machine.

- the **config** fingerprint: the whole validated model (after migration and defaults), recorded
  per run in the journal;
- the **versions**: orcapost's, and each entry-point plugin's distribution version;
- a **column** fingerprint per result column: the column's validated options (label, kind and
  every option, defaults included), its extractor's plugin and version, orcapost's version, and
  the config-level settings that change every cell (the memory optimizers that shrink values,
  the ``derived:`` channels);
- a **reader** fingerprint per file suffix: the source that reads those files, its plugin and
  version, and its options (``inputs.sources``);
- a **file identity**: size, modification time in nanoseconds, and a hash of the file's first
  and last 64 KB -- a cheap content check that catches a file rewritten with the same size and
  time stamp as well as a touched one. A source that reads the file itself (the archive
  source) gives the identity of the very bytes it read, from its own open and ``fstat``
  (:func:`identity_of`): the same value, without a second open and read of the file.

Output-side settings (formats, naming, the output folder, campaign tables) are in no column or
reader fingerprint: they never change a cell (campaign tables are recomputed from cells).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The cheap content check hashes this much of a file's start and of its end.
HEAD_TAIL_BYTES = 64 * 1024
#: What ``pm.distributions`` says of a built-in plugin module.
BUILTIN_DISTRIBUTION = "orcapost (built-in)"


def digest(data: Any) -> str:
    """sha256 (hex) of ``data`` as canonical JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def orcapost_version() -> str:
    from orcapost import __version__

    return __version__


def plugin_version(pm, plugin: str) -> str:
    """The version a plugin's components run as: orcapost's for a built-in, the distribution's
    (``name version``) for an entry-point plugin, and "unversioned" for a plugin registered in
    code (then only orcapost's version and the options tell runs apart)."""
    dist = pm.distributions.get(plugin)
    if dist is None:
        return f"{plugin} (unversioned)"
    if dist == BUILTIN_DISTRIBUTION:
        return f"orcapost {orcapost_version()}"
    return dist


def versions(pm) -> dict[str, Any]:
    """orcapost's version and every entry-point plugin's distribution version."""
    return {
        "orcapost": orcapost_version(),
        "plugins": {name: dist for name, dist in sorted(pm.distributions.items())
                    if dist != BUILTIN_DISTRIBUTION},
    }


def cell_settings(model: Any) -> dict[str, Any]:
    """Config-level settings that change every cell, folded into each column's fingerprint:
    the memory optimizers that shrink values (``single_precision`` stores arrays as float32)
    and the ``derived:`` channels (any column may read one)."""
    from orcapost.schemas.config import options_of

    shrinking = []
    for spec in model.engine.memory_optimizers:
        component = getattr(type(spec), "component", None)
        if component is not None and component.shrinks_values():
            shrinking.append({"name": spec.name, **_dump_options(options_of(spec))})
    settings: dict[str, Any] = {"shrink": shrinking}
    derived = getattr(model, "derived", None)
    if derived:
        # A column reads a derived channel as a variable: a changed expression, unit or
        # objects changes its cells (left out when there are none: fingerprints as before).
        settings["derived"] = {name: _dump(channel) for name, channel in derived.items()}
    return settings


def _dump_options(options: dict[str, Any]) -> dict[str, Any]:
    return {key: _dump(value) for key, value in options.items()}


def column_fingerprint(column: Any, plugin: str, version: str, settings: dict[str, Any]) -> str:
    return digest({
        "column": _dump(column), "extractor": [plugin, version],
        "orcapost": orcapost_version(), "settings": settings,
    })


def reader_fingerprint(pm, suffix: str, model: Any) -> str | None:
    """The fingerprint of what reads ``suffix`` files (None: no source reads them)."""
    entry = pm.registry.source_for(suffix)
    if entry is None:
        return None
    options = next((_dump(s) for s in model.inputs.sources if s.name == entry.name), None)
    return digest({"source": entry.name, "plugin": entry.plugin,
                   "version": plugin_version(pm, entry.plugin), "options": options,
                   "orcapost": orcapost_version()})


def file_identity(path: Path | str) -> dict[str, Any] | None:
    """Size, mtime_ns and a hash of the first and last 64 KB of a file (None: unreadable)."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            head = handle.read(HEAD_TAIL_BYTES)
            tail = None
            if stat.st_size > HEAD_TAIL_BYTES:
                handle.seek(tail_offset(stat.st_size))
                tail = handle.read(HEAD_TAIL_BYTES)
    except OSError:
        return None
    return identity_of(stat, head, tail)


def tail_offset(size: int) -> int:
    """Where the identity's hash of the file's end starts in a file of ``size`` bytes (only
    read when ``size`` exceeds :data:`HEAD_TAIL_BYTES`: never overlapping the head)."""
    return max(HEAD_TAIL_BYTES, size - HEAD_TAIL_BYTES)


def identity_of(stat: os.stat_result, head: Any, tail: Any = None) -> dict[str, Any]:
    """The identity of a file whose ``os.fstat`` is ``stat``, from the bytes read at its start
    (``head``: up to :data:`HEAD_TAIL_BYTES`) and, when it is bigger, at its end (``tail``: up
    to as many from :func:`tail_offset`). Any buffer (bytes, memoryview, a pyarrow buffer): a
    source that read the file itself hands its own bytes, and the identity is the one
    :func:`file_identity` gives, without opening and reading the file a second time."""
    hasher = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}:".encode())
    hasher.update(head)
    if tail is not None:
        hasher.update(tail)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "check": hasher.hexdigest()[:32]}


def identity_of_contents(stat: os.stat_result, data: Any) -> dict[str, Any]:
    """:func:`identity_of` a file read whole into ``data`` (every one of its ``st_size``
    bytes, checked by the caller)."""
    view = memoryview(data)
    size = stat.st_size
    tail = view[tail_offset(size):tail_offset(size) + HEAD_TAIL_BYTES] \
        if size > HEAD_TAIL_BYTES else None
    return identity_of(stat, view[:HEAD_TAIL_BYTES], tail)


@dataclass
class RunFingerprints:
    """The fingerprints of one run: recorded in the journal's run header, compared by
    ``--resume``."""

    config: str
    versions: dict[str, Any]
    #: Group -> one fingerprint per column, in config order.
    columns: dict[str, list[str]]
    #: File suffix -> reader fingerprint, for the suffixes of the run's files.
    readers: dict[str, str | None] = field(default_factory=dict)
    #: Group -> each column's label, in config order (failures name their column by label).
    labels: dict[str, list[str]] = field(default_factory=dict)
    #: A shard's run: "I/N" and the shard fingerprint (:mod:`orcapost.shards`); else None.
    shard: str | None = None
    shard_fingerprint: str | None = None

    @classmethod
    def of(cls, pm, model: Any, plan: Any, suffixes: Sequence[str] = ()) -> RunFingerprints:
        registry = pm.registry
        settings = cell_settings(model)
        columns, labels = {}, {}
        for group, pairs in plan.groups:
            labels[group] = [column.label for column, _ in pairs]
            prints = []
            for column, _extractor in pairs:
                plugin = registry.get("extractor", column.kind).plugin
                prints.append(column_fingerprint(column, plugin, plugin_version(pm, plugin),
                                                 settings))
            columns[group] = prints
        readers = {suffix: reader_fingerprint(pm, suffix, model) for suffix in sorted(set(suffixes))}
        return cls(config=digest(_dump(model)), versions=versions(pm), columns=columns,
                   readers=readers, labels=labels)
