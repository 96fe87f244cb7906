"""Per-file run hooks called without pluggy's dispatch when only the engine's listeners have them
(and ``orcapost_process_file`` when only the built-in implements it: :func:`process_file_caller`).

A run of thousands of tiny files calls ``orcapost_file_started`` and ``orcapost_file_done`` for
every file; through pluggy each call copies the implementation list, builds the argument lists
and runs its generic loop (wrappers, firstresult, results). When every implementation of such a
hook is one of the engine's own listeners (journal, tables, run report, reporter) -- no
third-party plugin, no wrapper -- :func:`direct_caller` returns a function that calls them
itself, in the order pluggy would (last registered first, ``tryfirst``/``trylast`` as sorted),
with the same arguments. The set of implementations is fixed while a run is active (the plugin
manager refuses to register or unregister then), so it is looked at once per run.

Semantics are pluggy's: every implementation is called (these hooks are not ``firstresult``),
the guarded functions of :class:`~orcapost.hookguard.RunHookGuard` are the ones called (so a
listener that raises is recorded exactly as under pluggy), and an exception that is not an
``Exception`` propagates. A third-party implementation, a wrapper, or hook-call monitoring
(``pm.add_hookcall_monitoring``, ``pm.enable_tracing``) turns it off: the hook is dispatched
through pluggy as always, so such plugins see every event as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PLUGGY_LOOP: Any
try:  # pluggy's own call loop: anything else installed means someone traces the calls
    from pluggy._callers import _multicall as _PLUGGY_LOOP
except ImportError:  # another pluggy layout: always dispatch through pluggy
    _PLUGGY_LOOP = None


def direct_caller(pm: Any, hook_name: str, allowed: frozenset[str]) -> Callable[..., Any]:
    """The function to call ``hook_name`` with for the rest of the run: a direct loop over its
    implementations when all are plugins named in ``allowed`` and none wraps, else pluggy's
    hook caller itself."""
    hook = getattr(pm.hook, hook_name)
    if _PLUGGY_LOOP is None or getattr(pm, "_inner_hookexec", None) is not _PLUGGY_LOOP:
        return hook
    impls = hook.get_hookimpls()
    if any(impl.plugin_name not in allowed or impl.wrapper or impl.hookwrapper
           for impl in impls):
        return hook
    # pluggy calls the sorted list from its end (see pluggy._callers._multicall).
    calls = [(impl.function, impl.argnames) for impl in reversed(impls)]

    def call(**kwargs: Any) -> None:
        for function, argnames in calls:
            function(*[kwargs[name] for name in argnames])

    call.direct = True  # type: ignore[attr-defined]  # for the tests: no pluggy in between
    return call


#: The built-in ``orcapost_process_file`` (``task.execute()``) and the built-in plugins whose
#: ``orcapost_process_file`` wrapper may say it has nothing to do (its function's ``idle()``).
PROCESS_FILE_PLUGIN = "orcapost.plugins.process_file"
IDLE_WRAPPER_PLUGINS = frozenset({"orcapost.plugins.executors.dask"})


def process_file_caller(pm: Any) -> Callable[[Any], Any]:
    """The function to call ``orcapost_process_file(task)`` with for the rest of the run.

    Direct (the built-in's function, no pluggy in between) when the built-in is the only
    implementation but for built-in wrappers that say, each time, they have nothing to do
    (the dask executor's licence wrapper, outside a dask worker with ``licences``): a run of
    thousands of tiny files otherwise pays pluggy's firstresult loop per file. Any other
    implementation -- a third-party wrapper, a ``tryfirst`` retry, a replacement -- or hook-call
    monitoring, and every call goes through pluggy as always."""
    hook = pm.hook.orcapost_process_file

    def through_pluggy(task: Any) -> Any:
        return hook(task=task)

    if _PLUGGY_LOOP is None or getattr(pm, "_inner_hookexec", None) is not _PLUGGY_LOOP:
        return through_pluggy
    plain = [impl for impl in hook.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)]
    wrappers = [impl for impl in hook.get_hookimpls() if impl.wrapper or impl.hookwrapper]
    if len(plain) != 1 or plain[0].plugin_name != PROCESS_FILE_PLUGIN or plain[0].argnames != (
            "task",):
        return through_pluggy
    idles = []
    for impl in wrappers:
        idle = getattr(impl.function, "idle", None)
        if impl.plugin_name not in IDLE_WRAPPER_PLUGINS or not callable(idle):
            return through_pluggy
        idles.append(idle)
    function = plain[0].function

    def call(task: Any) -> Any:
        for idle in idles:
            if not idle():  # the wrapper has work to do for this file: pluggy calls it
                return hook(task=task)
        return function(task)

    call.direct = True  # type: ignore[attr-defined]  # for the tests: no pluggy in between
    return call
