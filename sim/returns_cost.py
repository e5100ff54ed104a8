"""Returns at their true cost: the return label and who pays it, refund or store credit, and
what inspection does with each returned unit (restock, refurbish, dispose), by reason where
the scenario gives a category's reasons.

In the running model `ReturnsDesk` prices the return label and splits refund from store
credit when a parcel is handed to the carrier (that is when the model draws which units come
back), and disposes of the units when the node's receivers inspect them. After the run
`returns_table` gives one row per returned line and reason, and `return_costs` the ledger
lines (`return_postage`, `refurbish`, `write_off`) by day and node.

Who pays the label: the merchant under `free`, the customer under `customer_paid`, and under
`free_over_basket` the merchant when the order's basket (its units at selling prices)
reaches the threshold. A marketplace's own network carries its returns within its fees: no
label. The label is the carrier's cheapest service for the distance band and billable weight
(the returned units' actual kg; at a node that packs into cartons, the customer reuses the
largest carton of the shipment, so billable kg = max(actual kg, its volume / the service's
dim divisor)), at the node's negotiated discount. Costs fall on the day the carrier brings
the parcel to the node (postage) and the day it is inspected (refurbish, write-off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.carriers import billable_kg
from sim.record import Shipment
from sim.record.rows import ReturnParcel
from sim.sales import basket_values

if TYPE_CHECKING:
    from sim.carriers import CarrierTable
    from sim.model import Network

__all__ = ["ALL_RETURN_CATEGORIES", "DISPOSITIONS", "PAYERS", "RETURN_COST_CATEGORIES",
           "ReturnsDesk", "booked", "label_charge", "return_costs", "returns_kpis",
           "returns_table"]

DISPOSITIONS = ("restocked", "refurbished", "disposed")
PAYERS = ("merchant", "customer", "marketplace")
# The cost-ledger categories of returns this module adds (returns_handling is the mode's).
RETURN_COST_CATEGORIES = ("return_postage", "refurbish", "write_off")


def label_charge(carriers: CarrierTable, band: np.ndarray, actual_kg: np.ndarray,
                 dims_cm: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(billable kg, list charge) of the cheapest service for each return parcel: its
    distance band, actual kg and, if given, the carton it goes back in (cm, [parcel, 3]), whose
    volume over each service's dim divisor bounds the billable kg from below."""
    rows = np.arange(len(carriers.names))[:, None]
    kg = np.broadcast_to(np.asarray(actual_kg, float)[None, :], (len(rows), len(band)))
    if dims_cm is not None and carriers.dim_divisor is not None:
        volume = np.prod(np.asarray(dims_cm, float).reshape(-1, 3), axis=1)
        kg = billable_kg(kg, volume[None, :], carriers.dim_divisor[:, None])
    kg = np.maximum(kg, carriers.min_billable_kg[rows])
    cost = carriers.rate(rows, np.asarray(band)[None, :], kg)
    best = np.argmin(cost, axis=0)
    at = np.arange(len(band))
    return kg[best, at], cost[best, at]


class ReturnsDesk:
    """A network's return policy at work: labels and refunds at the hand-over, disposition
    at inspection; every line goes to the recorder."""

    def __init__(self, net: Network) -> None:
        sc = net.scenario
        self.net = net
        self.returns = r = sc.returns
        self.policy = r.postage.policy
        self.basket = (basket_values(net.orders, net.prices)
                       if self.policy == "free_over_basket" else None)
        cats = net.catalogue.category_names
        table = [r.disposition(c) for c in cats]
        self.reason_names = ["", *sorted({n for names, _, _ in table for n in names if n})]
        # per category: reason codes, reason shares, [reason, disposition] shares
        self.by_category = [(np.array([self.reason_names.index(n) for n in names]), shares,
                             disp) for names, shares, disp in table]
        self.by_reason = bool(r.reasons)

    # ------------------------------------------------------------ at the hand-over
    def revenue(self, going: list[Shipment], sku: np.ndarray, qty: np.ndarray,
                bounds: np.ndarray) -> np.ndarray:
        """Revenue of each shipment handed over (currency): its units at their price, none
        for an exchange (the customer paid with the order it replaces)."""
        revenue = np.add.reduceat(self.net.prices[sku] * qty, bounds[:-1])
        exchanges = self.net.record.exchange_of
        if exchanges:
            revenue[[s.order in exchanges for s in going]] = 0.0
        return revenue

    def handed_over(self, node_rate_factor: float, going: list[Shipment], sku: np.ndarray,
                    bounds: np.ndarray, returned: np.ndarray, row: np.ndarray,
                    band: np.ndarray, cartons: list[np.ndarray] | None,
                    unrefunded: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Record the return lines and label of each shipment with units coming back; the
        revenue reversed per shipment (currency: refunds at price, store credit at price
        less breakage, nothing for exchanged units) and the units exchanged per line (None
        when the scenario exchanges none). `unrefunded` units per line come back for a pick
        or pack error (sim.accuracy): a reshipment replaces them, so no refund or credit."""
        net, r = self.net, self.returns
        price = net.prices[sku]
        claimed = returned if unrefunded is None else returned - unrefunded
        refunded = claimed
        if r.refund_share < 1.0:
            refunded = net.streams["returns.refund"].binomial(claimed, r.refund_share)
        exchanged = None
        if r.exchange_share > 0:
            p = r.exchange_share / max(1e-12, 1.0 - r.refund_share)
            exchanged = net.streams["returns.exchange"].binomial(claimed - refunded,
                                                                 min(1.0, p))
        credit = (claimed - refunded - (0 if exchanged is None else exchanged)) * price
        reversed_ = price * refunded + credit * (1.0 - r.store_credit_breakage)
        per_ship = np.add.reduceat(returned, bounds[:-1])
        back = np.flatnonzero(per_ship)
        if not len(back):
            return np.add.reduceat(reversed_, bounds[:-1]), exchanged
        weight = net.catalogue.weight_kg[sku] * returned
        actual = np.add.reduceat(weight, bounds[:-1])[back]
        dims = None if cartons is None else np.array([cartons[i] for i in back])
        billable, charge = label_charge(net.carriers, band[back], actual, dims)
        charge = charge * node_rate_factor
        rec = net.record
        for k, i in enumerate(back.tolist()):
            s = going[i]
            payer = self._payer(s.order, int(row[i]))
            rec.return_label(s.index, s.order, s.node, float(actual[k]), float(billable[k]),
                             float(charge[k]) if payer != 2 else 0.0, payer)
            a, b = bounds[i], bounds[i + 1]
            for j in range(a, b):
                if returned[j]:
                    rec.return_line(s.index, int(sku[j]), int(returned[j]),
                                    float(price[j] * refunded[j]), float(credit[j]),
                                    0 if exchanged is None else int(exchanged[j]))
        return np.add.reduceat(reversed_, bounds[:-1]), exchanged

    def _payer(self, order: int, carrier_row: int) -> int:
        if carrier_row < 0:
            return 2  # the marketplace's network carries it
        if self.policy == "free":
            return 0
        if self.policy == "customer_paid":
            return 1
        order = (self.net.record.exchange_of or {}).get(order, order)  # an exchange's own
        return 0 if self.basket[order] >= self.returns.postage.free_over_basket else 1

    # ------------------------------------------------------------ at inspection
    def inspect(self, parcel: ReturnParcel, now_h: float) -> np.ndarray:
        """Units restocked per line of an inspected parcel; every line's disposition (by
        reason) goes to the recorder."""
        net = self.net
        units = parcel.units_per_line
        if not self.by_reason:
            # One share for every category: the draw of earlier releases, then the
            # refurbished part of the rest.
            keep = net.streams["returns.restock"].binomial(units, self.returns.restock_share)
            rest = units - keep
            refurb = np.zeros_like(rest)
            if self.returns.refurbish_share > 0:
                p = self.returns.refurbish_share / max(1e-12, 1.0 - self.returns.restock_share)
                refurb = net.streams["returns.refurbish"].binomial(rest, min(1.0, p))
            for j in np.flatnonzero(units).tolist():
                net.record.return_disposed(parcel.index, int(parcel.sku[j]), 0, int(keep[j]),
                                           int(refurb[j]), int(rest[j] - refurb[j]), now_h)
            return keep
        keep = np.zeros_like(units)
        cat = net.catalogue.category
        for j in np.flatnonzero(units).tolist():
            codes, shares, disp = self.by_category[int(cat[parcel.sku[j]])]
            counts = net.streams["returns.reason"].multinomial(int(units[j]), shares)
            for code, n, p in zip(codes.tolist(), counts.tolist(), disp, strict=True):
                if not n:
                    continue
                r, f, d = net.streams["returns.restock"].multinomial(n, p).tolist()
                keep[j] += r
                net.record.return_disposed(parcel.index, int(parcel.sku[j]), code, r, f, d,
                                           now_h)
        return keep


# ---------------------------------------------------------------- after the run

def returns_table(labels: np.ndarray, lines: np.ndarray, disposed: np.ndarray,
                  names: dict[str, object], refurbish: tuple[float, float],
                  received_h: pd.Series) -> pd.DataFrame:
    """One row per returned line and reason: shipment, order, node, SKU, units, reason
    ("" until inspected or where the category gives none), units restocked, refurbished,
    disposed and not yet inspected (on the way, at the dock, or gone back to a dropship
    supplier), the refund and store credit of the units (currency), the label's share by
    units, who pays it, the units exchanged (a share by units when a line has several
    reasons), when received and inspected (hours), the unit value written off and
    the refurbish cost and recovery (currency)."""
    cols = ["shipment", "order", "node", "sku", "units", "reason", *DISPOSITIONS,
            "not_inspected", "refund", "store_credit", "exchanged", "postage", "postage_payer",
            "received_h", "inspected_h", "write_off", "refurbish_cost", "recovery"]
    if not len(lines):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("node", "sku", "reason",
                                                                  "postage_payer") else float)
                             for c in cols})
    ln = pd.DataFrame({f: lines[f] for f in lines.dtype.names})
    lab = pd.DataFrame({f: labels[f] for f in labels.dtype.names}).set_index("shipment")
    ln = ln.join(lab[["order", "node", "postage", "payer"]], on="shipment")
    line_units = ln.groupby("shipment")["units"].transform("sum")
    ln["postage"] = ln["postage"] * ln["units"] / line_units
    dp = pd.DataFrame({f: disposed[f] for f in disposed.dtype.names})
    dp["inspected"] = dp["restocked"] + dp["refurbished"] + dp["disposed"]
    out = ln.merge(dp, on=["shipment", "sku"], how="left")
    inspected = out["inspected"].notna()
    share = np.where(inspected, out["inspected"] / out["units"], 1.0)
    for c in ("refund", "credit", "postage", "exchanged"):
        out[c] = out[c] * share
    out["units"] = np.where(inspected, out["inspected"], out["units"]).astype(np.int64)
    for c in DISPOSITIONS:
        out[c] = out[c].fillna(0).astype(np.int64)
    out["reason"] = out["reason"].fillna(0).astype(np.int64)
    out["not_inspected"] = out["units"] - out[list(DISPOSITIONS)].sum(axis=1)
    value, price = names["unit_value"], names["price"]
    cost, discount = refurbish
    sku = out["sku"].to_numpy(np.int64)
    out["write_off"] = out["disposed"] * value[sku]
    out["refurbish_cost"] = out["refurbished"] * cost
    out["recovery"] = out["refurbished"] * price[sku] * (1.0 - discount)
    out["received_h"] = received_h.reindex(out["shipment"]).to_numpy()
    out["node"] = np.asarray(names["node_ids"], dtype=object)[out["node"].to_numpy(np.int64)]
    out["sku"] = np.asarray(names["sku_ids"], dtype=object)[out["sku"].to_numpy(np.int64)]
    out["reason"] = np.asarray(names["reasons"], dtype=object)[out["reason"].to_numpy()]
    out["postage_payer"] = np.asarray(PAYERS, dtype=object)[out["payer"].to_numpy(np.int64)]
    out = out.rename(columns={"credit": "store_credit"})
    return out[cols].sort_values(["shipment", "sku", "reason"], kind="stable").reset_index(
        drop=True)


def booked(returns: pd.DataFrame) -> pd.DataFrame:
    """Per row of the returns table, what the cost ledger books (currency): the label when
    the merchant pays it and the parcel reached the node in the run, the refurbishing and
    the write-off once inspected."""
    received = returns["received_h"].notna() & (returns["postage_payer"] == "merchant")
    inspected = returns["inspected_h"].notna()
    return pd.DataFrame({"return_postage": returns["postage"].where(received, 0.0),
                         "refurbish": returns["refurbish_cost"].where(inspected, 0.0),
                         "write_off": returns["write_off"].where(inspected, 0.0)})


def return_costs(returns: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows (day, node, category, amount) of the returns table: the labels the
    merchant pays, by the day the parcel reached the node; refurbishing and write-offs, by
    the day of inspection."""
    amounts = booked(returns)
    parts = []
    for category, stamp in (("return_postage", "received_h"), ("refurbish", "inspected_h"),
                            ("write_off", "inspected_h")):
        done = returns[stamp].notna()
        day = (returns.loc[done, stamp] // 24).astype(int).rename("day")
        by = amounts.loc[done, category].groupby([day, returns.loc[done, "node"]]).sum()
        parts.append(by.rename("amount").reset_index().assign(category=category))
    return pd.concat(parts, ignore_index=True)[["day", "node", "category", "amount"]]


# The ledger categories a return costs (the mode's handling fee or labour charge included).
ALL_RETURN_CATEGORIES = ("returns_handling", "3pl_returns", *RETURN_COST_CATEGORIES)


def returns_kpis(returns: pd.DataFrame, costs: pd.DataFrame, orders_returned: pd.Series,
                 start_h: float, end_h: float, orders_left: int,
                 exchanges_shipped: int = 0) -> dict:
    """Returns over the KPI window [start_h, end_h) (hours): the share of the orders that
    left in it with a unit returned (%), return parcels received in it and the cost of
    returns booked in it (ledger categories ALL_RETURN_CATEGORIES, currency) per parcel
    received and per order that left (`orders_left`), the shares of the units inspected in
    it restocked, refurbished and disposed (%, of those units), the share of its
    parcels whose label the merchant paid (%), and the exchange orders that left in it
    (their labour, cartons and carriers are in the cost per order of the customers' own)."""
    day0, day1 = start_h / 24.0, end_h / 24.0
    c = costs[(costs["day"] >= day0) & (costs["day"] < day1)
              & costs["category"].isin(ALL_RETURN_CATEGORIES)]
    by_cat = c.groupby("category")["amount"].sum()
    total = float(by_cat.sum())
    received = returns[(returns["received_h"] >= start_h) & (returns["received_h"] < end_h)]
    parcels = received.drop_duplicates("shipment")
    n_parcels = len(parcels)
    inspected = returns[(returns["inspected_h"] >= start_h) & (returns["inspected_h"] < end_h)]
    units = inspected[list(DISPOSITIONS)].sum()
    n_units = int(units.sum())

    def pct(x: float, n: float) -> float:
        return 100.0 * x / n if n else float("nan")

    return {
        "orders_returned_pct": pct(float(orders_returned.sum()), len(orders_returned)),
        "parcels_received": n_parcels,
        "units_inspected": n_units,
        **{f"{d}_pct": pct(float(units[d]), n_units) for d in DISPOSITIONS},
        "merchant_paid_label_pct": pct(float((parcels["postage_payer"] == "merchant").sum()),
                                       n_parcels),
        "cost": total,
        "cost_by_category": {k: float(v) for k, v in by_cat.items()},
        "cost_per_return": total / n_parcels if n_parcels else float("nan"),
        "cost_per_order_shipped": total / orders_left if orders_left else float("nan"),
        "exchange_orders_shipped": exchanges_shipped,
        "basis": "window: orders that left in it (orders_returned_pct, per order), return "
                 "parcels received in it (per return), units inspected in it (shares); "
                 "cost: the ledger's returns categories booked in it",
    }
