"""The cost ledger: one row per day, node and category, in the scenario's currency.

Built after the run from what the run recorded (paid hours, shipments, stock snapshots,
receipts, returns), so the simulation's hot path carries no cost bookkeeping.
"""

from __future__ import annotations

import pandas as pd

from sim.fulfilment_modes import MONTH_DAYS, NodeLedger, rule_for
from sim.scenario import Scenario
from sim.tables import station_names

__all__ = ["CATEGORIES", "COLUMNS_READ", "MONTH_DAYS", "cost_ledger"]

# The columns of the large tables the ledger reads (a run kept on disk loads only these).
COLUMNS_READ = {"shipments": ("node", "shipped_h", "shipping_cost", "units", "fee", "value",
                              "return_received_h", "returned_units")}

CATEGORIES = (
    "labour", "rent", "equipment", "packaging", "carrier", "holding", "returns_handling",
    "3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "3pl_returns",
    "dropship_fee", "dropship_markup", "marketplace_fulfilment", "marketplace_storage",
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
