"""Damage in transit, and the reshipments errors and damage cost in the ledger.

A node's accuracy section may carry `transit_damage` (sim.scenario.TransitDamage): each parcel
handed to a carrier reaches the customer damaged with a chance d, the section's `per_parcel`
unless `by_service` names the parcel's carrier service, times the largest fragility factor of
the shipment's units' categories (capped at 1). A shipment is one parcel, or its cartons at a
node that packs into cartons (sim.cartons), so it arrives with damage with probability
1 - (1 - d)^parcels. The customer finds the damage on delivery. The damaged parcel's units are
written off there (not returned: the carrier's claim process keeps or scraps them), so they
leave the stock record as shipped units and conservation needs no new sink. A reshipment
replaces them at the damaged parcels' carrier charge plus `reship_handling_cost`; its units,
like an error's reshipment (sim.accuracy), are not drawn from stock, so their product cost is
charged here instead: the written-off units' value (a carton's units at the shipment's mean
unit value), less the share the carrier's claim pays back (`claim_recovery_share`).

The ledger (sim.costs) books two lines on the day the customer finds the problem (the
delivery day; problems found after the run's end are not booked in it): `reshipment`, the
reshipments of pick and pack errors (sim.accuracy's `reship_cost`), and `transit_damage`,
reshipment plus written-off value less claim recovery of the damaged parcels.

Draws come from a stream of their own (`accuracy.damage.<node>`), and none is drawn when no
rate is above zero, so a zero rate leaves every table as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.scenario import TransitDamage

if TYPE_CHECKING:
    from sim.node import NodeSim
    from sim.record import Shipment

__all__ = ["DAMAGE_COLUMNS", "LEDGER_CATEGORIES", "NodeDamage", "damage_cost",
           "expected_damaged_share", "reshipment_costs"]

# Columns of the accuracy table (sim.accuracy) per shipment: parcels handed over, damaged
# ones, their units, the units' value, the reshipment's cost and the claim's recovery.
DAMAGE_COLUMNS = ("parcels", "damaged_parcels", "damaged_units", "damaged_value",
                  "damage_reship_cost", "claim_recovery")
LEDGER_CATEGORIES = ("reshipment", "transit_damage")
_PARCEL_SHIPMENT, _PARCEL_NODE, _PARCEL_UNITS, _PARCEL_CHARGE = 0, 2, 5, 13  # PARCEL_COLUMNS


def expected_damaged_share(d: float, parcels: np.ndarray) -> float:
    """Expected share of shipments arriving with damage, chance `d` per parcel, over
    shipments of `parcels` parcels each."""
    return float(np.mean(1.0 - (1.0 - d) ** np.asarray(parcels, float)))


class NodeDamage:
    """A node's damage in transit: draws which parcels arrive damaged and what that costs."""

    def __init__(self, node: NodeSim, spec: TransitDamage, handling: float) -> None:
        self.node, self.spec, self.handling = node, spec, handling
        net = node.net
        self.rate_by_row = np.array([spec.by_service.get(n, spec.per_parcel)
                                     for n in net.carriers.names], float)
        cat = net.catalogue
        factor = np.array([spec.fragility_by_category.get(c, 1.0) for c in cat.category_names],
                          float)
        self.fragility = factor[cat.category]  # per SKU
        self.unit_value = cat.unit_value
        self.on = bool(self.rate_by_row.max(initial=0.0) > 0 or spec.per_parcel > 0)
        self.rng = net.streams[f"accuracy.damage.{node.id}"] if self.on else None

    def _parcels(self, going: list[Shipment], cost: np.ndarray
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Units and carrier charge of each shipment's parcels: one parcel at the shipment's
        charge, or its cartons as just billed (the tail of the run's parcel rows)."""
        if self.node.cartons is None:
            return ([np.array([s.units]) for s in going],
                    [np.array([float(cost[i])]) for i in range(len(going))])
        rows = self.node.net.record.parcels
        mine = {s.index: k for k, s in enumerate(going)}
        units: list[list[int]] = [[] for _ in going]
        charge: list[list[float]] = [[] for _ in going]
        j = len(rows) - 1
        while (j >= 0 and rows[j][_PARCEL_SHIPMENT] in mine
               and rows[j][_PARCEL_NODE] == self.node.index):
            k = mine[rows[j][_PARCEL_SHIPMENT]]
            units[k].append(rows[j][_PARCEL_UNITS])
            charge[k].append(rows[j][_PARCEL_CHARGE])
            j -= 1
        return ([np.array(u[::-1], np.int64) for u in units],
                [np.array(c[::-1], float) for c in charge])

    def rows(self, going: list[Shipment], cost: np.ndarray, row: np.ndarray) -> list[tuple]:
        """DAMAGE_COLUMNS of each shipment handed over (one draw per parcel)."""
        units, charge = self._parcels(going, cost)
        n = np.array([len(u) for u in units])
        if not self.on:
            return [(int(k), 0, 0, 0.0, 0.0, 0.0) for k in n]
        rate = np.array([self.spec.per_parcel if r < 0 else self.rate_by_row[r] for r in row])
        rate = np.minimum(1.0, rate * np.array([self.fragility[s.sku].max() for s in going]))
        hit = self.rng.random(int(n.sum())) < np.repeat(rate, n)
        out = []
        at = 0
        for i, s in enumerate(going):
            h = hit[at:at + n[i]]
            at += n[i]
            if not h.any():
                out.append((int(n[i]), 0, 0, 0.0, 0.0, 0.0))
                continue
            damaged = int(units[i][h].sum())
            value = float(self.unit_value[s.sku] @ s.qty) * damaged / s.units
            out.append((int(n[i]), int(h.sum()), damaged, value,
                        float(charge[i][h].sum()) + self.handling,
                        self.spec.claim_recovery_share * value))
        return out


def damage_cost(acc: pd.DataFrame) -> pd.Series:
    """What damage in transit cost per shipment of the accuracy table (currency): reshipment
    plus written-off value less the claim's recovery."""
    return acc["damage_reship_cost"] + acc["damaged_value"] - acc["claim_recovery"]


def reshipment_costs(acc: pd.DataFrame, horizon_h: float) -> pd.DataFrame:
    """Ledger rows (day, node, category, amount) of the accuracy table's reshipments (errors)
    and transit damage, on the day the customer found them (delivery), within the run."""
    found = acc[acc["found_h"] < horizon_h]
    day = (found["found_h"] // 24).astype(int).rename("day")
    out = []
    for category, amount in zip(LEDGER_CATEGORIES, (found["reship_cost"], damage_cost(found)),
                                strict=True):
        by = amount.groupby([day, found["node"]]).sum().rename("amount").reset_index()
        out.append(by.assign(category=category))
    return pd.concat(out, ignore_index=True)[["day", "node", "category", "amount"]]
