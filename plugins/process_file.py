"""The default ``orcapost_process_file``: open, extract and close one file on this worker.

A plugin that wraps or replaces it (``@hookimpl(wrapper=True)``, or ``tryfirst``) sees the same
task; see docs/hooks.md.
"""

from __future__ import annotations

from orcapost.api import FileResult, hookimpl


@hookimpl(trylast=True)
def orcapost_process_file(task) -> FileResult:
    return task.execute()
