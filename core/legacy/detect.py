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
#: OrcaFlex data names that make up an include file of a model section (its environment,
#: general data, a line type, ...): a file with two or more of them is model data.
MODEL_DATA_NAMES = ("WaveTrains", "KinematicStretchingMethod", "CurrentModel", "WindType",
                    "RefCurrentSpeed", "SeabedType", "StageDuration", "ImplicitConstantTimeStep",
                    "UnitsSystem", "WaterDepth", "SeabedModel", "DynamicsSolutionMethod",
                    "StaticsMethod", "LineType", "EndAConnection", "EndBConnection")


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


#: What the legacy tool's results files are: after a run it dumped its whole config, with
#: the results it added (``Analysis.result_folder``, ``orcaflex_post_process: {...}``), to
#: results/<config>.yml, as a Python AttributeDict (assetutilities' save of the cfg).
RESULTS_DUMP = ("a results file the legacy tool wrote (its config saved after a run, with the "
                "Analysis folders and the results it added)")
#: Top-level keys of the dialect before the OPP modules (the superseded OrcaFlexAnalysis
#: post-processing): lists of Summary / RangeGraph items and a Files list of .sim paths.
PRE_OPP_KEYS = ("Summary", "RangeGraph", "Files", "PlotSettings", "time_series", "RAOs")
PRE_OPP = ("a post-processing config of the older pre-OPP dialect (top-level {keys}, read by "
           "the superseded OrcaFlexAnalysis post-processing, not by the OPP modules: "
           "orcaflex_post_process with summary_settings groups)")
#: basename -> what the legacy tool's other modules' configs are.
OTHER_TOOLS = {
    "orcaflex_analysis": "an analysis/simulation-run config",
    "orcaflex_file_preparation": "a model-file preparation config",
    "orcaflex_file_management": "a simulation-file management config",
    "orcaflex_iterative_runs": "an iterative-analysis config",
    "viz": "a visualisation config",
}


def _model_data(data: dict[str, Any]) -> list[str]:
    """The OrcaFlex data names of an include file, when there are two or more of them."""
    found = [key for key in MODEL_DATA_NAMES if key in data]
    return found if len(found) >= 2 else []


def is_results_dump_tag(tag: str) -> bool:
    """Whether a YAML tag is one the legacy tool's saved config has: its assetutilities
    AttributeDict, or the pathlib paths of the files it found (``input_files``)."""
    return "assetutilities" in tag or tag.endswith("AttributeDict") or tag in PATH_TAGS


#: The tags of the paths a results dump holds (a path built, nothing else called).
PATH_TAGS = {f"!!python/object/apply:pathlib.{name}" for name in
             ("Path", "WindowsPath", "PosixPath", "PurePath", "PureWindowsPath",
              "PurePosixPath")}


def is_results_dump(data: Any) -> bool:
    """A results file the legacy tool wrote: its config with the run's Analysis folders."""
    if not isinstance(data, dict):
        return False
    analysis = data.get("Analysis")
    return isinstance(analysis, dict) and bool(
        {"result_folder", "analysis_root_folder", "file_name_for_overwrite"} & set(analysis))


def pre_opp_keys(data: Any) -> list[str]:
    """The pre-OPP dialect's top-level keys in ``data`` (Summary/RangeGraph given as lists)."""
    if not isinstance(data, dict) or "summary_settings" in data:
        return []
    found = [key for key in PRE_OPP_KEYS if key in data]
    lists = [key for key in ("Summary", "RangeGraph", "Files") if isinstance(data.get(key), list)]
    return found if lists else []


def detect_legacy(data: dict[str, Any]) -> int | None:
    """0 or 1 for an unversioned legacy post-processing config, None for anything else."""
    if is_results_dump(data) or pre_opp_keys(data):
        return None
    if not is_legacy_postprocessing(data):
        return None
    return 0 if _older_form(data) else 1


def what_it_is(data: Any) -> str:
    """A short description of a YAML document that is not a post-processing config."""
    if is_results_dump(data):
        return RESULTS_DUMP
    keys = pre_opp_keys(data)
    if keys:
        return PRE_OPP.format(keys="/".join(keys))
    name = _basename(data) if isinstance(data, dict) else None
    if isinstance(name, str) and name in OTHER_TOOLS:
        return (f"{OTHER_TOOLS[name]} for another module of the legacy tool "
                f"(basename: {name}), not a post-processing config")
    if isinstance(data, dict):
        found = [key for key in MODEL_KEYS if key in data] or _model_data(data)
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


#: Short names of what a YAML file is, for a repository's summary table.
KIND_POSTPROCESSING = "post-processing config"
KIND_BASE = "legacy base config"
KIND_RESULTS = "legacy results file"
KIND_PRE_OPP = "pre-OPP post-processing config"
KIND_MODEL = "OrcaFlex model file"
KIND_ANALYSIS = "analysis config"
KIND_OTHER_TOOL = "another tool's config"
KIND_NOT_CONFIG = "not a config"


def kind_of(data: Any) -> str:
    """The short kind of a YAML document that is not a post-processing config (what
    :func:`what_it_is` describes)."""
    if is_results_dump(data):
        return KIND_RESULTS
    if pre_opp_keys(data):
        return KIND_PRE_OPP
    if not isinstance(data, dict):
        return KIND_NOT_CONFIG
    if any(key in data for key in MODEL_KEYS) or _model_data(data):
        return KIND_MODEL
    basename = _basename(data)
    orcaflex = data.get("orcaflex")
    if basename == "orcaflex_analysis" or (
        basename is None and isinstance(orcaflex, dict) and isinstance(orcaflex.get("analysis"),
                                                                       dict)):
        return KIND_ANALYSIS
    if basename is not None:
        label = OTHER_TOOLS.get(basename) if isinstance(basename, str) else None
        return label.removeprefix("a ").removeprefix("an ") if label else KIND_OTHER_TOOL
    return KIND_NOT_CONFIG
