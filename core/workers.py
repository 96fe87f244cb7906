"""Checking an executor's workers before a run: the same plugins, the same versions.

A worker process (``processes``) or a cluster's worker (``dask``) loads orcapost's plugins on
its own and validates the run's config again. When it has another orcapost, lacks a plugin the
config needs, or has another version of one, its files would fail one by one -- or worse, give
other numbers. So before anything is written the engine runs :func:`probe_worker` on the
workers (``Executor.probe``: once on a process pool, on every worker of a cluster) and
:func:`check_probes` turns any mismatch into one clear error naming the worker (exit 2).

The probe also reports the worker's own resident memory after it loaded its plugins and built
the plan: what one worker process costs before any file, which memory admission counts.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

from orcapost.errors import OrcapostError
from orcapost.task import Plan, PlanSpec


def expectations(pm: Any, plan: Plan) -> dict[str, Any]:
    """What every worker must have: this orcapost's version and, for each extractor kind the
    config uses, the plugin that registers it with its distribution (name and version)."""
    from orcapost import __version__

    kinds = sorted({column.kind for _, columns in plan.groups for column, _ in columns})
    plugins = {}
    for kind in kinds:
        plugin = plan.extractor_plugins.get(kind)
        if plugin is not None:
            plugins[kind] = {"plugin": plugin, "distribution": pm.distributions.get(plugin)}
    return {"orcapost": __version__, "extractors": plugins}


def probe_worker(spec: PlanSpec, expected: Mapping[str, Any]) -> dict[str, Any]:
    """Run on a worker: load the plugins, validate the config, build the plan (kept for the
    files to come), compare versions. Returns plain data: the problems found (empty: this
    worker is fit), its host, pid and resident memory."""
    from orcapost import __version__
    from orcapost.monitor import process_rss
    from orcapost.task import _plan_for

    problems: list[str] = []
    if __version__ != expected.get("orcapost"):
        problems.append(f"orcapost {__version__} is installed there, the coordinator has "
                        f"{expected.get('orcapost')}")
    try:
        plan = _plan_for(spec)
    except OrcapostError as exc:
        problems.append(f"the config does not validate there: {exc}")
        plan = None
    except Exception as exc:  # a plugin that fails to import or register there
        problems.append(f"the config cannot be loaded there: {type(exc).__name__}: {exc}")
        plan = None
    if plan is not None:
        for kind, wanted in dict(expected.get("extractors", {})).items():
            plugin = plan.extractor_plugins.get(kind)
            if plugin is None:
                problems.append(f"no plugin registers the extractor {kind!r} there "
                                f"(plugin {wanted['plugin']!r} is not installed)")
                continue
            have = plan.pm.distributions.get(plugin)
            if wanted.get("distribution") and have and have != wanted["distribution"]:
                problems.append(f"extractor {kind!r} comes from {have} there, the "
                                f"coordinator has {wanted['distribution']}")
    return {"problems": problems, "host": socket.gethostname(), "pid": os.getpid(),
            "rss": process_rss(include_children=False)}


def check_probes(executor: str, probes: Mapping[str, Any]) -> None:
    """Raise one :class:`OrcapostError` naming every worker whose probe found a problem (or
    raised)."""
    bad = []
    for worker, probe in probes.items():
        if isinstance(probe, BaseException):
            bad.append(f"worker {worker}: the check failed ({type(probe).__name__}: {probe})")
            continue
        for problem in probe.get("problems", []):
            bad.append(f"worker {worker}: {problem}")
    if bad:
        raise OrcapostError(
            f"the {executor} executor's workers cannot run this config:\n  " + "\n  ".join(bad),
            hint="install the same orcapost and plugins (same versions) on every worker, or "
                 "start the workers from the coordinator's environment (docs/distributed.md)",
        )


def run_probe(executor: Any, pool: Any, task: Callable[[], dict[str, Any]]
              ) -> Mapping[str, Any]:
    """``executor.probe(pool, task)``; a probe that cannot finish at all (it timed out, the
    worker process died as it started, the pool broke) is one clear error naming the
    executor, not an internal error: the machine's answer, like a worker that lacks a plugin."""
    try:
        return executor.probe(pool, task)
    except OrcapostError:
        raise
    except Exception as exc:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise OrcapostError(
            f"the {executor.name} executor's workers could not be checked before the run "
            f"(a worker did not start or answer in time): {what}; nothing was written",
            hint="check that a worker can start on this machine (memory, the environment's "
                 "packages, spawn: the main module guarded by if __name__ == '__main__'), "
                 "then run again",
        ) from None
