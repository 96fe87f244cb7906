"""``orcapost merge``: the shards of one campaign (``orcapost run CONFIG --shard I/N``) joined
into one complete result set, with the tables a single run over the whole campaign writes.

Nothing is recomputed and no input file is opened: every file's result comes from its shard's
journal, exactly as the shard journaled it (failure rows included). Before anything is written
the shards are checked (each refusal an :class:`~orcapost.errors.OrcapostError`, exit 2, naming
the shards or files):

- every folder is a shard's (it holds a shard record) and its last run completed: a shard that
  ended partial (interrupted, files missing), or whose journal changed after its last complete
  run (a later run that died before its run report), is refused, naming it, until ``--resume``
  completes it;
- they share one shard fingerprint (the validated config without where and how fast it ran),
  orcapost's version and the plugins' versions, and one campaign (the same discovered files);
  and this orcapost validates their config to the same fingerprint;
- they are shards 0 to N-1 of one N, each once, and cover every file of the campaign exactly
  once, each file with an entry in its shard's journal.

Then the output folder gets, as any complete run's: the tables (campaign tables included)
through the result-set writer (staged, then published as a whole: :func:`orcapost.outputs.write_tables`),
a journal (the shards' run headers and each file's entry, so ``orcapost run --resume`` works
from the merged folder) and a run report saying which shards were merged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orcapost import shards
from orcapost.atomic import atomic_open
from orcapost.errors import OrcapostError
from orcapost.fingerprints import RunFingerprints, versions
from orcapost.journal import Journal, journaled_result
from orcapost.lock import RunLock
from orcapost.names import JOURNAL_NAME, PARTIAL_FOLDER, RUN_REPORT_NAME, SHARD_RECORD_NAME
from orcapost.results import (
    STATUS_FAILED,
    STATUS_OK,
    FileInfo,
    FileResult,
    RunContext,
    RunSummary,
)


@dataclass
class _Shard:
    directory: Path
    record: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.directory} ({self.record.get('shard')})"


@dataclass
class MergeOutcome:
    summary: RunSummary
    report: dict[str, Any]
    #: The tables of the merge (:class:`orcapost.tables.RunTables`).
    tables: Any


def _resume_hint(shard: _Shard) -> str:
    return (f"run it again with `orcapost run CONFIG --shard {shard.record.get('shard')} "
            f"--output {shard.directory} --resume`, then merge")


def _read_shards(directories: Sequence[Path], output: Path) -> list[_Shard]:
    seen: dict[Path, Path] = {}
    found = []
    for given in directories:
        directory = Path(given).resolve()
        if directory in seen:
            raise OrcapostError(f"the shard folder {given} is given twice",
                                hint="give each shard's output folder once")
        seen[directory] = Path(given)
        if directory == output:
            raise OrcapostError(f"--output {output} is one of the shard folders",
                                hint="merge into a folder of its own")
        found.append(_Shard(directory, shards.read_record(directory)))
    if not found:
        raise OrcapostError("no shard folders given",
                            hint="orcapost merge OUT1 OUT2 ... --output DIR")
    return found


def _check_complete(shard: _Shard) -> None:
    """The shard's last run completed its share; a shard that ended partial is refused."""
    from orcapost.run_report import read_report

    partial = shard.directory / PARTIAL_FOLDER
    if (partial / RUN_REPORT_NAME).is_file() or not (shard.directory / RUN_REPORT_NAME).is_file():
        missing = ""
        if (partial / RUN_REPORT_NAME).is_file():
            result_set = read_report(partial).get("result_set") or {}
            missing = f": {len(result_set.get('missing', []))} of its files are missing"
        raise OrcapostError(f"shard {shard.name} ended partial{missing} (its last run did not "
                            "finish); a partial shard is never merged", hint=_resume_hint(shard))
    report = read_report(shard.directory)
    result_set = report.get("result_set") or {}
    if (not result_set.get("complete") or report.get("shard") != shard.record.get("shard")
            or report.get("config_fingerprint") != shard.record.get("fingerprint")):
        raise OrcapostError(f"shard {shard.name}: its run report is not that of a complete run "
                            "of this shard", hint=_resume_hint(shard))
    from orcapost.outputs import journal_state

    recorded, now = result_set.get("journal") or {}, journal_state(shard.directory) or {}
    if recorded.get("size") is None or recorded.get("size") != now.get("size"):
        # The journal moved on after the complete run (a later run of the shard that died
        # before its run report, or one still running): its entries are no set the shard
        # published. Its size says so (a later run adds at least its run header, or starts
        # the journal again); its mtime is not compared: where the file system sets a
        # file's time as its handle closes, it can be later than the report's reading.
        raise OrcapostError(f"shard {shard.name}: its journal changed after its last complete "
                            "run (a later run of it did not finish, or is running)",
                            hint=_resume_hint(shard))


def _check_together(found: list[_Shard]) -> None:
    """One config, one orcapost and its plugins, one campaign, shards 0..N-1 each once, every
    file exactly once."""
    def differ(key: Callable[[_Shard], Any], what: str, hint: str) -> None:
        groups: dict[str, list[str]] = {}
        for shard in found:
            groups.setdefault(repr(key(shard)), []).append(shard.name)
        if len(groups) > 1:
            parts = "; ".join(f"{', '.join(names)}: {value[:70]}" for value, names in
                              groups.items())
            raise OrcapostError(f"the shards differ in {what}: {parts}", hint=hint)

    rerun = "run every shard with the same config and orcapost (and the same plugins)"
    differ(lambda s: s.record.get("fingerprint"), "their config fingerprint", rerun)
    differ(lambda s: s.record.get("versions"), "orcapost's or a plugin's version", rerun)
    differ(lambda s: s.record.get("count"), "their number of shards N", "give the shards of one "
           "--shard I/N series (the same N)")
    differ(lambda s: (s.record.get("campaign") or {}).get("digest"),
           "the files they found in the campaign", "run every shard on the same campaign (the "
           "folder changed between shards: run them again with --resume)")
    count = found[0].record["count"]
    by_index: dict[int, list[_Shard]] = {}
    for shard in found:
        by_index.setdefault(shard.record["index"], []).append(shard)
    twice = {index: group for index, group in by_index.items() if len(group) > 1}
    if twice:
        index, group = sorted(twice.items())[0]
        raise OrcapostError(f"shard {index}/{count} is given twice: "
                            + " and ".join(str(s.directory) for s in group),
                            hint="give each shard's output folder once")
    missing = [f"{index}/{count}" for index in range(count) if index not in by_index]
    if missing:
        raise OrcapostError(
            f"shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing: a merge needs all {count} shards",
            hint=f"give the output folders of shards 0/{count} to {count - 1}/{count}")
    owner: dict[str, _Shard] = {}
    for shard in found:
        for name in shard.record["files"]:
            if name in owner:
                raise OrcapostError(f"file {name} is in two shards: {owner[name].name} and "
                                    f"{shard.name}", hint=rerun)
            owner[name] = shard
    absent = sorted(set(found[0].record["campaign"]["names"]) - set(owner))
    if absent:
        raise OrcapostError(f"{len(absent)} files of the campaign are in no shard: "
                            + ", ".join(absent[:10]) + (" ..." if len(absent) > 10 else ""),
                            hint=rerun)


def _validated(pm, record: dict[str, Any], output: Path):
    """The shards' config, validated by this orcapost and its plugins, into ``output``."""
    from orcapost.config import validate_data

    config = record["config"]
    loaded = validate_data(config["data"], pm.registry, source=config.get("source") or "<shard>",
                           base_directory=Path(config["base_directory"]),
                           overrides={"outputs.directory": str(output)})
    if shards.shard_fingerprint(loaded.model) != record["fingerprint"]:
        raise OrcapostError("this orcapost validates the shards' config differently from the "
                            "shards (another orcapost or plugin version, or a plugin's "
                            "defaults changed)",
                            hint="merge with the orcapost and plugins the shards ran with")
    here = versions(pm)
    if here != record["versions"]:
        raise OrcapostError(f"this orcapost and its plugins ({here}) are not the shards' "
                            f"({record['versions']})",
                            hint="merge with the orcapost and plugins the shards ran with")
    return loaded


def _results(found: list[_Shard], fingerprints: RunFingerprints
             ) -> tuple[list[FileResult], list[str]]:
    """Every file's journaled result, and the merged journal's lines."""
    results: list[FileResult] = []
    lines: list[str] = []
    shared: set[str] = set()  # shared texts already among the merged lines (journal format 4)
    for shard in sorted(found, key=lambda s: s.record["index"]):
        journal = Journal(shard.directory)
        headers, last = journal.last_lines()
        inputs = shard.record["inputs_directory"]
        by_name = {shards.relative_name(path, inputs): pair for path, pair in last.items()}
        used: set[str] = set()
        entries = []
        for name in shard.record["files"]:
            pair = by_name.get(name)
            if pair is None:
                raise OrcapostError(f"shard {shard.name}: file {name} has no entry in its "
                                    f"journal ({shard.directory / JOURNAL_NAME})",
                                    hint=_resume_hint(shard))
            entry, line = pair
            run = entry.get("run")
            found_header = headers.get(run) if isinstance(run, str) else None
            header = found_header[0] if found_header is not None else None
            result = journaled_result(entry, header, fingerprints, journal.texts)
            if result is None or not isinstance(run, str):
                raise OrcapostError(f"shard {shard.name}: the journal entry of {name} is not "
                                    "of the shard's config (an older run's)",
                                    hint=_resume_hint(shard))
            results.append(result)
            used.add(run)
            entries.append(line)
        lines.extend(line for run, (_, line) in headers.items() if run in used)
        # The names and units the entries name, before them (a key is the text's hash: the
        # same text in two shards is one line).
        lines.extend(line for key, line in journal.text_lines.items() if key not in shared)
        shared.update(journal.text_lines)
        lines.extend(entries)
    return results, lines


def merge_shards(pm, directories: Sequence[Path], output: Path, *,
          warn: Callable[[str], None] | None = None) -> MergeOutcome:
    """Merge the shard output folders ``directories`` into ``output`` (module docstring)."""
    from orcapost.outputs import (
        journal_state,
        published_digest,
        result_set_fingerprint,
        settings_fingerprint,
        write_tables,
    )
    from orcapost.run_report import build_report, write_report
    from orcapost.tables import RunTables
    from orcapost.task import Plan, PlanSpec, new_plan_key

    started = time.perf_counter()
    output = Path(output).resolve()
    found = _read_shards(directories, output)
    for shard in found:
        _check_complete(shard)
    _check_together(found)
    record = found[0].record
    loaded = _validated(pm, record, output)
    model = loaded.model
    spec = PlanSpec(key=new_plan_key(), config_data=loaded.data,
                    base_directory=str(loaded.base_directory))
    plan = Plan.build(pm, model, spec, optimizers=[])
    fingerprints = RunFingerprints.of(pm, model, plan)
    results, lines = _results(found, fingerprints)
    # The readers of the campaign's files, as a run over it records them: a later
    # `orcapost run --resume` into the merged folder then finds its set unchanged.
    fingerprints = RunFingerprints.of(pm, model, plan,
                                      sorted({Path(r.path).suffix.lower() for r in results}))
    files = [FileInfo(Path(r.path), r.size) for r in sorted(results, key=lambda r: r.path)]
    context = RunContext(config_path=None, files=files, output_directory=output,
                         executor="merge", concurrency=1, ceiling=1, config=model,
                         config_stem=record["config"].get("stem"),
                         config_source=record["config"].get("source"))
    sinks = [pm.registry.create("sink", s) for s in model.outputs.formats]
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission: the machine's answer
        raise OrcapostError(
            f"the output folder {output} cannot be created: {exc.strerror or exc}",
            hint="choose another --output, a folder you may write to") from None
    lock = RunLock(output, f"orcapost merge of {len(found)} shards")
    for warning in lock.acquire():
        if warn is not None:
            warn(warning)
    try:
        (output / SHARD_RECORD_NAME).unlink(missing_ok=True)  # a merged folder is no shard
        for sink in sinks:
            sink.open(context)
        tables = RunTables.for_run(context)
        for result in results:
            tables.add(result)
        context.results = list(results)
        context.done = len(results)
        context.failed = sum(r.status != STATUS_OK for r in results)
        context.bytes_done = sum(r.size for r in results)
        summary = RunSummary(
            files=len(results), ok=sum(r.status == STATUS_OK for r in results),
            failed=sum(r.status == STATUS_FAILED for r in results),
            partial=sum(r.status not in (STATUS_OK, STATUS_FAILED) for r in results),
            bytes=context.bytes_done, elapsed=0.0,
            failures=[f for r in results for f in r.failures],
            warnings=sum(w["count"] for r in results for w in r.warnings))
        summary.result_set = {"complete": True, "directory": str(output),
                              "files": len(results), "missing": []}
        written = write_tables(tables, sinks, context, complete=True)
        summary.outputs.extend(written)
        summary.result_set.update(fingerprint=result_set_fingerprint(fingerprints, results),
                                  settings=settings_fingerprint(fingerprints),
                                  tables=published_digest(written, output), unchanged=False)
        # The journal after the tables: until the merged set is published, the folder's
        # journal (if any) still describes its tables.
        with atomic_open(output / JOURNAL_NAME, "w", encoding="utf-8") as handle:
            handle.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
        summary.outputs.append(output / JOURNAL_NAME)
        summary.result_set["journal"] = journal_state(output)
        summary.elapsed = time.perf_counter() - started
        report = build_report(context, summary, None, (), replayed=len(results))
        report["config_fingerprint"] = record["fingerprint"]
        report["merged_from"] = [{"shard": s.record["shard"], "directory": str(s.directory),
                                  "files": len(s.record["files"])}
                                 for s in sorted(found, key=lambda s: s.record["index"])]
        summary.outputs.append(write_report(output, report))
    finally:
        lock.release()
    return MergeOutcome(summary=summary, report=report, tables=tables)
