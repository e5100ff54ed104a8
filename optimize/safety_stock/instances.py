"""Named textbook GSM instances and seeded random networks, shared by tests, docs, benchmarks.

Named instances are NETWORK.json-shaped dicts (`parse_network` turns them into networks):
- `example_6_3`: Snyder and Shen example 6.3, a three-stage serial line (optimal cost 2 sqrt 2).
- `example_6_5`: Snyder and Shen example 6.5, a four-node tree (optimal cost
  2 sqrt 2 + sqrt 6 + 3, outbound times (0, 0, 0, 1)).
- `figure_6_14`: the digital-camera supply chain of Snyder and Shen figure 6.14 (Graves and
  Willems 2000), optimal outbound times (0, 3, 5, 4, 7, 0, 0, 0, 0, 2).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from optimize.safety_stock.network import GsmNetwork, parse_network

__all__ = ["NAMED_NETWORKS", "random_acyclic_network", "random_tree_network"]


def _camera() -> dict:
    times = [2, 3, 2, 4, 2, 3, 6, 4, 3, 2]
    costs = [0.01, 0.03, 0.04, 0.06, 0.12, 0.13, 0.20, 0.08, 0.04, 0.50]
    z95 = float(special.ndtri(0.95))
    nodes = [{"id": str(i + 1), "processing_time": t, "holding_cost": h, "z": z95}
             for i, (t, h) in enumerate(zip(times, costs, strict=True))]
    nodes[9].update(demand_mean=0.0, demand_sd=10.0, max_outbound_cst=2)
    edges = [["1", "2"], ["2", "3"], ["3", "5"], ["4", "5"], ["5", "6"], ["7", "10"],
             ["6", "10"], ["8", "10"], ["9", "10"]]
    return {"nodes": nodes, "edges": edges}


NAMED_NETWORKS: dict[str, dict] = {
    "example_6_3": {
        "nodes": [
            {"id": "1", "processing_time": 1, "holding_cost": 7, "z": 1, "demand_sd": 1,
             "max_outbound_cst": 1},
            {"id": "2", "processing_time": 0, "holding_cost": 4, "z": 1},
            {"id": "3", "processing_time": 1, "holding_cost": 2, "z": 1,
             "external_inbound_cst": 1},
        ],
        "edges": [["3", "2"], ["2", "1"]],
    },
    "example_6_5": {
        "nodes": [
            {"id": "1", "processing_time": 2, "holding_cost": 1, "z": 1,
             "external_inbound_cst": 1},
            {"id": "2", "processing_time": 1, "holding_cost": 3, "z": 1, "demand_sd": 1,
             "max_outbound_cst": 0},
            {"id": "3", "processing_time": 1, "holding_cost": 2, "z": 1},
            {"id": "4", "processing_time": 1, "holding_cost": 3, "z": 1, "demand_sd": 1,
             "max_outbound_cst": 1},
        ],
        "edges": [["1", "3"], ["3", "2"], ["3", "4"]],
    },
    "figure_6_14": _camera(),
}


def _random_nodes(rng: np.random.Generator, n: int, max_time: int) -> list[dict]:
    nodes = []
    for k in range(n):
        node = {"id": f"n{k}", "processing_time": int(rng.integers(0, max_time + 1)),
                "holding_cost": float(np.round(rng.uniform(0.1, 5.0), 3)),
                "z": float(np.round(rng.uniform(1.0, 2.5), 3)),
                "external_inbound_cst": int(rng.integers(0, 3)) if rng.random() < 0.2 else 0}
        nodes.append(node)
    return nodes


def _finish(rng: np.random.Generator, nodes: list[dict], edges: list[list[str]]) -> GsmNetwork:
    has_succ = {u for u, _ in edges}
    for node in nodes:
        if node["id"] not in has_succ:  # a sink faces customers
            node["demand_mean"] = float(np.round(rng.uniform(5, 100), 2))
            node["demand_sd"] = float(np.round(rng.uniform(1, 30), 2))
            if rng.random() < 0.6:
                node["max_outbound_cst"] = int(rng.integers(0, 3))
    return parse_network({"nodes": nodes, "edges": edges})


def random_tree_network(n_nodes: int, seed: int = 0, max_time: int = 5) -> GsmNetwork:
    """A random tree: node k attaches to an earlier node, as its supplier or its customer."""
    rng = np.random.default_rng(seed)
    nodes = _random_nodes(rng, n_nodes, max_time)
    edges = []
    for k in range(1, n_nodes):
        j = int(rng.integers(0, k))
        a, b = f"n{j}", f"n{k}"
        edges.append([a, b] if rng.random() < 0.7 else [b, a])
    return _finish(rng, nodes, edges)


def random_acyclic_network(n_nodes: int, seed: int = 0, max_time: int = 5,
                           extra_edge_share: float = 0.3) -> GsmNetwork:
    """A random connected acyclic network: a tree plus extra forward edges (k -> later k')."""
    rng = np.random.default_rng(seed)
    nodes = _random_nodes(rng, n_nodes, max_time)
    edges = {(int(rng.integers(0, k)), k) for k in range(1, n_nodes)}
    extra = int(extra_edge_share * n_nodes)
    while extra > 0 and n_nodes > 2:
        a, b = sorted(int(x) for x in rng.choice(n_nodes, 2, replace=False))
        if (a, b) not in edges:
            edges.add((a, b))
            extra -= 1
    pairs = [[f"n{a}", f"n{b}"] for a, b in sorted(edges)]
    return _finish(rng, nodes, pairs)
