"""Defaults defined once.

The default concurrency is the ``fixed`` thread policy with 15 threads: measured on multi-GB
.sim files, 30 threads was slower than 15 (I/O contention), and 15 workers each holding a model
stays within a workstation's memory. See docs/engine.md.
"""

DEFAULT_THREADS = 15
DEFAULT_THREAD_POLICY = "fixed"
DEFAULT_IO_SCHEDULER = "as_listed"
DEFAULT_OUTPUT_FORMATS = ("csv",)
CONFIG_VERSION = 2
