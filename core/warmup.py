"""Import, while files run, what the run's end will import: the tables need not wait for it.

Components import their heavy libraries at first use, so that importing a plugin stays cheap
(the ``gumbel`` reduction's fit imports ``scipy.optimize``: ~0.3 s of CPU). At the end of a run
that import sits between the last file and the tables, in the coordinator, while every other
core is idle. When worker processes run files beside the coordinator, this module imports such
modules in a background thread of the coordinator as soon as its first file is done (by then
the coordinator's own first-file imports -- numba, scipy.linalg -- are over, so the two never
import at once): the coordinator's thread then takes fewer files, the worker processes more,
and the tables start without the import.

A component names what it imports at first use in its ``imports`` class attribute (e.g.
``GumbelReduction.imports = ("scipy.optimize",)``).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

#: How often the background thread looks whether the first file is done (seconds).
POLL_SECONDS = 0.02


def tail_imports(model: Any) -> list[str]:
    """The modules the config's campaign reductions import at first use, in config order,
    each once."""
    modules: list[str] = []
    for table in getattr(model, "campaign", None) or ():
        for spec in getattr(table, "reductions", None) or ():
            component = getattr(type(spec), "component", None)
            for module in getattr(component, "imports", ()) or ():
                if module not in modules:
                    modules.append(module)
    return modules


def warm_in_background(modules: Iterable[str], ready: Callable[[], bool],
                       stop: Callable[[], bool] = lambda: False) -> threading.Thread | None:
    """Import ``modules`` in a daemon thread once ``ready()`` is true (polled), unless
    ``stop()`` says the run ended first. A module that fails to import here is left alone: the
    component's own import raises the error where it belongs. Returns the thread (None: nothing
    to import)."""
    wanted = list(modules)
    if not wanted:
        return None

    def warm() -> None:
        while not ready():
            if stop():
                return
            time.sleep(POLL_SECONDS)
        for module in wanted:
            if stop():
                return
            try:
                importlib.import_module(module)
            except Exception:  # noqa: S112 -- the component's own import reports it
                continue

    thread = threading.Thread(target=warm, name="orcapost-warmup", daemon=True)
    thread.start()
    return thread
