"""Intra-file parallelism: one large file's columns extracted by several workers at once.

Files are the engine's unit of work, so a campaign of fewer files than cores leaves cores idle
(issue 17: "a 2-file campaign uses every core"). A file at least :data:`SPLIT_MIN_BYTES` big,
read by a source without thread affinity (``Source.thread_affinity = False``: archives, OpenFAST
files; never OrcaFlex ``.sim``, whose model belongs to the thread that loaded it), may be
**split**: the engine submits several *parts* of it to worker threads of its own process. Each
part opens the file itself (a source need not be thread-safe to have no affinity), then takes
the config's columns one at a time from a share of them (:class:`Claims`: contiguous, so
neighbouring columns that read the same series are mostly read by one part), and a part that
is done takes columns from the back of another's share, so the parts end together whatever
each column costs. Each column is extracted exactly as :meth:`orcapost.task.FileTask._extract_group`
extracts it in a whole file, into cells of its own (:class:`ColumnCells`).

:func:`merge_parts` then builds the one :class:`~orcapost.results.FileResult` an unsplit task
would have returned: every group and column in config order, the same values, outputs, units
and failure rows in the same order, and the check that two columns of a group never write one
output name done over the whole group (a part sees only its own columns). A part that fails
as a whole (its worker died, it timed out, its open failed while another part's did not) loses
only the columns it had taken: each becomes a failure row naming the part and why; the other
parts' cells are kept. A part that finds the file changed while it was read fails the whole
file, as an unsplit task does.

Everything a part returns is plain picklable data (:class:`PartResult`). Parts share a
:class:`Claims` object, so they run only on threads of one process (the engine splits a file
only on a ``ThreadPoolExecutor``).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from orcapost.results import STATUS_FAILED, Failure, FileInfo, FileResult
from orcapost.task import FileTask, Plan, PlanSpec, _check_writers, _plan_for, _reason, status_of

#: Files smaller than this always run whole: a part costs an open of its own and reads the
#: columns its columns share with another part's again, which only a long file's work repays.
SPLIT_MIN_BYTES = 64_000_000


def has_thread_affinity(source: Any) -> bool:
    """Whether a source's (class or instance) opened files must stay on the thread that opened them (the default
    for any source that does not say otherwise: only a source that declares
    ``thread_affinity = False`` is ever split)."""
    kind = source if isinstance(source, type) else type(source)
    return bool(getattr(kind, "thread_affinity", True))


def reads_in_place(source: Any) -> bool:
    """Whether a source's opened files hand out views of the file's pages (a memory map)
    rather than copies: parts of a split file then share those pages instead of each reading
    its columns into fresh memory (``Source.reads_in_place``, False unless it says so)."""
    return bool(getattr(source, "reads_in_place", False))


def may_split(source: Any, setting: bool | str) -> bool:
    """Whether a large file of ``source`` may be split under ``engine.split_files``: never
    for a source with thread affinity (or none); ``true``: any other; ``auto``: where the
    parts read the file in place. Measured (docs/engine.md, "Few large files"): parts that
    read a 1 GB demo archive into memory, two threads at once, spent 1.0-1.9 s of kernel time
    against 0.1-0.9 s for the whole file on one thread, with the same user time; mapped, the
    two parts took 0.35 s of CPU each against 0.56-0.61 s for the whole file."""
    if source is None or setting is False or has_thread_affinity(source):
        return False
    return setting is True or reads_in_place(source)


def column_positions(plan: Plan) -> list[tuple[int, int]]:
    """Every column of the plan as (group index, column index), in config order."""
    return [(g, c) for g, (_, columns) in enumerate(plan.groups) for c in range(len(columns))]


def part_count(file: FileInfo, *, free: int, cores: int, columns: int) -> int:
    """How many parts ``file`` runs in: 1 (whole) unless it is at least
    :data:`SPLIT_MIN_BYTES` and more than one worker is free; then as many as the free
    workers, the cores and its columns allow. So large files run one at a time over every
    core rather than several at once, one core each: each file's columns are read into fresh
    memory, and two 1 GB demo archives at once cost 2-3.5 s more kernel time than one after
    the other, split or not (docs/engine.md, "Few large files")."""
    if file.size < SPLIT_MIN_BYTES or free < 2 or columns < 2:
        return 1
    return max(1, min(free, cores, columns))


class Claims:
    """The columns of one split file, handed to its parts one at a time.

    Each part starts with its own contiguous share of the columns (in config order) and takes
    them from the front; a part whose share is done takes from the back of the share with
    the most columns left. So each part's columns stay mostly contiguous -- neighbouring
    columns mostly read the same series, which a part then reads once, not once per part --
    and the parts still end together whatever each column costs."""

    def __init__(self, positions: list[tuple[int, int]], parts: int) -> None:
        self.positions = positions
        bounds = [round(i * len(positions) / parts) for i in range(parts + 1)]
        self._shares = [[bounds[i], bounds[i + 1]] for i in range(parts)]
        self._lock = threading.Lock()
        #: Which part took each position (position -> part index).
        self.taken_by: dict[int, int] = {}

    def take(self, part: int) -> int | None:
        """The next position for ``part``, or None when every column is taken."""
        with self._lock:
            share = self._shares[part]
            if share[0] < share[1]:
                position = share[0]
                share[0] += 1
            else:
                largest = max(self._shares, key=lambda s: s[1] - s[0])
                if largest[1] <= largest[0]:
                    return None
                largest[1] -= 1
                position = largest[1]
            self.taken_by[position] = part
            return position


@dataclass
class ColumnCells:
    """One column's share of a file's result, as extracted by a part."""

    values: dict[str, Any] = field(default_factory=dict)
    #: The output names in the order the extractor gave them ([] when the column failed).
    outputs: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


@dataclass
class PartResult:
    """What one part of a split file returns: the file's own fields (status, load case,
    identity, timings, non-column failures) in ``result``, and the cells of the columns it
    took, by position in config order."""

    part: int
    result: FileResult
    cells: dict[int, ColumnCells] = field(default_factory=dict)
    #: Whether the part opened the file (False: its open failed; ``result`` says why).
    opened: bool = False
    #: Whether the file changed while this part read it (the whole file then fails).
    changed: bool = False


class _PartTask(FileTask):
    """A :class:`FileTask` that extracts only the columns it takes from the shared
    :class:`Claims`, each into cells of its own."""

    def __init__(self, file: FileInfo, plan: Plan, claims: Claims, part: int) -> None:
        super().__init__(file=file, plan=plan)
        self.claims = claims
        self.part = part
        self.cells: dict[int, ColumnCells] = {}
        self.opened = False
        self._done = False

    def _open(self, path, result, started, before):
        opened = super()._open(path, result, started, before)
        self.opened = opened is not None
        return opened

    def _extract_group(self, opened, result, group_name, columns, kept) -> None:
        # Called once per group by FileTask._execute; the first call extracts every column
        # this part takes, of any group (a part may take a column of an earlier group from
        # the back of another part's share), the later calls have nothing left to do.
        if self._done:
            return
        self._done = True
        while (position := self.claims.take(self.part)) is not None:
            group, index = self.claims.positions[position]
            name, group_columns = self.plan.groups[group]
            # The column alone, exactly as in a whole file's group (the writers check, which
            # spans the group, is merge_parts').
            alone = FileResult(path=result.path, size=result.size)
            FileTask._extract_group(self, opened, alone, name, [group_columns[index]], {})
            self.cells[position] = ColumnCells(
                values=alone.values.get(name, {}), outputs=alone.outputs[name][0] or [],
                units=alone.units.get(name, {}), failures=alone.failures)


def run_part(spec: PlanSpec, file: FileInfo, claims: Claims, part: int) -> list[PartResult]:
    """Executor entry point of one part of a split file (threads only: ``claims`` is shared).
    Never raises for a problem with the file: that is in the part's result."""
    task = _PartTask(file, _plan_for(spec), claims, part)
    result = task.execute()
    changed = (task.opened and result.status == STATUS_FAILED
               and any(f.stage == "extract" for f in result.failures))
    return [PartResult(part=part, result=result, cells=task.cells, opened=task.opened,
                       changed=changed)]


def merge_parts(plan: Plan, file: FileInfo, claims: Claims,
                parts: list[PartResult | str]) -> FileResult:
    """The one result of a split file, from its parts in part order: each a
    :class:`PartResult`, or the reason that part failed as a whole (its worker died, it
    timed out). Equal to the result an unsplit task returns when every part returned."""
    returned = [p for p in parts if isinstance(p, PartResult)]
    changed = next((p for p in returned if p.changed), None)
    if changed is not None:  # what was read may mix two versions: none of it is kept
        return changed.result
    opened = [p for p in returned if p.opened]
    if not opened:
        if returned:  # every part's open failed: the file's open failed, once
            return returned[0].result
        failed = FileResult(path=str(file.path), size=file.size, status=STATUS_FAILED)
        failed.failures.append(Failure(failed.path, "worker", (
            f"every part of the split file failed: {_part_reason(parts, 0)}")))
        return failed
    base = opened[0].result
    merged = dataclasses.replace(
        base, values={}, outputs={}, units={}, failures=[], timings={}, warnings=[],
        worker="+".join(dict.fromkeys(p.result.worker for p in opened)))
    results = [p.result for p in opened]
    _merge_times(merged, results)
    cells: dict[int, ColumnCells] = {}
    for part in opened:
        cells.update(part.cells)
    if not cells and any(f.stage != "close" for f in base.failures):
        # The file's state or load case could not be read: no column ran, in any part.
        merged.failures = list(base.failures)
        merged.status = status_of(merged)
        return merged
    position = 0
    for group_name, columns in plan.groups:
        values = merged.values.setdefault(group_name, {})
        outputs = merged.outputs[group_name] = [None] * len(columns)
        writers: dict[str, int] = {}
        for index, (column, _) in enumerate(columns):
            got = cells.get(position)
            if got is None:
                taker = claims.taken_by.get(position)
                outputs[index] = []
                merged.failures.append(Failure(
                    file=merged.path, stage="extract", group=group_name, column=column.label,
                    reason=(f"part {taker + 1 if taker is not None else '?'} of {len(parts)} "
                            "of this split file failed before this column was done: "
                            f"{_part_reason(parts, taker)}")))
                position += 1
                continue
            merged.failures.extend(got.failures)
            if got.outputs:
                try:
                    _check_writers(dict.fromkeys(got.outputs), index, columns, writers)
                except Exception as exc:  # a name an earlier column of the group wrote
                    merged.failures.append(Failure(
                        file=merged.path, stage="extract", reason=_reason(exc),
                        group=group_name, column=column.label))
                    outputs[index] = []
                    position += 1
                    continue
            values.update(got.values)
            if got.units:
                merged.units.setdefault(group_name, {}).update(got.units)
            outputs[index] = list(got.outputs)
            writers.update(dict.fromkeys(got.outputs, index))
            position += 1
    # A part that raised between its columns (a bug, not a column's problem): its reason,
    # once, after the columns; then the closes (each part closed its own open).
    for stage in ("extract", "close"):
        own = {f.reason: f for r in results for f in r.failures if f.stage == stage}
        merged.failures.extend(own.values())
    merged.warnings = _merge_warnings(results)
    merged.status = status_of(merged)
    return merged


def _part_reason(parts: list[PartResult | str], part: int | None) -> str:
    if part is not None and 0 <= part < len(parts):
        entry = parts[part]
        if isinstance(entry, str):
            return entry
        if entry.result.failures:
            return entry.result.failures[-1].reason
    reasons = [p for p in parts if isinstance(p, str)]
    return reasons[0] if reasons else "it returned no result"


def _merge_times(merged: FileResult, results: list[FileResult]) -> None:
    """A split file's span: its parts ran at once, so each phase took the longest part's
    time; memory grew by the most any part saw (parts share one process, each sees it all)."""
    for key in ("open", "extract", "close", "total"):
        spans = [r.timings[key] for r in results if key in r.timings]
        if spans:
            merged.timings[key] = max(spans)
    merged.started_at = _pick(min, [r.started_at for r in results])
    merged.opened_at = _pick(min, [r.opened_at for r in results])
    merged.closed_at = _pick(max, [r.closed_at for r in results])
    merged.memory_growth = _pick(max, [r.memory_growth for r in results])
    merged.worker_rss = _pick(min, [r.worker_rss for r in results])


def _pick(how, values: list) -> Any:
    present = [v for v in values if v is not None]
    return how(present) if present else None


def _merge_warnings(results: list[FileResult]) -> list[dict[str, Any]]:
    """The parts' warning rows as one file's: a column's rows are its part's; a row outside
    any column (each part opened the file) is counted once, as the most any part saw."""
    rows: dict[tuple, dict[str, Any]] = {}
    for result in results:
        for row in result.warnings:
            key = (row.get("group"), row.get("column"), row.get("category"),
                   row.get("message"), row.get("where"))
            if key not in rows:
                rows[key] = dict(row)
            elif row.get("group") is None and row.get("column") is None:
                rows[key]["count"] = max(rows[key]["count"], row["count"])
            else:
                rows[key]["count"] += row["count"]
    return list(rows.values())


@dataclass
class SplitFile:
    """The engine's bookkeeping of one split file in flight."""

    file: FileInfo
    claims: Claims
    parts: list[PartResult | str | None]
    started: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> bool:
        return all(part is not None for part in self.parts)


