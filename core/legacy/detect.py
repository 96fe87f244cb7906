"""Recognise the legacy dialect, its version, and files that are not post-processing configs.

Version 0 is the older form (top-level ``basename``/``library``, groups named by
``SummaryFileName``, ``file_management.files.files_in_current_directory``); version 1 is the
form with ``meta: {basename, library, label}``. Both migrate to version 2.
"""

from __future__ import annotations

from typing import Any

POSTPROCESS_BASENAME = "orcaflex_post_process"

#: Top-level keys only the legacy post-processing dialect uses.
SETTINGS_KEYS = (
    "summary_settings", "summary_settings_master",
    "linked_statistics_settings", "linked_statistics_settings_master",
    "time_series_settings", "time_series_settings_master",
    "RangeGraph_settings",
)
#: Top-level keys of an OrcaFlex model (data) file.
MODEL_KEYS = ("General", "Environment", "Lines", "LineTypes", "Vessels", "VesselTypes",
              "6DBuoys", "3DBuoys", "Winches", "Constraints", "BaseFile", "includefile",
              "FrictionCoefficients", "VariableData", "Groups")


def _basename(data: dict[str, Any]) -> Any:
    meta = data.get("meta")
    if isinstance(meta, dict) and "basename" in meta:
        return meta["basename"]
    return data.get("basename")


def _postprocess_block(data: dict[str, Any]) -> bool:
    orcaflex = data.get("orcaflex")
    return isinstance(orcaflex, dict) and isinstance(orcaflex.get("postprocess"), dict)


def is_legacy_postprocessing(data: dict[str, Any]) -> bool:
    basename = _basename(data)
    if basename is not None:
        return basename == POSTPROCESS_BASENAME
    return any(key in data for key in SETTINGS_KEYS) or _postprocess_block(data)


def _older_form(data: dict[str, Any]) -> bool:
    if "meta" not in data and ("basename" in data or "library" in data):
        return True
    files = data.get("file_management")
    if isinstance(files, dict) and "files" in files:
        return True
    for key in ("summary_settings", "summary_settings_master"):
        settings = data.get(key)
        groups = settings.get("groups") if isinstance(settings, dict) else None
        if isinstance(groups, list) and any(
            isinstance(g, dict) and "SummaryFileName" in g for g in groups
        ):
            return True
    return False


def detect_legacy(data: dict[str, Any]) -> int | None:
    """0 or 1 for an unversioned legacy post-processing config, None for anything else."""
    if not is_legacy_postprocessing(data):
        return None
    return 0 if _older_form(data) else 1


def what_it_is(data: Any) -> str:
    """A short description of a YAML document that is not a post-processing config."""
    if isinstance(data, dict):
        found = [key for key in MODEL_KEYS if key in data]
        if found:
            return (f"an OrcaFlex model (data) file (it has {', '.join(found[:3])}), "
                    "not a post-processing config")
        basename = _basename(data)
        orcaflex = data.get("orcaflex")
        analysis = orcaflex.get("analysis") if isinstance(orcaflex, dict) else None
        if basename is not None:
            return (f"a config for another tool (basename: {basename}), not a post-processing "
                    "config")
        if isinstance(analysis, dict):
            return ("an analysis/simulation-run config (orcaflex.analysis), not a "
                    "post-processing config")
    return "not an orcapost config: it has no 'version' key and no legacy post-processing keys"
