"""The ``fixed`` thread policy: the same number of files at once for the whole run."""

from __future__ import annotations

from orcapost.api import DEFAULT_THREADS, StrictModel, ThreadPolicy, hookimpl
from pydantic import Field


class FixedOptions(StrictModel):
    threads: int = Field(
        default=DEFAULT_THREADS, ge=1, le=1024,
        description="Files processed at once (capped by the file count).",
    )


class FixedPolicy(ThreadPolicy):
    """A fixed number of files at once (default 15)."""

    name = "fixed"
    Options = FixedOptions

    def initial(self, files) -> int:
        return self.options.threads


@hookimpl
def orcapost_register_thread_policies(register):
    register(FixedPolicy)
