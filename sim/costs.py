"""The cost ledger: one row per day, node and category, in the scenario's currency.

Built after the run from what the run recorded (paid hours, shipments, stock snapshots,
receipts, returns), so the simulation's hot path carries no cost bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.fulfilment_modes import MONTH_DAYS, NodeLedger, rule_for
from sim.kpis import SHIPPING_CATEGORIES
from sim.scenario import Scenario
from sim.tables import station_names

__all__ = ["CATEGORIES", "COLUMNS_READ", "MARGIN_COLUMNS", "MARGIN_COLUMNS_READ", "MONTH_DAYS",
           "cost_ledger", "margin_ledger", "shipping_fees"]

# The columns of the large tables the ledger reads (a run kept on disk loads only these).
COLUMNS_READ = {"shipments": ("node", "created_h", "shipped_h", "shipping_cost", "units", "fee",
                              "value", "return_received_h", "returned_units")}

CATEGORIES = (
    "labour", "rent", "equipment", "packaging", "carrier", "holding", "returns_handling",
    "3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "3pl_returns",
    "3pl_minimum", "sla_credit",
    "dropship_fee", "dropship_markup", "marketplace_fulfilment", "marketplace_storage",
    "marketplace_inbound", "marketplace_returns",
    "freight",
)  # fmt: skip

def cost_ledger(scenario: Scenario, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Costs by day, node and category (currency), each node's by its mode's rules."""
    ships, daily, inbound = tables["shipments"], tables["daily"], tables["inbound"]
    shipped = ships.loc[ships["shipped_h"].notna(), list(COLUMNS_READ["shipments"])]
    shipped["day"] = (shipped["shipped_h"] // 24).astype(int)
    stations = station_names(daily)
    rows: list[pd.DataFrame] = []
    for spec in scenario.nodes:
        mine = shipped[shipped["node"] == spec.id]
        returned = mine[mine["return_received_h"].notna()]
        book = NodeLedger(
            scenario=scenario, spec=spec, shipped=mine,
            snap=daily[daily["node"] == spec.id].sort_values("t_h"),
            inbound=inbound[inbound["node"] == spec.id],
            returns_by_day=returned.groupby((returned["return_received_h"] // 24).astype(int))[
                "returned_units"].sum(),
            stations=stations, rows=rows)
        first = len(rows)
        rule_for(spec).costs(book)
        if spec.packaging is not None:
            _packaging_by_carton(rows, first, spec.id, tables.get("parcels"))
    if "freight" in inbound.columns:
        rows.append(_freight(inbound))
    ledger = pd.concat([r for r in rows if len(r)], ignore_index=True)
    ledger = ledger[ledger["amount"] != 0]
    return ledger.groupby(["day", "node", "category"], as_index=False)["amount"].sum()


def _packaging_by_carton(rows: list[pd.DataFrame], first: int, node: str,
                         parcels: pd.DataFrame | None) -> None:
    """A node with a carton catalogue pays for its cartons, each on the day its parcel left,
    instead of the mode's flat packaging fee per order (rows[first:] are the node's)."""
    rows[first:] = [r for r in rows[first:] if not (r["category"] == "packaging").all()]
    if parcels is None:
        return
    mine = parcels[parcels["node"] == node]
    per_day = mine.groupby((mine["shipped_h"] // 24).astype(int))["carton_cost"].sum()
    rows.append(pd.DataFrame({"day": per_day.index.to_numpy(int), "node": node,
                              "category": "packaging", "amount": per_day.to_numpy(float)}))


# ---------------------------------------------------------------- revenue and margin

# The columns of the large tables the margin ledger reads.
MARGIN_COLUMNS_READ = {"orders": ("order", "service"),
                       "shipments": ("order", "node", "units", "shipped_h", "shipping_cost",
                                     "value", "restocked_units")}
MARGIN_COLUMNS = ("revenue", "shipping_fee", "refund", "restock_credit", "product_cost",
                  "shipping_cost", "fulfilment_cost", "margin")


def shipping_fees(scenario: Scenario, service: np.ndarray, basket: np.ndarray) -> np.ndarray:
    """The delivery fee each order's customer pays (currency), by its service (names) and
    basket value (its units at selling prices), under `sales.shipping_fee`."""
    rule = scenario.sales.shipping_fee
    fee = np.full(len(basket), rule.flat, float)
    if rule.free_over_basket is not None:
        fee[np.asarray(basket) >= rule.free_over_basket] = 0.0
    for name, amount in rule.by_service.items():
        fee[np.asarray(service) == name] = amount
    return fee


def margin_ledger(scenario: Scenario, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per order with units handed to a carrier, in currency: revenue of those units,
    the shipping fee its customer paid, the refund of the units returned less the product
    cost of those restocked (`restock_credit`), product cost (unit value), its shipments'
    carrier cost, and the fulfilment cost of the ledger (every category but the carrier's)
    shared equally by the shipments each node sent that day; margin = revenue + fee - refund
    + restock credit - product, shipping and fulfilment costs. Costs of node-days without a
    shipment are nobody's (`unallocated_cost`)."""
    ships, costs, sales = tables["shipments"], tables["costs"], tables["sales"]
    shipped = ships.loc[ships["shipped_h"].notna(), list(MARGIN_COLUMNS_READ["shipments"])]
    day = (shipped["shipped_h"] // 24).astype(int).to_numpy()
    fulfil = costs[~costs["category"].isin(SHIPPING_CATEGORIES)].groupby(
        ["day", "node"])["amount"].sum()
    where = pd.MultiIndex.from_arrays([day, shipped["node"].to_numpy()], names=["day", "node"])
    per_node_day = pd.Series(1, index=where).groupby(level=["day", "node"]).size()
    share = (fulfil / per_node_day).reindex(where).fillna(0.0).to_numpy()
    restocked = shipped["restocked_units"].to_numpy(float)
    units = shipped["units"].to_numpy(float)
    value = shipped["value"].to_numpy(float)
    per_order = pd.DataFrame({
        "order": shipped["order"].to_numpy(), "day": day, "product_cost": value,
        "shipping_cost": shipped["shipping_cost"].to_numpy(float), "fulfilment_cost": share,
        # a restocked unit is back in stock at its value (the shipment's mean unit value)
        "restock_credit": np.divide(value * restocked, units, out=np.zeros(len(units)),
                                    where=units > 0),
    }).groupby("order").agg({"day": "max", "product_cost": "sum", "shipping_cost": "sum",
                             "fulfilment_cost": "sum", "restock_credit": "sum"})
    order = per_order.index.to_numpy()
    s = sales.set_index("order").loc[order]
    orders = tables["orders"]
    service = orders.set_index("order")["service"].reindex(order).to_numpy()
    out = pd.DataFrame({"order": order, "day": per_order["day"].to_numpy(),
                        "service": service,
                        "revenue": s["revenue"].to_numpy(),
                        "shipping_fee": shipping_fees(scenario, service,
                                                      s["basket_value"].to_numpy()),
                        "refund": s["refund"].to_numpy()})
    for c in ("restock_credit", "product_cost", "shipping_cost", "fulfilment_cost"):
        out[c] = per_order[c].to_numpy()
    out["margin"] = (out["revenue"] + out["shipping_fee"] - out["refund"]
                     + out["restock_credit"] - out["product_cost"] - out["shipping_cost"]
                     - out["fulfilment_cost"])
    unallocated = fulfil[~fulfil.index.isin(per_node_day.index)]
    out.attrs["unallocated_cost"] = float(unallocated.sum())
    return out


def _freight(inbound: pd.DataFrame) -> pd.DataFrame:
    """Transfer freight (sim.replenishment) by the day it left the source, charged to the
    receiving node."""
    moved = inbound[inbound["shipped_h"].notna()]
    day = (moved["shipped_h"] // 24).astype(int).rename("day")
    by = moved.groupby([day, moved["node"]])["freight"].sum().reset_index()
    return by.rename(columns={"freight": "amount"}).assign(category="freight")
