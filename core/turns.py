"""A thread pool whose files take turns: one runs at a time, unless the running ones stall.

Per-file work on small archives and OpenFAST files holds the GIL (short numpy calls, Python
between them), so two files on threads of one process take longer than one after the other
(30 demo files of 3 MB: 1.18 s on one thread, 1.42 s on two, 1.81 s on 15). A campaign of such
files too small to pay for a worker process therefore runs one file at a time. One thread
alone would let one hung file (a network share that stopped answering) hold up every other
until its timeout, which 15 threads never did; so the pool keeps as many threads as the run
asks for and lets a file start when every file running has run ``TurnPool.stall_seconds`` or
more (waiting on I/O or hung: holding no GIL), and never keeps a file waiting longer than that
for its turn (a file's ``engine.file_timeout`` counts from its submission).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor


class TurnPool(ThreadPoolExecutor):
    """``max_workers`` threads; the tasks submitted take turns (the module's rule). None waits
    for its turn longer than ``stall_seconds``: an executor using this pool says so in its
    ``Capacity.turn_wait``, so that the engine's file timeout does not count the wait."""

    #: A file running this long no longer keeps the next from starting (seconds). Longer than
    #: a small file's first run with its warm-ups (numba's start: 0.7-1.4 s on a 2-core VM),
    #: far shorter than any timeout.
    stall_seconds: float = 2.0

    def __init__(self, max_workers: int, thread_name_prefix: str = "",
                 stall_seconds: float | None = None) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        if stall_seconds is not None:
            self.stall_seconds = stall_seconds
        self._turn = threading.Condition()
        self._started: dict[int, float] = {}  # running task -> when it started (monotonic)
        self._next_id = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(self._in_turn, time.monotonic(), fn, args, kwargs)

    def _in_turn(self, submitted: float, fn, args, kwargs):
        task = self._wait_for_turn(submitted)
        try:
            return fn(*args, **kwargs)
        finally:
            with self._turn:
                del self._started[task]
                self._turn.notify_all()

    def _wait_for_turn(self, submitted: float) -> int:
        with self._turn:
            while True:
                now = time.monotonic()
                waited = now - submitted
                active = [began for began in self._started.values()
                          if now - began < self.stall_seconds]
                if not active or waited >= self.stall_seconds:
                    task, self._next_id = self._next_id, self._next_id + 1
                    self._started[task] = now
                    return task
                # Until the youngest running file stalls, or this one has waited its most.
                self._turn.wait(min(self.stall_seconds - (now - max(active)),
                                    self.stall_seconds - waited))

    def running(self) -> int:
        """Tasks running now (not waiting for their turn)."""
        with self._turn:
            return len(self._started)
