"""orcapost's positions and periods in OrcFxAPI's terms.

Positions become ``ObjectExtra`` values: plain line points ``oeEndA``, ``oeEndB``,
``oeTouchdown``, ``oeArcLength(S)``, ``oeNodeNum(N)``; a qualified line point ``oeLine(LinePoint,
NodeNum, ArcLength, RadialPos, Theta, ClearanceLineName, ExternalResultText)`` with
``BladeIndex`` set for a turbine blade (as ``oeTurbine`` does); a point on a vessel, buoy,
constraint or the environment ``oeVessel``/``oeBuoy``/``oeConstraint``/``oeEnvironment(x, y,
z)``; a support ``oeSupport(SupportIndex, SupportedLineName)``; a winch connection
``oeWinch(WinchConnectionPoint)``; ``ExternalResultText`` set on any of them. Periods become what OrcFxAPI's ``period``
arguments take (``pnWholeSimulation``, ``pnLatestWave``, ``pnStaticState``, a stage number, or
``SpecifiedPeriod(t0, t1)``). ``api`` is the imported ``OrcFxAPI`` module (or the test double);
nothing here imports it, so this module loads on any platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orcapost.api import Period, Position, ResultFileError

#: OrcaFlex type names (``typeName``) whose results can be taken at a point of the object.
RIGID_BODY_TYPES = {"Vessel": "oeVessel", "6D Buoy": "oeBuoy", "3D Buoy": "oeBuoy",
                    "Constraint": "oeConstraint"}
ENVIRONMENT_TYPE = "Environment"

#: Load-case metadata read from the environment: key -> OrcaFlex data names tried in turn (the
#: first the model has wins; one it lacks, e.g. WaveHs of a regular wave, is left out). The keys
#: are those of orcapost archives, so .sim and archive campaigns share their load-case columns.
DEFAULT_METADATA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wave_type", ("WaveType",)),
    ("Hs", ("WaveHs", "WaveHeight")),
    ("Tp", ("WaveTp", "WavePeriod")),
    ("heading", ("WaveDirection",)),
    ("gamma", ("WaveGamma",)),
    ("seed", ("WaveSeed",)),
    ("current_speed", ("RefCurrentSpeed",)),
    ("current_direction", ("RefCurrentDirection",)),
    ("wind_speed", ("WindSpeed",)),
    ("wind_direction", ("WindDirection",)),
)
#: OrcaFlex data name -> load-case key, for sources that hold load cases, not models.
LOAD_CASE_KEYS = {name: key for key, names in DEFAULT_METADATA for name in names}


#: Each position key of orcapost's config -> the OrcFxAPI ``ObjectExtra`` field it sets
#: (tests/test_orcfxapi_conformance.py checks every name against the real ObjectExtra).
OBJECT_EXTRA_FIELDS = {
    "end": "LinePoint", "arc_length": "ArcLength", "node": "NodeNum",
    "radial": "RadialPos", "theta": "Theta", "clearance_line": "ClearanceLineName",
    "blade": "BladeIndex", "point": "RigidBodyPos", "point (environment)": "EnvironmentPos",
    "support": "SupportIndex", "supported_line": "SupportedLineName",
    "winch_connection": "WinchConnectionPoint", "external_result_text": "ExternalResultText",
}
#: orcapost's radial positions -> OrcFxAPI's RadialPos members.
RADIAL_POS = {"inner": "Inner", "outer": "Outer", "mid": "Mid"}
#: orcapost's line points -> OrcFxAPI's LinePoint members.
LINE_POINT = {"end_a": "EndA", "end_b": "EndB", "touchdown": "Touchdown",
              "arc_length": "ArcLength", "node": "NodeNum"}


def object_extra(api, position: Position | None, type_name: str = "") -> Any:
    """The ``ObjectExtra`` for a position of an object of OrcaFlex type ``type_name``, or None
    when no position is given."""
    if position is None:
        return None
    if position.kind == "point":
        extra = point_extra(api, type_name, position.point or (0.0, 0.0, 0.0))
    elif position.kind == "support":
        extra = api.oeSupport(int(position.number()), position.supported_line)
    elif position.kind == "winch_connection":
        extra = api.oeWinch(int(position.number()))
    elif position.kind == "object":
        extra = api.ObjectExtra()
    elif position.qualifiers():
        return qualified_line_extra(api, position)
    else:
        return plain_line_extra(api, position)
    if position.external_result_text is not None:
        extra.ExternalResultText = position.external_result_text
    return extra


def qualified_line_extra(api, position: Position) -> Any:
    """``oeLine`` with the wall point, clearance line and external-result text of a line
    position (OrcaFlex's defaults, inner wall at theta 0, where not given); the blade index
    set after, as ``oeTurbine`` does."""
    radial = getattr(api.RadialPos, RADIAL_POS[position.radial or "inner"])
    node = int(position.number()) if position.kind == "node" else 0
    arc = position.number() if position.kind == "arc_length" else 0.0
    extra = api.oeLine(LinePoint=getattr(api.LinePoint, LINE_POINT[position.kind]),
                       NodeNum=node, ArcLength=arc, RadialPos=radial,
                       Theta=float(position.theta or 0.0),
                       ClearanceLineName=position.clearance_line,
                       ExternalResultText=position.external_result_text)
    if position.blade is not None:
        extra.BladeIndex = position.blade
    return extra


def plain_line_extra(api, position: Position) -> Any:
    """The ObjectExtra of an unqualified line point (OrcFxAPI's own constants and helpers)."""
    if position.kind == "end_a":
        return api.oeEndA
    if position.kind == "end_b":
        return api.oeEndB
    if position.kind == "touchdown":
        return api.oeTouchdown
    if position.kind == "arc_length":
        return api.oeArcLength(position.number())
    if position.kind == "node":
        return api.oeNodeNum(int(position.number()))
    raise ResultFileError(f"position {position.describe()} has no OrcFxAPI equivalent")


def point_extra(api, type_name: str, point: Sequence[float]) -> Any:
    """The ``ObjectExtra`` for a point (x, y, z) of a vessel, buoy, constraint or environment.

    Rigid-body points are in the body's own axes, environment points in global axes, as
    OrcaFlex defines them.
    """
    x, y, z = (float(v) for v in point)
    if type_name == ENVIRONMENT_TYPE:
        return api.oeEnvironment(x, y, z)
    factory = RIGID_BODY_TYPES.get(type_name)
    if factory is None:
        raise ResultFileError(
            f"a point applies to vessels, buoys, constraints and the environment, "
            f"not to a {type_name}"
        )
    return getattr(api, factory)(x, y, z)


def period_argument(api, period: Period) -> Any:
    """What OrcFxAPI's ``period`` arguments take for an orcapost period."""
    if period.kind == "whole_simulation":
        return api.pnWholeSimulation
    if period.kind == "latest_wave":
        return api.pnLatestWave
    if period.kind == "static_state":
        return api.pnStaticState
    if period.kind == "stage":
        return period.stage_number()  # OrcFxAPI numbers stages as orcapost does: 0 is the build-up
    if period.kind == "specified":
        return api.SpecifiedPeriod(*period.bounds())
    raise ResultFileError(f"period {period.describe()} has no OrcFxAPI equivalent")


def arclength_range(api, arc_range: tuple[float, float] | None) -> Any:
    """``arSpecifiedArclengths(s0, s1)`` for a range, ``arEntireRange()`` for the whole line."""
    if arc_range is None:
        return api.arEntireRange()
    s0, s1 = arc_range
    return api.arSpecifiedArclengths(float(s0), float(s1))
