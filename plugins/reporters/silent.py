"""The ``silent`` reporter: prints nothing (``--quiet``)."""

from orcapost.api import Reporter, hookimpl


class SilentReporter(Reporter):
    """No progress output at all."""

    name = "silent"


@hookimpl
def orcapost_register_reporters(register):
    register(SilentReporter)
