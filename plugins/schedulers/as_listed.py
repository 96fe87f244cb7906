"""The ``as_listed`` I/O scheduler: files in discovery order (sorted by path)."""

from __future__ import annotations

from orcapost.api import IOScheduler, hookimpl


class AsListed(IOScheduler):
    """Files in the order discovered (sorted by path, or as inputs.files lists them)."""

    name = "as_listed"

    def order(self, files):
        return list(files)


@hookimpl
def orcapost_register_io_schedulers(register):
    register(AsListed)
