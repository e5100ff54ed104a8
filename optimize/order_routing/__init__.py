"""Multi-node order routing: which node ships which order, exact (MIP), LP bound and greedy."""

from optimize.order_routing.generate import random_instance
from optimize.order_routing.greedy import greedy
from optimize.order_routing.instance import CostModel, PromiseRules, RoutingInstance
from optimize.order_routing.io import instance_from_dict, instance_to_dict, load_instance
from optimize.order_routing.model import LP_BACKENDS, MIP_BACKENDS
from optimize.order_routing.plan import flow_from_shipments, plan_cost, plan_violations
from optimize.order_routing.result import RoutingResult, Shipment, Unfilled
from optimize.order_routing.solve import lp_bound, promise_shortfall, solve

__all__ = [
    "LP_BACKENDS",
    "MIP_BACKENDS",
    "CostModel",
    "PromiseRules",
    "RoutingInstance",
    "RoutingResult",
    "Shipment",
    "Unfilled",
    "flow_from_shipments",
    "greedy",
    "instance_from_dict",
    "instance_to_dict",
    "load_instance",
    "lp_bound",
    "plan_cost",
    "plan_violations",
    "promise_shortfall",
    "random_instance",
    "solve",
]
