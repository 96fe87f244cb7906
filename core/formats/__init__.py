"""Readers and writers for the raw result files of other simulation tools.

Each module is a pure library (numpy in, numpy out, no plugin machinery): a source plugin wires it
into a campaign. See ``docs/formats-*.md`` for the file layouts as implemented.
"""
