"""The pluggy markers. One ``hookimpl`` for built-in and third-party plugins alike."""

import pluggy

PROJECT_NAME = "orcapost"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
