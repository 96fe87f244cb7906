"""The ``gc`` memory optimizer: collect garbage after each file, or when memory grows.

Extractors and sources can leave reference cycles behind (a model object pointing at its
children and back); CPython frees them only when its cyclic collector runs, which it does by
allocation counts, not by bytes. With multi-GB models that lag is memory a next file needs.
``every_file: true`` collects after each file; otherwise a collection runs when the process's
resident memory has grown by ``growth`` since the last one. Collection runs on the coordinating
thread of the coordinating process (worker processes free a file's memory when it returns).
"""

from __future__ import annotations

import gc

from orcapost.api import MemoryOptimizer, Size, StrictModel, hookimpl
from pydantic import ByteSize, Field


class GcOptions(StrictModel):
    every_file: bool = Field(default=False, description="Collect after every file.")
    growth: Size = Field(default=ByteSize(500_000_000),
                         description="Otherwise collect when memory grew this much (e.g. 500MB).")


class GarbageCollector(MemoryOptimizer):
    """Runs Python's garbage collector after each file, or when memory grew past a threshold."""

    name = "gc"
    Options = GcOptions

    def __init__(self, options=None, rss=None) -> None:
        super().__init__(options)
        if rss is None:
            from orcapost.api import process_rss

            # This process's memory only: gc runs here, on the coordinator, and cannot free
            # what worker processes hold (each frees its file's memory when it returns).
            def rss():
                return process_rss(include_children=False)
        self._rss = rss
        self._last: int | None = None
        self.collections = 0

    def file_done(self, result) -> None:
        if self.options.every_file:
            self._collect()
            return
        rss = self._rss()
        if self._last is None:
            self._last = rss
        elif rss - self._last >= self.options.growth:
            self._collect()

    def _collect(self) -> None:
        gc.collect()
        self.collections += 1
        self._last = self._rss()


@hookimpl
def orcapost_register_memory_optimizers(register):
    register(GarbageCollector)
