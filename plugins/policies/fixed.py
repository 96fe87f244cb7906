"""The ``fixed`` thread policy: the same number of files at once for the whole run.

``threads`` given (in config or by ``--threads``): that many. Not given: 15 (the default) under
the ``threads`` executor, and under an executor with a fixed number of slots (worker processes,
a Dask cluster's threads) as many as it has, so a 64-thread cluster is not run 15 at a time.
"""

from __future__ import annotations

from orcapost.api import DEFAULT_THREADS, Decision, StrictModel, ThreadPolicy, hookimpl
from pydantic import Field


class FixedOptions(StrictModel):
    threads: int = Field(
        default=DEFAULT_THREADS, ge=1, le=1024,
        description="Files processed at once (capped by the file count and the executor's "
                    "slots); not given: 15, or the executor's slots when it has a fixed number.",
    )


class FixedPolicy(ThreadPolicy):
    """A fixed number of files at once (default 15)."""

    name = "fixed"
    Options = FixedOptions

    def initial(self, files) -> Decision | int:
        slots = self.capacity.slots if self.capacity is not None else None
        if "threads" not in self.options.model_fields_set and slots is not None:
            return Decision(slots, f"the executor's {slots} slots (threads not given)")
        return self.options.threads


@hookimpl
def orcapost_register_thread_policies(register):
    register(FixedPolicy)
