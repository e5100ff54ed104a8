"""Safety-stock sizing: single-node policies, lot sizing, guaranteed-service model, pooling."""

from optimize.safety_stock.distributions import normal_loss, poisson_loss
from optimize.safety_stock.lot_sizing import (
    LotSizingPlan,
    economic_order_quantity,
    newsvendor_normal,
    newsvendor_poisson,
    wagner_whitin,
)
from optimize.safety_stock.rq import RQPolicy, rq_cost, rq_eil, rq_exact
from optimize.safety_stock.single_node import (
    PolicyLevels,
    base_stock_fill_rate_poisson,
    order_up_to_levels,
    reorder_point_order_up_to,
)
from optimize.safety_stock.ss_poisson import SSPolicy, ss_cost_poisson, ss_optimal_poisson

__all__ = [
    "LotSizingPlan",
    "PolicyLevels",
    "RQPolicy",
    "SSPolicy",
    "base_stock_fill_rate_poisson",
    "economic_order_quantity",
    "newsvendor_normal",
    "newsvendor_poisson",
    "normal_loss",
    "order_up_to_levels",
    "poisson_loss",
    "reorder_point_order_up_to",
    "rq_cost",
    "rq_eil",
    "rq_exact",
    "ss_cost_poisson",
    "ss_optimal_poisson",
    "wagner_whitin",
]
