"""The guaranteed-service network: nodes, edges, validation with named fields, derived data.

A node k has processing time T_k (whole periods), local holding cost h_k (currency per unit per
period), its own external demand (mean, standard deviation per period), safety factor z_k, an
external inbound service time (a floor on its inbound time, periods) and optionally a maximum
outbound service time promised to its customers. Edges run upstream -> downstream.
Its demand standard deviation sigma_k is the root of the sum of the variances of its own demand
and of every node downstream of it (each counted once, Graves and Willems 2000).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from optimize.errors import FieldProblem, InvalidInput

__all__ = ["GsmNetwork", "GsmNode", "parse_network"]

_NODE_FIELDS = ("id", "processing_time", "holding_cost", "demand_mean", "demand_sd", "z",
                "external_inbound_cst", "max_outbound_cst")
_REQUIRED = ("id", "processing_time", "holding_cost", "z")


@dataclass(frozen=True)
class GsmNode:
    """One stage of the guaranteed-service model (times in periods, cost per unit per period)."""

    id: str
    processing_time: int
    holding_cost: float
    demand_mean: float = 0.0
    demand_sd: float = 0.0
    z: float = 0.0
    external_inbound_cst: int = 0
    max_outbound_cst: int | None = None


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_whole(v: object) -> bool:
    return _is_number(v) and float(v) == int(v)


def _node_value_problems(i: int, n: GsmNode) -> list[FieldProblem]:
    at = f"nodes[{i}]"
    out = []
    for name in ("processing_time", "external_inbound_cst"):
        v = getattr(n, name)
        if not _is_whole(v) or v < 0:
            out.append(FieldProblem(f"{at}.{name}", "must be a whole number of periods >= 0", v))
    if n.max_outbound_cst is not None and (not _is_whole(n.max_outbound_cst)
                                           or n.max_outbound_cst < 0):
        out.append(FieldProblem(f"{at}.max_outbound_cst",
                                "must be a whole number of periods >= 0", n.max_outbound_cst))
    for name in ("holding_cost", "demand_mean", "demand_sd", "z"):
        v = getattr(n, name)
        if not _is_number(v) or v < 0:
            out.append(FieldProblem(f"{at}.{name}", "must be a finite number >= 0", v))
    return out


def _find_cycle(ids: Sequence[str], succs: list[list[int]], left: set[int]) -> list[str]:
    """A directed cycle among the nodes Kahn's algorithm could not order."""
    node = min(left)
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(j for j in succs[node] if j in left)
    cycle = [*path[seen[node]:], node]
    return [ids[k] for k in cycle]


@dataclass(frozen=True)
class GsmNetwork:
    """An acyclic network of GSM nodes; validated on construction (raises InvalidInput)."""

    nodes: tuple[GsmNode, ...]
    edges: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "edges", tuple((str(u), str(v)) for u, v in self.edges))
        problems: list[FieldProblem] = []
        seen: dict[str, int] = {}
        for i, n in enumerate(self.nodes):
            problems += _node_value_problems(i, n)
            if n.id in seen:
                problems.append(FieldProblem(f"nodes[{i}].id",
                                             f"duplicates nodes[{seen[n.id]}].id", n.id))
            seen.setdefault(n.id, i)
        if not self.nodes:
            problems.append(FieldProblem("nodes", "must list at least one node", []))
        pairs: dict[tuple[str, str], int] = {}
        for e, (u, v) in enumerate(self.edges):
            for end, name in ((0, u), (1, v)):
                if name not in seen:
                    problems.append(FieldProblem(f"edges[{e}][{end}]", "unknown node", name))
            if u == v:
                problems.append(FieldProblem(f"edges[{e}]", "an edge from a node to itself",
                                             [u, v]))
            elif (u, v) in pairs:
                problems.append(FieldProblem(f"edges[{e}]", f"duplicates edges[{pairs[u, v]}]",
                                             [u, v]))
            pairs.setdefault((u, v), e)
        if not problems:
            left = set(range(len(self.nodes))) - set(self.topological_order_partial)
            if left:
                cycle = _find_cycle(self.ids, self.successors, left)
                problems.append(FieldProblem("edges", "the network has a cycle",
                                             " -> ".join(cycle)))
        if problems:
            raise InvalidInput(problems)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """Node ids in input order."""
        return tuple(n.id for n in self.nodes)

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each id."""
        return {k: i for i, k in enumerate(self.ids)}

    @cached_property
    def predecessors(self) -> list[list[int]]:
        """Upstream neighbours of each node (indices)."""
        out: list[list[int]] = [[] for _ in self.nodes]
        for u, v in self.edges:
            out[self.index[v]].append(self.index[u])
        return out

    @cached_property
    def successors(self) -> list[list[int]]:
        """Downstream neighbours of each node (indices)."""
        out: list[list[int]] = [[] for _ in self.nodes]
        for u, v in self.edges:
            out[self.index[u]].append(self.index[v])
        return out

    @cached_property
    def topological_order_partial(self) -> list[int]:
        """Kahn's order; shorter than the node list exactly when there is a cycle."""
        indeg = [len(p) for p in self.predecessors]
        queue = deque(i for i, d in enumerate(indeg) if d == 0)
        order = []
        while queue:
            k = queue.popleft()
            order.append(k)
            for j in self.successors[k]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    queue.append(j)
        return order

    @property
    def topological_order(self) -> list[int]:
        """Upstream before downstream (indices)."""
        return self.topological_order_partial

    @cached_property
    def processing_time(self) -> np.ndarray:
        """T_k, periods."""
        return np.array([n.processing_time for n in self.nodes], dtype=np.int64)

    @cached_property
    def external_inbound(self) -> np.ndarray:
        """Floor on each inbound service time, periods."""
        return np.array([n.external_inbound_cst for n in self.nodes], dtype=np.int64)

    @cached_property
    def net_demand_sd(self) -> np.ndarray:
        """sigma_k: root of the summed variances of k's own demand and all its descendants'."""
        var = np.array([n.demand_sd ** 2 for n in self.nodes], float)
        out = np.empty(len(self.nodes))
        below: list[set[int]] = [set() for _ in self.nodes]
        for k in reversed(self.topological_order):
            for j in self.successors[k]:
                below[k] |= below[j] | {j}
            out[k] = math.sqrt(var[k] + sum(var[j] for j in below[k]))
        return out

    @cached_property
    def unit_cost_per_sqrt_period(self) -> np.ndarray:
        """h_k z_k sigma_k: holding cost of safety stock per sqrt(period) of net lead time."""
        hz = np.array([n.holding_cost * n.z for n in self.nodes], float)
        return hz * self.net_demand_sd

    @cached_property
    def outbound_upper(self) -> np.ndarray:
        """Largest outbound service time each node can usefully quote (periods)."""
        up = np.zeros(len(self.nodes), dtype=np.int64)
        si = self.inbound_upper
        for k in self.topological_order:
            up[k] = si[k] + self.nodes[k].processing_time
            cap = self.nodes[k].max_outbound_cst
            if cap is not None:
                up[k] = min(up[k], cap)
        return up

    @cached_property
    def inbound_upper(self) -> np.ndarray:
        """Largest inbound service time each node can see (periods)."""
        si = np.zeros(len(self.nodes), dtype=np.int64)
        s_up = np.zeros(len(self.nodes), dtype=np.int64)
        for k in self.topological_order:
            n = self.nodes[k]
            si[k] = max([n.external_inbound_cst] + [s_up[i] for i in self.predecessors[k]])
            s_up[k] = si[k] + n.processing_time
            if n.max_outbound_cst is not None:
                s_up[k] = min(s_up[k], n.max_outbound_cst)
        return si

    @cached_property
    def is_forest(self) -> bool:
        """True when the undirected graph has no cycle (a tree or several)."""
        parent = list(range(len(self.nodes)))

        def root(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for u, v in self.edges:
            ru, rv = root(self.index[u]), root(self.index[v])
            if ru == rv:
                return False
            parent[ru] = rv
        return True


def parse_network(data: object) -> GsmNetwork:
    """Build a GsmNetwork from NETWORK.json data, naming every bad field before raising."""
    problems: list[FieldProblem] = []
    if not isinstance(data, Mapping):
        raise InvalidInput(FieldProblem("(root)", "must be an object with nodes and edges",
                                        type(data).__name__))
    for key in data:
        if key not in ("nodes", "edges"):
            problems.append(FieldProblem(str(key), "unknown field", data[key]))
    raw_nodes = data.get("nodes")
    raw_edges = data.get("edges", [])
    if not isinstance(raw_nodes, list):
        problems.append(FieldProblem("nodes", "must be a list of node objects", raw_nodes))
        raw_nodes = []
    if not isinstance(raw_edges, list):
        problems.append(FieldProblem("edges", "must be a list of [upstream, downstream] pairs",
                                     raw_edges))
        raw_edges = []
    nodes = []
    for i, raw in enumerate(raw_nodes):
        at = f"nodes[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(FieldProblem(at, "must be an object", raw))
            continue
        bad = False
        for key in raw:
            if key not in _NODE_FIELDS:
                problems.append(FieldProblem(f"{at}.{key}", "unknown field", raw[key]))
        for key in _REQUIRED:
            if key not in raw:
                problems.append(FieldProblem(f"{at}.{key}", "required field missing"))
                bad = True
        for key in _NODE_FIELDS[1:]:
            v = raw.get(key)
            if key in raw and not (_is_number(v) or (key == "max_outbound_cst" and v is None)):
                problems.append(FieldProblem(f"{at}.{key}", "must be a number", v))
                bad = True
        node_id = raw.get("id")
        if ("id" in raw and not isinstance(node_id, str | int)) or isinstance(node_id, bool):
            problems.append(FieldProblem(f"{at}.id", "must be a string or an integer", node_id))
            bad = True
        if bad:
            continue
        kwargs = {k: raw[k] for k in _NODE_FIELDS[1:] if k in raw}
        for k in ("processing_time", "external_inbound_cst", "max_outbound_cst"):
            if _is_whole(kwargs.get(k)):
                kwargs[k] = int(kwargs[k])
        nodes.append(GsmNode(id=str(node_id), **kwargs))
    edges = []
    for e, raw in enumerate(raw_edges):
        if (not isinstance(raw, list | tuple) or len(raw) != 2
                or not all(isinstance(x, str | int) and not isinstance(x, bool) for x in raw)):
            problems.append(FieldProblem(f"edges[{e}]", "must be [upstream_id, downstream_id]",
                                         raw))
            continue
        edges.append((str(raw[0]), str(raw[1])))
    if problems:
        raise InvalidInput(problems)
    return GsmNetwork(nodes=tuple(nodes), edges=tuple(edges))
