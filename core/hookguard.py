"""Run hooks cannot take a run down: each implementation is called through a guard.

For the length of a run the engine puts a guard around every implementation of the run hooks
(``orcapost_run_start``, ``orcapost_file_started``, ``orcapost_file_done``,
``orcapost_heartbeat``, ``orcapost_run_finish``, ``orcapost_run_summary``), in this one place:
:class:`RunHookGuard` swaps each ``pluggy.HookImpl.function`` for a guarded one while the run
is active (no plugin can be registered or unregistered then, so the set is fixed) and puts the
original back afterwards. pluggy still orders and calls the implementations as always; an
exception in one is caught in that implementation only, so the others and the run go on.

An exception is that plugin's failure: it is recorded once per plugin and hook (with its
traceback and how often it happened), reported through ``warn`` as one line (with the
traceback when ``ORCAPOST_DEBUG`` is set), and lands in the run report's ``plugin_errors``.
The engine's own listeners (journal, tables, run report) are marked ``own``: their failure means
the run's outputs are incomplete, which the command line reports as exit code 3.

A wrapper (``wrapper=True``) is guarded around its setup and teardown: if it raises before its
``yield`` the call goes on without it; if it raises after, the inner result stands. An exception
that is not an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``) is never swallowed.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pluggy

#: The hooks the engine emits during a run, guarded.
RUN_HOOKS = ("orcapost_run_start", "orcapost_file_started", "orcapost_file_done",
             "orcapost_heartbeat", "orcapost_run_finish", "orcapost_run_summary")
DEBUG_ENV = "ORCAPOST_DEBUG"


@dataclass
class PluginError:
    """One plugin's failing hook implementation during a run (first exception, and a count)."""

    plugin: str
    hook: str
    error: str
    traceback: str
    #: One of the engine's own listeners (journal, tables, run report): outputs are incomplete.
    own: bool = False
    count: int = 1
    #: Where in the run it first happened (done files at the time), for the report.
    after_files: int | None = None
    #: The machine refused (an ``OSError``: a full disk, no permission), not a bug.
    os_error: bool = False

    def message(self) -> str:
        what = "the run's own listener" if self.own else "plugin"
        return f"{what} {self.plugin!r} failed in {self.hook}: {self.error}"

    def as_dict(self) -> dict:
        return {"plugin": self.plugin, "hook": self.hook, "error": self.error,
                "traceback": self.traceback, "own": self.own, "count": self.count,
                "after_files": self.after_files, "os_error": self.os_error}


@dataclass
class RunHookGuard:
    """Guards every implementation of ``hooks`` on ``pm`` while it is entered (a context
    manager). ``own``: plugin names of the engine's own listeners; ``warn(text)`` reports the
    first failure of each plugin and hook; ``progress()`` says how many files are done."""

    pm: pluggy.PluginManager
    own: frozenset[str] = frozenset()
    warn: Callable[[str], None] = print
    progress: Callable[[], int | None] = lambda: None
    hooks: Iterable[str] = RUN_HOOKS
    errors: list[PluginError] = field(default_factory=list)
    _saved: list[tuple[object, Callable]] = field(default_factory=list)
    _by_key: dict[tuple[str, str], PluginError] = field(default_factory=dict)

    def __enter__(self) -> RunHookGuard:
        for name in self.hooks:
            caller = getattr(self.pm.hook, name, None)
            if caller is None:
                continue
            for impl in caller.get_hookimpls():
                self._saved.append((impl, impl.function))
                impl.function = self._guarded(impl, name)
        return self

    def __exit__(self, *exc_info) -> None:
        for impl, function in reversed(self._saved):
            impl.function = function
        self._saved.clear()

    @property
    def own_failed(self) -> list[PluginError]:
        return [error for error in self.errors if error.own]

    def record(self, plugin: str, hook: str, exc: BaseException | str) -> None:
        key = (plugin, hook)
        known = self._by_key.get(key)
        if known is not None:
            known.count += 1
            return
        if isinstance(exc, BaseException):
            text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        else:
            text, trace = exc, ""
        error = PluginError(plugin=plugin, hook=hook, error=text, traceback=trace,
                            own=plugin in self.own, after_files=self.progress(),
                            os_error=isinstance(exc, OSError))
        self._by_key[key] = error
        self.errors.append(error)
        line = error.message()
        if not error.own:
            line += f"; the run goes on without it (to run without the plugin: " \
                    f"ORCAPOST_DISABLE_PLUGINS={plugin})"
        if os.environ.get(DEBUG_ENV) and trace:
            line += "\n" + trace.rstrip()
        try:
            self.warn(line)
        except Exception:  # noqa: S110 -- a broken console must not stop the run either
            pass

    def _guarded(self, impl, hook: str) -> Callable:
        function = impl.function
        plugin = impl.plugin_name
        record = functools.partial(self.record, plugin, hook)
        if impl.wrapper:
            return _guard_wrapper(function, record)
        if impl.hookwrapper:
            return _guard_old_wrapper(function, record)

        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                record(exc)
                return None

        return guarded


def _guard_wrapper(function: Callable, record: Callable) -> Callable:
    """A new-style wrapper (``wrapper=True``) whose own exceptions are recorded, never raised:
    the inner call's result or exception passes through as if the wrapper were not there."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            gen = function(*args, **kwargs)
            next(gen)
        except StopIteration:
            record("the wrapper did not yield")
            return (yield)
        except Exception as exc:
            record(exc)
            return (yield)
        try:
            inner = yield
        except BaseException as raised:  # the inner call raised: the wrapper sees it
            try:
                gen.throw(raised)
            except StopIteration as stop:
                return stop.value  # the wrapper handled it
            except BaseException as own:
                if own is raised or not isinstance(own, Exception):
                    raise
                record(own)
                raise raised from None
            record("the wrapper yielded twice")
            gen.close()
            raise
        try:
            gen.send(inner)
        except StopIteration as stop:
            return stop.value
        except Exception as exc:
            record(exc)
            return inner
        record("the wrapper yielded twice")
        gen.close()
        return inner

    return guarded


def _guard_old_wrapper(function: Callable, record: Callable) -> Callable:
    """An old-style ``hookwrapper=True`` implementation, guarded the same way."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            gen = function(*args, **kwargs)
            next(gen)
        except Exception as exc:
            record(exc)
            yield
            return
        outcome = yield
        try:
            gen.send(outcome)
        except StopIteration:
            return
        except Exception as exc:
            record(exc)
            return
        record("the wrapper yielded twice")
        gen.close()

    return guarded
