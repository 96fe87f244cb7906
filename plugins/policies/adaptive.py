"""The ``adaptive`` thread policy: finds the best concurrency by measuring throughput.

Nobody knows in advance where a disk or a network share stops scaling, so the policy measures it.
Throughput is measured in windows: after a change, the files that were already running finish
first (they ran under the old setting); a window then runs from one completion to the completion
that brings at least ``min_files`` files and ``generations`` times as many files as are running,
over at least ``min_seconds``. Files started together finish in waves, so a window measured from
a fixed instant would count a wave's wait but not its files; completion to completion it does
not. Bytes per second decide (files per second when the files are empty); both are logged.

- **Slow start**: from ``start`` (the ``fixed`` default, 15: switching to ``adaptive`` never
  starts worse off), halve while each halving raises throughput by more than ``tolerance``; if the
  very first halving does not, double instead, while doubling raises it. Halving is tried first
  because a window at a high concurrency costs the most time exactly when the storage is slow
  there (a window spans more files).
- **Hill climbing**: then go back to the best level measured ("home") and probe one ``step``
  above it and one below; a probe that beats home by more than ``tolerance`` becomes home and
  the climb goes on in that direction; one that does not sends the policy back home.
- **Hold**: with both neighbours no better, stay home for ``hold`` windows, then probe again.
- **Back-off**: if throughput at home falls by more than ``drop`` in two windows running (the
  storage got slower, other jobs started), multiply the concurrency by ``backoff`` and climb
  again from there.

Never above ``max_threads`` (nor the run's ceiling), never below ``min_threads`` (>= 1); ``start``
is clamped between them. Every
change is logged in the run report with its reason and the measurement behind it. No decision is
taken at the tail of a run, when fewer files are queued than are running.
"""

from __future__ import annotations

import time

from orcapost.api import DEFAULT_THREADS, Decision, StrictModel, ThreadPolicy, hookimpl
from pydantic import Field, model_validator

SLOW_START = "slow start"
PROBE = "probe"
HOME = "home"


class AdaptiveOptions(StrictModel):
    start: int = Field(default=DEFAULT_THREADS, ge=1, le=1024,
                       description="Files at once to begin with (the fixed default, 15).")
    max_threads: int = Field(default=30, ge=1, le=1024,
                             description="Never more files at once than this.")
    min_threads: int = Field(default=1, ge=1, le=1024,
                             description="Never fewer files at once than this.")
    step: int = Field(default=2, ge=1, le=64, description="Additive probe step.")
    tolerance: float = Field(default=0.05, ge=0.0, le=0.5,
                             description="A relative throughput change smaller than this is noise.")
    drop: float = Field(default=0.25, gt=0.0, lt=1.0,
                        description="A fall at the same level larger than this triggers back-off.")
    backoff: float = Field(default=0.5, gt=0.0, lt=1.0,
                           description="Multiplicative decrease on back-off.")
    min_seconds: float = Field(default=0.1, ge=0.0, description="Shortest measurement window.")
    min_files: int = Field(default=4, ge=1, description="Fewest files in a measurement window.")
    generations: float = Field(default=2.0, ge=0.5, le=20.0,
                               description="A hill-climbing window also spans this many "
                                           "files per file running (slow start: one).")
    hold: int = Field(default=8, ge=1,
                      description="Windows spent at the best level before probing again.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.min_threads > self.max_threads:
            raise ValueError(f"min_threads ({self.min_threads}) is above max_threads "
                             f"({self.max_threads})")
        return self


class AdaptivePolicy(ThreadPolicy):
    """Measures throughput while running and climbs to the best concurrency (up to 30)."""

    name = "adaptive"
    Options = AdaptiveOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        #: Injected in tests to drive the policy with a simulated clock.
        self.clock = time.perf_counter
        self.reason: str | None = None
        self.measurement: dict | None = None
        self.level = self._start = self._clamp_options(self.options.start)
        self.phase = SLOW_START
        self.home: int | None = None
        self.measured: dict[int, float] = {}
        self._previous: float | None = None  # the last window's throughput (slow start)
        self._direction = 1
        # Slow start halves first: a window at a high level costs the most time exactly when
        # the storage is slow there; if the first halving does not pay, it doubles instead.
        self._slow_direction = -1
        self._slow_switched = False
        self._tried: set[int] = set()
        self._held = 0
        self._falling = False
        self._top = self.options.max_threads
        self._settle = 0
        self._window_start: float | None = None
        self._bytes = 0
        self._files = 0

    # -- the ThreadPolicy protocol -----------------------------------------------------------
    def initial(self, files) -> Decision:
        self._top = max(1, min(self.options.max_threads, len(files) or 1))
        self.level = self._start = max(self.options.min_threads,
                                       min(self.options.start, self._top))
        self.reason = f"start at {self.level}, measuring"
        # The first files carry the run's start-up (plan, pool, first opens): measuring from
        # the first wave of completions on keeps that out of the start level's figure.
        self._settle = self.level
        self._window_start = None
        return Decision(self.level, self.reason)

    def ceiling(self, files) -> int:
        return self.options.max_threads

    def update(self, context) -> Decision | None:
        """The next level, with the reason and the measurement behind it (None: keep it)."""
        level = self._next_level(context)
        if level is None:
            return None
        return Decision(level, self.reason, dict(self.measurement or {}))

    def _next_level(self, context) -> int | None:
        self._top = max(1, min(self.options.max_threads, context.ceiling or self._top))
        now = self.clock()
        if self._settle > 0:  # a file started under the previous setting
            self._settle -= 1
            if self._settle == 0:
                self._open_window(now)  # the last of them starts the window
            return None
        if self._window_start is None:
            self._open_window(now)
            return None
        result = context.results[-1]
        self._files += 1
        self._bytes += result.size
        elapsed = now - self._window_start
        # Slow start takes rough steps (x2, /2): one wave of files tells them apart; the
        # finer hill climbing measures over ``generations`` waves.
        waves = 1.0 if self.phase == SLOW_START else self.options.generations
        enough = max(self.options.min_files, round(waves * self.level))
        if self._files < enough or elapsed < self.options.min_seconds:
            return None
        if len(context.queued) < self.level:
            return None  # the tail of the run: fewer workers busy whatever the policy says
        bytes_rate = self._bytes / elapsed if elapsed > 0 else 0.0
        files_rate = self._files / elapsed if elapsed > 0 else 0.0
        rate = bytes_rate if self._bytes else files_rate
        self.measurement = {"bytes_per_second": round(bytes_rate, 1),
                            "files_per_second": round(files_rate, 3),
                            "window_files": self._files, "window_seconds": round(elapsed, 4)}
        new = self._decide(rate)
        if new is None or new == self.level:
            self._open_window(now)  # this completion ends one window and starts the next
            return None
        self._settle = max(1, min(context.in_flight, self.level))
        self._window_start = None
        self.level = new
        return new

    # -- decisions ---------------------------------------------------------------------------
    def _open_window(self, now: float) -> None:
        self._window_start = now
        self._bytes = 0
        self._files = 0

    def _clamp_options(self, level: int) -> int:
        return max(self.options.min_threads, min(self.options.max_threads, level))

    def _clamp(self, level: int) -> int:
        return max(self.options.min_threads, min(self._top, level))

    def _multiply(self, level: int) -> int:
        if self._slow_direction > 0:
            return self._clamp(level * 2)
        return self._clamp(level // 2)

    def _better(self, rate: float, than: float | None) -> bool:
        return than is None or rate > than * (1 + self.options.tolerance)

    def _decide(self, rate: float) -> int | None:
        level = self.level
        before = self.measured.get(level)
        self.measured[level] = rate
        mbs = f"{rate / 1e6:.1f} MB/s" if self._bytes else f"{rate:.2f} files/s"
        if self.phase == SLOW_START:
            step = self._multiply(level)
            if self._better(rate, self._previous) and step != level:
                self._previous = rate
                verb = "double" if self._slow_direction > 0 else "halve"
                self.reason = f"slow start: {mbs} at {level}, better: {verb}"
                return step
            start = self._start
            if not self._slow_switched and max(self.measured, key=self.measured.__getitem__) == start:
                # The first move from the start did not pay: try the other way.
                self._slow_switched = True
                self._slow_direction = -self._slow_direction
                other = self._multiply(start)
                if other != start:
                    self._previous = self.measured[start]
                    verb = "double" if self._slow_direction > 0 else "halve"
                    self.reason = f"slow start: {mbs} at {level}, no better than {start}: {verb}"
                    return other
            self.home = max(self.measured, key=self.measured.__getitem__)
            self.phase = HOME
            self._tried = set()
            self.reason = (f"slow start over: {mbs} at {level}; best so far at {self.home}")
            return self._after_home() if self.home == level else self.home
        if self.phase == PROBE:
            home_rate = self.measured.get(self.home) if self.home is not None else None
            if self._better(rate, home_rate):
                self.reason = f"probe {level} beats {self.home} ({mbs}): climb on"
                self.home = level
                self._tried = {-self._direction}
                return self._after_home()
            self._tried.add(self._direction)
            self.phase = HOME
            self.reason = f"probe {level} no better ({mbs}): back to {self.home}"
            return self.home
        # HOME: a fresh measurement of the best level. A fall must show in two windows running
        # (one slow window is noise on a busy machine), then back off.
        if before is not None and rate < before * (1 - self.options.drop):
            if not self._falling:
                self._falling = True
                self.measured[level] = before  # compare the next window with the old figure
                self.reason = f"throughput fell at {level} ({mbs}): measuring again"
                return None
            self._falling = False
            new = self._clamp(int(level * self.options.backoff))
            self.reason = (f"throughput fell {100 * (1 - rate / before):.0f}% at {level} "
                           f"({mbs}): back off to {new}")
            self.measured = {}  # measured under other conditions
            self.home = new
            self._tried = set()
            self.phase = HOME
            return new
        self._falling = False
        return self._after_home()

    def _after_home(self) -> int | None:
        self.phase = HOME
        probe = self._next_probe()
        if probe is not None:
            return probe
        self._held += 1
        if self._held >= self.options.hold:  # conditions change: look around again
            self._held = 0
            self._tried = set()
        return None

    def _next_probe(self) -> int | None:
        for direction in (self._direction, -self._direction):
            if direction in self._tried:
                continue
            candidate = self._clamp(self.home + direction * self.options.step)
            if candidate == self.home:
                self._tried.add(direction)
                continue
            self._direction = direction
            self.phase = PROBE
            self.reason = (self.reason or "") + f"; probe {candidate}"
            return candidate
        return None


@hookimpl
def orcapost_register_thread_policies(register):
    register(AdaptivePolicy)
