"""Python warnings raised while a file is extracted go into the run report, not the console.

numpy's ``RuntimeWarning: invalid value encountered in divide``, scipy's fit warnings and an
extractor's own warnings (``warnings.warn``) are about one file and one column; printed raw
they are noise nobody can place, once per process (Python's default filter shows each warning
once per code location), so a campaign of 1000 files shows one and hides the other 999.

``warnings.catch_warnings`` cannot collect them: it swaps process-wide state and is not
thread-safe before Python 3.14, and files are extracted on several threads at once. So the
design is one process-wide hook and a thread-local context instead:

- :func:`installed` (the engine, for the length of a run; a worker process, for its life)
  replaces ``warnings.showwarning`` with :func:`_show` and puts an ``always`` filter first, so
  every occurrence reaches the hook (no once-per-location registry hides the second file's);
- :func:`collecting` (the file's task, on its worker thread) makes a :class:`FileWarnings` the
  current thread's collector; :func:`in_column` says which group and column is running;
- :func:`_show` records a warning into the current thread's collector, counted by (group,
  column, category, message); a warning of a thread that collects nothing (the coordinator, a
  thread a plugin started) goes to the previous ``showwarning`` as before.

With ``ORCAPOST_DEBUG`` set the warnings are also shown as Python shows them. A filter the user
set to ``error`` no longer turns warnings into exceptions while files are extracted (the
``always`` filter is first): a warning is never a file's failure.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

DEBUG_ENV = "ORCAPOST_DEBUG"
#: The filter that lets every occurrence through to the hook while it is installed.
_ALWAYS: tuple[Any, ...] = ("always", None, Warning, None, 0)

_local = threading.local()
_lock = threading.Lock()
_users = 0
_previous: Callable[..., Any] | None = None
#: Installed for the life of the process (:func:`ensure_installed`), never uninstalled.
_permanent = False
#: Where the filters held an ``always`` filter of their own (the user's) when the first
#: :func:`install` came (None: they held none): the hook's is that very tuple, so the last
#: :func:`uninstall` puts the user's back where it was instead of removing it.
_own_always: int | None = None


class FileWarnings:
    """One file's warnings, counted by (group, column, category, message)."""

    def __init__(self) -> None:
        self.group: str | None = None
        self.column: str | None = None
        self._counts: dict[tuple[str | None, str | None, str, str], list[Any]] = {}

    def record(self, message: Warning | str, category: type[Warning], filename: str,
               lineno: int) -> None:
        key = (self.group, self.column, category.__name__, str(message))
        entry = self._counts.get(key)
        if entry is None:
            self._counts[key] = [1, f"{os.path.basename(filename)}:{lineno}"]
        else:
            entry[0] += 1

    def rows(self) -> list[dict[str, Any]]:
        """Plain rows for the file's result: group, column (None outside a column: opening or
        closing the file), category, message, count, and where the first was raised."""
        return [{"group": group, "column": column, "category": category, "message": message,
                 "count": count, "where": where}
                for (group, column, category, message), (count, where) in self._counts.items()]


def _show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
          file: Any = None, line: str | None = None) -> None:
    collector: FileWarnings | None = getattr(_local, "collector", None)
    if collector is not None:
        collector.record(message, category, filename, lineno)
        if not os.environ.get(DEBUG_ENV):
            return
    if _previous is not None:
        _previous(message, category, filename, lineno, file, line)


def _filters_changed() -> None:
    # Registries of warnings already shown once are reset when the filters change (the
    # public filterwarnings() does this; removing a filter by hand has to say so itself).
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()


def _hook(first: bool = True) -> None:
    """Put the hook and the ``always`` filter in place where they are not (lock held);
    ``first``: the filter goes before every other, else it need only be there."""
    global _previous
    if warnings.showwarning is not _show:  # also when someone put theirs over ours
        _previous = warnings.showwarning
        warnings.showwarning = _show
    in_place = warnings.filters[:1] == [_ALWAYS] if first else _ALWAYS in warnings.filters
    if not in_place:
        warnings.filterwarnings("always")


def install() -> None:
    """Install the hook (counted: every :func:`install` wants one :func:`uninstall`)."""
    global _users, _own_always
    with _lock:
        _users += 1
        if _users == 1 and not _permanent:
            filters = warnings.filters
            _own_always = filters.index(_ALWAYS) if _ALWAYS in filters else None
        _hook()


def uninstall() -> None:
    """Undo one :func:`install`; the last puts the previous ``showwarning`` and filters back
    (unless :func:`ensure_installed` made the hook this process's for good)."""
    global _users, _previous, _own_always
    with _lock:
        _users = max(0, _users - 1)
        if _users or _permanent:
            return
        if warnings.showwarning is _show and _previous is not None:
            warnings.showwarning = _previous
        _previous = None
        own, _own_always = _own_always, None
        filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list at run time
        if own == 0 and filters[:1] == [_ALWAYS]:
            return  # the user's own always filter was first: the hook added none
        with contextlib.suppress(ValueError):
            filters.remove(_ALWAYS)
            if own is not None:  # filterwarnings moved the user's to the front: put it back
                filters.insert(min(own, len(filters)), _ALWAYS)
            _filters_changed()


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """The hook for the length of the block (the engine's run)."""
    install()
    try:
        yield
    finally:
        uninstall()


def ensure_installed() -> None:
    """The hook for the rest of this process, where it is not in place (a worker process, or
    a task run outside an engine): the process is orcapost's, it stays."""
    global _permanent
    with _lock:
        if not _users:  # no engine's run has it installed: for good
            _permanent = True
            _hook()
        else:
            # During a run the engine put it first. Another thread's catch_warnings (a source
            # ignoring one message while it reads) may have swapped in its own copy of the
            # filters a moment ago: ours is in it, after that thread's own, which stays first.
            _hook(first=False)


@contextlib.contextmanager
def collecting() -> Iterator[FileWarnings]:
    """The current thread's warnings go into the returned collector until the block ends."""
    ensure_installed()
    collector = FileWarnings()
    outer = getattr(_local, "collector", None)
    _local.collector = collector
    try:
        yield collector
    finally:
        _local.collector = outer


@contextlib.contextmanager
def in_column(group: str | None, column: str | None) -> Iterator[None]:
    """Warnings of the block belong to ``group`` / ``column`` of the current file."""
    collector: FileWarnings | None = getattr(_local, "collector", None)
    if collector is None:
        yield
        return
    outer = collector.group, collector.column
    collector.group, collector.column = group, column
    try:
        yield
    finally:
        collector.group, collector.column = outer
