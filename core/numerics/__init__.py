"""Pure numerical routines for fatigue and extremes: rainflow counting, S-N curves, extremes.

No configuration or plugin wiring lives here: extractors call these functions with numpy arrays.
See ``docs/numerics.md`` for conventions, formulas and references.
"""
