"""The named, pure migration steps of the legacy dialect: 0 -> 1 -> 2.

Each step takes a dict and returns a new one (its input is never changed), with notes on what
changed, what was dropped and why, and where moved keys came from. docs/migration.md has the
key-by-key table.
"""

from __future__ import annotations

import copy
from typing import Any

from orcapost.defaults import DEFAULT_THREADS
from orcapost.legacy import columns as legacy_columns
from orcapost.legacy.base import LEGACY_BASE, deep_merge
from orcapost.migration_step import (
    LegacyBaseConfig,
    MigrationIssues,
    MigrationOptions,
    MigrationStep,
    StepResult,
    origin_of,
)

#: The measurement behind the thread cap (docs/engine.md): cited in every note that caps.
THREADS_NOTE = (f"capped at {DEFAULT_THREADS}: measured on multi-GB .sim files, 30 threads were "
                f"slower than 15 (the files contend for I/O); `orcapost migrate --keep-threads` "
                "keeps the old count")

TOP_LEVEL_KEYS = (
    "version", "meta", "basename", "library", "default", "orcaflex", "parameters",
    "orcaflex_post_process", "summary_settings", "summary_settings_master",
    "linked_statistics_settings", "linked_statistics_settings_master", "time_series_settings",
    "time_series_settings_master", "RangeGraph_settings", "file_management",
    "parallel_processing", "visualization_settings",
)
#: Why a legacy key has no v2 equivalent, by key path (the first matching prefix wins).
DROPPED_REASONS: dict[tuple, str] = {
    ("version",): "the legacy version number; the file is now version 2",
    ("meta", "basename"): "named the legacy tool's module; a v2 config is known by 'version: 2'",
    ("meta", "library"): "named the legacy tool's library; not needed",
    ("meta", "description"): "a description for the legacy tool; not used",
    ("basename",): "named the legacy tool's module; a v2 config is known by 'version: 2'",
    ("library",): "named the legacy tool's library; not needed",
    ("default",): "log level and overwrite flags of the legacy tool: orcapost always replaces "
                  "its tables atomically, and --progress/--quiet choose what it prints",
    ("parameters",): "a variable-name list for the legacy tool's user interface; computes "
                     "nothing",
    ("orcaflex_post_process",): "the legacy tool's slot for its results; orcapost writes tables",
    ("orcaflex", "analysis"): "runs static/dynamic analyses: orcapost only post-processes "
                              "results (run simulations with OrcaFlex or the analysis tool)",
    ("orcaflex", "postprocess", "visualization"): "images of the model: no equivalent, orcapost "
                                                  "writes tables",
    ("visualization_settings",): "images of the model: no equivalent, orcapost writes tables",
    ("orcaflex", "postprocess", "RAOs"): "RAO tables: no equivalent extractor in orcapost",
    ("orcaflex", "postprocess", "cummulative_histograms"): "cumulative histograms: no "
                                                          "equivalent extractor in orcapost",
    ("orcaflex", "postprocess", "rain_flow"): "rainflow bins for time-series histograms, which "
                                              "this file does not turn on",
    ("orcaflex", "postprocess", "time_series", "histogram"): "time-series histograms: no "
                                                             "equivalent table in orcapost",
    ("orcaflex", "postprocess", "time_series", "summation"): "time-series sums: no equivalent "
                                                             "table in orcapost",
    ("time_series_settings", "histogram"): "time-series histograms: no equivalent table in "
                                           "orcapost",
    ("time_series_settings", "summation"): "time-series sums: no equivalent table in orcapost",
    ("RangeGraph_settings", "add_effective_tension_to_cfg"): "changed only the legacy tool's "
                                                             "internal config; no output",
    ("file_management", "flag"): "file discovery is always on in orcapost",
    ("file_management", "update_unfinished"): "re-running unfinished simulations belongs to "
                                               "the analysis tool; orcapost marks unfinished "
                                               "files in the status column",
    ("parallel_processing", "timeout_per_file"): "never read by the legacy tool",
    ("parallel_processing", "progress_reporting"): "never read by the legacy tool; orcapost "
                                                   "always reports progress (--progress)",
    ("parallel_processing", "save_error_reports"): "orcapost always writes failures.csv",
}
DEFAULT_REASON = "not a setting the legacy tool read for post-processing results"


# -- 0 -> 1 ------------------------------------------------------------------------------------


def older_legacy_form(data: dict[str, Any], options: MigrationOptions) -> StepResult:
    """The older legacy form -> the ``meta`` form: same meaning, newer key names."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    dropped: list[str] = []
    origins: dict[tuple, tuple] = {}
    if "meta" not in data and ("basename" in data or "library" in data):
        out["meta"] = {key: copy.deepcopy(data[key]) for key in ("basename", "library")
                       if key in data}
        for key in out["meta"]:
            origins[("meta", key)] = (key,)
        notes.append("top-level basename/library moved under meta")
    for key, value in data.items():
        if key in ("basename", "library") and "meta" in out and key in out["meta"]:
            continue
        out[key] = copy.deepcopy(value)
    for key in ("summary_settings", "summary_settings_master"):
        groups = _mapping(out.get(key)).get("groups")
        if not isinstance(groups, list):
            continue
        for i, group in enumerate(groups):
            if isinstance(group, dict) and "SummaryFileName" in group and "Label" not in group:
                groups[i] = {("Label" if k == "SummaryFileName" else k): v
                             for k, v in group.items()}
                origins[(key, "groups", i, "Label")] = (key, "groups", i, "SummaryFileName")
                notes.append(f"{key}.groups.{i}: SummaryFileName became Label")
    files = out.get("file_management")
    if isinstance(files, dict) and "files" in files:
        old = files.pop("files")
        here = old.get("files_in_current_directory") if isinstance(old, dict) else None
        base = ("file_management", "files", "files_in_current_directory")
        if isinstance(here, dict):
            if here.get("flag", True) is False:
                raise MigrationIssues([(base + ("flag",), (
                    "files_in_current_directory.flag is False: the legacy tool then read file "
                    "lists orcapost has no equivalent for; set it to True, or write a v2 config "
                    "with inputs.files"))])
            files["input_directory"] = here.get("directory")
            origins[("file_management", "input_directory")] = base + ("directory",)
            if here.get("filename_pattern") is not None:
                files.setdefault("filename", {})["pattern"] = here["filename_pattern"]
                origins[("file_management", "filename", "pattern")] = base + ("filename_pattern",)
            if "auto_read" in here:
                dropped.append("file_management.files.files_in_current_directory.auto_read: "
                               "orcapost always reads every matching file")
            notes.append("file_management.files.files_in_current_directory became "
                         "file_management.input_directory")
        for key in (old if isinstance(old, dict) else {}):
            if key != "files_in_current_directory":
                dropped.append(f"file_management.files.{key}: {DEFAULT_REASON}")
    return StepResult(out, notes, dropped, origins)


# -- 1 -> 2 ------------------------------------------------------------------------------------


def _mapping(value: Any) -> dict:
    """``value`` if it is a mapping, else an empty one (a legacy key left out or mistyped)."""
    return value if isinstance(value, dict) else {}


def _flag(post: dict, kind: str) -> bool:
    block = post.get(kind)
    return isinstance(block, dict) and block.get("flag") is True


def _postprocess(merged: dict) -> dict:
    """orcaflex.postprocess with every kind checked to be a mapping (a null kind is empty)."""
    base = ("orcaflex", "postprocess")
    post = merged["orcaflex"].get("postprocess")
    if not isinstance(post, dict):
        raise MigrationIssues([(base, "orcaflex.postprocess must be a mapping of kinds with "
                                "flags")])
    post = {kind: {} if block is None else block for kind, block in post.items()}
    issues = [(base + (kind,), f"{kind} must be a mapping (flag: True "
               f"or False, ...), not {type(post[kind]).__name__} {post[kind]!r}")
              for kind in LEGACY_BASE["orcaflex"]["postprocess"]
              if not isinstance(post.get(kind, {}), dict)]
    if issues:
        raise MigrationIssues(issues)
    return post


def _expand_master(settings: dict, master: Any, key: str) -> tuple[dict, dict]:
    """Merge master group i into group i (by position), and the master group's Columns[0] into
    every column of group i, as the legacy tool did. Also returns where inherited values came
    from: key path in the merged settings -> key path in the master."""
    inherited: dict[tuple, tuple] = {}
    if not isinstance(master, dict):
        return settings, inherited
    out = deep_merge({k: v for k, v in master.items() if k != "groups"}, settings)
    groups = out.get("groups")
    master_groups = master.get("groups") or []
    if not isinstance(master_groups, list) or not isinstance(groups, list):
        return out, inherited
    merged = []
    for i, group in enumerate(groups):
        template = master_groups[i] if i < len(master_groups) else None
        if not isinstance(template, dict) or not isinstance(group, dict):
            merged.append(group)
            continue
        head = deep_merge({k: v for k, v in template.items() if k != "Columns"},
                          {k: v for k, v in group.items() if k != "Columns"})
        for field in template:
            if field != "Columns" and field not in group:
                inherited[(key, "groups", i, field)] = (f"{key}_master", "groups", i, field)
        template_columns = template.get("Columns") or [{}]
        first = template_columns[0] if isinstance(template_columns, list) else {}
        columns = group.get("Columns")
        if isinstance(columns, list) and isinstance(first, dict):
            head["Columns"] = [deep_merge(first, c) if isinstance(c, dict) else c
                               for c in columns]
            for j, column in enumerate(columns):
                for field in first:
                    if isinstance(column, dict) and field not in column:
                        inherited[(key, "groups", i, "Columns", j, field)] = (
                            f"{key}_master", "groups", i, "Columns", 0, field)
        else:
            head["Columns"] = columns
        merged.append(head)
    out["groups"] = merged
    return out, inherited


def _group_label(group: dict, path: tuple, issues) -> str | None:
    label = group.get("Label")
    if isinstance(label, str) and label.strip():
        return label
    if label is None:
        issues.append((path, "missing required key 'Label' (the group's name, used in the output "
                       "file name)"))
    else:
        issues.append((path + ("Label",), f"Label must be a name, not {label!r}"))
    return None


def _groups(settings: Any, key: str, issues) -> list[tuple[int, dict]]:
    if settings is None:
        return []
    if not isinstance(settings, dict):
        issues.append(((key,), f"{key} must be a mapping with groups, not {settings!r}"))
        return []
    groups = settings.get("groups")
    if groups is None:
        return []
    if not isinstance(groups, list):
        issues.append(((key, "groups"), f"groups must be a list of groups, not {groups!r}"))
        return []
    out = []
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            issues.append(((key, "groups", i), "a group is a mapping with Label and Columns, "
                           f"not {group!r}"))
            continue
        out.append((i, group))
    return out


def _columns(group: dict, path: tuple, issues) -> list[tuple[int, Any]]:
    columns = group.get("Columns")
    if columns is None:
        issues.append((path, "missing required key 'Columns' (the group's columns)"))
        return []
    if not isinstance(columns, list) or not columns:
        issues.append((path + ("Columns",), f"Columns must be a list of columns, not {columns!r}"))
        return []
    return list(enumerate(columns))


def _thread_policy(user: dict, keep: bool, issues, notes, origins) -> dict:
    """The v2 thread policy for the legacy concurrency settings."""
    parallel = user.get("parallel_processing")
    parallel = parallel if isinstance(parallel, dict) else {}
    orcaflex = _mapping(user.get("orcaflex"))
    threads_block = _mapping(orcaflex.get("parallel"))
    if parallel.get("enabled", True) is False:
        origins[("engine", "thread_policy")] = ("parallel_processing", "enabled")
        notes.append("parallel_processing.enabled False became the fixed policy with 1 thread")
        return {"name": "fixed", "threads": 1}
    where: tuple[str, ...] | None
    if "max_workers" in parallel:
        value, where = parallel["max_workers"], ("parallel_processing", "max_workers")
    elif "threads" in threads_block:
        value, where = threads_block["threads"], ("orcaflex", "parallel", "threads")
    else:
        value, where = LEGACY_BASE["parallel_processing"]["max_workers"], None
    dotted = ".".join(where) if where else "the legacy base config's max_workers"
    if where:
        origins[("engine", "thread_policy")] = where
    if isinstance(value, str) and value.strip().lower() == "auto":
        notes.append(f"{dotted} 'auto' became the file_size thread policy (threads chosen from "
                     "the files' sizes)")
        return {"name": "file_size"}
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        issues.append((where or (), f"a thread count is a whole number >= 1 or 'auto', "
                       f"not {value!r}"))
        return {}
    if value > DEFAULT_THREADS and not keep:
        notes.append(f"{dotted} {value} became the fixed policy at {DEFAULT_THREADS} threads, "
                     + THREADS_NOTE)
        return {"name": "fixed", "threads": DEFAULT_THREADS}
    notes.append(f"{dotted} {value} became the fixed policy at {value} threads")
    return {"name": "fixed", "threads": value}


def _inputs(files: dict, issues, origins) -> dict:
    name = _mapping(files.get("filename"))
    extensions = name.get("extension", ["sim"])
    extensions = [extensions] if isinstance(extensions, str) else extensions
    pattern = name.get("pattern")
    if not isinstance(extensions, list) or not extensions or not all(
        isinstance(e, str) and e for e in extensions
    ):
        issues.append((("file_management", "filename", "extension"),
                       f"extension must be a list of file extensions ([sim]), not {extensions!r}"))
        extensions = []
    if pattern is not None and not isinstance(pattern, (str, int, float)):
        issues.append((("file_management", "filename", "pattern"),
                       f"pattern must be text in the file name, not {pattern!r}"))
        pattern = None
    directory = files.get("input_directory")
    if directory is not None and not isinstance(directory, str):
        issues.append((("file_management", "input_directory"),
                       f"input_directory must be a folder path, not {directory!r}"))
    inputs: dict[str, Any] = {"directory": directory if isinstance(directory, str) else "."}
    origins[("inputs", "directory")] = ("file_management", "input_directory")
    # The legacy tool globbed *{pattern}*.{extension} in that one folder (no recursion).
    stem = f"*{pattern}*" if pattern not in (None, "") else "*"
    inputs["patterns"] = [f"{stem}.{e.lstrip('.')}" for e in extensions]
    origins[("inputs", "patterns")] = ("file_management", "filename", "extension")
    filters = _mapping(name.get("filters"))
    for legacy, key in (("contains", "include"), ("not_contains", "exclude")):
        words = filters.get(legacy) or []
        if not isinstance(words, list) or not all(isinstance(w, (str, int)) for w in words):
            issues.append((("file_management", "filename", "filters", legacy),
                           f"{legacy} must be a list of texts, not {words!r}"))
            continue
        if words:
            inputs[key] = [f"*{w}*" for w in words]
            origins[("inputs", key)] = ("file_management", "filename", "filters", legacy)
    return inputs


def _sink(merged: dict, post: dict, user: dict, notes, origins) -> dict:
    sink: dict[str, Any] = {"name": "legacy_csv"}
    meta = _mapping(user.get("meta"))
    if isinstance(meta.get("label"), (str, int)) and str(meta["label"]):
        sink["label"] = str(meta["label"])
        origins[("outputs", "formats", 0, "label")] = ("meta", "label")
    statistics = post.get("summary", {}).get("statistics") or {}
    summary = _mapping(merged.get("summary_settings"))
    rows = []
    for legacy, add, name in (("Minimum", "AddMinimumToSummary", "min"),
                              ("Maximum", "AddMaximumToSummary", "max"),
                              ("Mean", "AddMeanToSummary", "mean"),
                              ("StdDev", None, "std")):
        if (isinstance(statistics, dict) and statistics.get(legacy) is True) or (
            add and add in summary
        ):
            rows.append(name)
    decimals = post.get("summary", {}).get("csv_decimal")
    if isinstance(decimals, int) and not isinstance(decimals, bool) and decimals >= 0:
        sink["decimals"] = decimals
        origins[("outputs", "formats", 0, "decimals")] = (
            "orcaflex", "postprocess", "summary", "csv_decimal")
    if rows:
        sink["statistics"] = rows
        notes.append(f"summary statistics rows ({', '.join(rows)}) are written by the "
                     "legacy_csv sink")
    return sink


def _collect_results(merged, post, issues, notes, dropped, origins, consumed) -> dict:
    results: dict[str, Any] = {}

    def add_group(label: str, columns: list, group_path: tuple, columns_meta: list) -> None:
        name, n = label, 2
        while name in results:
            name, n = f"{label}_{n}", n + 1
        if name != label:
            notes.append(f"group {label!r} appears twice: the second is named {name!r}")
        # The legacy start_time/stop_time columns come from this column (legacy_csv sink).
        results[name] = {"columns": [{"kind": "simulation_times"}, *columns]}
        origins[("results", name)] = group_path
        for j, (_, legacy_path, keys) in enumerate(columns_meta, start=1):
            origins[("results", name, "columns", j)] = legacy_path
            for key, legacy_key in keys.items():
                origins[("results", name, "columns", j, key)] = legacy_path + (legacy_key,)

    kinds = (
        ("summary", "summary_settings", None),
        ("linked_statistics", "linked_statistics_settings", "linked"),
        ("time_series", "time_series_settings", "time_history"),
        ("RangeGraph", "RangeGraph_settings", "envelope"),
    )
    for flag_name, key, special in kinds:
        settings = merged.get(key)
        groups = _groups(settings, key, issues)
        rainflow = None
        if key == "time_series_settings" and isinstance(settings, dict):
            data_on = settings.get("data", False) is True
            if settings.get("histogram") is True and _flag(post, flag_name):
                rainflow = _rainflow_bins(post, issues, notes, dropped, consumed)
        else:
            data_on = True
        if not _flag(post, flag_name) or not (data_on or rainflow):
            if groups:
                why = (f"orcaflex.postprocess.{flag_name}.flag is off" if data_on
                       else "time_series_settings.data and histogram are off")
                labels = ", ".join(str(g.get("Label")) for _, g in groups)
                dropped.append(f"{key}.groups ({labels}): {why}, so the legacy tool did not "
                               "produce them")
            consumed.add((key, "groups"))
            continue
        consumed.add((key, "groups"))
        for i, group in groups:
            group_path = (key, "groups", i)
            label = _group_label(group, group_path, issues)
            columns_meta = []
            out_columns = []
            for j, column in _columns(group, group_path, issues):
                path = group_path + ("Columns", j)
                translated, keys = _translate(column, path, special, issues, notes)
                if translated is None:
                    continue
                if special != "time_history" or data_on:
                    out_columns.append(translated)
                    columns_meta.append((translated, path, keys))
                if special == "time_history" and rainflow is not None:
                    # The legacy histogram of this series: a rainflow range histogram.
                    counted = {k: v for k, v in translated.items() if k not in ("label", "kind")}
                    fatigue = {"label": f"{translated['label']} rainflow", "kind": "fatigue",
                               **counted, "bins": rainflow}
                    out_columns.append(fatigue)
                    columns_meta.append((fatigue, path, {k: v for k, v in keys.items()
                                                         if k in fatigue}))
            for extra in group:
                if extra not in ("Label", "Columns"):
                    dropped.append(f"{key}.groups.{i}.{extra}: {DEFAULT_REASON}")
            if label is not None and out_columns:
                add_group(label, out_columns, group_path, columns_meta)
    return results


def _rainflow_bins(post, issues, notes, dropped, consumed) -> int | None:
    """The bin count of orcaflex.postprocess.rain_flow, for time-series histograms."""
    rain_flow = _mapping(post.get("rain_flow"))
    bins = rain_flow.get("bins", 10)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        issues.append((("orcaflex", "postprocess", "rain_flow", "bins"),
                       f"rain_flow bins must be a whole number >= 1, not {bins!r}"))
        return None
    consumed.update({("orcaflex", "postprocess", "rain_flow", "bins"),
                     ("orcaflex", "postprocess", "time_series", "histogram"),
                     ("time_series_settings", "histogram")})
    notes.append(f"time-series histograms became fatigue columns with bins: {bins} (a rainflow "
                 "range histogram per file, written as a table of its own)")
    if "range" in rain_flow:
        consumed.add(("orcaflex", "postprocess", "rain_flow", "range"))
        dropped.append("orcaflex.postprocess.rain_flow.range: orcapost bins the counted ranges "
                       "from 0 to the largest; give bins as a list of edges to fix them")
    return bins


def _translate(column, path, special, issues, notes):
    if special == "linked":
        return _linked(column, path, issues)
    default = "Range Graph" if special == "envelope" else None
    if special == "time_history" and isinstance(column, dict):
        column = dict(column)  # a time series has no statistic: any one passes translation
        column.setdefault("Statistic_Type", "Max")
    translated, keys = legacy_columns.translate(column, path, issues, notes, default)
    if translated is None:
        return None, {}
    if special == "time_history":
        series = {k: translated[k] for k in ("label", "object", "variable", "position", "period")
                  if k in translated}
        if translated["kind"] != "statistics":
            issues.append((path, "a time series column is a TimeHistory over a time period, "
                           "not a static result"))
            return None, {}
        translated = {"label": series["label"], "kind": "time_history",
                      **{k: v for k, v in series.items() if k != "label"}}
        keys = {k: v for k, v in keys.items() if k in translated}
    if special == "envelope" and translated["kind"] == "range_graph":
        translated["envelope_output"] = True
    return translated, keys


def _linked(column, path, issues):
    """A linked-statistics column: Variable [primary, linked...]."""
    if not isinstance(column, dict):
        issues.append((path, f"a column is a mapping, not {column!r}"))
        return None, {}
    variables = column.get("Variable")
    if (not isinstance(variables, list) or len(variables) < 2
            or not all(isinstance(v, str) and v for v in variables)):
        issues.append((path + ("Variable",), "a linked-statistics Variable is [primary, linked, "
                       f"...] (two or more variable names), not {variables!r}"))
        return None, {}
    single = dict(column, Variable=variables[0], Command="TimeHistory")
    single.setdefault("Statistic_Type", "Max")
    translated, keys = legacy_columns.translate(single, path, issues, [])
    if translated is None or translated["kind"] != "statistics":
        if translated is not None:
            issues.append((path, "linked statistics need a time period, not StaticState"))
        return None, {}
    out = {"label": translated["label"], "kind": "linked_statistics",
           "object": translated["object"], "variable": variables[0], "linked": variables[1:]}
    for key in ("position", "period"):
        if key in translated:
            out[key] = translated[key]
    out["statistics"] = translated["statistics"]
    keys = {k: v for k, v in keys.items() if k in out}
    keys["linked"] = "Variable"
    return out, keys


def _report_dropped(user: dict, consumed: set, dropped: list[str]) -> None:
    def used_below(path: tuple) -> bool:
        return any(len(c) > len(path) and c[:len(path)] == path for c in consumed)

    def walk(node: Any, path: tuple) -> None:
        if any(path[:n] in consumed for n in range(1, len(path) + 1)):
            return
        reason = DROPPED_REASONS.get(path)
        if reason is not None and not (isinstance(node, dict) and used_below(path)):
            off = " (it was off)" if node is False else ""
            dropped.append(f"{'.'.join(map(str, path))}: {reason}{off}")
            return
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, path + (key,))
            return
        dropped.append(f"{'.'.join(map(str, path))}: {DEFAULT_REASON}")

    for key, value in user.items():
        walk(value, (key,))


def legacy_to_v2(data: dict[str, Any], options: MigrationOptions) -> StepResult:
    """A legacy post-processing config -> a version-2 config."""
    issues: list[tuple[tuple, str]] = []
    notes: list[str] = []
    dropped: list[str] = []
    origins: dict[tuple, tuple] = {}
    for key, value in data.items():
        if key not in TOP_LEVEL_KEYS:
            close = legacy_columns._suggest(str(key), TOP_LEVEL_KEYS)
            issues.append(((key,), f"unknown key {key!r}{close}; not a key of the legacy "
                           "post-processing dialect"))
        elif key not in ("version", "basename", "library") and value is not None and not (
            isinstance(value, dict)
        ):
            issues.append(((key,), f"{key} must be a mapping, not {type(value).__name__} "
                           f"{value!r}"))
    if issues:
        raise MigrationIssues(issues)
    user = {k: v for k, v in data.items() if v is not None}
    merged = deep_merge(LEGACY_BASE, user)
    #: Where a value a group inherited from its *_master group came from (in the master).
    inherited: dict[tuple, tuple] = {}
    for key in ("summary_settings", "linked_statistics_settings", "time_series_settings"):
        if f"{key}_master" in merged:
            merged[key], from_master = _expand_master(merged.get(key) or {},
                                                      merged[f"{key}_master"], key)
            inherited.update(from_master)
            notes.append(f"{key}_master merged into {key} (group by position, Columns[0] into "
                         "every column)")
    post = _postprocess(merged)
    consumed = {("summary_settings_master",), ("linked_statistics_settings_master",),
                ("time_series_settings_master",), ("meta", "label"),
                ("orcaflex", "postprocess", "summary"), ("orcaflex", "postprocess", "RangeGraph"),
                ("orcaflex", "postprocess", "linked_statistics"),
                ("orcaflex", "postprocess", "time_series", "flag"), ("orcaflex", "parallel"),
                ("time_series_settings", "data"), ("file_management", "input_directory"),
                ("file_management", "output_directory"), ("file_management", "filename"),
                ("parallel_processing", "enabled"), ("parallel_processing", "max_workers"),
                ("summary_settings", "AddMinimumToSummary"),
                ("summary_settings", "AddMaximumToSummary"),
                ("summary_settings", "AddMeanToSummary")}
    results = _collect_results(merged, post, issues, notes, dropped, origins, consumed)
    off = [kind for kind in ("RAOs", "cummulative_histograms", "visualization")
           if not _flag(post, kind)]
    consumed.update(("orcaflex", "postprocess", kind) for kind in off)
    given = user.get("orcaflex", {}).get("postprocess", {})
    off = [kind for kind in off if kind in given]  # reported only where the file turns it off
    if off:
        dropped.append(f"orcaflex.postprocess.{{{', '.join(off)}}}: turned off (flag False), "
                       "nothing to migrate")
    files = merged.get("file_management") or {}
    inputs = _inputs(files, issues, origins)
    policy = _thread_policy(user, options.keep_threads, issues, notes, origins)
    if not results and not issues:
        if "parameters" in user or "orcaflex_post_process" in user:
            raise LegacyBaseConfig([((), "this is the legacy tool's base config (its defaults, "
                                     "merged under every file), not a post-processing job; "
                                     "orcapost reproduces its defaults built in, so it needs no "
                                     "migration")])
        raise MigrationIssues([((), "this legacy config produces no results: every kind in "
                                "orcaflex.postprocess is off or has no groups")])
    if issues:
        raise MigrationIssues([(origin_of(inherited, path, path), message)
                               for path, message in issues])
    out: dict[str, Any] = {"version": 2, "inputs": inputs,
                           "engine": {"thread_policy": policy}, "results": results}
    outputs: dict[str, Any] = {}
    if isinstance(files.get("output_directory"), str):
        outputs["directory"] = files["output_directory"]
        origins[("outputs", "directory")] = ("file_management", "output_directory")
    outputs["formats"] = [_sink(merged, post, user, notes, origins)]
    out["outputs"] = outputs
    notes.append("outputs use the legacy_csv sink: <config>[_label]_<group>.csv with the legacy "
                 "leading columns")
    _report_dropped(user, consumed, dropped)
    origins = {new: origin_of(inherited, old, old) for new, old in origins.items()}
    return StepResult(out, notes, dropped, origins)


#: The legacy dialect's steps, in the order they apply (orcapost.migrations chains them).
LEGACY_STEPS: tuple[MigrationStep, ...] = (
    MigrationStep(0, 1, "legacy-0-to-1 (top-level basename, SummaryFileName, "
                        "files_in_current_directory)", older_legacy_form),
    MigrationStep(1, 2, "legacy-1-to-2 (base config merged, masters expanded, columns and "
                        "concurrency translated)", legacy_to_v2),
)
