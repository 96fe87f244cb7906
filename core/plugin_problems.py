"""What went wrong with a plugin, said so that the user can act on it.

The plugin manager (a plugin that fails to import, a hook name that is no orcapost hook) and the
component registry (a plugin that raises while registering) both find problems; each is
reported by plugin, with how to run without that plugin, and the host carries on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

#: Blocks plugins by name: how every problem says to run without the plugin.
DISABLE_ENV = "ORCAPOST_DISABLE_PLUGINS"

#: What a plugin may raise while it is imported or registers and still be contained (left out,
#: reported by name): every ``Exception``, and the two ``BaseException`` a plugin's module-level
#: code can raise by itself, ``sys.exit()`` (``SystemExit``) and ``KeyboardInterrupt``. Left
#: uncaught they would end every command, ``--version``'s process included, with no word of
#: which plugin did it.
CONTAINED_AT_LOAD = (Exception, SystemExit, KeyboardInterrupt)


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be loaded or registered, or one of its hooks that is ignored."""

    plugin: str
    distribution: str | None
    error: str
    #: The hook implementation the problem is confined to (the rest of the plugin works);
    #: None when the plugin, or its registration, was left out.
    hook: str | None = None

    def message(self) -> str:
        where = f" (distribution {self.distribution})" if self.distribution else ""
        if self.hook is None:
            what = f"plugin {self.plugin!r}{where} was not loaded: {self.error}"
        else:
            what = f"plugin {self.plugin!r}{where}: its hook {self.hook!r} is ignored: {self.error}"
        return (
            f"{what}\n"
            f"  to run without it: set {DISABLE_ENV}={self.plugin}"
            + (f", or pip uninstall {self.distribution.split()[0]}" if self.distribution else "")
        )


def describe_exception(exc: BaseException) -> str:
    """One line for a plugin's exception: its type, message and the line that raised it."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r}) (SystemExit){where}"
    if isinstance(exc, KeyboardInterrupt):
        return f"it raised KeyboardInterrupt{where}"
    return f"{type(exc).__name__}: {exc}{where}"
