"""static: values equal the archive's stored static state, interpolated with numpy."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import extract, first_archive
from orcapost.archive import Archive
from orcapost.errors import ResultFileError
from orcapost.plugins.extractors.static import StaticExtractor


def _static(path, obj, var):
    with Archive(path) as archive:
        info = next(o for o in archive.objects if o["name"] == obj)
        entry = next(v for v in info["variables"] if v["name"] == var)
        return np.asarray(info.get("arc_lengths") or []), entry["static"]


@pytest.mark.parametrize(("position", "node"), [("End A", 0), ("End B", -1), ({"node": 3}, 2)])
def test_line_ends_and_nodes_are_the_stored_node_values(campaign, position, node):
    path = first_archive(campaign)
    out = extract(StaticExtractor, path, object="Riser", variable="Effective Tension",
                  position=position)
    _, static = _static(path, "Riser", "Effective Tension")
    assert out["x"] == float(static[node])


def test_an_arc_length_interpolates_linearly(campaign):
    path = first_archive(campaign)
    out = extract(StaticExtractor, path, object="Riser", variable="Bend Moment",
                  position={"arc_length": 222.0})
    arcs, static = _static(path, "Riser", "Bend Moment")
    assert out["x"] == pytest.approx(float(np.interp(222.0, arcs, static)), rel=1e-12)


def test_globs_expand_and_time_variables_need_no_position(campaign):
    path = first_archive(campaign)
    out = extract(StaticExtractor, path, object="FPSO", variable="*", label="{variable} static")
    # The six motions and Z (the vessel origin's vertical position, beside its crane-tip point).
    assert out["Heave static"] == 0.0 and len(out) == 7
    lines = extract(StaticExtractor, path, object="Mooring*", variable="Effective Tension",
                    position="End B")
    _, top = _static(path, "Mooring2", "Effective Tension")
    assert lines["x Mooring2"] == float(top[-1])


def test_touchdown_has_no_static_value(campaign):
    with pytest.raises(ResultFileError, match="Touchdown"):
        extract(StaticExtractor, first_archive(campaign), object="Riser",
                variable="Effective Tension", position="Touchdown")


def test_every_variable_of_every_object_with_types_and_missing_skip(campaign):
    # The legacy all_vars job: object "*", lines at End B, a variable list for one type.
    path = first_archive(campaign)
    lines = extract(StaticExtractor, path, object="*", types=["Line"], position="End B",
                    variable=["Effective Tension", "No such variable"], missing="skip",
                    label="{object} {variable}")
    _, top = _static(path, "Riser", "Effective Tension")
    assert lines["Riser Effective Tension"] == float(top[-1])
    assert set(lines) == {f"{o} Effective Tension" for o in
                          ["Riser", *(f"Mooring{i}" for i in range(1, 7))]}
    rest = extract(StaticExtractor, path, object="*", exclude_types=["Line"], variable="*",
                   position="End B", missing="skip", label="{object} {variable}")
    assert rest["FPSO Heave"] == 0.0
    assert not any(name.startswith(("Riser ", "Mooring")) for name in rest)


def test_a_missing_variable_fails_the_file_unless_skip(campaign):
    path = first_archive(campaign)
    with pytest.raises(ResultFileError, match="No such variable"):
        extract(StaticExtractor, path, object="FPSO", variable=["Heave", "No such variable"])
    out = extract(StaticExtractor, path, object="FPSO", variable=["Heave", "No such variable"],
                  missing="skip", label="{variable}")
    assert out == {"Heave": 0.0}


def test_a_nan_static_value_fails_even_with_missing_skip(campaign):
    # missing: skip is for a variable that has no static value; a NaN one is a failed solve
    # (docs/extractors/static.md), and skipping it left the cell out with no reason.
    from orcapost.derived_file import DerivedChannels, with_derived
    from orcapost.plugins.sources.archive import ArchiveResultFile
    from orcapost.schemas.derived import DerivedChannel

    channels = DerivedChannels({"Bad": DerivedChannel.model_validate("sqrt(Heave - 1)")})
    options = StaticExtractor.Options.model_validate(
        {"label": "{variable}", "object": "FPSO", "variable": ["Heave", "Bad"],
         "missing": "skip"})
    with with_derived(ArchiveResultFile(first_archive(campaign)), channels) as file:
        with pytest.raises(ResultFileError, match="FPSO / Bad: the static value is nan"):
            StaticExtractor(options).extract(file, options)


def test_missing_skip_leaves_out_only_what_the_file_lacks(campaign):
    # missing: skip once swallowed every ResultFileError: a read error while taking one
    # variable's static value left its cell out with no failure row. Only NotInFile ("the file
    # has no such value") is skipped now; any other problem still fails the column.
    from orcapost.plugins.sources.archive import ArchiveResultFile

    class Unreadable(ArchiveResultFile):
        def static_value(self, obj, var, position):
            if var == "Heave":
                raise ResultFileError("FPSO / Heave: the archive's static block is truncated")
            return super().static_value(obj, var, position)

    options = StaticExtractor.Options.model_validate(
        {"label": "{variable}", "object": "FPSO", "variable": ["Heave", "Surge"],
         "missing": "skip"})
    with Unreadable(first_archive(campaign)) as file:
        with pytest.raises(ResultFileError, match="static block is truncated"):
            StaticExtractor(options).extract(file, options)


def test_orcfxapi_value_not_available_is_not_in_file_and_other_dll_errors_are_not():
    # The OrcaFlex source maps OrcFxAPI's stValueNotAvailable (59) to NotInFile wherever the DLL
    # is asked (its _dll, which static_value goes through), so missing: skip may leave it out;
    # another DLL error stays a plain ResultFileError.
    from orcapost.errors import NotInFile
    from orcapost.plugins.sources.orcaflex import VALUE_NOT_AVAILABLE, OrcaFlexResultFile

    class DLLError(Exception):
        def __init__(self, status):
            super().__init__("no value")
            self.status = status

    class Target:
        def __init__(self, status):
            self.status = status

        def StaticResult(self, var, extra):
            raise DLLError(self.status)

    def opened(status):
        file = OrcaFlexResultFile.__new__(OrcaFlexResultFile)
        import threading
        import types

        file.thread = threading.get_ident()
        file.api = types.SimpleNamespace(DLLError=DLLError)
        file._variable = lambda obj, var: types.SimpleNamespace(along_line=False)
        file._extra = lambda obj, info, position: None
        file._object = lambda name: Target(status)
        return file

    with pytest.raises(NotInFile):
        opened(VALUE_NOT_AVAILABLE).static_value("FPSO", "Heave", None)
    with pytest.raises(ResultFileError) as caught:
        opened(23).static_value("FPSO", "Heave", None)
    assert not isinstance(caught.value, NotInFile)
