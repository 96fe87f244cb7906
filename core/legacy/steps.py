"""The named, pure migration steps of the legacy dialect: 0 -> 1 -> 2.

Each step takes a dict and returns a new one (its input is never changed), with notes on what
changed, what was dropped and why, and where moved keys came from. docs/migration.md has the
key-by-key table.
"""

from __future__ import annotations

import copy
import itertools
import math
import posixpath
import re
from typing import Any

from orcapost.defaults import DEFAULT_THREADS
from orcapost.legacy import columns as legacy_columns
from orcapost.legacy.base import LEGACY_BASE, deep_merge
from orcapost.migration_step import (
    LegacyBaseConfig,
    MigrationIssues,
    MigrationOptions,
    MigrationStep,
    NotPostProcessing,
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
    ("parameters",): "parameters.VarNames, the variables of each object type the all_vars job "
                     "reads (orcaflex_objects.get_object_vars); this file runs no all_vars job",
    ("orcaflex_post_process",): "the legacy tool's slot for its results; orcapost writes tables",
    ("orcaflex", "analysis"): "runs static/dynamic analyses: orcapost only post-processes "
                              "results (run simulations with OrcaFlex or the analysis tool)",
    ("orcaflex", "postprocess", "visualization"): "images of the model: no equivalent, orcapost "
                                                  "writes tables",
    ("visualization_settings",): "images of the model: no equivalent, orcapost writes tables",
    ("orcaflex", "postprocess", "RAOs"): "never read by opp.py post_process_router (RAOs were "
                                         "computed only by the superseded OPPTimeSeries."
                                         "router, which nothing calls): no table was written",
    ("orcaflex", "postprocess", "cummulative_histograms"): "opp.py post_process computes no "
                                                          "cumulative histogram (the flag only "
                                                          "starts the run): no table was "
                                                          "written",
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
    ("file_management", "flag"): "True: the files are found in the folder, as orcapost "
                                  "does (False: the listed input_files are the inputs)",
    ("file_management", "input_files"): "with file discovery on, the legacy tool replaced this "
                                        "list by the files it found (FileManagement."
                                        "get_files_in_directory)",
    ("file_management", "update_unfinished"): "re-running unfinished simulations belongs to "
                                               "the analysis tool; orcapost marks unfinished "
                                               "files in the status column",
    ("parallel_processing", "timeout_per_file"): "never read by the legacy tool",
    ("parallel_processing", "progress_reporting"): "never read by the legacy tool; orcapost "
                                                   "always reports progress (--progress)",
    ("parallel_processing", "save_error_reports"): "orcapost always writes failures.csv",
}
DEFAULT_REASON = "not a setting the legacy tool read for post-processing results"
#: How the column translation words a key it leaves out (orcapost.legacy.columns).
COLUMN_DROP = re.compile(r"^\S+\.Columns\.\d+\.\S+.* dropped: ")
#: Where the legacy post-processing wrote (opp_summary.save_summary, opp_linkedstatistics.
#: save_linked_statistics, opp_time_series.get_time_series_data): cfg['Analysis']
#: ['result_folder'], the folder ``results`` beside the config unless
#: file_management.output_directory named another (as the tool's results dumps record).
LEGACY_RESULTS = "results"
def _holds(folder: str, inner: str) -> bool:
    """Whether ``inner`` is ``folder`` or inside it, both relative to the config's folder (an
    absolute path on either side: not decided here; the run refuses it if it is inside)."""
    folder, inner = (posixpath.normpath(p.replace("\\", "/")) for p in (folder, inner))
    if any(posixpath.isabs(p) or (len(p) > 1 and p[1] == ":") for p in (folder, inner)):
        return False
    return folder == "." and not inner.startswith("..") or inner == folder or \
        inner.startswith(folder.rstrip("/") + "/")


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
        _older_files(files, notes, dropped, origins)
    return StepResult(out, notes, dropped, origins)


def _older_files(files: dict, notes: list[str], dropped: list[str],
                 origins: dict[tuple, tuple]) -> None:
    """``file_management.files.files_in_current_directory`` -> ``input_directory`` (or the
    explicit ``input_files`` list), as orcaflex_utilities.OrcaflexUtilities.get_files read it:

    - ``flag: True``: the config's own folder (``directory`` is not read);
    - ``flag: False``: ``directory`` (relative to the config's folder), globbed when
      ``auto_read`` is True (or absent, as older versions had no auto_read);
    - ``flag`` and ``auto_read`` both False: the files listed in
      ``file_management.input_files.sim``, nothing globbed.

    Either way the glob is ``*{filename_pattern}*.{ext}`` in that one folder, and the
    post-processing read only the ``.sim`` files of it (opp.py post_process).
    """
    old = files.pop("files")
    here = old.get("files_in_current_directory") if isinstance(old, dict) else None
    base = ("file_management", "files", "files_in_current_directory")
    if isinstance(here, dict):
        flag = here.get("flag", True) is not False
        auto_read = here.get("auto_read", True) is not False
        directory = here.get("directory")
        if flag:
            files["input_directory"] = None
            origins[("file_management", "input_directory")] = base + ("flag",)
            if directory is not None:
                dropped.append("file_management.files.files_in_current_directory.directory: "
                               "not read while flag is True (the files are those in the "
                               "config's folder; orcaflex_utilities.get_file_management_"
                               "directory)")
        else:
            files["input_directory"] = directory
            origins[("file_management", "input_directory")] = base + ("directory",)
        if here.get("filename_pattern") is not None:
            files.setdefault("filename", {})["pattern"] = here["filename_pattern"]
            origins[("file_management", "filename", "pattern")] = base + ("filename_pattern",)
        listed = files.get("input_files")
        if not flag and not auto_read:
            files["listed_files"] = listed
            origins[("file_management", "listed_files")] = ("file_management", "input_files")
            notes.append("files_in_current_directory flag and auto_read False: the files listed "
                         "in file_management.input_files.sim became inputs.files")
        else:
            if "auto_read" in here:
                dropped.append("file_management.files.files_in_current_directory.auto_read: "
                               "the folder is globbed, as the legacy tool did with this flag")
            if listed is not None:
                dropped.append("file_management.input_files: read only when "
                               "files_in_current_directory.flag and auto_read are both False")
            notes.append("file_management.files.files_in_current_directory became "
                         "file_management.input_directory")
        files.pop("input_files", None)
    for key in (old if isinstance(old, dict) else {}):
        if key != "files_in_current_directory":
            dropped.append(f"file_management.files.{key}: {DEFAULT_REASON}")


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


def _expand_master(settings: dict, master: Any, key: str, leaked: list[str]
                   ) -> tuple[dict, dict]:
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
        # The columns are merged only when the master's first group has Columns (opp.py
        # checks "Columns" in master["groups"][0], then merges group i's Columns[0]): a master
        # of labels alone leaves them as they are.
        template_columns = template.get("Columns")
        merge = isinstance(master_groups[0], dict) and "Columns" in master_groups[0]
        first = template_columns[0] if merge and isinstance(template_columns, list) and \
            template_columns else None
        columns = group.get("Columns")
        if isinstance(columns, list) and isinstance(first, dict):
            # opp.py get_cfg_with_*_master_data merged each column onto the master's
            # Columns[0] with update_deep_dictionary, which updates its first argument: the
            # template grew by every column in turn, so a key an earlier column gave (and a
            # later one leaves out) reached the later one too. Reproduced, and said.
            template = copy.deepcopy(first)
            out_columns = []
            for j, column in enumerate(columns):
                if not isinstance(column, dict):
                    out_columns.append(column)
                    continue
                for field in template:
                    if field in column:
                        continue
                    if field in first:
                        inherited[(key, "groups", i, "Columns", j, field)] = (
                            f"{key}_master", "groups", i, "Columns", 0, field)
                    else:
                        leaked.append(f"{key}.groups.{i}.Columns.{j} takes {field}: "
                                      f"{template[field]!r} from an earlier column, as the "
                                      "legacy tool did (its master template kept each "
                                      "column's keys: update_deep_dictionary changes the "
                                      "template it merges into)")
                template = deep_merge(template, column)
                out_columns.append(template)
            head["Columns"] = out_columns
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
    if columns == []:
        issues.append((path + ("Columns",), "Columns is empty: this group has no columns, so the "
                       "legacy tool wrote a table of file names only; add columns or remove the "
                       "group"))
        return []
    if not isinstance(columns, list):
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


#: The extension the post-processing read: opp.py post_process takes
#: file_management['input_files']['sim'] and nothing else.
PROCESSED_EXTENSION = "sim"


def _inputs(files: dict, issues, notes, origins) -> dict:
    name = _mapping(files.get("filename"))
    extensions = name.get("extension", [PROCESSED_EXTENSION])
    extensions = [extensions] if isinstance(extensions, str) else extensions
    pattern = name.get("pattern")
    ext_path = ("file_management", "filename", "extension")
    if not isinstance(extensions, list) or not all(isinstance(e, str) and e for e in extensions):
        issues.append((ext_path, f"extension must be a list of file extensions ([sim]), not "
                       f"{extensions!r}"))
        extensions = [PROCESSED_EXTENSION]
    elif not extensions:
        issues.append((ext_path, "extension is empty ([]): the legacy tool found no files, so "
                       "this config produced nothing; give [sim]"))
    elif PROCESSED_EXTENSION not in [e.lstrip(".").lower() for e in extensions]:
        issues.append((ext_path, f"extension {extensions} has no 'sim': the legacy post-"
                       "processing read only the .sim files it found (opp.py post_process), so "
                       "this config processed nothing; give [sim]"))
    others = [e for e in extensions if e.lstrip(".").lower() != PROCESSED_EXTENSION]
    if others and PROCESSED_EXTENSION in [e.lstrip(".").lower() for e in extensions]:
        notes.append(f"file_management.filename.extension {extensions}: only the .sim files "
                     "are inputs, the ones the legacy post-processing read (opp.py post_process "
                     f"reads input_files['sim']; the {', '.join(others)} files were found but "
                     "never opened)")
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
    listed = files.get("listed_files")
    explicit = "listed_files" in files
    listed_key = ("file_management", "listed_files")
    if files.get("flag") is False and not explicit:
        # ou.file_management finds no files when flag is False: the post-processing read the
        # list given in file_management.input_files, as it was.
        listed, explicit = files.get("input_files"), True
        listed_key = ("file_management", "input_files")
    if explicit:
        sims = listed.get(PROCESSED_EXTENSION) if isinstance(listed, dict) else None
        if not isinstance(sims, list) or not sims or not all(isinstance(f, str) for f in sims):
            issues.append((listed_key, "with file discovery off "
                           "(file_management.flag, or files_in_current_directory flag and "
                           "auto_read, False) the legacy tool read the files listed in "
                           "file_management.input_files.sim; give that list of .sim file names "
                           f"(found {listed!r})"))
        else:
            inputs["files"] = list(sims)
            origins[("inputs", "files")] = listed_key
            return inputs
    # The legacy tool globbed *{pattern}*.sim in that one folder (no recursion).
    stem = f"*{pattern}*" if pattern not in (None, "") else "*"
    inputs["patterns"] = [f"{stem}.{PROCESSED_EXTENSION}"]
    origins[("inputs", "patterns")] = ext_path
    filters = _mapping(name.get("filters"))
    for legacy, key in (("contains", "include"), ("not_contains", "exclude")):
        words = filters.get(legacy) or []
        if not isinstance(words, list) or not all(isinstance(w, (str, int)) for w in words):
            issues.append((("file_management", "filename", "filters", legacy),
                           f"{legacy} must be a list of texts, not {words!r}"))
            continue
        if words:
            # FileManagement.get_filtered_files: the stem must hold ALL contains words and
            # none of the not_contains words; orcapost's include keeps a file matching ANY.
            if key == "include" and len(words) > 1:
                if len(words) > 4:
                    issues.append((("file_management", "filename", "filters", legacy),
                                   "more than 4 contains words are not migrated (the legacy "
                                   "tool kept names holding all of them): use fewer"))
                    continue
                # Every order of the words: a name holding all of them matches one.
                inputs[key] = ["*" + "*".join(map(str, order)) + "*"
                               for order in itertools.permutations(words)]
            else:
                inputs[key] = [f"*{w}*" for w in words]
            origins[("inputs", key)] = ("file_management", "filename", "filters", legacy)
    # FileManagement.get_filtered_files keeps a file when its size in KB (bytes / 1024) is at
    # least min_size_kb and at most max_size_kb: the same bounds in bytes.
    for legacy, key, rounded in (("min_size_kb", "min_size", math.ceil),
                                 ("max_size_kb", "max_size", math.floor)):
        kb = filters.get(legacy)
        if kb in (None, "NULL", [], ""):
            continue
        if isinstance(kb, bool) or not isinstance(kb, (int, float)) or kb < 0:
            issues.append((("file_management", "filename", "filters", legacy),
                           f"{legacy} must be a number of KB (1024 bytes), not {kb!r}"))
            continue
        inputs[key] = int(rounded(kb * 1024))
        origins[("inputs", key)] = ("file_management", "filename", "filters", legacy)
    for legacy in filters:
        if legacy not in ("contains", "not_contains", "min_size_kb", "max_size_kb") and \
                filters[legacy] not in (None, "NULL", [], ""):
            issues.append((("file_management", "filename", "filters", legacy),
                           f"filters.{legacy} is not migrated (a regular expression on the "
                           "file name): use inputs.include/exclude globs in a version-2 config"))
    return inputs


def _sink(merged: dict, post: dict, user: dict, issues, notes, origins) -> dict:
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
    # Each kind rounded its own CSVs to its csv_decimal (default 6): opp_summary.save_summary,
    # opp_linkedstatistics.save_linked_statistics, opp_time_series.get_time_series_data.
    for kind, option in (("summary", "decimals"), ("linked_statistics", "linked_decimals"),
                         ("time_series", "time_series_decimals")):
        decimals = _mapping(post.get(kind)).get("csv_decimal")
        where = ("orcaflex", "postprocess", kind, "csv_decimal")
        if decimals is None:
            continue
        if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
            issues.append((where, f"csv_decimal must be a whole number of decimals >= 0, not "
                           f"{decimals!r}"))
            continue
        sink[option] = decimals
        origins[("outputs", "formats", 0, option)] = where
    if rows:
        sink["statistics"] = rows
        notes.append(f"summary statistics rows ({', '.join(rows)}) are written by the "
                     "legacy_csv sink")
    return sink


#: Group keys that chose the group's own files (opp_summary.OPPSummary.process_summary_groups
#: copied them into files_in_current_directory before finding the files): v2 key -> legacy key.
GROUP_FILE_KEYS = {"directory": "input_directory", "filename_pattern": "pattern"}


def _inject_into(value: Any, path: tuple, issues, dropped) -> None:
    """``inject_into`` wrote the group's table into an existing Excel workbook
    (opp_summary.OPPSummary.injectSummaryToNewExcel): off, it is dropped; on, refused."""
    where = ".".join(map(str, path + ("inject_into",)))
    if isinstance(value, dict) and value.get("flag") is True:
        issues.append((path + ("inject_into",), "inject_into writes the table into an Excel "
                       f"workbook ({value.get('filename')!r}), which orcapost does not do: set "
                       "its flag to False (or remove it) and copy the CSV orcapost writes into "
                       "the workbook"))
    else:
        dropped.append(f"{where}: writing into an Excel workbook, turned off")


def _group_files(group_files: dict, files: dict, issues, notes, origins) -> dict:
    """Group-level ``directory`` / ``filename_pattern``: one set of files for the config when
    every group that gives one gives the same; refused when groups read different files."""
    files = copy.deepcopy(files)
    for key, found in group_files.items():
        values = {repr(value) for _, value in found}
        if len(values) > 1:
            issues.append((found[1][0] + (key,), f"groups give different {key} values "
                           f"({', '.join(sorted(values))}): the legacy tool read other files "
                           "for each group; orcapost reads one set of files per config, so "
                           "write one config per set of files"))
            continue
        path, value = found[0]
        if key == "directory":
            files["input_directory"] = value
            origins[("file_management", "input_directory")] = path + (key,)
        else:
            files.setdefault("filename", {})["pattern"] = value
            origins[("file_management", "filename", "pattern")] = path + (key,)
        notes.append(f"{'.'.join(map(str, path))}.{key} {value!r} chose the files "
                     f"(opp_summary.process_summary_groups): it became the config's inputs")
    return files


def _collect_results(merged, post, issues, notes, dropped, origins, consumed,
                     group_files) -> dict:
    results: dict[str, Any] = {}

    def add_group(label: str, columns: list, group_path: tuple, columns_meta: list) -> str:
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
        return name

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
                if extra in GROUP_FILE_KEYS:
                    if group[extra] is not None:
                        group_files.setdefault(extra, []).append((group_path, group[extra]))
                elif extra == "inject_into":
                    _inject_into(group["inject_into"], group_path, issues, dropped)
                elif extra not in ("Label", "Columns"):
                    dropped.append(f"{key}.groups.{i}.{extra}: {DEFAULT_REASON}")
            if special != "linked":
                out_columns, columns_meta = _last_label_wins(out_columns, columns_meta,
                                                             dropped)
            if label is not None and out_columns:
                name = add_group(label, out_columns, group_path, columns_meta)
                for column in results[name]["columns"]:
                    if column.get("kind") == "time_history":
                        # One file per simulation and group, as the legacy time series.
                        column["table"] = name
    return results


#: The all_vars job's result group (its legacy files: <config>_<object type>_var_data.csv).
ALL_VARS_GROUP = "var_data"


def _all_vars(merged: dict, post: dict, issues, notes, consumed) -> dict | None:
    """``orcaflex.postprocess.all_vars``: the static value of every variable of every object
    (all_vars.AllVars.get_var_data_StaticResult: lines at End B), restricted for an object
    type to ``parameters.VarNames[type]`` when that lists it (orcaflex_objects.
    get_object_vars). It becomes static columns over ``object: "*"``."""
    consumed.add(("orcaflex", "postprocess", "all_vars"))
    if not _flag(post, "all_vars"):
        return None
    consumed.add(("parameters",))
    listed = _mapping(_mapping(merged.get("parameters")).get("VarNames"))
    columns: list[dict] = [{"kind": "simulation_times"}]
    for kind, names in listed.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            issues.append((("parameters", "VarNames", kind), f"VarNames.{kind} must be a list of "
                           f"variable names, not {names!r}"))
            continue
        column = {"label": "{object} {variable}", "kind": "static", "object": "*",
                  "variable": names, "types": [kind], "missing": "skip"}
        if kind == "Line":
            column["position"] = "End B"
        columns.append(column)
    columns.append({"label": "{object} {variable}", "kind": "static", "object": "*",
                    "variable": "*", "position": "End B", "missing": "skip",
                    **({"exclude_types": list(listed)} if listed else {})})
    notes.append("orcaflex.postprocess.all_vars became the group var_data: the static value of "
                 "every variable of every object (lines at End B; an object type listed in "
                 "parameters.VarNames, only those variables; a variable without a static value "
                 "is left out, as the legacy tool logged and skipped it)")
    return {"columns": columns}


def _last_label_wins(columns: list, meta: list, dropped: list[str]) -> tuple[list, list]:
    """Columns of one group with one Label: the legacy table had one column of that name, the
    last one's value (opp_summary.get_summary_for_file assigns df[Label] column by column;
    opp_time_series likewise). The earlier ones are dropped, and said."""
    def name(column: dict) -> str:
        return column.get("label") or column["data"][0]["label"]  # a GetData's is its item's

    last = {name(column): index for index, column in enumerate(columns)}
    kept, kept_meta = [], []
    for index, (column, info) in enumerate(zip(columns, meta, strict=True)):
        if last[name(column)] != index:
            where = ".".join(map(str, info[1]))
            dropped.append(f"{where} ({name(column)}): another column of the group has the "
                           "same Label and replaced its value in the legacy table (the later "
                           "one was written); give it its own Label to keep both")
            continue
        kept.append(column)
        kept_meta.append(info)
    return kept, kept_meta


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
        return _linked(column, path, issues, notes)
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


def _linked(column, path, issues, notes):
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
    translated, keys = legacy_columns.translate(single, path, issues, notes)
    if translated is None or translated["kind"] != "statistics":
        if translated is not None:
            issues.append((path, "linked statistics need a time period, not StaticState"))
        return None, {}
    out = {"label": translated["label"], "kind": "linked_statistics",
           "object": translated["object"], "variable": variables[0], "linked": variables[1:]}
    for key in ("position", "period"):
        if key in translated:
            out[key] = translated[key]
    # Both halves, whatever Statistic_Type says: opp_linkedstatistics.
    # get_linked_statistics_from_orcaflex_run wrote ValueAtMax/TimeOfMax/LinkedValueAtMax and
    # ValueAtMin/TimeOfMin/LinkedValueAtMin, and never read Statistic_Type.
    out["statistics"] = ["max", "min"]
    keys = {k: v for k, v in keys.items() if k in out and k != "statistics"}
    keys["linked"] = "Variable"
    return out, keys


def _nothing_to_run(user: dict, post: dict) -> MigrationIssues:
    """Why a legacy file produces no tables, naming what the file is."""
    on = [kind for kind in ("summary", "linked_statistics", "RangeGraph", "time_series",
                            "cummulative_histograms", "RAOs", "all_vars") if _flag(post, kind)]
    if _flag(post, "visualization") and not on:
        given = _mapping(_mapping(user.get("orcaflex")).get("postprocess")).get("visualization")
        why = "" if isinstance(given, dict) else " (on by the legacy base config)"
        return NotPostProcessing("a visualisation config", [((), (
            f"this is a visualisation config: only orcaflex.postprocess.visualization is on{why}, "
            "which draws images of the models (opp_visualization); orcapost writes tables, so "
            "there is nothing to migrate. Keep it for the legacy tool, or delete it"))])
    if on:
        return MigrationIssues([((), f"orcaflex.postprocess {', '.join(on)} is on but has no "
                                 "groups with columns: the legacy tool wrote no tables; add "
                                 "groups, or turn the flag off")])
    return NotPostProcessing("a post-processing config with nothing switched on", [((), (
        "nothing is switched on: every kind in orcaflex.postprocess is off, so the legacy tool "
        "ran nothing (opp.py post_process_router: 'No postprocess specified'); turn a kind "
        "on (summary.flag: True, ...) or delete the file"))])


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
            leaked: list[str] = []
            merged[key], from_master = _expand_master(merged.get(key) or {},
                                                      merged[f"{key}_master"], key, leaked)
            notes.extend(leaked)
            inherited.update(from_master)
            notes.append(f"{key}_master merged into {key} (group by position, Columns[0] into "
                         "every column)")
    post = _postprocess(merged)
    consumed = {("summary_settings_master",), ("linked_statistics_settings_master",),
                ("time_series_settings_master",), ("meta", "label"),
                ("orcaflex", "postprocess", "summary"), ("orcaflex", "postprocess", "RangeGraph"),
                ("orcaflex", "postprocess", "linked_statistics"),
                ("orcaflex", "postprocess", "time_series", "flag"), ("orcaflex", "parallel"),
                ("orcaflex", "postprocess", "time_series", "csv_decimal"),
                ("file_management", "listed_files"),
                ("time_series_settings", "data"), ("file_management", "input_directory"),
                ("file_management", "output_directory"), ("file_management", "filename"),
                ("parallel_processing", "enabled"), ("parallel_processing", "max_workers"),
                ("summary_settings", "AddMinimumToSummary"),
                ("summary_settings", "AddMaximumToSummary"),
                ("summary_settings", "AddMeanToSummary")}
    group_files: dict[str, list] = {}
    results = _collect_results(merged, post, issues, notes, dropped, origins, consumed,
                               group_files)
    off = [kind for kind in ("RAOs", "cummulative_histograms", "visualization")
           if not _flag(post, kind)]
    consumed.update(("orcaflex", "postprocess", kind) for kind in off)
    given = user.get("orcaflex", {}).get("postprocess", {})
    off = [kind for kind in off if kind in given]  # reported only where the file turns it off
    if off:
        dropped.append(f"orcaflex.postprocess.{{{', '.join(off)}}}: turned off (flag False), "
                       "nothing to migrate")
    if _flag(post, "visualization") and "visualization" not in _mapping(given):
        # Not in the file, so not reported with its keys: on by the base config, the legacy
        # job also drew images (opp_visualization), which orcapost does not.
        dropped.append("orcaflex.postprocess.visualization: on by the legacy base config (the "
                       "legacy job also drew images of the models); orcapost writes tables")
    dump = _all_vars(merged, post, issues, notes, consumed)
    if dump is not None:
        name = ALL_VARS_GROUP if ALL_VARS_GROUP not in results else f"{ALL_VARS_GROUP}_all_vars"
        results[name] = dump
        origins[("results", name)] = ("orcaflex", "postprocess", "all_vars")
    files = _group_files(group_files, merged.get("file_management") or {}, issues, notes,
                         origins)
    inputs = _inputs(files, issues, notes, origins)
    if files.get("flag") is False:
        consumed.update({("file_management", "flag"), ("file_management", "input_files")})
        notes.append("file_management.flag False: the files listed in file_management."
                     "input_files.sim are the inputs (the legacy tool found no others)")
    policy = _thread_policy(user, options.keep_threads, issues, notes, origins)
    if not results and not issues:
        if "parameters" in user or "orcaflex_post_process" in user:
            raise LegacyBaseConfig([((), "this is the legacy tool's base config (its defaults, "
                                     "merged under every file), not a post-processing job; "
                                     "orcapost reproduces its defaults built in, so it needs no "
                                     "migration")])
        raise _nothing_to_run(user, post)
    out: dict[str, Any] = {"version": 2, "inputs": inputs,
                           "engine": {"thread_policy": policy}, "results": results}
    # orcapost's default output folder is the legacy one, results/ beside the config.
    outputs: dict[str, Any] = {}
    if isinstance(files.get("output_directory"), str):
        # assetutilities set cfg['Analysis']['result_folder'] to it (relative to the config).
        outputs["directory"] = files["output_directory"]
        origins[("outputs", "directory")] = ("file_management", "output_directory")
    if _holds(inputs["directory"], outputs.get("directory", LEGACY_RESULTS)):
        # Discovery is not recursive and reads only *.sim, so results/ is never an input.
        outputs["write_into_inputs"] = True
    sink = _sink(merged, post, user, issues, notes, origins)
    series = [name for name, group in results.items()
              if any(c.get("table") == name for c in group["columns"])]
    if series:
        sink["time_series"] = series
        notes.append("time series are written as the legacy tool named them, "
                     "<simulation>_<group>.csv, one per simulation and group")
    outputs["formats"] = [sink]
    if issues:
        raise MigrationIssues([(origin_of(inherited, path, path), message)
                               for path, message in issues])
    out["outputs"] = outputs
    notes.append("outputs use the legacy_csv sink: <config>[_label]_<group>.csv with the legacy "
                 "leading columns")
    _report_dropped(user, consumed, dropped)
    # A column key the translation left out is a drop, reported with the others.
    for note in [n for n in notes if COLUMN_DROP.match(n)]:
        notes.remove(note)
        dropped.append(note.replace(" dropped: ", ": ", 1))
    origins = {new: origin_of(inherited, old, old) for new, old in origins.items()}
    return StepResult(out, notes, dropped, origins)


#: The legacy dialect's steps, in the order they apply (orcapost.migrations chains them).
LEGACY_STEPS: tuple[MigrationStep, ...] = (
    MigrationStep(0, 1, "legacy-0-to-1 (top-level basename, SummaryFileName, "
                        "files_in_current_directory)", older_legacy_form),
    MigrationStep(1, 2, "legacy-1-to-2 (base config merged, masters expanded, columns and "
                        "concurrency translated)", legacy_to_v2),
)
