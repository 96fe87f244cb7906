"""The ``file_size`` thread policy: concurrency from the sizes of the files still queued.

Small files are CPU-bound and want many workers; large files contend for the disk (30 threads
was slower than 15 on multi-GB .sim files) and each worker holds a large model in memory. The
policy looks at the median size of the next files in the queue (at most 257 of them) -- at the
start, and again as files finish -- and interpolates linearly between ``small_threads`` at ``small_size`` and below and
``large_threads`` at ``large_size`` and above.
"""

from __future__ import annotations

import itertools
import statistics

from orcapost.api import Decision, Size, StrictModel, ThreadPolicy, hookimpl
from pydantic import ByteSize, Field, model_validator

#: The median is taken over the next this-many queued files: the ones the next decisions are
#: about, and a decision on a queue of 100 000 files stays cheap (the queue is a deque).
SAMPLE_FILES = 257


class FileSizeOptions(StrictModel):
    small_size: Size = Field(default=ByteSize(100_000_000), description="At or below: small_threads (e.g. 100MB).")
    large_size: Size = Field(default=ByteSize(1_000_000_000), description="At or above: large_threads (e.g. 1GB).")
    small_threads: int = Field(default=30, ge=1, le=1024,
                               description="Files at once when the queued files are small.")
    large_threads: int = Field(default=10, ge=1, le=1024,
                               description="Files at once when the queued files are large.")
    every: int = Field(default=4, ge=1,
                       description="Reconsider after this many files have finished.")

    @model_validator(mode="after")
    def _ordered(self):
        if self.large_size <= self.small_size:
            raise ValueError(f"large_size ({self.large_size} bytes) must be greater than "
                             f"small_size ({self.small_size} bytes)")
        return self


def _sample(files) -> list[int]:
    return [f.size for f in itertools.islice(files, SAMPLE_FILES)]


class FileSizePolicy(ThreadPolicy):
    """Concurrency from queued file sizes: up to 30 for small files, down to 10 for large."""

    name = "file_size"
    Options = FileSizeOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self._since = 0

    def threads_for(self, size: float) -> int:
        o = self.options
        if size <= o.small_size:
            return o.small_threads
        if size >= o.large_size:
            return o.large_threads
        fraction = (size - o.small_size) / (o.large_size - o.small_size)
        return max(1, round(o.small_threads + fraction * (o.large_threads - o.small_threads)))

    def _decide(self, files) -> Decision | None:
        sizes = _sample(files)
        if not sizes:
            return None
        median = statistics.median(sizes)
        threads = self.threads_for(median)
        return Decision(threads, f"median of the next {len(sizes)} queued files "
                                 f"{median / 1e6:.1f} MB -> {threads} at once",
                        {"median_size": median})

    def initial(self, files) -> Decision:
        return self._decide(files) or Decision(self.options.small_threads, "no files to measure")

    def ceiling(self, files) -> int:
        return max(self.options.small_threads, self.options.large_threads)

    def update(self, context):
        self._since += 1
        if self._since < self.options.every:
            return None
        self._since = 0
        return self._decide(context.queued)


@hookimpl
def orcapost_register_thread_policies(register):
    register(FileSizePolicy)
