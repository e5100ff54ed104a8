"""End-of-run checks that nothing was lost: orders, units, stock, inbound and returns.

Each check compares a count kept one way (states written on the records) with the same
quantity kept another way (the containers and counters the processes used).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model import Network

__all__ = ["ConservationError", "check_conservation"]


class ConservationError(AssertionError):
    """A run lost or created orders, units or stock."""


def _check(problems: list[str], ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def check_conservation(net: Network, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Raise ConservationError listing every violation; return the order and unit balance."""
    problems: list[str] = []
    orders, ships = tables["orders"], tables["shipments"]
    ob = net.orders

    # Orders: created = delivered + in process + backordered + cancelled.
    counts = orders["state"].value_counts()
    balance = {k: int(counts.get(k, 0)) for k in
               ("delivered", "in_process", "backordered", "cancelled")}
    balance["created"] = int(ob.n)
    _check(problems, sum(balance[k] for k in balance if k != "created") == ob.n,
           f"orders: created {ob.n} != sum of states {balance}")

    # Units: every unit of a routed, live order is in exactly one shipment.
    routed = net.order_routed & ~ob.cancelled
    units_routed = int(ob.units_per_order()[routed].sum())
    _check(problems, int(ships["units"].sum()) == units_routed,
           f"units: {units_routed} routed but {int(ships['units'].sum())} in shipments")
    _check(problems, set(ships["order"].unique()) == set(np.flatnonzero(routed)),
           "orders: the routed orders and the orders with shipments differ")
    unit_states = ships.groupby("state")["units"].sum()
    balance["units_created"] = int(ob.units_per_order().sum())
    for k in ("delivered", "backordered"):
        balance[f"units_{k}"] = int(unit_states.get(k, 0))
    balance["units_cancelled"] = int(ob.units_per_order()[ob.cancelled].sum())
    balance["units_in_process"] = (balance["units_created"] - balance["units_delivered"]
                                   - balance["units_backordered"] - balance["units_cancelled"])

    # Shipment states against the containers that hold them.
    state = ships["state"].value_counts()
    for node in net.nodes:
        at = ships["node"] == node.id
        st = ships.loc[at, "state"].value_counts()
        open_count = int((~ships.loc[at, "state"].isin(["in_transit", "delivered"])).sum())
        _check(problems, open_count == node.open_shipments,
               f"{node.id}: {open_count} open shipments recorded, {node.open_shipments} counted")
        _check(problems, int(st.get("ready", 0)) == len(node.ready),
               f"{node.id}: ready shipments {int(st.get('ready', 0))} != queue {len(node.ready)}")
        staged = int(st.get("staged", 0)) + int(st.get("at_supplier", 0))
        _check(problems, staged == len(node.staged),
               f"{node.id}: staged shipments {staged} != staging lane {len(node.staged)}")
        waiting = {id(s) for q in node.backorders.values() for s in q}
        _check(problems, int(st.get("backordered", 0)) == len(waiting),
               f"{node.id}: backordered shipments {int(st.get('backordered', 0))} != "
               f"{len(waiting)} waiting for stock")
    del state

    # Stock: never negative; initial + put away + restocked - allocated = on hand.
    _check(problems, bool((net.on_hand >= 0).all()), "stock: negative on hand")
    _check(problems, bool((net.backordered >= 0).all()), "stock: negative backorders")
    for node in net.nodes:
        if not node.stocking:
            continue
        i = node.index
        at = ships[ships["node"] == node.id]
        short = sum(int(s.short.sum()) for s in {id(s): s for q in node.backorders.values()
                                                   for s in q}.values())
        allocated = int(at["units"].sum()) - short
        restocked = int(at["restocked_units"].sum())
        expected = int(net.initial_units[i]) + int(net.putaway_units[i]) + restocked - allocated
        _check(problems, expected == int(net.on_hand[i].sum()),
               f"{node.id}: stock balance {expected} != on hand {int(net.on_hand[i].sum())}")
        _check(problems, short == int(net.backordered[i].sum()),
               f"{node.id}: backordered units {short} != {int(net.backordered[i].sum())}")
        # Inbound: ordered = put away + in receiving + with the supplier or on the road.
        inbound = int(net.putaway_units[i] + net.in_receiving[i] + net.in_supplier_transit[i])
        _check(problems, int(net.ordered_units[i]) == inbound,
               f"{node.id}: inbound ordered {int(net.ordered_units[i])} != put away + in "
               f"receiving + in transit {inbound}")
        # Returns: returned = restocked + disposed + in inspection + on the way back.
        returned = int(at["returned_units"].sum())
        received = at["return_received_h"].notna()
        inspected = int(net.returns_inspected[i])
        _check(problems, int(at.loc[received, "returned_units"].sum())
               == inspected + int(net.returns_in_inspection[i]),
               f"{node.id}: returns received != inspected + in inspection")
        on_the_way = int(at.loc[~received, "returned_units"].sum())
        _check(problems, returned == inspected + int(net.returns_in_inspection[i]) + on_the_way,
               f"{node.id}: returned units {returned} not all accounted for")
        _check(problems, restocked <= inspected,
               f"{node.id}: restocked {restocked} > inspected {inspected}")
    if problems:
        raise ConservationError("conservation violated:\n  " + "\n  ".join(problems))
    return balance
