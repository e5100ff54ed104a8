"""Summary KPIs of a run, measured after the warm-up."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.fulfilment_modes import rule_for
from sim.returns_cost import returns_kpis
from sim.scenario import Scenario
from sim.storage import storage_kpis
from sim.tables import station_names
from sim.transit_damage import damage_cost

__all__ = ["ACCURACY_BASIS", "ACCURACY_EXPLAINED", "COLUMNS_READ", "COST_BASIS", "LOST_BASIS",
           "PROFIT_BASIS", "SHIPPING_CATEGORIES", "accuracy_kpis", "carton_kpis",
           "inventory_turns_per_year", "summary_kpis", "utilisation_table"]

# Cost categories that pay for the parcel's journey to the customer (the carrier's bill, list
# rate less the node's negotiated discount). Everything else is fulfilment; a marketplace's fee
# per unit covers its delivery too and counts as fulfilment.
SHIPPING_CATEGORIES = ("carrier",)
COST_BASIS = ("costs incurred in the KPI window / orders whose last shipment left in it "
              "(per shipped order)")
PROFIT_BASIS = ("revenue, shipping fees, refunds and product cost of the orders whose last "
                "shipment left in the KPI window, less the window's costs, per such order")
LOST_BASIS = ("units (value at selling price) not sold of the orders created in the KPI "
              "window and not cancelled at payment, / their units ordered (value)")


def _pct(x: pd.Series) -> float:
    x = x.dropna()
    return float(100.0 * x.mean()) if len(x) else math.nan


def _q(x: pd.Series, q: float) -> float:
    x = x.dropna()
    return float(np.quantile(x, q)) if len(x) else math.nan


def utilisation_table(daily: pd.DataFrame, warmup_day: int) -> pd.DataFrame:
    """Per node and crew after warm-up: busy, available, staffed and overtime hours, and
    utilisation = busy / available."""
    rows = []
    for node, snap in daily.groupby("node"):
        snap = snap.sort_values("t_h")
        after = snap[snap["day"] >= warmup_day]
        if len(after) < 2:
            continue
        for r in station_names(daily):
            d = {k: float(after[f"{r}_{k}_h"].iloc[-1] - after[f"{r}_{k}_h"].iloc[0])
                 for k in ("busy", "available", "staffed", "overtime")}
            if d["staffed"] == 0 and d["busy"] == 0:
                continue
            util = d["busy"] / d["available"] if d["available"] > 0 else math.nan
            rows.append({"node": node, "resource": r, "busy_h": d["busy"],
                         "available_h": d["available"], "staffed_h": d["staffed"],
                         "overtime_h": d["overtime"], "utilisation": util})
    return pd.DataFrame(rows, columns=["node", "resource", "busy_h", "available_h",
                                       "staffed_h", "overtime_h", "utilisation"])


_ORDER_COLUMNS = ["order", "created_h", "cancelled", "units", "promised_day", "on_time",
                  "within_2_days", "shipped_h", "delivered_h", "click_to_ship_h",
                  "click_to_door_days", "n_shipments", "split", "returned"]
_SHIPMENT_COLUMNS = ["order", "node", "created_h", "units", "filled_on_arrival", "shipped_h",
                     "value", "return_received_h", "inspected_h", "returned_units",
                     "restocked_units"]
# The columns of the large tables the KPIs read (a run kept on disk loads only these).
COLUMNS_READ = {"orders": tuple(_ORDER_COLUMNS), "shipments": tuple(_SHIPMENT_COLUMNS)}


def inventory_turns_per_year(daily: pd.DataFrame, shipments: pd.DataFrame,
                             stocked_nodes: Sequence[str], start_day: int,
                             end_day: int) -> tuple[float, float]:
    """(turns per year, days of supply) of the stocking nodes over days [start_day, end_day):
    the value of goods shipped in those days per year (cost of goods sold, at unit value)
    over the time-average value on hand, and that stock in days of those shipments."""
    days = end_day - start_day
    on_hand = daily[daily["node"].isin(stocked_nodes) & (daily["day"] >= start_day)
                    & (daily["day"] < end_day) & daily["on_hand_value_avg"].notna()]
    avg_value = float(on_hand.groupby("day")["on_hand_value_avg"].sum().mean()) \
        if len(on_hand) else math.nan
    left = shipments["shipped_h"]
    cogs = float(shipments.loc[shipments["node"].isin(stocked_nodes) & (left >= 24.0 * start_day)
                               & (left < 24.0 * end_day), "value"].sum())
    if days <= 0 or not avg_value or math.isnan(avg_value):
        return math.nan, math.nan
    per_day = cogs / days
    return per_day * 365.0 / avg_value, (avg_value / per_day if per_day else math.inf)


def carton_kpis(parcels: pd.DataFrame, start_h: float, end_h: float) -> dict:
    """Cartons of the parcels that left in [start_h, end_h): per order (orders with a parcel
    in the window), mean fill of the cartons (% of inner volume; own-box units left out),
    billable / actual kg (summed over parcels), carton cost per order (currency), parcels
    with a surcharge (count and % of parcels), and packings served from the cache (%)."""
    p = parcels[(parcels["shipped_h"] >= start_h) & (parcels["shipped_h"] < end_h)]
    orders = p["order"].nunique()
    boxed = p[p["carton"] != "own_box"]
    actual = float(p["actual_kg"].sum())

    def per_order(x: float) -> float:
        return float(x) / orders if orders else math.nan

    return {
        "basis": "parcels that left in the KPI window; per order = per order with such a parcel",
        "parcels": len(p),
        "orders": int(orders),
        "cartons_per_order": per_order(len(p)),
        "fill_pct": _pct(boxed["fill_share"]),
        "billable_to_actual_kg": float(p["billable_kg"].sum()) / actual if actual else math.nan,
        "packaging_cost_per_order": per_order(p["carton_cost"].sum()),
        "carrier_cost_per_order": per_order(p["carrier_charge"].sum()),
        "surcharged_parcels": int((p["surcharges"] > 0).sum()),
        "surcharged_parcels_pct": _pct(p["surcharges"] > 0),
        "surcharge_fees_per_order": per_order(p["surcharge_fee"].sum()),
        "by_carton": {str(k): int(v) for k, v in p["carton"].value_counts().sort_index().items()},
        "packings_cached_pct": _pct(p.drop_duplicates("shipment")["method"] == "cached"),
    }


def summary_kpis(scenario: Scenario, tables: dict[str, pd.DataFrame],
                 end_day: int | None = None) -> dict:
    """The headline KPIs after warm-up (orders created after it; days after it), to the end
    of the run; `end_day` closes the window of the flow KPIs (costs per shipped order, turns
    per year) earlier when the tables were cut to a shorter window."""
    warm_h = 24.0 * scenario.run.warmup_days
    horizon_h = scenario.horizon_h
    end_day = scenario.run.horizon_days if end_day is None else end_day
    # No filtered copy of a whole table: a month of a large network has millions of rows, so
    # each KPI takes the one column it needs, under the window's mask.
    orders, ships = tables["orders"], tables["shipments"]
    # An exchange (sim.returns_cost) is a return's cost, not demand: it counts in no order
    # KPI and in no fill rate, and its costs fall on the customers' own orders.
    exchange = (tables["sales"]["exchange_of"].to_numpy() >= 0
                if "sales" in tables and "exchange_of" in tables["sales"]
                else np.zeros(len(orders), bool))
    in_window = (orders["created_h"] >= warm_h).to_numpy() & ~exchange
    is_live = in_window & ~orders["cancelled"].to_numpy()

    def live(column: str) -> pd.Series:
        return orders[column][is_live]  # orders created in the window, not cancelled

    s_window = ((ships["created_h"] >= warm_h).to_numpy()
                & ~exchange[ships["order"].to_numpy(np.int64)])
    stocked_nodes = [n.id for n in scenario.nodes if rule_for(n).stocks]
    stocked = ships["node"].isin(stocked_nodes).to_numpy()
    shipped = ships["shipped_h"].notna().to_numpy()

    def s(column: str, where: np.ndarray | None = None) -> pd.Series:
        return ships[column][s_window if where is None else s_window & where]

    s_stock = ships.loc[s_window & stocked, ["order", "filled_on_arrival", "units"]]
    # Units lost at a stockout were asked of a stocking node and not filled: they count.
    stock_units = s_stock["units"].sum()
    if "sales" in tables:
        stock_units += tables["sales"]["units_lost"].to_numpy()[
            orders["order"].to_numpy()[in_window]].sum()

    # Service is judged only where the run let it be decided: the promise day has ended,
    # or the two days after the order have.
    on_time = live("on_time")[(live("promised_day") + 1) * 24.0 <= horizon_h].fillna(0.0)
    within2 = live("within_2_days")[(np.floor(live("created_h") / 24.0) + 3) * 24.0
                                    <= horizon_h].fillna(0.0)

    # Stock is averaged over time (exact integrals between events), not sampled at 00:00.
    daily = tables["daily"]
    after = daily[(daily["day"] >= scenario.run.warmup_days) & daily["on_hand_units_avg"].notna()]
    per_day = after.groupby("day")[["on_hand_units_avg", "on_hand_value_avg"]].sum()
    avg_units = float(per_day["on_hand_units_avg"].mean()) if len(per_day) else math.nan
    avg_value = float(per_day["on_hand_value_avg"].mean()) if len(per_day) else math.nan
    shipped_value = float(s("value", shipped & stocked).sum())
    days = scenario.run.horizon_days - scenario.run.warmup_days
    turns = shipped_value * 365.0 / days / avg_value if avg_value and days > 0 else math.nan

    inbound = tables["inbound"]
    inb = inbound[inbound["dock_h"] >= warm_h]
    received = ships["return_received_h"].notna().to_numpy()
    inspected = ships["inspected_h"].notna().to_numpy()
    costs = tables["costs"]
    c = costs[costs["day"] >= scenario.run.warmup_days]
    by_cat = c.groupby("category")["amount"].sum()
    n_shipped = int(live("shipped_h").notna().sum())
    # Costs are a flow over the window's days, so they are divided by the orders that left
    # in those same days (created whenever): dividing by the orders created in the window
    # that shipped by the end charged the backlog carried into the window to too few orders
    # and made a short run dearer per order than a long one of the same flow.
    left = orders["shipped_h"]
    n_left = int((~orders["cancelled"] & (left >= warm_h) & (left < 24.0 * end_day)
                  & ~exchange).sum())
    # the return labels are the carrier's bill too (sim.returns_cost)
    shipping = float(by_cat[by_cat.index.isin((*SHIPPING_CATEGORIES, "return_postage"))].sum())
    turns_year, supply_days = inventory_turns_per_year(daily, ships, stocked_nodes,
                                                       scenario.run.warmup_days, end_day)
    # Whether a customer returns a unit is drawn when its parcel ships, so the returns of
    # the window's shipped orders are known even when they would reach the node after the run.
    window_returns = int(s("returned_units", shipped).sum())
    window_units = s("units", shipped).sum()
    util = tables["utilisation"]
    tours = tables["pick_tours"]
    tours = tours[tours["released_h"] >= warm_h]
    picking = {}
    for node, t in tours.groupby("node"):
        labour = util[(util["node"] == node) & (util["resource"] == "pickers")]
        paid_h = float((labour["staffed_h"] + labour["overtime_h"]).sum())
        picking[node] = {
            "distance_per_order_m": float(t["length_m"].sum() / t["orders"].sum()),
            "distance_per_line_m": float(t["length_m"].sum() / t["lines"].sum()),
            "picks_per_labour_hour": float(t["units"].sum() / paid_h) if paid_h else math.nan,
        }
    # Orders confirmed before their node's cut-off on a pickup day: did they leave that day?
    first = ships.loc[s_window, ["order", "created_h", "node"]].drop_duplicates(
        "order").set_index("order")
    spec = {n.id: n for n in scenario.nodes}
    day = np.floor(first["created_h"] / 24.0)
    cutoff = first["node"].map({k: v.cutoff_h for k, v in spec.items()})
    weekday = ((day + scenario.run.start_weekday) % 7).astype(int)
    pickup_day = [wd in spec[n].pickup_days for n, wd in zip(first["node"], weekday, strict=True)]
    eligible = first[(first["created_h"] - 24.0 * day < cutoff) & np.array(pickup_day, bool)
                     & ((day + 1) * 24.0 <= horizon_h)].index
    del first, cutoff, weekday, pickup_day
    shipped_h = pd.Series(live("shipped_h").to_numpy(), index=live("order").to_numpy())
    shipped_day = shipped_h.loc[eligible] // 24.0
    same_day = (shipped_day == day.loc[eligible]).astype(float)
    returned_received = s("returned_units", received)
    returned_inspected = s("returned_units", inspected)
    left_window = (~orders["cancelled"] & (left >= warm_h) & (left < 24.0 * end_day)
                   ).to_numpy() & ~exchange
    money = _money_kpis(tables, orders, is_live, n_left, float(by_cat.sum()), left_window,
                        float(by_cat.get("write_off", 0.0)))

    return {
        "orders": int(in_window.sum()),
        "orders_cancelled": int(orders["cancelled"][in_window].sum()),
        "units": int(orders["units"][in_window].sum()),
        "orders_shipped": n_shipped,
        "orders_delivered": int(live("delivered_h").notna().sum()),
        "on_time_pct": _pct(on_time),
        "two_day_pct": _pct(within2),
        "click_to_ship_p50_h": _q(live("click_to_ship_h"), 0.5),
        "click_to_ship_p95_h": _q(live("click_to_ship_h"), 0.95),
        "click_to_door_p50_days": _q(live("click_to_door_days"), 0.5),
        "click_to_door_p95_days": _q(live("click_to_door_days"), 0.95),
        "unit_fill_rate_pct": (100.0 * s_stock["filled_on_arrival"].sum() / stock_units
                               if stock_units else math.nan),
        "backorder_pct": _pct((s_stock["filled_on_arrival"] < s_stock["units"])
                              .groupby(s_stock["order"]).any()),
        "shipped_by_cutoff_pct": _pct(same_day),
        "split_shipment_pct": _pct(live("split")[live("n_shipments") > 0]),
        "avg_on_hand_units": avg_units,
        "avg_on_hand_value": avg_value,
        "inventory_turns": turns,
        "inventory_turns_per_year": turns_year,
        "days_of_supply": supply_days,
        "utilisation": {f"{r.node}.{r.resource}": r.utilisation for r in util.itertuples()},
        # The same shares in percent, as every other share of the summary is (0-100); above
        # 100 a crew finished work in hand after its shift (overtime is paid separately).
        "utilisation_pct": {f"{r.node}.{r.resource}": 100.0 * r.utilisation
                            for r in util.itertuples()},
        "picking": picking,
        "dock_to_stock_p50_h": _q(inb["dock_to_stock_h"], 0.5),
        "returns_received_units": int(returned_received.sum()),
        "returns_of_window_orders_units": window_returns,
        "returns_of_window_orders_pct": (100.0 * window_returns / float(window_units)
                                         if window_units else math.nan),
        "returns_restocked_pct": (100.0 * s("restocked_units", inspected).sum()
                                  / returned_inspected.sum()
                                  if returned_inspected.sum() else math.nan),
        **({"returns": returns_kpis(tables["returns"], costs, orders["returned"][
            left_window], warm_h, 24.0 * end_day, n_left,
            exchanges_shipped=int((exchange & (left >= warm_h)
                                   & (left < 24.0 * end_day)).sum()))}
           if "returns" in tables else {}),
        "total_cost": float(by_cat.sum()),
        "orders_shipped_in_window": n_left,
        "cost_per_order": float(by_cat.sum() / n_left) if n_left else math.nan,
        "fulfilment_cost_per_order": (float(by_cat.sum() - shipping) / n_left if n_left
                                      else math.nan),
        "shipping_cost_per_order": shipping / n_left if n_left else math.nan,
        "cost_per_order_basis": COST_BASIS,
        "cost_per_order_by_category": {k: float(v / n_left) if n_left else math.nan
                                       for k, v in by_cat.items()},
        "currency": scenario.costs.currency,
        **({"cartons": carton_kpis(tables["parcels"], warm_h, 24.0 * end_day)}
           if "parcels" in tables else {}),
        **({"accuracy": accuracy_kpis(tables, warm_h, 24.0 * end_day, horizon_h, n_left)}
           if "accuracy" in tables else {}),
        **({"storage": storage_kpis(tables["storage"], costs, scenario.run.warmup_days,
                                    end_day)} if "storage" in tables else {}),
        **money,
    }


def _money_kpis(tables: dict[str, pd.DataFrame], orders: pd.DataFrame, is_live: np.ndarray,
                n_left: int, total_cost: float, left: np.ndarray, write_off: float = 0.0
                ) -> dict:
    """Revenue, profit and lost sales (currency, units, %): profit over the orders that left
    in the window (`left`, `n_left` of them, the cost per order's basis); lost sales over
    the live orders created in it (`is_live`). `write_off`: the ledger's write-offs in the
    window, part of `total_cost`: a disposed unit's product cost is lost once, in that
    line, so product cost is net of them."""
    if "sales" not in tables or "margin" not in tables:
        return {}
    sales, margin = tables["sales"], tables["margin"]
    number = orders["order"].to_numpy()
    mine = margin["order"].isin(number[left]).to_numpy()

    def total(column: str) -> float:
        return float(margin[column][mine].sum())

    net_revenue = (total("revenue") + total("shipping_fee") - total("refund")
                   + total("recovery"))
    # restock_credit holds the disposed units of these orders (at cost, then written off);
    # the window's write-offs stand for them in product cost, on the costs' own basis.
    product = (total("product_cost") - (total("restock_credit") - total("write_off"))
               - write_off)
    profit = net_revenue - product - total_cost
    live = number[is_live]
    ordered_units = float(orders["units"][is_live].sum())
    lost_units = float(sales["units_lost"].to_numpy()[live].sum())
    basket = float(sales["basket_value"].to_numpy()[live].sum())
    lost_value = float(sales["lost_value"].to_numpy()[live].sum())
    any_lost = sales["units_lost"].to_numpy()[live] > 0

    def per_order(x: float) -> float:
        return x / n_left if n_left else math.nan

    return {
        "revenue": total("revenue"),
        "shipping_fee_revenue": total("shipping_fee"),
        "refunds": total("refund"),
        "recovery_revenue": total("recovery"),  # refurbished units sold off
        "net_revenue": net_revenue,
        "product_cost": product,
        "gross_margin": profit,
        "revenue_per_order": per_order(net_revenue),
        "product_cost_per_order": per_order(product),
        "profit_per_order": per_order(profit),
        "profit_basis": PROFIT_BASIS,
        "lost_units": int(lost_units),
        "lost_sales_value": lost_value,
        "lost_demand_pct": 100.0 * lost_units / ordered_units if ordered_units else math.nan,
        "lost_sales_value_pct": 100.0 * lost_value / basket if basket else math.nan,
        "orders_with_lost_units_pct": _pct(pd.Series(any_lost.astype(float))),
        "lost_basis": LOST_BASIS,
    }


ACCURACY_BASIS = {
    "orders": "orders created in the KPI window and not cancelled, with a shipment handed "
              "over from a node with an accuracy section (picking accuracy, errors shipped)",
    "perfect_order": "orders created in the KPI window, not cancelled, whose promise day "
                     "ended within the run (as on_time_pct)",
    "counts": "locations counted (cycle or discrepancy counts) in the KPI window; pick "
              "exceptions, write-offs, drift and QC rejects in it too",
    "locations": "locations (one per SKU a node carries) at the end of the run; by SKU: the "
                 "network's total per SKU",
    "error_time": "location-hours in error / location-hours in the KPI window",
    "cost": "reshipment cost of the shipments that left in the KPI window / orders shipped "
            "in it (the cost per order's basis); the cost ledger books the same reshipments "
            "(`reshipment`) and transit damage (`transit_damage`) on the day the customer "
            "finds them (delivery), so cost_per_order includes them",
    "damage": "shipments (parcels) that left in the KPI window from a node with an accuracy "
              "section; damaged units and their cost over the same shipments",
}

# What each accuracy KPI means, for the report (WERC's definitions, as this model measures
# them).
ACCURACY_EXPLAINED = (
    "Order picking accuracy: orders whose every line was picked right the first time / "
    "orders picked at nodes with an accuracy section (a scan check's catches are picked "
    "again, so this measures the picking, not what the customer receives).",
    "Perfect order rate: orders on time AND complete AND damage free AND with the right "
    "documents / orders whose promise day ended in the run. On time: delivered by the "
    "promise day (as on time %); complete: no wrong item, wrong quantity or missing item "
    "reached the customer and no unit was lost at a stockout; damage free: no parcel of "
    "the order arrived damaged (a chance per parcel, by carrier service and category "
    "fragility, in the node's accuracy.transit_damage; 100 % without it: the damaged "
    "parcel's units are written off at the customer and reshipped, less the carrier claim "
    "recovered); right documents: no wrong address label. Reshipments of errors and of "
    "damage are in the cost ledger (`reshipment`, `transit_damage`) on the day found.",
    "Inventory count accuracy (by location): counts that found the shelf as the record said "
    "/ locations counted. Record accuracy by location: locations (a SKU at a node) whose "
    "record equals the shelf at the end of the run; by SKU: SKUs whose network record "
    "equals the network's shelves. Location-time in error: location-hours with record and "
    "shelf apart / location-hours in the window (Poisson drift at l per day and a count "
    "every T days give 1 - (1 - e^{-lT}) / (lT)).",
    "Dock-to-stock: hours from the dock to stock per purchase-order line (median, p95); "
    "lines QC rejected back to the supplier never reach stock and are left out (their "
    "replacement orders count when they arrive).",
)


def accuracy_kpis(tables: dict[str, pd.DataFrame], warm_h: float, end_h: float,
                  horizon_h: float, n_left: int) -> dict:
    """WERC-style accuracy KPIs (%, units, hours, currency) of the nodes with an accuracy
    section (sim.accuracy, sim.cycle_counts); each share's denominator is in
    ACCURACY_BASIS. Damage free is 100 % without `transit_damage`."""
    orders = tables["orders"]
    acc = tables["accuracy"]
    live = orders.loc[(orders["created_h"] >= warm_h) & ~orders["cancelled"],
                      ["order", "on_time", "promised_day"]]
    mine = acc[acc["order"].isin(live["order"])]
    by_order = mine.groupby("order")
    picked_right = by_order["first_pick_error_lines"].sum() == 0
    shipped_error = by_order["error"].any()
    # Perfect order: on time, complete, damage free, right documents, all four.
    judged = live[(live["promised_day"] + 1) * 24.0 <= horizon_h]
    wrong = acc.groupby("order")[["wrong_item", "wrong_qty", "missing_item",
                                  "wrong_label", "damaged_parcels"]].sum()
    wrong = wrong.reindex(judged["order"], fill_value=0)
    lost = (tables["sales"]["units_lost"].to_numpy()[judged["order"].to_numpy()] > 0
            if "sales" in tables else np.zeros(len(judged), bool))
    on_time = judged["on_time"].fillna(0.0).to_numpy() == 1.0
    complete = ((wrong[["wrong_item", "wrong_qty", "missing_item"]].sum(axis=1) == 0)
                .to_numpy() & ~lost)
    documents = (wrong["wrong_label"] == 0).to_numpy()
    damage_free = (wrong["damaged_parcels"] == 0).to_numpy()
    perfect = on_time & complete & documents & damage_free

    def pct(x: np.ndarray | pd.Series) -> float:
        return _pct(pd.Series(np.asarray(x, float)))

    left = acc[(acc["shipped_h"] >= warm_h) & (acc["shipped_h"] < end_h)]
    counts = tables["counts"]
    counts = counts[(counts["t_h"] >= warm_h) & (counts["t_h"] < end_h)]
    counted = counts[counts["reason"] != "exception"]
    locs = tables["locations"]
    by_sku = locs.groupby("sku")[["record", "physical"]].sum()
    drift = tables["drift"]
    drift = drift[(drift["t_h"] >= warm_h) & (drift["t_h"] < end_h)]
    rejects = tables["qc_rejects"]
    rejects = rejects[(rejects["t_h"] >= warm_h) & (rejects["t_h"] < end_h)]
    inbound = tables["inbound"]
    inb = inbound[inbound["dock_h"] >= warm_h]
    window_h = float(locs["window_h"].sum())
    return {
        "basis": ACCURACY_BASIS,
        "orders": len(picked_right),
        "order_picking_accuracy_pct": pct(picked_right),
        "line_picking_accuracy_pct": (100.0 * (1.0 - mine["first_pick_error_lines"].sum()
                                               / mine["lines"].sum())
                                      if mine["lines"].sum() else math.nan),
        "orders_shipped_with_error_pct": pct(shipped_error),
        "errors_caught": int(mine["caught"].sum()),
        "repicks": int((mine["attempts"] - 1).sum()),
        "errors_shipped": {k: int(mine[k].sum()) for k in ("wrong_item", "wrong_qty",
                                                           "wrong_label", "missing_item")},
        "perfect_order_orders": len(judged),
        "perfect_order_rate_pct": pct(perfect),
        "on_time_pct": pct(on_time),
        "complete_pct": pct(complete),
        "damage_free_pct": pct(damage_free),
        "right_documents_pct": pct(documents),
        "error_returned_units": int(left["returned_units"].sum()),
        "reshipments": int((left["reship_cost"] > 0).sum()),
        "reship_cost": float(left["reship_cost"].sum()),
        "reship_cost_per_order": float(left["reship_cost"].sum()) / n_left if n_left
        else math.nan,
        "parcels": int(left["parcels"].sum()),
        "damaged_parcels": int(left["damaged_parcels"].sum()),
        "damaged_shipments": int(left["damaged"].sum()),
        "damaged_shipments_pct": pct(left["damaged"]),
        "damaged_units": int(left["damaged_units"].sum()),
        "transit_damage_cost": float(damage_cost(left).sum()),
        "claim_recovery": float(left["claim_recovery"].sum()),
        "transit_damage_cost_per_order": (float(damage_cost(left).sum()) / n_left if n_left
                                          else math.nan),
        "counts": len(counted),
        "count_labour_h": float(counted["count_h"].sum()),
        "inventory_count_accuracy_pct": pct((counted["written_off"] == 0)
                                            & (counted["found"] == 0)),
        "count_abs_error_units_mean": (float((counted["written_off"] + counted["found"]).mean())
                                       if len(counted) else math.nan),
        "pick_exceptions": int((counts["reason"] == "exception").sum()),
        "written_off_units": int(counts["written_off"].sum()),
        "drift_units": {str(k): int(v) for k, v in drift["kind"].value_counts().items()},
        "record_accuracy_by_location_pct": pct(locs["record"] == locs["physical"]),
        "record_abs_error_units": int((locs["record"] - locs["physical"]).abs().sum()),
        "record_accuracy_by_sku_pct": pct(by_sku["record"] == by_sku["physical"]),
        "record_abs_error_units_by_sku": int((by_sku["record"] - by_sku["physical"]).abs()
                                             .sum()),
        "locations_in_error_time_pct": (100.0 * float(locs["error_h"].sum()) / window_h
                                        if window_h else math.nan),
        "qc_rejected_lines": len(rejects),
        "qc_rejected_units": int(rejects["units"].sum()),
        "dock_to_stock_p50_h": _q(inb["dock_to_stock_h"], 0.5),
        "dock_to_stock_p95_h": _q(inb["dock_to_stock_h"], 0.95),
    }
