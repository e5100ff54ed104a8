"""The cost ledger: one row per day, node and category, in the scenario's currency.

Built after the run from what the run recorded (paid hours, shipments, stock snapshots,
receipts, returns), so the simulation's hot path carries no cost bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.fulfilment_modes import MONTH_DAYS, NodeLedger, rule_for
from sim.kpis import SHIPPING_CATEGORIES
from sim.returns_cost import RETURN_COST_CATEGORIES, booked, return_costs
from sim.scenario import Scenario
from sim.storage import overflow_cost
from sim.tables import station_names
from sim.transit_damage import LEDGER_CATEGORIES, reshipment_costs

__all__ = ["CATEGORIES", "COLUMNS_READ", "MARGIN_COLUMNS", "MARGIN_COLUMNS_READ", "MONTH_DAYS",
           "cost_ledger", "margin_ledger", "shipping_fees"]

# The columns of the large tables the ledger reads (a run kept on disk loads only these).
COLUMNS_READ = {"shipments": ("node", "created_h", "allocated_h", "shipped_h", "shipping_cost",
                              "units", "fee", "value", "return_received_h", "returned_units")}

CATEGORIES = (
    "labour", "rent", "equipment", "packaging", "carrier", "holding", "returns_handling",
    "3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "3pl_returns",
    "3pl_minimum", "sla_credit",
    "dropship_fee", "dropship_markup", "marketplace_fulfilment", "marketplace_storage",
    "marketplace_inbound", "marketplace_returns",
    "freight", "lateral_freight", "overflow_storage", *RETURN_COST_CATEGORIES,
    *LEDGER_CATEGORIES,
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
        if spec.storage is not None and spec.storage.when_full == "overflow":
            rows.append(overflow_cost(spec.storage.overflow, spec.id, tables["storage"]))
    if "freight" in inbound.columns:
        rows.append(_freight(inbound))
    if "returns" in tables and len(tables["returns"]):
        rows.append(return_costs(tables["returns"]))
    if "accuracy" in tables:  # reshipments of errors and transit damage (sim.transit_damage)
        rows.append(reshipment_costs(tables["accuracy"], 24.0 * scenario.run.horizon_days))
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
MARGIN_COLUMNS = ("revenue", "shipping_fee", "refund", "recovery", "restock_credit",
                  "product_cost", "shipping_cost", "fulfilment_cost", "return_postage",
                  "refurbish", "write_off", "margin")


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
    the shipping fee its customer paid, the revenue reversed for the units returned
    (`refund`: refunds, and store credit less breakage), what refurbished units sold off for
    (`recovery`), the product cost of units back in stock (`restock_credit`: restocked, and
    disposed ones before their write-off), product cost (unit value), its shipments'
    carrier cost, the fulfilment cost of the ledger (every category but the carrier's and
    the returns') shared equally by the shipments each node sent that day, and its own
    returns' costs as the ledger books them (`return_postage`, `refurbish`, `write_off`);
    margin = revenue + fee - refund + recovery + restock credit - every cost. Costs of
    node-days without a shipment are nobody's (`unallocated_cost`)."""
    ships, costs, sales = tables["shipments"], tables["costs"], tables["sales"]
    shipped = ships.loc[ships["shipped_h"].notna(), list(MARGIN_COLUMNS_READ["shipments"])]
    day = (shipped["shipped_h"] // 24).astype(int).to_numpy()
    own = SHIPPING_CATEGORIES + RETURN_COST_CATEGORIES  # not shared: charged where they fall
    fulfil = costs[~costs["category"].isin(own)].groupby(
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
    fee = shipping_fees(scenario, service, s["basket_value"].to_numpy())
    if "exchange_of" in s.columns:  # an exchange ships free
        fee[s["exchange_of"].to_numpy() >= 0] = 0.0
    out = pd.DataFrame({"order": order, "day": per_order["day"].to_numpy(),
                        "service": service, "revenue": s["revenue"].to_numpy(),
                        "shipping_fee": fee, "refund": s["refund"].to_numpy()})
    for c in ("restock_credit", "product_cost", "shipping_cost", "fulfilment_cost"):
        out[c] = per_order[c].to_numpy()
    returns = tables.get("returns")
    back = pd.DataFrame(columns=["recovery", *RETURN_COST_CATEGORIES], dtype=float)
    if returns is not None and len(returns):
        back = pd.concat([returns[["recovery"]], booked(returns)], axis=1).groupby(
            returns["order"].to_numpy()).sum()
    back = back.reindex(order, fill_value=0.0)
    out.insert(out.columns.get_loc("restock_credit"), "recovery", back["recovery"].to_numpy())
    for c in RETURN_COST_CATEGORIES:
        out[c] = back[c].to_numpy()
    # A disposed unit comes back into stock at cost and is written off from there, so its
    # product cost counts once, as the write-off.
    out["restock_credit"] += out["write_off"]
    out["margin"] = (out["revenue"] + out["shipping_fee"] - out["refund"] + out["recovery"]
                     + out["restock_credit"] - out["product_cost"] - out["shipping_cost"]
                     - out["fulfilment_cost"] - out["return_postage"] - out["refurbish"]
                     - out["write_off"])
    unallocated = fulfil[~fulfil.index.isin(per_node_day.index)]
    out.attrs["unallocated_cost"] = float(unallocated.sum())
    return out


def _freight(inbound: pd.DataFrame) -> pd.DataFrame:
    """Inbound freight, charged to the receiving node: a transfer's (sim.replenishment) on
    the day it left the source, a purchase order's on the day it was placed."""
    moved = inbound[inbound["shipped_h"].notna() | (inbound["freight"] > 0)]
    day = (moved["shipped_h"].fillna(moved["ordered_h"]) // 24).astype(int).rename("day")
    if "lateral" in moved:  # lateral transfers (sim.lateral) are a line of their own
        category = pd.Series(np.where(moved["lateral"], "lateral_freight", "freight"),
                             index=moved.index, name="category")
        by = moved.groupby([day, moved["node"], category])["freight"].sum().reset_index()
        return by.rename(columns={"freight": "amount"})
    by = moved.groupby([day, moved["node"]])["freight"].sum().reset_index()
    return by.rename(columns={"freight": "amount"}).assign(category="freight")
