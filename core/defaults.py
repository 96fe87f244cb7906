"""Defaults defined once.

The default concurrency is the ``fixed`` thread policy with 15 threads: measured on multi-GB
.sim files, 30 threads was slower than 15 (I/O contention), and 15 workers each holding a model
stays within a workstation's memory. See docs/engine.md.
"""

DEFAULT_THREADS = 15
DEFAULT_THREAD_POLICY = "fixed"
DEFAULT_IO_SCHEDULER = "as_listed"
DEFAULT_EXECUTOR = "threads"
DEFAULT_OUTPUT_FORMATS = ("csv",)
CONFIG_VERSION = 2
#: Seconds one file may take before it fails with stage "timeout" (``engine.file_timeout``).
#: Generous on purpose: the slowest real files (multi-GB .sim over a network share) take
#: minutes, so an hour only ever catches a file that hangs; ``null`` in config: no limit.
DEFAULT_FILE_TIMEOUT = 3600.0
