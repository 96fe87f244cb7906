"""The base model of every config section and every component's options.

Unknown keys are rejected everywhere (``extra="forbid"``); before pydantic does, the model says
which key is unknown and which valid key is nearest, so a typo gets a useful message.
"""

from __future__ import annotations

import difflib
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
        valid = set()
        for name, info in cls.model_fields.items():
            valid.add(name)
            if info.alias:
                valid.add(info.alias)
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
