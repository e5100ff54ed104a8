"""The guaranteed-service model's answer and the cost of any choice of service times.

Conventions (Graves and Willems 2000): inbound service time SI_k = max(external inbound,
max over predecessors of their outbound S_i); 0 <= S_k <= SI_k + T_k, S_k <= max outbound;
net lead time NLT_k = SI_k + T_k - S_k; safety stock z_k sigma_k sqrt(NLT_k) units;
cost = sum_k h_k * safety stock (currency per period).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimize.result import SolverResult, json_ready
from optimize.safety_stock.network import GsmNetwork

__all__ = ["GsmEvaluation", "GsmResult", "evaluate_service_times", "tighten_service_times"]


@dataclass(frozen=True)
class GsmEvaluation:
    """Inbound times, net lead times (periods), safety stock (units), cost (currency/period)."""

    inbound: np.ndarray
    net_lead_time: np.ndarray
    safety_stock: np.ndarray
    cost: float
    feasible: bool


def evaluate_service_times(network: GsmNetwork, outbound) -> GsmEvaluation:
    """Cost of the outbound service times `outbound` (periods, one per node in input order)."""
    S = np.asarray(outbound, dtype=np.int64)
    inbound = np.zeros_like(S)
    for k in network.topological_order:
        inbound[k] = max([network.nodes[k].external_inbound_cst]
                         + [S[i] for i in network.predecessors[k]])
    nlt = inbound + network.processing_time - S
    caps = np.array([n.max_outbound_cst if n.max_outbound_cst is not None else np.iinfo(
        np.int64).max for n in network.nodes])
    feasible = bool((S >= 0).all() and (nlt >= 0).all() and (caps >= S).all())
    z_sigma = np.array([n.z for n in network.nodes]) * network.net_demand_sd
    ss = z_sigma * np.sqrt(np.maximum(nlt, 0))
    h = np.array([n.holding_cost for n in network.nodes])
    return GsmEvaluation(inbound=inbound, net_lead_time=nlt, safety_stock=ss,
                         cost=float(np.dot(h, ss)), feasible=feasible)


def tighten_service_times(network: GsmNetwork, outbound) -> np.ndarray:
    """Lower each S_k to at most its true SI_k + T_k, upstream first; never raises the cost.

    A relaxation that lets SI_k exceed max(external, predecessors' S) can quote S_k beyond
    what the real inbound time allows; capping it makes NLT_k = 0 there and only loosens the
    successors' constraints.
    """
    S = np.asarray(outbound, dtype=np.int64).copy()
    for k in network.topological_order:
        si = max([network.nodes[k].external_inbound_cst] + [S[i] for i in network.predecessors[k]])
        S[k] = min(S[k], si + network.nodes[k].processing_time)
    return S


@dataclass(frozen=True, kw_only=True)
class GsmResult(SolverResult):
    """Service times (periods) and safety stock (units) per node id; objective = cost/period."""

    outbound_cst: dict[str, int]
    inbound_cst: dict[str, int]
    net_lead_time: dict[str, int]
    safety_stock: dict[str, float]

    @classmethod
    def from_outbound(cls, network: GsmNetwork, outbound, **fields) -> GsmResult:
        """Build the result from outbound times; the cost is recomputed in floating point."""
        ev = evaluate_service_times(network, outbound)
        ids = network.ids
        return cls(objective=ev.cost,
                   outbound_cst={k: int(v) for k, v in zip(ids, outbound, strict=True)},
                   inbound_cst={k: int(v) for k, v in zip(ids, ev.inbound, strict=True)},
                   net_lead_time={k: int(v) for k, v in zip(ids, ev.net_lead_time, strict=True)},
                   safety_stock={k: float(v) for k, v in zip(ids, ev.safety_stock, strict=True)},
                   **fields)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the CLI's): status, cost, outbound_cst, inbound_cst, safety_stock,
        time_s, then objective, bound, gap, time_limit_hit, message, net_lead_time.
        `cost` is `objective` (null when there is none)."""
        shared = self.contract_dict()
        return {"status": shared["status"], "cost": shared["objective"],
                "outbound_cst": self.outbound_cst, "inbound_cst": self.inbound_cst,
                "safety_stock": json_ready(self.safety_stock), "time_s": self.time_s,
                "objective": shared["objective"], "bound": shared["bound"],
                "gap": shared["gap"], "time_limit_hit": self.time_limit_hit,
                "message": self.message, "net_lead_time": self.net_lead_time}

    def to_json(self) -> dict[str, Any]:
        """Deprecated alias of `to_dict`."""
        warnings.warn("GsmResult.to_json is deprecated; use to_dict", DeprecationWarning,
                      stacklevel=2)
        return self.to_dict()
