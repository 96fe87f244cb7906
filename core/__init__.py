"""orcapost: fast, exact, file-parallel post-processing of OrcaFlex simulation campaigns.

The public surface for plugin authors is small:

- :data:`hookimpl` marks a hook implementation (built-ins and third-party plugins use the same one);
- :mod:`orcapost.hookspecs` is the whole run protocol;
- :mod:`orcapost.components` holds the base classes of the components a plugin registers by name.
"""

from orcapost.markers import hookimpl, hookspec

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "hookspec"]
