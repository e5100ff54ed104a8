"""Routing policies by name: the one mapping from a scenario's `routing.policy` to the policy
class and its settings model, and `make_policy` that builds the policy for a run.

A new policy is a class (with `from_settings(settings, context)`, see
`sim.routing.RoutingPolicy`), a settings model in `sim.scenario.ROUTING_SETTINGS` and a line
here; importing this module checks the two agree.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel

from sim.routing import (
    AssortmentSplit,
    Nearest,
    NearestWithStock,
    Overflow,
    RoutingContext,
    RoutingPolicy,
)
from sim.routing_policies import BatchLookAhead, BatchOptimal, CheapestSingleNode, LookAhead
from sim.scenario import ROUTING_SETTINGS, RoutingSettings

__all__ = ["POLICIES", "Registered", "make_policy", "switch_policy"]


class Registered(NamedTuple):
    """A routing policy's class (built by its `from_settings`) and its settings model."""

    policy: type
    settings: type[BaseModel]


POLICIES: dict[str, Registered] = {
    cls.name: Registered(cls, ROUTING_SETTINGS[cls.name])
    for cls in (NearestWithStock, Nearest, AssortmentSplit, Overflow, CheapestSingleNode,
                BatchOptimal, LookAhead, BatchLookAhead)
}

if set(POLICIES) != set(ROUTING_SETTINGS):
    raise ImportError(f"routing policies {list(POLICIES)} and their settings "
                      f"{list(ROUTING_SETTINGS)} differ")


def make_policy(settings: RoutingSettings, context: RoutingContext) -> RoutingPolicy:
    """The policy a scenario's `routing` section names, built on a run's `context`."""
    registered = POLICIES[settings.policy]
    if not isinstance(settings, registered.settings):
        raise TypeError(f"routing policy {settings.policy!r} needs "
                        f"{registered.settings.__name__}, got {type(settings).__name__}")
    return registered.policy.from_settings(settings, context)


def switch_policy(settings: RoutingSettings, name: str) -> RoutingSettings:
    """Policy `name`'s settings, with the parameters it shares with `settings` (such as
    `time_limit_s`) kept and the others at their defaults."""
    model = POLICIES[name].settings
    shared = {k: v for k, v in settings.model_dump().items() if k in model.model_fields}
    return model.model_validate({**shared, "policy": name})
