"""Errors that end a command with a clear message instead of a traceback.

Every error a user can cause derives from :class:`OrcapostError`: it carries what is wrong and
what to do about it, and the CLI turns it into a message and an exit code (2 for usage and config
problems). Per-file problems are *not* exceptions that reach the user: the engine turns them into
failure rows and the run goes on.
"""

from __future__ import annotations


class OrcapostError(Exception):
    """A problem the user can fix. ``hint`` says how."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class PluginError(OrcapostError):
    """A plugin could not be loaded or registered, or two plugins claim one component name."""


class ResultFileError(Exception):
    """A problem with one result file (opening or extracting). Becomes a failure row, never fatal.

    ``stage`` is ``"open"`` or ``"extract"``.
    """

    def __init__(self, message: str, stage: str = "extract") -> None:
        super().__init__(message)
        self.stage = stage


class NotInFile(ResultFileError):
    """The file has no such value: a variable without a static state, a pattern that matches
    no variable of an object. Sources raise it (and only it) for that, so that a column's
    ``missing: skip`` leaves out what is absent without hiding what is broken: a read error,
    a failed solve or a bad position is any other :class:`ResultFileError` and still fails."""
