"""The progress reporter as a run listener.

The reporter a run shows progress with (``engine.progress``, ``--progress``, ``--quiet``) is a
:class:`~orcapost.components.Reporter` component, chosen by name. For the length of a run the
engine registers a :class:`ReporterListener` around it on the plugin manager, under the name
:data:`REPORTER_PLUGIN`, as pytest registers its terminal reporter: the reporter sees the run
through the same hooks as any plugin. Blocking that name (``ORCAPOST_DISABLE_PLUGINS`` or
``pm.set_blocked``) turns it off, so a plugin can show progress its own way instead.
"""

from __future__ import annotations

from orcapost.components import Reporter
from orcapost.markers import hookimpl
from orcapost.results import FileInfo, FileResult, RunContext, RunSummary

#: The plugin name of the run's reporter listener.
REPORTER_PLUGIN = "orcapost.run.reporter"


class ReporterListener:
    """Run listener: forwards the run hooks to a :class:`Reporter` component."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    @hookimpl
    def orcapost_run_start(self, context: RunContext) -> None:
        self.reporter.start(context)

    @hookimpl
    def orcapost_file_started(self, file: FileInfo) -> None:
        self.reporter.file_started(file)

    @hookimpl
    def orcapost_file_done(self, result: FileResult) -> None:
        self.reporter.file_done(result)

    @hookimpl
    def orcapost_heartbeat(self, context: RunContext) -> None:
        self.reporter.heartbeat(context)

    @hookimpl
    def orcapost_run_summary(self, summary: RunSummary) -> None:
        self.reporter.finish(summary)
