"""The legacy tool's base config, reproduced: what every legacy file was deep-merged onto.

The legacy tool read its own ``orcaflex_post_process.yml`` first and merged the user's file on
top (dicts merged key by key, recursively; a list or scalar in the user's file replaces the base
value). That file is not shipped with orcapost: the settings in it that change what a migrated
config does are reproduced here, so a file that relied on them migrates to the same behaviour.
Everything else in it (visualization view parameters) has no effect on results. tests/test_migrate_base.py checks these against the real file when present.
"""

from __future__ import annotations

import copy
from typing import Any

#: The base settings that matter to a migration, as the legacy tool's YAML loader saw them
#: (its file repeats ``time_series_settings``; a YAML loader keeps the last one).
LEGACY_BASE: dict[str, Any] = {
    # The variables the all_vars job reads for lines (orcaflex_objects.get_object_vars); the
    # other object types are not listed, so all their variables are read.
    "parameters": {
        "VarNames": {
            "Line": [
                "End force", "End moment", "End Ex force", "End Ey force", "End Ez force",
                "End Ex moment", "End Ey moment", "End Ez moment", "End Lx force", "End Ly force",
                "End Lz force", "End Lx moment", "End Ly moment", "End Lz moment", "End GX force",
                "End GY force", "End GZ force", "End GX moment", "End GY moment", "End GZ moment",
                "X", "Y", "Z", "Dynamic x", "Dynamic y", "Dynamic z", "Layback",
                "Effective tension", "Wall tension", "Normalised tension", "Sidewall pressure",
                "Bend moment", "x bend moment", "y bend moment", "Bend moment component",
                "In plane bend moment", "Out of plane bend moment", "Curvature",
                "Normalised curvature", "x curvature", "y curvature", "Curvature component",
                "In plane curvature", "Out of plane curvature", "Bend radius", "x bend radius",
                "y bend radius", "Bend radius component", "In plane bend radius",
                "Out of plane bend radius", "Shear force", "x shear force", "y shear force",
                "Shear force component", "In plane shear force", "Out of plane shear force",
                "Arc length", "Expansion factor",
            ],
        },
    },
    "orcaflex": {
        "postprocess": {
            "visualization": {"flag": True},
            "summary": {
                "flag": False,
                "statistics": {"Minimum": False, "Maximum": False, "Mean": False,
                               "StdDev": False},
            },
            "linked_statistics": {"flag": False},
            "RangeGraph": {"flag": False},
            "RAOs": {"flag": False},
            "time_series": {"flag": False, "histogram": True, "summation": True},
            "cummulative_histograms": {"flag": False},
            "rain_flow": {"bins": 10, "range": [0, 10]},
        },
    },
    "time_series_settings": {"histogram": True, "summation": True, "groups": []},
    "file_management": {
        "flag": True,
        "input_directory": None,
        "output_directory": None,
        "filename": {
            "extension": ["sim"],
            "pattern": None,
            "filters": {"contains": [], "not_contains": []},
        },
    },
    "parallel_processing": {
        "enabled": True,
        "max_workers": 30,
        "timeout_per_file": 1200,
        "save_error_reports": True,
        "progress_reporting": True,
    },
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged onto ``base`` the way the legacy tool merged configs.

    Mappings merge key by key, recursively; any other value in ``override`` (a list, a scalar,
    None) replaces the base value. Neither input is modified.
    """
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
