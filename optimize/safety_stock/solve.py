"""Pick the guaranteed-service solver: the tree DP on trees, CP-SAT on other acyclic networks."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions, resolve_options
from optimize.safety_stock.gsm_cpsat import solve_gsm_cpsat
from optimize.safety_stock.gsm_dp import solve_gsm_dp
from optimize.safety_stock.gsm_model import GsmResult
from optimize.safety_stock.network import GsmNetwork

__all__ = ["SOLVERS", "solve_gsm"]


SOLVERS = ("auto", "dp", "cpsat")


def solve_gsm(network: GsmNetwork, solver: Literal["auto", "dp", "cpsat"] | None = None, *,
              time_limit_s: float | None = None, options: SolveOptions | None = None
              ) -> GsmResult:
    """Optimal service times; `auto` uses the DP when the network is a tree, else CP-SAT.

    `solver` is the backend ("auto" by default); `time_limit_s` (CP-SAT only, default 60 s);
    `options` (a SolveOptions) may set both as backend and time limit, with CP-SAT's workers
    (threads) and log; keywords given win.
    """
    opts = resolve_options(options, SolveOptions(time_limit_s=60.0, backend="auto"),
                           time_limit_s=time_limit_s, backend=solver)
    if opts.backend not in SOLVERS:
        raise InvalidInput(FieldProblem("solver", "must be auto, dp or cpsat", opts.backend))
    if opts.backend == "dp" or (opts.backend == "auto" and network.is_forest):
        return solve_gsm_dp(network)
    return solve_gsm_cpsat(network, options=replace(opts, backend="cpsat"))
