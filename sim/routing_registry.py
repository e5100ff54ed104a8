"""Routing policies by name: the one mapping from a scenario's `routing.policy` to the
policy built for a run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.routing import AssortmentSplit, NearestWithStock, Overflow, RoutingPolicy
from sim.routing_policies import build_policy
from sim.scenario import RoutingSettings

__all__ = ["POLICIES", "make_policy"]

# name -> builder(settings, network); the optimising policies price the network's carriers.
POLICIES: dict[str, Callable[[RoutingSettings, Any], RoutingPolicy]] = {
    "nearest_with_stock": lambda s, net: NearestWithStock(),
    "assortment_split": lambda s, net: AssortmentSplit(),
    "overflow": lambda s, net: Overflow(s.overflow_open_shipments),
    "cheapest_single_node": build_policy,
    "batch_optimal": build_policy,
    "lookahead": build_policy,
    "batch_lookahead": build_policy,
}


def make_policy(settings: RoutingSettings, network: Any = None) -> RoutingPolicy:
    """The policy a scenario's `routing` section names, built for `network`."""
    return POLICIES[settings.policy](settings, network)
