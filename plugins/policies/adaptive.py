"""The ``adaptive`` thread policy: finds the best concurrency by measuring throughput.

Nobody knows in advance where a disk or a network share stops scaling, so the policy measures
it -- and, on a shared machine, measures how noisy its own measurements are, so that it moves
only on a difference the noise cannot explain.

**Windows.** After a change, the files that were already running finish first (they ran under
the old setting). A window then runs from one completion to the completion that brings at least
``min_files`` files and ``generations`` times as many files as are running, over at least
``min_seconds``. Files started together finish in waves, so a window measured from a fixed
instant would count a wave's wait but not its files; completion to completion it does not.
Bytes per second decide (files per second when the files are empty).

**Noise.** Each level keeps the rates of its windows. The relative window-to-window noise
``sigma`` is pooled over every level with repeated windows (the residuals of each window from
its level's mean), starting from the prior ``noise`` counted as two windows' worth of evidence,
so that two lucky windows cannot make the policy trust a 1 % difference.

**Significance.** A level beats another only if its mean rate is higher by more than
``sigmas`` standard errors of the difference, ``sigma * sqrt(1/n_a + 1/n_b)``, and by more
than ``tolerance`` (a gain too small to be worth a move). A level is worse once it is lower by
the same margin. Neither: the policy stays where it is (hysteresis: ties keep home).

**Climb.** Home is the level in use (at first ``start``, the ``fixed`` default, 15). Home is
measured over ``repeats`` windows, then its neighbours are probed at a relative step ``factor``:
first ``home * factor`` (up comes first), then below home, each at least ``step`` files away.
The step down is a quarter of the step up (``home / (1 + (factor - 1) / 4)``: 12 from 15 at the
first step) until a step down has paid, then the full step: below a knee throughput is
proportional to concurrency, so a probe at ``home / 2`` costs half of the throughput for as long
as it runs -- on the contention model at the seed's calibration, probing 7, 10 and 12 from 15
cost more than all the probes above (30 is 90 % of 15 there, 7 is 47 %). A probe above home
that is not behind it rules out a probe below at that step (one peak: a better level below
would make throughput fall from there through home to the probe). A probe is measured for up
to ``repeats`` windows (it is abandoned after one if it is already significantly worse, and
measured for up to three times as long if it is ahead of home without being significantly
better: not being behind, it costs nothing against home -- unless it is above home, ahead by
less than ``tolerance`` and half the margin, and a smaller step will land between them,
``_level_with_home``); if it is significantly better it
becomes home and the climb goes on in that direction at the same step; if not, the policy
goes home. With neither neighbour
better the step shrinks (``factor`` 2 -> 1.5 -> 1.25 ...); once it is below ``min_step`` the
policy has **converged** and stays home. A level already measured is compared, not re-run
(one the current home already beat is skipped).

**Re-probe and back-off.** Converged, it stays home for ``hold`` windows, then probes the
smallest step's neighbours again (conditions change during a long run); each re-probe that
finds nothing better doubles the wait before the next. If throughput at home
falls by more than ``drop`` and more than ``sigmas`` times the noise in two windows running (the share got slower, other jobs started),
concurrency is multiplied by ``backoff`` and the climb starts again from a step of 2.

Assumptions: throughput is a unimodal function of concurrency (rises to a knee, then flat or
falling), it changes slowly compared with a window, and windows at one level are independent
samples. Never above ``max_threads`` (nor the run's ceiling or the executor's slots), never
below ``min_threads`` (>= 1). Every change is logged in the run report with its reason and the
measurement behind it. No decision is taken at the tail of a run, when fewer files are queued
than are running, and no probe starts that the files left cannot measure (``_can_measure``).
"""

from __future__ import annotations

import math
import time
from statistics import fmean

from orcapost.api import DEFAULT_THREADS, Decision, StrictModel, ThreadPolicy, hookimpl
from pydantic import Field, model_validator

HOME = "home"
PROBE = "probe"
CONVERGED = "converged"
CONFIRM = "confirm"

#: The prior noise counts as this many windows' worth of residual degrees of freedom.
PRIOR_WEIGHT = 2.0
#: The first step of the climb (x2, /2): the "slow start".
FIRST_FACTOR = 2.0
#: Until a step down has paid, a step down is this share of the step up (see **Climb**).
DOWN_SHARE = 0.25
#: A probe ahead of home but not significantly is measured for up to this many times
#: ``repeats`` windows before it is given up.
PROMISING_REPEATS = 3
#: A probe better than home by less than this (relative) is confirmed against home's windows
#: measured after it before it becomes home: a quieter spell of a shared machine during the
#: probe looks like a better level. A larger gain is not drift.
CONFIRM_BELOW = 0.5


class AdaptiveOptions(StrictModel):
    start: int = Field(default=DEFAULT_THREADS, ge=1, le=1024,
                       description="Files at once to begin with (the fixed default, 15).")
    max_threads: int = Field(default=30, ge=1, le=1024,
                             description="Never more files at once than this.")
    min_threads: int = Field(default=1, ge=1, le=1024,
                             description="Never fewer files at once than this.")
    step: int = Field(default=1, ge=1, le=64,
                      description="A probe is at least this many files from home.")
    sigmas: float = Field(default=3.0, ge=0.0, le=10.0,
                          description="A level must beat another by this many standard "
                                      "errors of the difference to count as better.")
    noise: float = Field(default=0.10, ge=0.0, le=1.0,
                         description="Prior relative window-to-window noise, until repeated "
                                     "windows measure it.")
    tolerance: float = Field(default=0.05, ge=0.0, le=0.5,
                             description="A relative gain smaller than this is never worth a "
                                         "move, however quiet the machine.")
    repeats: int = Field(default=2, ge=1, le=20,
                         description="Windows measured at a level before it is compared.")
    min_step: float = Field(default=0.15, gt=0.0, le=1.0,
                            description="The relative step below which the climb has "
                                        "converged.")
    drop: float = Field(default=0.25, gt=0.0, lt=1.0,
                        description="A fall at home larger than this, two windows running, "
                                    "triggers back-off.")
    backoff: float = Field(default=0.5, gt=0.0, lt=1.0,
                           description="Multiplicative decrease on back-off.")
    min_seconds: float = Field(default=0.25, ge=0.0, description="Shortest measurement window.")
    min_files: int = Field(default=4, ge=1, description="Fewest files in a measurement window.")
    generations: float = Field(default=4.0, ge=0.5, le=20.0,
                               description="A window also spans this many files per file "
                                           "running.")
    hold: int = Field(default=20, ge=1,
                      description="Windows at home, once converged, before probing again "
                                  "(doubled after each re-probe that finds nothing better).")

    @model_validator(mode="after")
    def _bounds(self):
        if self.min_threads > self.max_threads:
            raise ValueError(f"min_threads ({self.min_threads}) is above max_threads "
                             f"({self.max_threads})")
        return self


def pooled_noise(samples: dict[int, list[float]], prior: float,
                 prior_weight: float = PRIOR_WEIGHT) -> float:
    """Relative window-to-window noise pooled over levels, shrunk towards ``prior``.

    Each level with n > 1 windows gives n - 1 degrees of freedom of squared relative
    residuals; the prior counts as ``prior_weight`` of them.
    """
    squares = prior_weight * prior * prior
    dof = prior_weight
    for rates in samples.values():
        if len(rates) < 2:
            continue
        mean = fmean(rates)
        if mean <= 0:
            continue
        squares += sum((r / mean - 1.0) ** 2 for r in rates)
        dof += len(rates) - 1
    return math.sqrt(squares / dof) if dof > 0 else prior


class AdaptivePolicy(ThreadPolicy):
    """Measures throughput and its noise while running; climbs to the best concurrency."""

    name = "adaptive"
    Options = AdaptiveOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        #: Injected in tests to drive the policy with a simulated clock.
        self.clock = time.perf_counter
        self.reason: str | None = None
        self.measurement: dict | None = None
        self.level = self._start = self._clamp_options(self.options.start)
        self.phase = HOME
        self.home: int = self.level
        #: Window rates per level since the last back-off (this "epoch").
        self.samples: dict[int, list[float]] = {}
        self.factor = FIRST_FACTOR
        self._direction = 1  # up first: below a knee, a step down costs its whole share
        self._descending = False  # a step down has paid: step down by the full factor
        self._tried: set[int] = set()
        self._fresh = 0  # home windows since the last probe came back
        self._held = 0
        self._hold = self.options.hold  # windows converged before a re-probe (doubles)
        self._reprobed: int | None = None  # the home the last re-probe started from
        #: Levels probed and not better since the last back-off or re-probe, each with the home
        #: it lost to: a smaller step that lands on one again (from 2, every step down is 1)
        #: is not run again against that home; against another home it is compared from its
        #: windows (when it has enough of them).
        self._rejected: dict[int, int] = {}
        self._falling = False
        self._top = self.options.max_threads
        self._settle = 0
        self._window_start: float | None = None
        self._home_seconds = 0.0
        self._candidate = 0
        self._home_before = 0
        self._bytes = 0
        self._files = 0
        #: Files queued at the last window's end (a probe needs enough of them to finish).
        self._queued = 0

    # -- the ThreadPolicy protocol -----------------------------------------------------------
    def initial(self, files) -> Decision:
        top = min(self.options.max_threads, len(files) or 1)
        if self.capacity is not None and self.capacity.slots:
            top = min(top, self.capacity.slots)  # the executor cannot run more at once
        self._top = max(1, top)
        self.level = self._start = self.home = max(self.options.min_threads,
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

    @property
    def sigma(self) -> float:
        """The relative window-to-window noise measured so far (with the prior)."""
        return pooled_noise(self.samples, self.options.noise)

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
        enough = max(self.options.min_files, round(self.options.generations * self.level))
        # A shared machine's noise comes in spells of time: a probe's window lasts as long as
        # home's last one, so both average over as much of it (and compare at equal noise).
        shortest = self.options.min_seconds
        if self.phase == PROBE:
            shortest = max(shortest, self._home_seconds)
        if self._files < enough or elapsed < shortest:
            return None
        if len(context.queued) < self.level:
            return None  # the tail of the run: fewer workers busy whatever the policy says
        self._queued = len(context.queued)
        bytes_rate = self._bytes / elapsed if elapsed > 0 else 0.0
        files_rate = self._files / elapsed if elapsed > 0 else 0.0
        rate = bytes_rate if self._bytes else files_rate
        self._unit = "MB/s" if self._bytes else "files/s"
        self.samples.setdefault(self.level, []).append(rate)
        if self.phase != PROBE:
            self._home_seconds = elapsed
        self.measurement = {"bytes_per_second": round(bytes_rate, 1),
                            "files_per_second": round(files_rate, 3),
                            "window_files": self._files, "window_seconds": round(elapsed, 4),
                            "noise": round(self.sigma, 4)}
        new = self._decide(rate)
        if new is None or new == self.level:
            self._open_window(now)  # this completion ends one window and starts the next
            return None
        self._settle = max(1, min(context.in_flight, self.level))
        self._window_start = None
        self.level = new
        return new

    # -- measurement helpers -----------------------------------------------------------------
    def _open_window(self, now: float) -> None:
        self._window_start = now
        self._bytes = 0
        self._files = 0

    def _can_measure(self, level: int) -> bool:
        """Whether enough files are queued to measure a probe at ``level``: the files running
        now finish first, then ``repeats`` windows, before the tail (fewer files queued than
        the probe runs at once: no decision is taken there). A probe the run cannot finish
        costs its share of throughput and decides nothing (and would be the level the run
        ends at)."""
        window = max(self.options.min_files, round(self.options.generations * level))
        return self._queued >= self.level + self.options.repeats * window + level

    def _clamp_options(self, level: int) -> int:
        return max(self.options.min_threads, min(self.options.max_threads, level))

    def _clamp(self, level: int) -> int:
        return max(self.options.min_threads, min(self._top, level))

    def _margin(self, a: int, b: int) -> float:
        """The relative difference of means that counts between levels ``a`` and ``b``."""
        na, nb = len(self.samples.get(a, ())), len(self.samples.get(b, ()))
        if not na or not nb:
            return math.inf
        se = self.sigma * math.sqrt(1.0 / na + 1.0 / nb)
        return max(self.options.sigmas * se, self.options.tolerance)

    def _gain(self, a: int, b: int) -> float:
        """How much better ``a``'s mean rate is than ``b``'s (relative)."""
        mean_b = fmean(self.samples[b])
        return fmean(self.samples[a]) / mean_b - 1.0 if mean_b > 0 else 0.0

    def better(self, a: int, b: int) -> bool:
        """Is level ``a`` significantly faster than level ``b``?"""
        return self._gain(a, b) > self._margin(a, b)

    def worse(self, a: int, b: int) -> bool:
        """Is level ``a`` significantly slower than level ``b``?"""
        return -self._gain(a, b) > self._margin(a, b)

    def _neighbour(self, direction: int, factor: float | None = None) -> int:
        home, step = self.home, self.options.step
        factor = self.factor if factor is None else factor
        if direction > 0:
            return self._clamp(max(home + step, int(round(home * factor))))
        if not self._descending:
            factor = 1.0 + DOWN_SHARE * (factor - 1.0)
        return self._clamp(min(home - step, int(home / factor)))

    def _level_with_home(self, probe: int) -> bool:
        """A probe above home about as fast as home, with a smaller step to come that lands
        between them: measure there, not the probe longer (home gets a window first: its
        windows and the noise measured so far are what the probe between is compared with).

        About as fast: ahead by less than ``tolerance`` (a gain not worth a move, as measured)
        and less than half the margin that counts. Not the margin alone: early in a run it is
        mostly the prior noise, and half of it took a probe 10-13 % ahead -- really better,
        on the way up a rise -- for level, and gave it up. With one peak, two levels about as
        fast put it between them, where the next step probes; a probe clearly ahead but not
        yet proven may be on the way to a peak beyond it, and is measured longer. A window
        spans files in proportion to the level, so measuring a far probe above home longer is
        costly: on the contention model, 30 and 15 are both ~93 % of 20, and six windows at 30
        took half of a 12-s run. Below home a step down is a quarter step until one has paid,
        so its gain is small by construction: a probe below is measured longer, as before."""
        gain = self._gain(probe, self.home)
        if gain >= min(self.options.tolerance, 0.5 * self._margin(probe, self.home)):
            return False
        smaller = 1.0 + (self.factor - 1.0) / 2.0
        if smaller - 1.0 < self.options.min_step:
            return False  # the climb converges at the next shrink: no smaller step
        return self.home < self._neighbour(1, smaller) < probe  # never true below home

    def _rate_text(self, level: int) -> str:
        rates = self.samples.get(level) or [0.0]
        mean = fmean(rates)
        value = f"{mean / 1e6:.1f} MB/s" if self._unit == "MB/s" else f"{mean:.2f} files/s"
        return f"{value} at {level} ({len(rates)} window{'s' if len(rates) > 1 else ''})"

    @property
    def _stage(self) -> str:
        return "slow start" if self.factor >= FIRST_FACTOR else f"climb x{self.factor:g}"

    # -- decisions ---------------------------------------------------------------------------
    _unit = "MB/s"

    def _decide(self, rate: float) -> int | None:
        if self.phase == PROBE:
            return self._after_probe()
        if self.phase == CONFIRM:
            return self._after_confirm()
        stop, fall = self._fall()
        if stop:
            return fall
        self._fresh += 1
        if self.phase == CONVERGED:
            self._held += 1
            if self._held < self._hold:
                return None
            # Conditions change during a long run: look at the nearest neighbours again,
            # against fresh figures (the old ones were measured under other conditions).
            self._held = 0
            self._reprobed = self.home
            self._rejected = {}
            self.samples = {self.home: self.samples.get(self.home, [])[-self.options.repeats:]}
            self.factor = 1.0 + self.options.min_step
            self._tried = set()
            self.phase = HOME
            self.reason = f"converged at {self.home} for {self._hold} windows: re-probe"
        if len(self.samples.get(self.home, ())) < self.options.repeats or self._fresh < 1:
            return None
        return self._next_probe()

    def _fall(self) -> tuple[bool, int | None]:
        """Back-off when home's last two windows fell by more than ``drop``: (whether this
        window's decision is taken here, the new level or None)."""
        rates = self.samples.get(self.home, [])
        if len(rates) < 3:
            return False, None
        earlier = rates[:-2] if self._falling else rates[:-1]
        reference = fmean(earlier)
        # A fall must exceed ``drop`` and the noise: on a busy machine spells of 25 % are
        # common, and halving on each walked real runs down to 1 worker.
        noise = self.options.sigmas * self.sigma * math.sqrt(1.0 + 1.0 / len(earlier))
        if rates[-1] >= reference * (1 - max(self.options.drop, noise)):
            self._falling = False
            return False, None
        if not self._falling:
            self._falling = True  # one slow window is noise on a busy machine
            self.reason = f"throughput fell at {self.home}: measuring again"
            return True, None
        self._falling = False
        new = self._clamp(int(self.home * self.options.backoff))
        fell = 100 * (1 - fmean(rates[-2:]) / reference)
        self.reason = (f"throughput fell {fell:.0f}% at {self.home} in two windows: "
                       f"back off to {new}")
        self.samples = {}  # measured under other conditions
        self._hold = self.options.hold
        self._rejected = {}
        self.home = new
        self.factor = FIRST_FACTOR
        self._tried = set()
        self._fresh = 0
        self.phase = HOME
        return True, new

    def _next_probe(self) -> int | None:
        """The next neighbour to probe, or a step shrink, or convergence."""
        while True:
            short = None  # a neighbour the files left cannot measure (asked again next window)
            for direction in (self._direction, -self._direction):
                if direction in self._tried:
                    continue
                candidate = self._neighbour(direction)
                if candidate == self.home:
                    self._tried.add(direction)
                    continue
                self._direction = direction
                lost_to = self._rejected.get(candidate)
                if lost_to == self.home:  # this home beat it (or a confirm did): not again
                    self._tried.add(direction)
                    continue
                if len(self.samples.get(candidate, ())) >= self.options.repeats:
                    # Already measured in this epoch: compare without running it again (also
                    # a level rejected against an earlier home: it may beat this one).
                    if self.better(candidate, self.home):
                        self._move_home(candidate, "measured before")
                        return candidate
                    self._tried.add(direction)
                    continue
                if lost_to is not None:  # given up after one window: not run again
                    self._tried.add(direction)
                    continue
                if not self._can_measure(candidate):
                    short = candidate if short is None else short
                    continue
                self.phase = PROBE
                self.reason = (f"{self._stage}: {self._rate_text(self.home)}, "
                               f"noise {100 * self.sigma:.0f}%: probe {candidate}")
                return candidate
            if short is not None:  # the run ends before a probe could be measured: stay
                self.reason = (f"{self._stage}: too few files left to measure {short}: "
                               f"stay at {self.home}")
                return None
            # Neither neighbour is better at this step: shrink it.
            self.factor = 1.0 + (self.factor - 1.0) / 2.0
            self._tried = set()
            if self.factor - 1.0 < self.options.min_step:
                self.phase = CONVERGED
                self._held = 0
                if self._reprobed == self.home:
                    # A re-probe that found nothing better: wait twice as long for the next.
                    # With 2 files in flight (a hybrid executor's slots) a window is 8 files,
                    # and a re-probe every 20 windows probed 1 -- half the throughput -- ten
                    # times a run.
                    self._hold *= 2
                self.reason = (f"converged at {self.home}: {self._rate_text(self.home)}, "
                               f"noise {100 * self.sigma:.0f}%")
                return None

    def _after_probe(self) -> int | None:
        probe = self.level
        if self.worse(probe, self.home):
            verdict = "worse"
        elif len(self.samples[probe]) < self.options.repeats:
            return None  # not decided yet: measure another window
        elif self.better(probe, self.home):
            if self._gain(probe, self.home) < CONFIRM_BELOW:
                self._candidate = probe
                self._home_before = len(self.samples[self.home])
                self.phase = CONFIRM
                self.reason = (f"{self._stage}: {self._rate_text(probe)} looks better than "
                               f"{self._rate_text(self.home)}: confirm against home")
                return self.home
            self._move_home(probe, "probe")
            return self._next_probe()  # the probe's windows measured the new home
        elif (self._gain(probe, self.home) > 0.0
              and len(self.samples[probe]) < PROMISING_REPEATS * self.options.repeats
              and not self._level_with_home(probe)):
            # Promising but not proven: a probe ahead of home costs nothing against home to
            # measure longer, and more windows shrink the standard error.
            return None
        else:
            verdict = "no better"
        self._rejected[probe] = self.home
        self._tried.add(self._direction)
        self._direction = -self._direction
        self.phase = HOME
        self._fresh = 0
        said = (f"{self._stage}: probe {verdict} ({self._rate_text(probe)} against "
                f"{self._rate_text(self.home)})") + self._skip_below(probe)
        other = self._neighbour(self._direction)
        if (self._direction not in self._tried and other not in (self.home, probe)
                and other not in self._rejected and self._can_measure(other)
                and len(self.samples.get(other, ())) < self.options.repeats):
            # Home was measured just before this probe: try the other side straight away.
            self.phase = PROBE
            self.reason = f"{said}: probe {other}"
            return other
        self.reason = f"{said}: back to {self.home}"
        return self.home

    def _skip_below(self, probe: int) -> str:
        """After a probe above home that was not behind it: no probe below at this step.

        Throughput has one peak (the assumption): were the best level below home, throughput
        would fall from there through home to the probe, so a probe above that is not behind
        home says nothing below beats it -- and below a knee a probe costs its whole share of
        throughput for as long as it runs. Returns the words added to the reason."""
        if probe <= self.home or self._gain(probe, self.home) < 0.0:
            return ""
        # The next, smaller step probes above first again, also when below was already ruled
        # out (a home just moved up): down first, it probed below home after a probe above.
        self._direction = 1
        if -1 in self._tried:
            return ""
        self._tried.add(-1)
        return f"; {probe} is not behind {self.home}: nothing below to probe"

    def _after_confirm(self) -> int | None:
        """Home re-measured after a probe that looked better: move only if the probe is still
        ahead of these later windows by more than ``tolerance`` and significantly better than
        all of home's windows, the later ones included. Drift of the machine during the probe
        would lift home's later windows to the probe's level and fail both. (Asking the later
        windows alone for ``sigmas`` standard errors asked that of two windows: on the
        contention model a 13 % gain was never confirmed.)"""
        after = self.samples[self.home][self._home_before:]
        if len(after) < self.options.repeats:
            return None
        probe = self._candidate
        rates = self.samples[probe]
        gain = fmean(rates) / fmean(after) - 1.0 if fmean(after) > 0 else 0.0
        if gain > self.options.tolerance and self.better(probe, self.home):
            self._move_home(probe, "confirmed")
            return probe
        self._rejected[probe] = self.home
        self._tried.add(self._direction)
        self._direction = -self._direction
        self.phase = HOME
        self._fresh = len(after)
        said = (f"{self._stage}: {probe} not confirmed ({self._rate_text(probe)} against "
                f"{self._rate_text(self.home)})") + self._skip_below(probe)
        self.reason = said
        following = self._next_probe()
        if following is not None or self.phase == CONVERGED:
            self.reason = f"{said}; {self.reason}"
        return following

    def _move_home(self, level: int, how: str) -> None:
        old = self.home
        self.reason = (f"{self._stage}: {self._rate_text(level)} beats "
                       f"{self._rate_text(old)} ({how}), noise {100 * self.sigma:.0f}%: "
                       f"home {level}")
        self._descending = level < old
        self._hold = self.options.hold  # a new home: re-probe at the first cadence again
        self.home = level
        self.phase = HOME
        self._fresh = 1  # the probe's windows are fresh figures of the new home
        self._tried = {-self._direction}  # the old home, just beaten, is that way


@hookimpl
def orcapost_register_thread_policies(register):
    register(AdaptivePolicy)
