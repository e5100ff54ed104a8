"""Pick the guaranteed-service solver: the tree DP on trees, CP-SAT on other acyclic networks."""

from __future__ import annotations

from typing import Literal

from optimize.safety_stock.gsm_cpsat import solve_gsm_cpsat
from optimize.safety_stock.gsm_dp import solve_gsm_dp
from optimize.safety_stock.gsm_model import GsmResult
from optimize.safety_stock.network import GsmNetwork

__all__ = ["solve_gsm"]


def solve_gsm(network: GsmNetwork, solver: Literal["auto", "dp", "cpsat"] = "auto", *,
              time_limit_s: float = 60.0) -> GsmResult:
    """Optimal service times; `auto` uses the DP when the network is a tree, else CP-SAT."""
    if solver == "dp" or (solver == "auto" and network.is_forest):
        return solve_gsm_dp(network)
    if solver not in ("auto", "cpsat"):
        raise ValueError(f"solver must be auto, dp or cpsat, got {solver!r}")
    return solve_gsm_cpsat(network, time_limit_s=time_limit_s)
