"""Signals that end a run the way Ctrl-C does.

While a run is active the engine installs :class:`StopSignals` (on the main thread only;
elsewhere it does nothing) and puts the previous handlers back after the run:

- ``SIGINT`` (Ctrl-C), ``SIGTERM`` (a batch scheduler's time limit, ``kill``), ``SIGHUP`` (a
  dropped SSH session; POSIX only) and ``SIGBREAK`` (Ctrl-Break, or ``CTRL_BREAK_EVENT`` sent to
  the process group; Windows only) ask the run to stop: no new file starts, what finished is
  written (tables, journal, run report) and the command exits ``128 + signal number``: 130 for
  Ctrl-C, 143 for SIGTERM, 129 for SIGHUP, 149 for SIGBREAK.
- The first signal only sets a flag the engine's loop checks (at least twice a second), so a
  result is never cut in half while it is journaled or added to the tables. A second signal
  before the shutdown began raises ``KeyboardInterrupt`` (a coordinator stuck in a plugin's hook
  is freed). Once the shutdown has begun, further signals only hurry it (no more waiting for
  workers to end); they never interrupt the writing of the outputs.

On Windows ``SIGTERM`` exists in Python but no other process can deliver it
(``TerminateProcess`` cannot be caught): schedulers there should send ``CTRL_BREAK_EVENT``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

#: Signal names that stop a run, where the platform has them.
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")


def exit_code_for(name: str | None) -> int:
    """The exit code of a run stopped by the signal ``name`` (130 when unknown: Ctrl-C)."""
    number = getattr(signal, name, None) if name else None
    return 128 + int(number) if number is not None else 130


class StopSignals:
    """Context manager: while entered, the stop signals set :attr:`requested` (see above)."""

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        #: The name of the first stop signal received (``"SIGTERM"``), None without one.
        self.requested: str | None = None
        #: Whether a signal came during the shutdown (said once).
        self._hurried = False
        self._shutting_down = False
        #: The handler each signal had before (what signal.signal returned), to put back.
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
        self._notify = notify or (lambda text: print(text, file=sys.stderr, flush=True))

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is None:
                continue
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except (OSError, ValueError):  # not settable here (e.g. an embedded interpreter)
                continue
        return self

    def __exit__(self, *exc_info) -> None:
        for number, previous in self._previous.items():
            try:
                signal.signal(number, previous)
            except (OSError, ValueError, TypeError):
                signal.signal(number, signal.SIG_DFL)
        self._previous.clear()

    def shutting_down(self) -> None:
        """From now on signals only hurry the shutdown."""
        self._shutting_down = True

    def _handle(self, number, frame) -> None:
        name = signal.Signals(number).name
        if self._shutting_down:
            if not self._hurried:
                self._hurried = True
                self._say("orcapost: stopping; writing what finished, not waiting for workers")
            return
        if self.requested is None:
            self.requested = name
            self._say(f"orcapost: {name}: stopping; what finished is written "
                      "(again to stop at once)")
            return
        raise KeyboardInterrupt

    def _say(self, text: str) -> None:
        try:
            self._notify(text)
        except Exception:  # noqa: S110 -- a closed console must not break the shutdown
            pass
