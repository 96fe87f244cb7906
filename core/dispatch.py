"""Per-file run hooks called without pluggy's dispatch when only the engine's listeners have them.

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
