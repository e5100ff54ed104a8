"""The cost ledger: one row per day, node and category, in the scenario's currency.

Built after the run from what the run recorded (paid hours, shipments, stock snapshots,
receipts, returns), so the simulation's hot path carries no cost bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.tables import station_names

__all__ = ["CATEGORIES", "cost_ledger"]

CATEGORIES = (
    "labour", "rent", "equipment", "packaging", "carrier", "holding", "returns_handling",
    "3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "3pl_returns",
    "dropship_fee", "dropship_markup", "marketplace_fulfilment", "marketplace_storage",
)  # fmt: skip

MONTH_DAYS = 365.0 / 12.0


def cost_ledger(scenario: Scenario, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Costs by day, node and category (currency)."""
    c = scenario.costs
    all_days = np.arange(scenario.run.horizon_days)
    ships, daily, inbound = tables["shipments"], tables["daily"], tables["inbound"]
    shipped = ships[ships["shipped_h"].notna()].copy()
    shipped["day"] = (shipped["shipped_h"] // 24).astype(int)
    per_pallet = scenario.inventory.units_per_pallet
    rows: list[pd.DataFrame] = []
    for spec in scenario.nodes:

        def add(day: np.ndarray, category: str, amount, node: str = spec.id) -> None:
            rows.append(pd.DataFrame({"day": np.asarray(day).astype(int), "node": node,
                                      "category": category,
                                      "amount": np.broadcast_to(np.asarray(amount, float),
                                                                np.shape(day))}))

        def per_month(category: str, amount_per_month: float) -> None:
            add(all_days, category, amount_per_month / MONTH_DAYS)

        mine = shipped[shipped["node"] == spec.id]
        by_day = mine.groupby("day")
        ship_day = by_day.size().index.to_numpy()
        n_ship = by_day.size().to_numpy()
        add(ship_day, "carrier", by_day["shipping_cost"].sum().to_numpy())
        snap = daily[daily["node"] == spec.id].sort_values("t_h")
        snap_day = snap["day"].to_numpy()[:-1]  # a snapshot at 00:00 opens that day
        # Holding and marketplace storage accrue on the day's time-average stock; a 3PL
        # bills the pallets counted at its daily snapshot.
        if spec.mode != "dropship":
            add(snap_day, "holding",
                snap["on_hand_value_avg"].to_numpy()[:-1] * c.holding_rate_per_year / 365.0)
        returned = mine[mine["return_received_h"].notna()]
        ret_units = returned.groupby((returned["return_received_h"] // 24).astype(int))[
            "returned_units"].sum()
        ret_day, ret_n = ret_units.index.to_numpy(), ret_units.to_numpy()
        if spec.mode == "in_house":
            h = c.in_house
            per_month("rent", h.rent_per_month)
            per_month("equipment", h.equipment_per_month)
            crews = station_names(daily)
            staffed = sum(np.diff(snap[f"{r}_staffed_h"].to_numpy()) for r in crews)
            overtime = sum(np.diff(snap[f"{r}_overtime_h"].to_numpy()) for r in crews)
            add(snap_day, "labour",
                (staffed + overtime * (1 + h.overtime_premium)) * h.labour_per_hour)
            add(ship_day, "packaging", n_ship * h.packaging_per_order)
            add(ret_day, "returns_handling", ret_n * c.return_handling_per_unit)
        elif spec.mode == "3pl":
            t = c.three_pl
            per_month("3pl_account", t.account_fee_per_month)
            pallets = np.ceil(snap["on_hand_units"].to_numpy()[:-1] / per_pallet)
            add(snap_day, "3pl_storage", pallets * t.storage_per_pallet_month / MONTH_DAYS)
            recv = inbound[(inbound["node"] == spec.id) & inbound["putaway_h"].notna()]
            recv_units = recv.groupby((recv["putaway_h"] // 24).astype(int))["units"].sum()
            add(recv_units.index.to_numpy(), "3pl_receiving",
                recv_units.to_numpy() / per_pallet * t.receiving_per_pallet)
            extra = by_day["units"].sum().to_numpy() - n_ship
            add(ship_day, "3pl_pick_pack",
                n_ship * t.pick_pack_per_order + extra * t.pick_per_extra_unit)
            add(ship_day, "packaging", n_ship * t.packaging_per_order)
            add(ret_day, "3pl_returns", ret_n * t.returns_per_unit)
        elif spec.mode == "marketplace":
            m = spec.marketplace
            add(ship_day, "marketplace_fulfilment", by_day["fee"].sum().to_numpy())
            rate = np.array([m.storage_peak_per_m3_month if scenario.is_peak_day(int(d))
                             else m.storage_per_m3_month for d in snap_day])
            add(snap_day, "marketplace_storage",
                snap["on_hand_cube_m3_avg"].to_numpy()[:-1] * rate / MONTH_DAYS)
        else:
            d = c.dropship
            add(ship_day, "dropship_fee", n_ship * d.fee_per_order)
            add(ship_day, "dropship_markup", by_day["value"].sum().to_numpy() * d.product_markup)
    ledger = pd.concat([r for r in rows if len(r)], ignore_index=True)
    ledger = ledger[ledger["amount"] != 0]
    return ledger.groupby(["day", "node", "category"], as_index=False)["amount"].sum()
