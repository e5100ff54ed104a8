"""The cost ledger: one row per day, node and category, in the scenario's currency.

Built after the run from what the run recorded (paid hours, shipments, stock snapshots,
receipts, returns), so the simulation's hot path carries no cost bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import Scenario

__all__ = ["CATEGORIES", "cost_ledger"]

CATEGORIES = (
    "labour", "rent", "equipment", "packaging", "carrier", "holding", "returns_handling",
    "3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "3pl_returns",
    "dropship_fee", "dropship_markup", "marketplace_fulfilment", "marketplace_storage",
)  # fmt: skip

MONTH_DAYS = 365.0 / 12.0


def _rows(day: np.ndarray, node: str, category: str, amount: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"day": day.astype(int), "node": node, "category": category,
                         "amount": np.asarray(amount, float)})


def cost_ledger(scenario: Scenario, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Costs by day, node and category (currency)."""
    c = scenario.costs
    days = np.arange(scenario.run.horizon_days)
    ships, daily, inbound = tables["shipments"], tables["daily"], tables["inbound"]
    shipped = ships[ships["shipped_h"].notna()].copy()
    shipped["day"] = (shipped["shipped_h"] // 24).astype(int)
    per_pallet = scenario.inventory.units_per_pallet
    parts = []
    for spec in scenario.nodes:
        mine = shipped[shipped["node"] == spec.id]
        by_day = mine.groupby("day")
        sday = by_day.size().index.to_numpy()
        n_ship = by_day.size().to_numpy()
        carrier = by_day["shipping_cost"].sum().to_numpy()
        parts.append(_rows(sday, spec.id, "carrier", carrier))
        snap = daily[daily["node"] == spec.id].sort_values("t_h")
        snap_day = snap["day"].to_numpy()[:-1]  # a snapshot at 00:00 opens that day
        on_hand_value = snap["on_hand_value"].to_numpy()[:-1]
        if spec.mode != "dropship":
            parts.append(_rows(snap_day, spec.id, "holding",
                               on_hand_value * c.holding_rate_per_year / 365.0))
        returned = mine[mine["return_received_h"].notna()]
        ret_day = (returned["return_received_h"] // 24).astype(int)
        ret_units = returned.groupby(ret_day)["returned_units"].sum()
        if spec.mode == "in_house":
            h = c.in_house
            parts.append(_rows(days, spec.id, "rent", np.full(len(days), h.rent_per_month
                                                               / MONTH_DAYS)))
            parts.append(_rows(days, spec.id, "equipment",
                               np.full(len(days), h.equipment_per_month / MONTH_DAYS)))
            staffed = sum(np.diff(snap[f"{r}_staffed_h"].to_numpy())
                          for r in ("receivers", "pickers", "packers"))
            overtime = sum(np.diff(snap[f"{r}_overtime_h"].to_numpy())
                           for r in ("receivers", "pickers", "packers"))
            labour = (staffed + overtime * (1 + h.overtime_premium)) * h.labour_per_hour
            parts.append(_rows(snap_day, spec.id, "labour", labour))
            parts.append(_rows(sday, spec.id, "packaging", n_ship * h.packaging_per_order))
            parts.append(_rows(ret_units.index.to_numpy(), spec.id, "returns_handling",
                               ret_units.to_numpy() * c.return_handling_per_unit))
        elif spec.mode == "3pl":
            t = c.three_pl
            parts.append(_rows(days, spec.id, "3pl_account",
                               np.full(len(days), t.account_fee_per_month / MONTH_DAYS)))
            pallets = np.ceil(snap["on_hand_units"].to_numpy()[:-1] / per_pallet)
            parts.append(_rows(snap_day, spec.id, "3pl_storage",
                               pallets * t.storage_per_pallet_month / MONTH_DAYS))
            recv = inbound[(inbound["node"] == spec.id) & inbound["putaway_h"].notna()]
            recv_units = recv.groupby((recv["putaway_h"] // 24).astype(int))["units"].sum()
            parts.append(_rows(recv_units.index.to_numpy(), spec.id, "3pl_receiving",
                               recv_units.to_numpy() / per_pallet * t.receiving_per_pallet))
            extra = by_day["units"].sum().to_numpy() - n_ship
            parts.append(_rows(sday, spec.id, "3pl_pick_pack",
                               n_ship * t.pick_pack_per_order + extra * t.pick_per_extra_unit))
            parts.append(_rows(sday, spec.id, "packaging", n_ship * t.packaging_per_order))
            parts.append(_rows(ret_units.index.to_numpy(), spec.id, "3pl_returns",
                               ret_units.to_numpy() * t.returns_per_unit))
        elif spec.mode == "marketplace":
            m = spec.marketplace
            parts.append(_rows(sday, spec.id, "marketplace_fulfilment",
                               by_day["fee"].sum().to_numpy()))
            rate = np.array([m.storage_peak_per_m3_month if scenario.is_peak_day(int(d))
                             else m.storage_per_m3_month for d in snap_day])
            parts.append(_rows(snap_day, spec.id, "marketplace_storage",
                               snap["on_hand_cube_m3"].to_numpy()[:-1] * rate / MONTH_DAYS))
        else:
            d = c.dropship
            parts.append(_rows(sday, spec.id, "dropship_fee", n_ship * d.fee_per_order))
            parts.append(_rows(sday, spec.id, "dropship_markup",
                               by_day["value"].sum().to_numpy() * d.product_markup))
    ledger = pd.concat([p for p in parts if len(p)], ignore_index=True)
    ledger = ledger[ledger["amount"] != 0]
    return ledger.groupby(["day", "node", "category"], as_index=False)["amount"].sum()
