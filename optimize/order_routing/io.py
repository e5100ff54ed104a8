"""The JSON form of a routing instance: read with every problem named by its field path."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.order_routing.instance import CostModel, PromiseRules, RoutingInstance

__all__ = ["instance_from_dict", "instance_to_dict", "load_instance"]

_NODE_FIELDS = {"id", "lat", "lon", "capacity_units", "stock", "cutoff_hour", "unit_cost"}
_NODE_REQUIRED = ("id", "lat", "lon", "capacity_units", "stock")
_ORDER_FIELDS = {"id", "lat", "lon", "lines", "promise_days", "placed_hour", "transit_days"}
_ORDER_REQUIRED = ("id", "lat", "lon", "lines")
_COST_REQUIRED = ("per_shipment_fixed", "per_shipment_per_km", "per_unit_per_km",
                  "unfilled_unit_penalty")
_COST_FIELDS = {*_COST_REQUIRED, "late_shipment_penalty"}
_PROMISE_FIELDS = {"hard", "km_per_transit_day"}
_TOP_FIELDS = {"name", "nodes", "orders", "cost", "promise"}


class _JsonObject(dict):
    """A JSON object that remembers keys given twice (plain json keeps the last silently)."""

    duplicate_keys: tuple[str, ...] = ()


def _object_hook(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicate_keys = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def load_instance(path: str | Path) -> RoutingInstance:
    """Read and validate an instance JSON file; raises InvalidInput naming every bad field."""
    text = Path(path).read_text()
    try:
        data = json.loads(text, object_pairs_hook=_object_hook)
    except json.JSONDecodeError as err:
        raise InvalidInput(FieldProblem("(file)", f"not valid JSON: {err.msg} at line "
                                        f"{err.lineno} column {err.colno}", str(path))) from err
    return instance_from_dict(data)


class _Reader:
    """Collects problems while pulling typed values out of nested JSON objects."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def bad(self, path: str, message: str, value: object) -> None:
        self.problems.append(FieldProblem(path, message, value))

    def obj(self, value: object, path: str, allowed: set[str] | None = None,
            required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.bad(path, "must be an object", value)
            return {}
        for key in getattr(value, "duplicate_keys", ()):
            self.bad(f"{path}.{key}" if path else key, "key given twice", key)
        for key in required:
            if key not in value:
                self.bad(f"{path}.{key}" if path else key, "missing", None)
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.bad(f"{path}.{key}" if path else key, "unknown field", key)
        return value

    def array(self, value: object, path: str) -> list:
        if not isinstance(value, list):
            self.bad(path, "must be a list", value)
            return []
        return value

    def number(self, value: object, path: str, default: float = math.nan) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(path, "must be a number", value)
            return default
        if not math.isfinite(value):
            self.bad(path, "must be finite", value)
            return default
        return float(value)

    def integer(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(path, "must be an integer", value)
            return 0
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value:
            self.bad(path, "must be a non-empty string", value)
            return ""
        return value


def instance_from_dict(data: object) -> RoutingInstance:
    """Build an instance from its JSON form (see the issue's schema); raises InvalidInput."""
    r = _Reader()
    top = r.obj(data, "", _TOP_FIELDS, ("nodes", "orders", "cost"))
    nodes = [r.obj(v, f"nodes[{i}]", _NODE_FIELDS, _NODE_REQUIRED)
             for i, v in enumerate(r.array(top.get("nodes", []), "nodes"))]
    orders = [r.obj(v, f"orders[{i}]", _ORDER_FIELDS, _ORDER_REQUIRED)
              for i, v in enumerate(r.array(top.get("orders", []), "orders"))]

    node_ids = [r.text(v.get("id"), f"nodes[{i}].id") if "id" in v else f"#{i}"
                for i, v in enumerate(nodes)]
    sku_index: dict[str, int] = {}
    for i, v in enumerate(nodes):
        for sku in r.obj(v.get("stock", {}), f"nodes[{i}].stock"):
            sku_index.setdefault(sku, len(sku_index))
    node_index = {ident: i for i, ident in reversed(list(enumerate(node_ids)))}

    n, k, m = len(nodes), len(sku_index), len(orders)
    stock = np.zeros((n, k), dtype=np.int64)
    unit_cost = np.zeros((n, k)) if any("unit_cost" in v for v in nodes) else None
    cutoff = np.full(n, 24.0) if any("cutoff_hour" in v for v in nodes) else None
    for i, v in enumerate(nodes):
        for sku, units in v.get("stock", {}).items() if isinstance(v.get("stock"), dict) else ():
            stock[i, sku_index[sku]] = r.integer(units, f"nodes[{i}].stock.{sku}")
        if unit_cost is not None and "unit_cost" in v:
            for sku, value in r.obj(v["unit_cost"], f"nodes[{i}].unit_cost").items():
                path = f"nodes[{i}].unit_cost.{sku}"
                if sku not in sku_index:
                    r.bad(path, "unknown SKU (no node lists it in its stock)", sku)
                else:
                    unit_cost[i, sku_index[sku]] = r.number(value, path, 0.0)
        if cutoff is not None and "cutoff_hour" in v:
            cutoff[i] = r.number(v["cutoff_hour"], f"nodes[{i}].cutoff_hour", 24.0)

    line_order: list[int] = []
    line_sku: list[int] = []
    line_qty: list[int] = []
    promise = np.full(m, np.nan) if any("promise_days" in v for v in orders) else None
    placed = np.zeros(m) if any("placed_hour" in v for v in orders) else None
    transit = np.full((m, n), np.nan) if any("transit_days" in v for v in orders) else None
    for o, v in enumerate(orders):
        path = f"orders[{o}]"
        lines = r.obj(v.get("lines", {}), f"{path}.lines")
        if "lines" in v and isinstance(lines, dict) and not lines:
            r.bad(f"{path}.lines", "an order needs at least one line", lines)
        for sku, units in lines.items():
            if sku not in sku_index:
                r.bad(f"{path}.lines.{sku}", "unknown SKU (no node lists it in its stock)", sku)
                continue
            line_order.append(o)
            line_sku.append(sku_index[sku])
            line_qty.append(r.integer(units, f"{path}.lines.{sku}"))
        if promise is not None and "promise_days" in v:
            promise[o] = r.number(v["promise_days"], f"{path}.promise_days")
        if placed is not None and "placed_hour" in v:
            placed[o] = r.number(v["placed_hour"], f"{path}.placed_hour", 0.0)
        if transit is not None and "transit_days" in v:
            for node, days in r.obj(v["transit_days"], f"{path}.transit_days").items():
                if node not in node_index:
                    r.bad(f"{path}.transit_days.{node}", "unknown node id", node)
                else:
                    transit[o, node_index[node]] = r.number(days, f"{path}.transit_days.{node}")

    cost_data = r.obj(top.get("cost", {}), "cost", _COST_FIELDS, _COST_REQUIRED)
    cost = CostModel(**{key: r.number(cost_data[key], f"cost.{key}", 0.0)
                        if key in cost_data else 0.0 for key in _COST_FIELDS})
    promise_data = r.obj(top.get("promise", {}), "promise", _PROMISE_FIELDS)
    hard = promise_data.get("hard", False)
    if not isinstance(hard, bool):
        r.bad("promise.hard", "must be true or false", hard)
        hard = False
    rules = PromiseRules(hard=hard, km_per_transit_day=r.number(
        promise_data.get("km_per_transit_day", 800.0), "promise.km_per_transit_day", 800.0))
    name = top.get("name", "")
    if not isinstance(name, str):
        r.bad("name", "must be a string", name)
        name = ""

    def coord(items: list[dict], key: str, prefix: str) -> list[float]:
        return [r.number(v[key], f"{prefix}[{i}].{key}", 0.0) if key in v else 0.0
                for i, v in enumerate(items)]

    node_lat, node_lon = coord(nodes, "lat", "nodes"), coord(nodes, "lon", "nodes")
    order_lat, order_lon = coord(orders, "lat", "orders"), coord(orders, "lon", "orders")
    capacity = [r.integer(v["capacity_units"], f"nodes[{i}].capacity_units")
                if "capacity_units" in v else 0 for i, v in enumerate(nodes)]
    order_ids = [r.text(v.get("id"), f"orders[{o}].id") if "id" in v else f"#{o}"
                 for o, v in enumerate(orders)]
    try:
        inst = RoutingInstance(
            node_ids=tuple(node_ids), node_lat=node_lat, node_lon=node_lon,
            capacity_units=capacity, sku_ids=tuple(sku_index), stock=stock,
            order_ids=tuple(order_ids), order_lat=order_lat, order_lon=order_lon,
            line_order=line_order, line_sku=line_sku, line_qty=line_qty, cost=cost, name=name,
            promise_days=promise, placed_hour=placed, cutoff_hour=cutoff,
            transit_days=transit, unit_cost=unit_cost, promise=rules)
    except InvalidInput as err:
        # value problems too, but a field that failed to parse is reported once, as such
        seen = {p.path for p in r.problems}
        r.problems += [p for p in err.problems if p.path not in seen]
    if r.problems:
        raise InvalidInput(r.problems)
    return inst


def instance_to_dict(inst: RoutingInstance) -> dict:
    """The JSON form of an instance (inverse of `instance_from_dict`)."""
    nodes = []
    for n, ident in enumerate(inst.node_ids):
        node: dict[str, Any] = {
            "id": ident, "lat": float(inst.node_lat[n]), "lon": float(inst.node_lon[n]),
            "capacity_units": int(inst.capacity_units[n]),
            "stock": {sku: int(inst.stock[n, k]) for k, sku in enumerate(inst.sku_ids)},
        }
        if inst.cutoff_hour is not None:
            node["cutoff_hour"] = float(inst.cutoff_hour[n])
        if inst.unit_cost is not None:
            node["unit_cost"] = {sku: float(inst.unit_cost[n, k])
                                 for k, sku in enumerate(inst.sku_ids) if inst.unit_cost[n, k]}
        nodes.append(node)
    orders = []
    start = inst.order_line_start
    for o, ident in enumerate(inst.order_ids):
        lines = range(start[o], start[o + 1])
        order: dict[str, Any] = {
            "id": ident, "lat": float(inst.order_lat[o]), "lon": float(inst.order_lon[o]),
            "lines": {inst.sku_ids[inst.line_sku[i]]: int(inst.line_qty[i]) for i in lines},
        }
        if inst.promise_days is not None and not np.isnan(inst.promise_days[o]):
            order["promise_days"] = float(inst.promise_days[o])
        if inst.placed_hour is not None:
            order["placed_hour"] = float(inst.placed_hour[o])
        if inst.transit_days is not None:
            order["transit_days"] = {node: float(inst.transit_days[o, n])
                                     for n, node in enumerate(inst.node_ids)
                                     if not np.isnan(inst.transit_days[o, n])}
        orders.append(order)
    c = inst.cost
    out: dict[str, Any] = {"name": inst.name, "nodes": nodes, "orders": orders, "cost": {
        "per_shipment_fixed": c.per_shipment_fixed, "per_shipment_per_km": c.per_shipment_per_km,
        "per_unit_per_km": c.per_unit_per_km, "unfilled_unit_penalty": c.unfilled_unit_penalty,
        "late_shipment_penalty": c.late_shipment_penalty}}
    if inst.promise != PromiseRules():
        out["promise"] = {"hard": inst.promise.hard,
                          "km_per_transit_day": inst.promise.km_per_transit_day}
    return out
