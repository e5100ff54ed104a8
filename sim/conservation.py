"""End-of-run checks that nothing was lost: orders, units, stock, inbound and returns.

Each check compares a count kept one way (states written on the record's rows) with the same
quantity counted another way (the census of the containers and counters the processes used:
queues, stations, staging lanes, stock arrays, the router's and carriers' counters), so every
line can fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.record import Recorder

__all__ = ["COLUMNS_READ", "ConservationError", "check_conservation"]

# The columns of the large tables the check reads (a run kept on disk loads only these).
COLUMNS_READ = {"orders": ("state",),
                "shipments": ("order", "node", "units", "restocked_units", "returned_units",
                              "return_received_h", "state")}


class ConservationError(AssertionError):
    """A run lost or created orders, units or stock."""


def _check(problems: list[str], ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def check_conservation(rec: Recorder, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Raise ConservationError listing every violation; return the order and unit balance."""
    problems: list[str] = []
    orders, ships = tables["orders"], tables["shipments"]
    ob = rec.orders
    units = ob.units_per_order().astype(np.int64)
    routed = rec.routed & ~ob.cancelled
    unrouted = ~rec.routed & ~ob.cancelled

    # Orders: the record's states against the orders counted where they are: cancelled in
    # the order book, not yet routed by the router, waiting for stock or inside a node (its
    # queues, stations, staging lane), or on the road with a carrier.
    census = rec.census
    counts = orders["state"].value_counts()
    balance = {k: int(counts.get(k, 0)) for k in
               ("delivered", "in_process", "backordered", "cancelled", "lost")}
    balance["created"] = int(ob.n)
    balance["not_routed"] = int(unrouted.sum())
    waiting_orders = frozenset().union(*(c.orders_waiting for c in census))
    inside = frozenset().union(*(c.orders_inside for c in census))
    on_road = frozenset(ships.loc[ships["state"] == "in_transit", "order"].tolist())
    moving = len((inside | on_road) - waiting_orders) + balance["not_routed"]
    _check(problems, int(ob.cancelled.sum()) == balance["cancelled"],
           f"orders: {int(ob.cancelled.sum())} cancelled, {balance['cancelled']} on the record")
    _check(problems, len(waiting_orders) == balance["backordered"],
           f"orders: {len(waiting_orders)} waiting for stock, {balance['backordered']} "
           "backordered on the record")
    _check(problems, moving == balance["in_process"],
           f"orders: {moving} not routed, in a node or on the road, {balance['in_process']} "
           "in process on the record")
    # Lost orders, counted from the lines not sold: every unit of the order is among them.
    lost = rec.lost.array()
    lost_per_order = np.bincount(lost["order"], lost["units"], minlength=ob.n)
    fully_lost = int(((lost_per_order == units) & (units > 0)).sum())
    _check(problems, fully_lost == balance["lost"],
           f"orders: {fully_lost} with every unit lost, {balance['lost']} lost on the record")
    _check(problems, sum(balance[k] for k in ("delivered", "in_process", "backordered",
                                              "cancelled", "lost")) == ob.n,
           f"orders: created {ob.n} != sum of states {balance}")
    _check(problems, np.array_equal(np.unique(ships["order"].to_numpy()),
                                    np.flatnonzero(routed)),
           "orders: the routed orders and the orders with shipments differ")

    # Units: created = cancelled + not yet routed + where each routed unit is now.
    unit_states = ships.groupby("state")["units"].sum()
    balance["units_created"] = int(units.sum())
    balance["units_cancelled"] = int(units[ob.cancelled].sum())
    balance["units_not_routed"] = int(units[unrouted].sum())
    for k in ("delivered", "backordered", "in_transit"):
        balance[f"units_{k}"] = int(unit_states.get(k, 0))
    places = {
        "ready": sum(c.units_ready for c in census),
        "in_stations": sum(c.units_in_stations for c in census),
        "staged": sum(c.units_staged for c in census),
    }
    balance["units_in_process"] = (balance["units_not_routed"] + sum(places.values())
                                   + balance["units_in_transit"])
    waiting = sum(c.units_waiting for c in census)
    _check(problems, waiting == balance["units_backordered"],
           f"units: {waiting} in shipments waiting for stock, "
           f"{balance['units_backordered']} backordered on the record")
    balance["units_lost"] = int(lost["units"].sum())
    _check(problems, balance["units_lost"] == rec.units_lost,
           f"units: {balance['units_lost']} on the lost lines, {rec.units_lost} counted lost")
    accounted = (balance["units_cancelled"] + balance["units_not_routed"] + waiting
                 + sum(places.values()) + rec.units_shipped + rec.units_lost)
    _check(problems, accounted == balance["units_created"],
           f"units: created {balance['units_created']} != cancelled, not routed, waiting for "
           f"stock, in the nodes {places}, shipped {rec.units_shipped} and lost "
           f"{rec.units_lost} ({accounted})")
    carried = balance["units_delivered"] + balance["units_in_transit"]
    _check(problems, carried == rec.units_shipped,
           f"units: carriers took {rec.units_shipped}, the record has {carried} delivered or "
           "in transit")

    # Shipment states against the containers that hold them.
    for c in census:
        node = rec.names.node_ids[c.node]
        st = ships.loc[ships["node"] == node, "state"].value_counts()
        open_count = int(sum(v for k, v in st.items()
                             if k not in ("in_transit", "delivered", "lost")))
        _check(problems, open_count == c.open_shipments,
               f"{node}: {open_count} open shipments recorded, {c.open_shipments} counted")
        _check(problems, int(st.get("ready", 0)) == c.shipments_ready,
               f"{node}: ready shipments {int(st.get('ready', 0))} != queue {c.shipments_ready}")
        staged = int(st.get("staged", 0)) + int(st.get("at_supplier", 0))
        _check(problems, staged == c.shipments_staged,
               f"{node}: staged shipments {staged} != staging lane {c.shipments_staged}")
        _check(problems, int(st.get("backordered", 0)) == c.shipments_waiting,
               f"{node}: backordered shipments {int(st.get('backordered', 0))} != "
               f"{c.shipments_waiting} waiting for stock")

    # Stock: never negative; initial + put away + restocked - allocated = on hand.
    for c in census:
        node = rec.names.node_ids[c.node]
        _check(problems, not c.stock_negative, f"{node}: negative on hand or backorders")
        if not rec.names.stocking[c.node]:
            continue
        mine = (ships["node"] == node).to_numpy()

        def at(column: str, mine: np.ndarray = mine) -> pd.Series:
            return ships[column][mine]  # one column of this node's shipments (memory)

        allocated = int(at("units").sum()) - c.units_short
        restocked = int(at("restocked_units").sum())
        written_off, rejected = _accuracy_sinks(problems, tables, node)
        # A node others replenish from also loses the units it takes off its shelf for them,
        # and owes them what it could not yet fill (sim.replenishment); a forward node, what
        # it sent others (sim.lateral); counts and pick exceptions write off units the shelf
        # lost (sim.cycle_counts). Units that found no storage location (sim.storage) are off
        # the shelf: waiting at the dock or in overflow.
        expected = (c.initial_units + c.putaway_units + restocked - allocated
                    - c.transfers_allocated - c.lateral_out - written_off)
        _check(problems, expected == c.on_hand_units + c.units_off_shelf,
               f"{node}: stock balance {expected} != on hand {c.on_hand_units} + off the "
               f"shelf {c.units_off_shelf}")
        _check(problems, c.units_off_shelf == c.units_off_shelf_counted,
               f"{node}: units off the shelf {c.units_off_shelf} counted, "
               f"{c.units_off_shelf_counted} on the storage queue and on their way back")
        _check(problems, c.units_short + c.transfers_waiting == c.backordered_units,
               f"{node}: backordered units {c.units_short} + transfers waiting "
               f"{c.transfers_waiting} != {c.backordered_units}")
        # Inbound: ordered = put away + in receiving (at the receivers, or at any inbound
        # stage's station) + with the supplier or on the road, the last two counted on the
        # lines where they are, and checked against the counters.
        inbound = c.putaway_units + c.units_in_receiving + c.units_with_supplier + rejected
        _check(problems, c.ordered_units == inbound,
               f"{node}: inbound ordered {c.ordered_units} != put away {c.putaway_units} + "
               f"in receiving {c.units_in_receiving} + with the supplier "
               f"{c.units_with_supplier} + rejected by QC {rejected}")
        _check(problems, (c.in_receiving, c.in_supplier_transit)
               == (c.units_in_receiving, c.units_with_supplier),
               f"{node}: inbound counters (receiving {c.in_receiving}, supplier "
               f"{c.in_supplier_transit}) != the lines there ({c.units_in_receiving}, "
               f"{c.units_with_supplier})")
        # Returns: the record's returned units = inspected + in inspection + on the way back,
        # the last two counted on the parcels where they are.
        returned = int(at("returned_units").sum())
        received = at("return_received_h").notna()
        _check(problems, int(at("returned_units")[received].sum())
               == c.returns_inspected + c.returns_in_receiving,
               f"{node}: returns received != inspected + in inspection")
        _check(problems, c.returns_in_inspection == c.returns_in_receiving,
               f"{node}: returns in inspection {c.returns_in_inspection} counted, "
               f"{c.returns_in_receiving} at the receivers")
        _check(problems,
               returned == c.returns_inspected + c.returns_in_receiving + c.returns_on_the_way,
               f"{node}: returned units {returned} != inspected {c.returns_inspected} + in "
               f"inspection {c.returns_in_receiving} + on the way {c.returns_on_the_way}")
        _check(problems, restocked <= c.returns_inspected,
               f"{node}: restocked {restocked} > inspected {c.returns_inspected}")
        if "returns" in tables:
            # Every unit inspected was restocked, refurbished or disposed of, once.
            r = tables["returns"]
            r = r[(r["node"] == node).to_numpy()]
            fates = r[["restocked", "refurbished", "disposed"]].sum()
            _check(problems, int(fates.sum()) == c.returns_inspected
                   and int(fates["restocked"]) == restocked
                   and int(r["units"].sum()) == returned,
                   f"{node}: returns table: restocked {int(fates['restocked'])} + refurbished "
                   f"{int(fates['refurbished'])} + disposed {int(fates['disposed'])} != "
                   f"inspected {c.returns_inspected} (restocked {restocked}), or its units "
                   f"{int(r['units'].sum())} != returned {returned}")
    if rec.storage is not None:
        balance["units_off_shelf"] = sum(c.units_off_shelf for c in census)
    if "source" in tables["inbound"].columns:
        _check_echelons(problems, rec, tables, balance)
    if problems:
        raise ConservationError("conservation violated:\n  " + "\n  ".join(problems))
    return balance


def _accuracy_sinks(problems: list[str], tables: dict[str, pd.DataFrame], node: str
                    ) -> tuple[int, int]:
    """(units written off, units rejected by QC) at `node` (sim.accuracy; 0 without it),
    after checking the shelf's own balance: units off the shelf by drift = written off +
    found again by counts + still missing at the end, and no shelf below zero."""
    if "qc_rejects" not in tables:
        return 0, 0
    counts, locs = tables["counts"], tables["locations"]
    mine = counts[counts["node"] == node]
    here = locs[locs["node"] == node]
    written_off, found = int(mine["written_off"].sum()), int(mine["found"].sum())
    drift = int((tables["drift"]["node"] == node).sum())
    missing = int(here["lost"].sum() + here["misplaced"].sum())
    _check(problems, drift == written_off + found + missing,
           f"{node}: {drift} units drifted off the shelf != written off {written_off} + found "
           f"{found} + missing at the end {missing}")
    _check(problems, bool((here["physical"] >= 0).all()), f"{node}: a shelf below zero")
    rejects = tables["qc_rejects"]
    rejected = int(rejects.loc[rejects["node"] == node, "units"].sum())
    inbound = tables["inbound"]
    if "rejected" in inbound.columns:
        on_lines = int(inbound.loc[(inbound["node"] == node) & inbound["rejected"],
                                   "units"].sum())
        _check(problems, on_lines == rejected,
               f"{node}: {rejected} units rejected by QC, {on_lines} on rejected lines")
    return written_off, rejected


def _check_echelons(problems: list[str], rec: Recorder, tables: dict[str, pd.DataFrame],
                    balance: dict[str, int]) -> None:
    """Transfers between nodes: each source's requests = waiting + allocated, allocated =
    picking (counted on its pickers' jobs) + shipped (counted on the destination's lines);
    each forward node's lateral transfers sent = the lines from it; and across the network,
    units from the start (shelves, and transfers already on their way at a steady-state
    start) and the suppliers = on the shelves + taken by customers + in
    transfer (picking, on the road or in receiving at the destination)."""
    inbound, ships, census = tables["inbound"], tables["shipments"], rec.census
    ids = rec.names.node_ids
    moved = (inbound["source"] != "supplier").to_numpy()
    lateral = inbound["lateral"].to_numpy(bool) if "lateral" in inbound \
        else np.zeros(len(inbound), bool)
    # transfers on their way at a steady-state start left before the run: part of the start
    pre_start = moved & (inbound["shipped_h"] < 0).to_numpy()
    transfer = moved & ~lateral & ~pre_start
    for c in census:
        node = ids[c.node]
        lent = int(inbound.loc[lateral & (inbound["source"] == node).to_numpy(), "units"].sum())
        _check(problems, c.lateral_out == lent,
               f"{node}: lateral transfers sent {c.lateral_out} counted, {lent} on the record")
        _check(problems, c.transfers_requested == c.transfers_waiting + c.transfers_allocated,
               f"{node}: transfers asked {c.transfers_requested} != waiting "
               f"{c.transfers_waiting} + allocated {c.transfers_allocated}")
        sent = int(inbound.loc[transfer & (inbound["source"] == node).to_numpy(),
                               "units"].sum())
        _check(problems, c.transfers_allocated == c.transfers_picking + sent,
               f"{node}: transfers allocated {c.transfers_allocated} != picking "
               f"{c.transfers_picking} + shipped on the record {sent}")
        _check(problems, c.transfers_shipped == sent,
               f"{node}: transfers shipped {c.transfers_shipped} counted, {sent} on the record")
    put = inbound["putaway_h"].notna().to_numpy()
    from_suppliers = int(inbound.loc[put & ~moved, "units"].sum())
    in_transfer = (sum(c.transfers_picking for c in census)
                   + int(inbound.loc[~put & moved, "units"].sum()))
    stocking = [c for c in census if rec.names.stocking[c.node]]
    mine = ships["node"].isin([ids[c.node] for c in stocking]).to_numpy()
    restocked = int(ships.loc[mine, "restocked_units"].sum())
    to_customers = int(ships.loc[mine, "units"].sum()) - sum(c.units_short for c in stocking)
    start = (sum(c.initial_units for c in stocking) + from_suppliers + restocked
             + int(inbound.loc[pre_start, "units"].sum()))
    shelves = sum(c.on_hand_units + c.units_off_shelf for c in stocking)
    # units the counts and pick exceptions wrote off (sim.cycle_counts) left the record
    written_off = int(tables["counts"]["written_off"].sum()) if "counts" in tables else 0
    balance["units_in_transfer"] = in_transfer
    balance["units_waiting_at_sources"] = sum(c.transfers_waiting for c in census)
    _check(problems, start == shelves + to_customers + in_transfer + written_off,
           f"network: initial + from suppliers + restocked {start} != on the shelves "
           f"{shelves} + taken by customers {to_customers} + in transfer {in_transfer} + "
           f"written off {written_off}")
