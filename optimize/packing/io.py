"""The JSON form of a packing request (`fulfil pack REQUEST.json`), read with every problem
named by its field path and value:

    {"cartons": [{"id": "S", "inner_cm": [30, 20, 10], "max_kg": 10, "cost": 0.45}, ...],
     "items": [{"sku": "A", "dims_cm": [10, 10, 10], "weight_kg": 1.0, "qty": 3}, ...],
     "dim_divisor_cm3_per_kg": 5000, "rate_per_billable_kg": 0.9}

Optional: `upright` per item (default false), `rate_per_billable_kg` (default 0) and
`round_up_kg` (default false: billable kg as the divisor gives it).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimize.errors import FieldProblem, InvalidInput
from optimize.packing.instance import Carton, Item, PackingInstance

__all__ = ["load_request", "request_from_dict"]

_Number = Annotated[float, Field(allow_inf_nan=False)]
_Dims = Annotated[list[_Number], Field(min_length=3, max_length=3)]
_STRICT = ConfigDict(extra="forbid", strict=True)


class _CartonJson(BaseModel):
    model_config = _STRICT
    id: str
    inner_cm: _Dims
    max_kg: _Number
    cost: _Number


class _ItemJson(BaseModel):
    model_config = _STRICT
    sku: str
    dims_cm: _Dims
    weight_kg: _Number
    qty: int
    upright: bool = False


class _RequestJson(BaseModel):
    model_config = _STRICT
    cartons: list[_CartonJson]
    items: list[_ItemJson]
    dim_divisor_cm3_per_kg: _Number
    rate_per_billable_kg: _Number = 0.0
    round_up_kg: bool = False


_FIELDS = {"cartons": set(_CartonJson.model_fields), "items": set(_ItemJson.model_fields)}


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(root)"


def _problem(e: dict[str, Any]) -> FieldProblem:
    loc = tuple(e["loc"])
    if e["type"] == "missing":
        return FieldProblem(_path(loc), "missing", None)
    if e["type"] == "extra_forbidden":
        allowed = _FIELDS.get(loc[0], set()) if len(loc) > 2 else set(_RequestJson.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), sorted(allowed), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return FieldProblem(_path(loc), f"unknown field{hint}", e["input"])
    return FieldProblem(_path(loc), e["msg"][0].lower() + e["msg"][1:], e.get("input"))


def request_from_dict(data: object, problems: list[FieldProblem] | None = None
                      ) -> PackingInstance:
    """A validated instance from the request's JSON form; InvalidInput names every bad field
    (types and unknown or missing keys first, then values such as a negative side), after any
    `problems` the caller found reading it."""
    problems = list(problems or [])
    try:
        req = _RequestJson.model_validate(data)
    except ValidationError as err:
        raise InvalidInput(problems + [_problem(e) for e in err.errors()]) from None
    if problems:
        raise InvalidInput(problems)
    return PackingInstance(
        cartons=tuple(Carton(c.id, tuple(c.inner_cm), c.max_kg, c.cost) for c in req.cartons),
        items=tuple(Item(it.sku, tuple(it.dims_cm), it.weight_kg, it.qty, it.upright)
                    for it in req.items),
        dim_divisor_cm3_per_kg=req.dim_divisor_cm3_per_kg,
        rate_per_billable_kg=req.rate_per_billable_kg, round_up_kg=req.round_up_kg)


def load_request(path: str | Path) -> PackingInstance:
    """Read and validate a request JSON file; InvalidInput names every bad field."""
    twice: list[FieldProblem] = []

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # plain json keeps the last of a repeated key silently; a request means one of them
        keys = [k for k, _ in pairs]
        twice.extend(FieldProblem(k, "key given twice", k) for k in dict.fromkeys(keys)
                     if keys.count(k) > 1)
        return dict(pairs)

    try:
        data = json.loads(Path(path).read_text(), object_pairs_hook=no_repeats)
    except json.JSONDecodeError as err:
        raise InvalidInput(FieldProblem("(file)", f"not valid JSON: {err.msg} at line "
                                        f"{err.lineno} column {err.colno}", str(path))) from None
    return request_from_dict(data, twice)
