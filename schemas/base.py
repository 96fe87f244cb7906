"""The base model of every config section and every component's options.

Unknown keys are rejected everywhere (``extra="forbid"``); before pydantic does, the model says
which key is unknown and which valid key is nearest, so a typo gets a useful message.
"""

from __future__ import annotations

import difflib
import weakref
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    # defer_build: a model's validator is built when it first validates, not when its class is
    # defined, so importing every plugin (for `orcapost --help`) builds none of them.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        valid = _valid_keys(cls)
        if valid.issuperset(data):  # once per column of a config: the usual case first
            return data
        unknown = [key for key in data if key not in valid]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(str(key), sorted(valid), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed = ", ".join(sorted(valid)) or "none"
            raise PydanticCustomError(
                "unknown_key",
                "unknown key {quoted}{hint}; valid keys here: {allowed}",
                {"key": str(key), "quoted": repr(str(key)), "hint": hint, "allowed": allowed},
            )
        return data


#: Each model's field names and aliases, worked out once per model (a 50 MB config validates
#: 250 000 columns of a few models each).
_VALID_KEYS: weakref.WeakKeyDictionary[type, frozenset[str]] = weakref.WeakKeyDictionary()


def _valid_keys(cls: type[BaseModel]) -> frozenset[str]:
    valid = _VALID_KEYS.get(cls)
    if valid is None:
        names = set()
        for name, info in cls.model_fields.items():
            names.add(name)
            if info.alias:
                names.add(info.alias)
        valid = _VALID_KEYS[cls] = frozenset(names)
    return valid
