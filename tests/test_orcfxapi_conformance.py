"""The OrcFxAPI plugin and its test double use only what the real OrcFxAPI has.

The real ``OrcFxAPI.py`` (installed by the dev extra, pinned to 11.6.3) does not import off
Windows, so it is read with ``ast``. Checked:

- the double: every public module-level name exists in the real module (constants and enum
  members with the same values), every public class exists there, and every public method,
  property and attribute of a double class exists on the real class (or its bases), with a
  signature that accepts every call the double accepts;
- the plugin (``plugins/sources/orcaflex*.py``): every ``api.NAME`` it uses exists, every call
  ``api.F(...)`` fits F's real signature, every API method it calls on models and objects
  (``TimeHistory``, ``RangeGraph``, ...) exists with the keywords it passes, and every result
  attribute it reads (``VarName``, ``CurrentTime``, ``X``, ...) exists.

``test_checker_reports_wrong_names`` shows each check failing on deliberately wrong code.
"""

from __future__ import annotations

import ast
import importlib.metadata
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOUBLE = REPO / "tests" / "doubles" / "OrcFxAPI.py"
PLUGIN_FILES = [REPO / "plugins" / "sources" / "orcaflex.py",
                REPO / "plugins" / "sources" / "orcaflex_vocabulary.py"]
PINNED = "11.6.3"
#: Attributes OrcFxAPI resolves through DataObject.__getattr__ as model data (``obj.name`` is
#: the data item Name): not in OrcFxAPI.py, but part of the API.
DATA_ATTRIBUTES = {"name"}
#: Names the plugin calls methods on that are not OrcFxAPI objects.
NOT_API = {"np", "numpy", "random", "time", "threading", "importlib", "Path", "self", "super"}


def real_source() -> tuple[str, str]:
    dist = importlib.metadata.distribution("OrcFxAPI")
    path = Path(dist.locate_file("OrcFxAPI.py"))
    return dist.version, path.read_text(encoding="utf-8-sig")  # the file starts with a BOM


# ---------------------------------------------------------------------------------------------
# Reading a module's API with ast
# ---------------------------------------------------------------------------------------------


@dataclass
class ClassInfo:
    bases: list[str]
    methods: dict[str, ast.arguments] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)
    members: dict[str, object] = field(default_factory=dict)  # literal class-level values


@dataclass
class ModuleAPI:
    names: set[str] = field(default_factory=set)
    literals: dict[str, object] = field(default_factory=dict)
    functions: dict[str, ast.arguments] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # oeVessel = oeRigidBody
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    dict_keys: set[str] = field(default_factory=set)  # keys of objectFromDict({...}) results

    def mro(self, name: str) -> list[ClassInfo]:
        out, queue = [], [name]
        while queue:
            info = self.classes.get(queue.pop(0))
            if info is not None:
                out.append(info)
                queue.extend(info.bases)
        return out

    def method(self, cls: str, name: str) -> ast.arguments | None:
        for info in self.mro(cls):
            if name in info.methods:
                return info.methods[name]
        return None

    def has_attribute(self, cls: str, name: str) -> bool:
        return any(name in info.methods or name in info.attributes or name in info.members
                   for info in self.mro(cls))

    def function(self, name: str) -> ast.arguments | None:
        name = self.aliases.get(name, name)
        if name in self.functions:
            return self.functions[name]
        if name in self.classes:
            return self.method(name, "__init__")
        return None

    def any_attribute(self, name: str) -> bool:
        return name in self.dict_keys or any(
            name in c.methods or name in c.attributes or name in c.members
            for c in self.classes.values())

    def methods_named(self, name: str) -> list[ast.arguments]:
        return [c.methods[name] for c in self.classes.values() if name in c.methods]


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def read_api(source: str) -> ModuleAPI:
    api = ModuleAPI()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "objectFromDict" and node.args
                and isinstance(node.args[0], ast.Dict)):
            api.dict_keys.update(k.value for k in node.args[0].keys
                                 if isinstance(k, ast.Constant) and isinstance(k.value, str))
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            api.names.add(node.name)
            api.functions[node.name] = node.args
        elif isinstance(node, ast.ClassDef):
            api.names.add(node.name)
            api.classes[node.name] = _class_info(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    api.names.add(target.id)
                    value = _literal(node.value)
                    if value is not None:
                        api.literals[target.id] = value
                    if isinstance(node.value, ast.Name):
                        api.aliases[target.id] = node.value.id
    return api


def _top_level(body: list[ast.stmt]):
    """Module statements, including those inside top-level if/try blocks."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body)
            for handler in node.handlers:
                yield from _top_level(handler.body)
        else:
            yield node


def _class_info(node: ast.ClassDef) -> ClassInfo:
    info = ClassInfo(bases=[b.id if isinstance(b, ast.Name) else ast.unparse(b)
                            for b in node.bases])
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_decorator_name(d) in ("property", "setter") for d in item.decorator_list):
                info.attributes.add(item.name)
            else:
                info.methods[item.name] = item.args
            for sub in ast.walk(item):
                if (isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store)
                        and isinstance(sub.value, ast.Name) and sub.value.id == "self"):
                    info.attributes.add(sub.attr)
        elif isinstance(item, (ast.Assign, ast.AnnAssign)):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                value = _literal(item.value) if item.value is not None else None
                if target.id == "__slots__" and value is not None:
                    info.attributes.update([value] if isinstance(value, str) else value)
                elif target.id == "_fields_" and isinstance(item.value, ast.List):
                    for element in item.value.elts:
                        if isinstance(element, ast.Tuple) and isinstance(element.elts[0],
                                                                          ast.Constant):
                            info.attributes.add(element.elts[0].value)
                else:
                    info.members[target.id] = value
    return info


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------


def _params(args: ast.arguments, bound: bool) -> tuple[list[str], set[str]]:
    """Positional parameter names (without self when bound) and those with defaults."""
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    with_default = set(positional[len(positional) - len(args.defaults):]) if args.defaults else set()
    with_default |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                     if d is not None}
    if bound and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    return positional, with_default


def signature_problems(what: str, double: ast.arguments, real: ast.arguments,
                       bound: bool) -> list[str]:
    """Problems with calling the real function every way the double can be called."""
    problems = []
    d_pos, d_defaults = _params(double, bound)
    r_pos, r_defaults = _params(real, bound)
    r_kwonly = {a.arg for a in real.kwonlyargs}
    for index, name in enumerate(d_pos):
        if index < len(r_pos):
            if r_pos[index] != name:
                problems.append(f"{what}: parameter {index + 1} is {name!r} in the double, "
                                f"{r_pos[index]!r} in OrcFxAPI")
            elif name in d_defaults and name not in r_defaults:
                problems.append(f"{what}: {name!r} is optional in the double, required in "
                                "OrcFxAPI")
        elif real.vararg is None:
            problems.append(f"{what}: the double takes {name!r}, OrcFxAPI does not")
    for name in r_pos[len(d_pos):]:
        if name not in r_defaults and double.vararg is None and double.kwarg is None:
            problems.append(f"{what}: OrcFxAPI requires {name!r}, the double does not take it")
    for arg in double.kwonlyargs:
        if arg.arg not in r_pos and arg.arg not in r_kwonly and real.kwarg is None:
            problems.append(f"{what}: OrcFxAPI has no keyword {arg.arg!r}")
    if double.vararg is not None and real.vararg is None:
        problems.append(f"{what}: the double takes *{double.vararg.arg}, OrcFxAPI does not")
    if double.kwarg is not None and real.kwarg is None:
        problems.append(f"{what}: the double takes **{double.kwarg.arg}, OrcFxAPI does not")
    return problems


def call_problems(what: str, call: ast.Call, real: ast.arguments, bound: bool) -> list[str]:
    """Problems with a concrete call against the real signature."""
    positional, _ = _params(real, bound)
    names = set(positional) | {a.arg for a in real.kwonlyargs}
    problems = []
    if any(isinstance(a, ast.Starred) for a in call.args):
        return problems
    if len(call.args) > len(positional) and real.vararg is None:
        problems.append(f"{what}: {len(call.args)} positional arguments, OrcFxAPI takes "
                        f"{len(positional)}")
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg not in names and real.kwarg is None:
            problems.append(f"{what}: OrcFxAPI has no keyword {keyword.arg!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def _public(name: str) -> bool:
    return not name.startswith("_")


def check_double(double_source: str, real: ModuleAPI) -> list[str]:
    double = read_api(double_source)
    problems = []
    for name in sorted(filter(_public, double.names)):
        if name not in real.names:
            problems.append(f"OrcFxAPI has no {name!r}")
        elif name in double.literals and name in real.literals \
                and double.literals[name] != real.literals[name]:
            problems.append(f"{name} is {double.literals[name]!r} in the double, "
                            f"{real.literals[name]!r} in OrcFxAPI")
    for name, args in double.functions.items():
        if _public(name) and name in real.names:
            target = real.function(name)
            if target is not None:
                problems += signature_problems(name, args, target, bound=False)
    for name, info in double.classes.items():
        if not _public(name) or name not in real.classes:
            continue
        for member, value in info.members.items():
            if not _public(member):
                continue
            real_value = next((c.members[member] for c in real.mro(name)
                               if member in c.members), None)
            if not real.has_attribute(name, member):
                problems.append(f"OrcFxAPI's {name} has no {member!r}")
            elif value is not None and real_value is not None and value != real_value:
                problems.append(f"{name}.{member} is {value!r} in the double, "
                                f"{real_value!r} in OrcFxAPI")
        for method, args in info.methods.items():
            if method.startswith("_") and method not in ("__init__", "__getitem__",
                                                        "__contains__"):
                continue
            target = real.method(name, method)
            if target is None:
                problems.append(f"OrcFxAPI's {name} has no method {method!r}")
            else:
                problems += signature_problems(f"{name}.{method}", args, target, bound=True)
        for attribute in info.attributes:
            if (_public(attribute) and attribute not in DATA_ATTRIBUTES
                    and not real.has_attribute(name, attribute)):
                problems.append(f"OrcFxAPI's {name} has no attribute {attribute!r}")
    return problems


def _api_receiver(node: ast.expr) -> bool:
    """``api`` or ``self.api``: the imported OrcFxAPI module, by the plugin's convention."""
    if isinstance(node, ast.Name):
        return node.id == "api"
    return (isinstance(node, ast.Attribute) and node.attr == "api"
            and isinstance(node.value, ast.Name) and node.value.id == "self")


def check_plugin(plugin_source: str, real: ModuleAPI, double: ModuleAPI) -> list[str]:
    tree = ast.parse(plugin_source)
    problems = []
    surface = {name for cls_name, cls in double.classes.items() if _public(cls_name)
               for name in (*cls.methods, *cls.attributes) if _public(name)}
    calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2 \
                and _api_receiver(node.args[0]) and isinstance(node.args[1], ast.Constant):
            if node.args[1].value not in real.names:
                problems.append(f"OrcFxAPI has no {node.args[1].value!r}")
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        call = calls.get(id(node))
        if _api_receiver(node.value):
            if name not in real.names:
                problems.append(f"OrcFxAPI has no {name!r}")
            elif call is not None:
                target = real.function(name)
                if target is not None:
                    problems += call_problems(f"OrcFxAPI.{name}", call, target, bound=False)
            continue
        if isinstance(node.value, ast.Attribute) and _api_receiver(node.value.value):
            owner = node.value.attr  # api.ObjectType.Line
            if owner in real.classes and not real.has_attribute(owner, name):
                problems.append(f"OrcFxAPI's {owner} has no {name!r}")
            continue
        receiver = node.value
        if isinstance(receiver, ast.Name) and receiver.id in NOT_API:
            continue
        if call is not None:
            if not (name in surface or name[:1].isupper()):
                continue  # the plugin's own helpers are snake_case
            candidates = real.methods_named(name)
            if not candidates:
                problems.append(f"OrcFxAPI has no method {name!r}")
            elif all(call_problems(name, call, c, bound=True) for c in candidates):
                problems += call_problems(name, call, candidates[0], bound=True)
        elif (name in surface or name[:1].isupper()) and name not in DATA_ATTRIBUTES:
            if not real.any_attribute(name):
                problems.append(f"OrcFxAPI has no attribute {name!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> ModuleAPI:
    return read_api(real_source()[1])


def test_the_real_module_is_the_pinned_release():
    version, source = real_source()
    assert version == PINNED
    assert "class Model" in source and "def GetMultipleTimeHistories" in source


def test_the_double_has_only_real_names_and_signatures(real):
    assert check_double(DOUBLE.read_text(encoding="utf-8"), real) == []


def test_the_plugin_uses_only_real_names_and_signatures(real):
    double = read_api(DOUBLE.read_text(encoding="utf-8"))
    for path in PLUGIN_FILES:
        assert check_plugin(path.read_text(encoding="utf-8"), real, double) == [], path.name


def test_the_checks_see_what_the_plugin_uses(real):
    """Guard against a checker that passes because it looks at nothing."""
    tree = ast.parse("\n".join(p.read_text(encoding="utf-8") for p in PLUGIN_FILES))
    used = {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and _api_receiver(n.value)}
    assert {"Model", "DLLError", "oeEndA", "oeEndB", "oeTouchdown", "oeArcLength", "oeNodeNum",
            "pnWholeSimulation", "pnLatestWave", "pnStaticState", "SpecifiedPeriod",
            "arSpecifiedArclengths", "GetMultipleTimeHistories",
            "TimeHistorySpecification", "oeLine", "oeSupport", "oeWinch", "ObjectExtra",
            "RadialPos", "LinePoint", "oeEnvironment"} <= used
    assert used <= real.names


def test_every_position_field_is_a_real_object_extra_field(real):
    """Each config position key maps to an ObjectExtra field of the real module (its ctypes
    _fields_), and to an ObjectExtraField member; radial positions and line points to members
    of the real RadialPos and LinePoint enums; the rigid-body factories to real names."""
    from orcapost.plugins.sources import orcaflex_vocabulary as vocabulary

    fields = real.classes["ObjectExtra"].attributes
    members = real.classes["ObjectExtraField"].members
    for key, name in vocabulary.OBJECT_EXTRA_FIELDS.items():
        assert name in fields, (key, name)
        # ArcLength and NodeNum are parts of the LinePoint field (ObjectExtraField.LinePoint).
        assert name in members or name in ("ArcLength", "NodeNum"), (key, name)
    assert set(vocabulary.RADIAL_POS.values()) <= set(real.classes["RadialPos"].members)
    assert set(vocabulary.LINE_POINT.values()) <= set(real.classes["LinePoint"].members)
    assert set(vocabulary.RIGID_BODY_TYPES.values()) <= real.names
    # oeLine takes the keywords the plugin passes, by these names.
    args = real.function("oeLine")
    assert args is not None
    assert {"LinePoint", "NodeNum", "ArcLength", "RadialPos", "Theta", "ClearanceLineName",
            "ExternalResultText"} <= {a.arg for a in args.args}
    # The checker would see a wrong field name set on an ObjectExtra.
    wrong = "def f(api):\n    extra = api.oeLine()\n    extra.BladeIndx = 2\n"
    double = read_api(DOUBLE.read_text(encoding="utf-8"))
    assert any("BladeIndx" in p for p in check_plugin(wrong, real, double))


def test_checker_reports_wrong_names(real):
    double = read_api(DOUBLE.read_text(encoding="utf-8"))
    wrong_plugin = (
        "def f(api, target, model):\n"
        "    api.Model('a.sim', threadcount=1)\n"  # the keyword is threadCount
        "    x = api.pnWholeSimulations\n"  # no such constant
        "    target.TimeHistory('Effective Tension', periodNum=1)\n"  # no such keyword
        "    target.TimeHistorys('Effective Tension')\n"  # no such method
        "    model.simulationTimeStatus.CurrentTimes\n"  # no such field
        "    api.ModelState.SimulationFinished\n"  # no such member
        "    hasattr(api, 'GetMultipleTimeHistory')\n"  # no such function
    )
    problems = check_plugin(wrong_plugin, real, double)
    for needle in ("'threadcount'", "'pnWholeSimulations'", "'periodNum'", "'TimeHistorys'",
                   "'CurrentTimes'", "'SimulationFinished'", "'GetMultipleTimeHistory'"):
        assert any(needle in p for p in problems), (needle, problems)

    wrong_double = (
        "import enum\n"
        "class StatusCode(enum.IntEnum):\n"
        "    LicensingError = 26\n"  # 25 in OrcFxAPI
        "class OrcaFlexObject:\n"
        "    def TimeHistory(self, varName, period=None, objectExtra=None): ...\n"  # varNames
        "    def RangeGraphs(self, varName): ...\n"  # no such method
        "def SpecifiedPeriod(FromTime, ToTime=0.0): ...\n"  # FromTime has a default really
        "def oeNodeNumber(NodeNum): ...\n"  # no such function
        "pnLatestWave = 32003\n"  # 32002 in OrcFxAPI
    )
    problems = check_double(wrong_double, real)
    for needle in ("LicensingError is 26", "'varName'", "'RangeGraphs'", "'oeNodeNumber'",
                   "pnLatestWave is 32003"):
        assert any(needle in p for p in problems), (needle, problems)
    assert not any("SpecifiedPeriod" in p for p in problems), problems  # stricter is fine

    loose_double = "def SpecifiedPeriod(FromTime=0.0, ToTime=0.0, Extra=1): ...\n"
    assert any("'Extra'" in p for p in check_double(loose_double, real))
