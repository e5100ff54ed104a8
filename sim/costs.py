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
        rule_for(spec).costs(book)
    if "freight" in inbound.columns:
        rows.append(_freight(inbound))
    ledger = pd.concat([r for r in rows if len(r)], ignore_index=True)
    ledger = ledger[ledger["amount"] != 0]
    return ledger.groupby(["day", "node", "category"], as_index=False)["amount"].sum()


def _freight(inbound: pd.DataFrame) -> pd.DataFrame:
    """Transfer freight (sim.replenishment) by the day it left the source, charged to the
    receiving node."""
    moved = inbound[inbound["shipped_h"].notna()]
    day = (moved["shipped_h"] // 24).astype(int).rename("day")
    by = moved.groupby([day, moved["node"]])["freight"].sum().reset_index()
    return by.rename(columns={"freight": "amount"}).assign(category="freight")
