"""Safety-stock sizing: single-node policies, lot sizing, guaranteed-service model, pooling."""

from optimize.safety_stock.distributions import normal_loss, poisson_loss
from optimize.safety_stock.frontier import abc_classes, efficiency_frontier
from optimize.safety_stock.gsm_cpsat import solve_gsm_cpsat
from optimize.safety_stock.gsm_dp import solve_gsm_dp
from optimize.safety_stock.gsm_model import GsmResult, evaluate_service_times
from optimize.safety_stock.instances import (
    NAMED_NETWORKS,
    random_acyclic_network,
    random_tree_network,
)
from optimize.safety_stock.lot_sizing import (
    LotSizingPlan,
    economic_order_quantity,
    newsvendor_normal,
    newsvendor_poisson,
    wagner_whitin,
)
from optimize.safety_stock.network import GsmNetwork, GsmNode, parse_network
from optimize.safety_stock.pooling_saa import (
    PoolingResult,
    normal_demand_scenarios,
    pool_stock_saa,
)
from optimize.safety_stock.rq import RQPolicy, rq_cost, rq_eil, rq_exact
from optimize.safety_stock.single_node import (
    PolicyLevels,
    base_stock_fill_rate_poisson,
    order_up_to_levels,
    reorder_point_order_up_to,
)
from optimize.safety_stock.solve import solve_gsm
from optimize.safety_stock.spike_prebuild import SpikePlan, plan_spike_prebuild
from optimize.safety_stock.ss_poisson import SSPolicy, ss_cost_poisson, ss_optimal_poisson

__all__ = [
    "NAMED_NETWORKS",
    "GsmNetwork",
    "GsmNode",
    "GsmResult",
    "LotSizingPlan",
    "PolicyLevels",
    "PoolingResult",
    "RQPolicy",
    "SSPolicy",
    "SpikePlan",
    "abc_classes",
    "base_stock_fill_rate_poisson",
    "economic_order_quantity",
    "efficiency_frontier",
    "evaluate_service_times",
    "newsvendor_normal",
    "newsvendor_poisson",
    "normal_demand_scenarios",
    "normal_loss",
    "order_up_to_levels",
    "parse_network",
    "plan_spike_prebuild",
    "poisson_loss",
    "pool_stock_saa",
    "random_acyclic_network",
    "random_tree_network",
    "reorder_point_order_up_to",
    "rq_cost",
    "rq_eil",
    "rq_exact",
    "solve_gsm",
    "solve_gsm_cpsat",
    "solve_gsm_dp",
    "ss_cost_poisson",
    "ss_optimal_poisson",
    "wagner_whitin",
]
