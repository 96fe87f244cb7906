"""The legacy post-processing dialect (config versions 0 and 1) and its migration to version 2.

- :mod:`.base` reproduces the legacy tool's base config, which it deep-merged under every file.
- :mod:`.detect` recognises the dialect (and files that are not post-processing configs at all).
- :mod:`.columns` turns one legacy column (Command, ObjectName, ...) into a v2 result column.
- :mod:`.steps` holds the named, pure migration steps 0 -> 1 -> 2.
- :mod:`.text` writes a migrated config as YAML text, keeping the comments of keys that survive.
"""
