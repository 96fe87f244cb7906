"""The ``silent`` reporter: prints nothing (``--quiet``)."""

from orcapost import hookimpl
from orcapost.components import Reporter


class SilentReporter(Reporter):
    """No progress output at all."""

    name = "silent"


@hookimpl
def orcapost_register_reporters(register):
    register(SilentReporter)
