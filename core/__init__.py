"""orcapost: fast, exact, file-parallel post-processing of OrcaFlex simulation campaigns.

The public surface for plugin authors is small:

- :mod:`orcapost.api` is everything a plugin imports from orcapost (the built-in plugins too):
  :data:`hookimpl`, the component bases, options models, the result-file interface, errors,
  naming helpers and run data; :mod:`orcapost.numerics`, :mod:`orcapost.archive` and
  :mod:`orcapost.formats` are public libraries beside it (docs/plugins.md);
- :mod:`orcapost.hookspecs` is the whole run protocol.

Importing this package loads only pluggy: ``orcapost --version`` needs nothing else.
"""

from orcapost.markers import hookimpl, hookspec

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "hookspec"]
