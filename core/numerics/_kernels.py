"""Numba kernels compiled at their first call, so importing orcapost never imports numba.

numba costs ~0.15 s and tens of MB to import, and most commands (``--help``, ``validate``,
``plugins``, runs without fatigue or range graphs) never call a kernel. A :class:`CachedKernel`
holds the plain Python function and imports numba, then compiles, the first time it is called.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any


class CachedKernel:
    """``numba.njit(cache=True, nogil=True)`` of ``fn``, compiled at the first call, that never
    crashes because the cache cannot be used.

    Numba raises ``RuntimeError`` at decoration time when no cache directory is writable (read-only
    install, locked-down HOME), and an ``OSError`` at the first compile if the directory becomes
    unwritable in between. Both degrade to an in-memory compile with a warning: the kernel does no
    I/O itself, so an ``OSError`` out of it can only come from the cache.
    """

    def __init__(self, fn: Callable[..., Any], helpers: tuple[Callable[..., Any], ...] = ()) -> None:
        self._py_func = fn
        # Plain functions that ``fn`` calls by their global name: numba can only compile the call
        # to another compiled function, so each is compiled too and put in ``fn``'s module globals
        # under its own name (a kernel split in small loops compiles to tighter code than one big
        # function; see docs/numerics.md).
        self._helpers = helpers
        self._dispatcher: Callable[..., Any] | None = None
        # Workers call kernels from many threads at once: decorate once, not once per thread.
        self._lock = threading.Lock()

    def _compile(self) -> Callable[..., Any]:
        with self._lock:
            if self._dispatcher is None:
                try:
                    self._dispatcher = self._jit(cache=True)
                except RuntimeError as exc:
                    self._warn(exc, stacklevel=4)  # caller -> __call__ -> _compile -> _warn
                    self._dispatcher = self._jit(cache=False)
            return self._dispatcher

    def _jit(self, cache: bool) -> Callable[..., Any]:
        import numba

        jit = numba.njit(cache=cache, nogil=True)
        for helper in self._helpers:
            self._py_func.__globals__[helper.__name__] = jit(helper)
        return jit(self._py_func)

    def _warn(self, exc: BaseException, stacklevel: int) -> None:
        warnings.warn(
            f"numba cache unavailable for {self._py_func.__name__} ({exc}); compiling in memory "
            "(set NUMBA_CACHE_DIR to a writable directory to keep compiled code)",
            RuntimeWarning,
            stacklevel=stacklevel,
        )

    def __call__(self, *args: Any) -> Any:
        dispatcher = self._dispatcher or self._compile()
        try:
            return dispatcher(*args)
        except OSError as exc:
            self._warn(exc, stacklevel=3)  # caller -> __call__ -> _warn
            self._dispatcher = self._jit(cache=False)
            return self._dispatcher(*args)
