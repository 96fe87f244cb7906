"""The pool whose files take turns (orcapost.turns.TurnPool): one runs at a time, a file that
stalls (waits on I/O, hangs) lets the next start, and no file waits longer than the stall
time for its turn."""

from __future__ import annotations

import threading
import time

from orcapost.turns import TurnPool


def _tracking(pool: TurnPool, peaks: list[int]):
    def task(seconds: float, release: threading.Event | None = None) -> int:
        peaks.append(pool.running())
        if release is not None:
            release.wait(10)
        else:
            time.sleep(seconds)
        return pool.running()
    return task


def test_files_run_one_at_a_time_on_many_threads() -> None:
    pool = TurnPool(8, stall_seconds=5.0)
    peaks: list[int] = []
    task = _tracking(pool, peaks)
    try:
        futures = [pool.submit(task, 0.02) for _ in range(8)]
        assert [f.result(10) for f in futures] == [1] * 8
    finally:
        pool.shutdown()
    assert peaks == [1] * 8  # never two at once, though 8 threads were free


def test_a_stalled_file_lets_the_others_run_one_at_a_time() -> None:
    """A hung file (here: one waiting for an event) holds no other file up past the stall time,
    and the others still take turns among themselves."""
    pool = TurnPool(4, stall_seconds=0.5)
    peaks: list[int] = []
    task = _tracking(pool, peaks)
    release = threading.Event()
    try:
        hung = pool.submit(task, 0, release)
        time.sleep(0.1)
        began = time.monotonic()
        first = pool.submit(task, 0.01)
        first.result(10)
        waited = time.monotonic() - began  # for the hung file to stall: 0.4 s more
        began = time.monotonic()
        others = [pool.submit(task, 0.01) for _ in range(6)]
        for future in others:
            future.result(10)
        took = time.monotonic() - began
        assert not hung.done()
        assert 0.3 <= waited < 2
        assert took < 0.45  # once it stalled the hung file held none up (each: 0.5 s)
        assert max(peaks[1:]) == 2  # the hung one and one other at a time
    finally:
        release.set()
        pool.shutdown()


def test_no_file_waits_longer_than_the_stall_time_for_its_turn() -> None:
    """Busy files that each run just under the stall time: a file behind several still starts
    once it has waited the stall time (its timeout counts from its submission)."""
    pool = TurnPool(3, stall_seconds=0.3)
    peaks: list[int] = []
    task = _tracking(pool, peaks)
    try:
        submitted = time.monotonic()
        futures = [pool.submit(task, 0.25) for _ in range(3)]
        starts = []
        for future in futures:
            future.result(10)
            starts.append(time.monotonic() - submitted)
        assert max(peaks) >= 2  # the third did not wait for the second to end
        assert starts[-1] < 0.25 * 3  # one after the other would take 0.75 s
    finally:
        pool.shutdown()


def test_a_task_that_raises_gives_its_turn_back() -> None:
    pool = TurnPool(2, stall_seconds=5.0)

    def boom() -> None:
        raise ValueError("bad file")

    try:
        failed = pool.submit(boom)
        assert isinstance(failed.exception(10), ValueError)
        assert pool.submit(lambda: 7).result(2) == 7  # not held up 5 s behind a dead turn
        assert pool.running() == 0
    finally:
        pool.shutdown()
