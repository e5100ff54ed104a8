"""Pick and pack errors, the scan check that catches them, the customer who finds the rest,
and QC rejects at receiving: the accuracy section of a node (sim.scenario.Accuracy).

A pick draws an error on each line with `pick_error_per_line` (the wrong SKU with
`wrong_item_share`, else the wrong quantity); packing draws one with
`pack_error_per_shipment` (a wrong label with `wrong_label_share`, else a missing item).
The scan check catches each error with `catch_share`; a shipment with any caught error is
picked again (the whole shipment, at pick time again) and packed and checked again. An
error that leaves with the parcel is found by the customer: the lines concerned come back
through the returns flow (a wrong label: the whole parcel) and a reshipment is charged at
the shipment's carrier cost plus the handling cost, booked in the cost ledger as
`reshipment` on the day the customer finds the error (delivery; sim.transit_damage). The
reshipment's units are not drawn from stock (the model charges its carrier cost and handling;
the stock the wrong pick took stays on the record, and the lines that come back go through
the returns flow, so the goods are counted once). Damage in transit (sim.transit_damage) is
drawn here too, at the hand-over, when the section has `transit_damage`.

With per-line error p, n lines and no check, a shipment leaves with an error with
probability 1 - (1 - p)^n; with a check catching c of the errors and re-picks redrawing
them, 1 - ((1 - p) / (1 - p c))^n (a pick leaves clean with (1-p)^n, leaves with an
error with (1-pc)^n - (1-p)^n, and is caught otherwise).

Every draw comes from a stream of its own (`accuracy.*.<node>`), so the section leaves the
other streams, and a run without it, as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.scenario import Accuracy, TransitDamage
from sim.transit_damage import DAMAGE_COLUMNS, NodeDamage

if TYPE_CHECKING:
    from sim.node import NodeSim
    from sim.record import PurchaseOrderLine, Recorder, Shipment

__all__ = ["ACCURACY_TABLES", "ERROR_KINDS", "AccuracyLog", "NodeErrors", "accuracy_tables",
           "expected_error_share", "location_frame", "log_of", "reject_line"]

ACCURACY_TABLES = ("accuracy", "drift", "counts", "locations", "qc_rejects")
ERROR_KINDS = ("wrong_item", "wrong_qty", "wrong_label", "missing_item")
_SHIPPED_COLUMNS = ("shipment", "order", "node", "lines", "units", "shipped_h", "attempts",
                    "first_pick_error_lines", "caught", *ERROR_KINDS, "returned_units",
                    "reship_cost", "found_h", *DAMAGE_COLUMNS)
_DRIFT_COLUMNS = ("t_h", "node", "sku", "kind")
_COUNT_COLUMNS = ("t_h", "node", "sku", "reason", "abc", "record", "physical", "written_off",
                  "found", "count_h")
_LOCATION_COLUMNS = ("node", "sku", "abc", "record", "physical", "lost", "misplaced",
                     "error_h", "window_h", "counts")
_REJECT_COLUMNS = ("t_h", "node", "po", "sku", "units", "replacement_po")


def expected_error_share(p: float, lines: np.ndarray, catch: float = 0.0) -> float:
    """Expected share of shipments leaving with a pick error, per-line error `p`, a check
    catching `catch` of errors (re-picks redraw), over shipments of `lines` lines each."""
    lines = np.asarray(lines, float)
    if catch == 0.0:
        return float(np.mean(1.0 - (1.0 - p) ** lines))
    return float(np.mean(1.0 - ((1.0 - p) / (1.0 - p * catch)) ** lines))


@dataclass
class AccuracyLog:
    """The accuracy rows of a run: shipments handed over at a node with the section, drift
    events, counts, locations at the end, and QC rejects."""

    shipped: list[tuple] = field(default_factory=list)
    drift: list[tuple] = field(default_factory=list)
    counts: list[tuple] = field(default_factory=list)
    locations: list[pd.DataFrame] = field(default_factory=list)
    rejects: list[tuple] = field(default_factory=list)
    rejected_lines: set[int] = field(default_factory=set)  # id() of rejected PO lines


def log_of(rec: Recorder) -> AccuracyLog:
    """The run's accuracy log (made on first use)."""
    if rec.accuracy is None:
        rec.accuracy = AccuracyLog()
    return rec.accuracy


class _State:
    """One shipment's errors now (lines in error, pack error kind) and its history."""

    __slots__ = ("attempts", "caught", "first", "pack", "wrong_item", "wrong_qty")

    def __init__(self) -> None:
        self.attempts = 0
        self.caught = 0
        self.first = -1  # error lines at the first pick
        self.wrong_item: np.ndarray = np.zeros(0, np.int64)  # line numbers
        self.wrong_qty: np.ndarray = np.zeros(0, np.int64)
        self.pack = ""  # "", "wrong_label" or "missing_item"

    def errors(self) -> int:
        return len(self.wrong_item) + len(self.wrong_qty) + bool(self.pack)


class NodeErrors:
    """A node's pick and pack errors, its scan check's catches and QC rejects."""

    def __init__(self, node: NodeSim, spec: Accuracy) -> None:
        self.node, self.spec = node, spec
        streams, nid = node.net.streams, node.id
        self.pick_rng = streams[f"accuracy.pick.{nid}"]
        self.pack_rng = streams[f"accuracy.pack.{nid}"]
        self.scan_rng = streams[f"accuracy.scan.{nid}"]
        self.qc_rng = streams[f"accuracy.qc.{nid}"]
        self.state: dict[int, _State] = {}
        self.damage = NodeDamage(node, spec.transit_damage or TransitDamage(),
                                 spec.reship_handling_cost)

    def _of(self, sh: Shipment) -> _State:
        st = self.state.get(sh.index)
        if st is None:
            st = self.state[sh.index] = _State()
        return st

    def picked(self, sh: Shipment) -> None:
        """Draw the pick's errors per line (a re-pick draws them afresh)."""
        st = self._of(sh)
        st.attempts += 1
        p = self.spec.pick_error_per_line
        wrong = np.zeros(0, np.int64)
        if p > 0:
            wrong = np.flatnonzero(self.pick_rng.random(len(sh.sku)) < p)
        if len(wrong):
            item = self.pick_rng.random(len(wrong)) < self.spec.wrong_item_share
            st.wrong_item, st.wrong_qty = wrong[item], wrong[~item]
        else:
            st.wrong_item = st.wrong_qty = wrong
        st.pack = ""
        if st.first < 0:
            st.first = len(wrong)

    def packed(self, sh: Shipment) -> None:
        """Draw the packing's error."""
        p = self.spec.pack_error_per_shipment
        if p > 0 and self.pack_rng.random() < p:
            st = self._of(sh)
            st.pack = ("wrong_label" if self.pack_rng.random() < self.spec.wrong_label_share
                       else "missing_item")

    def caught(self, sh: Shipment) -> bool:
        """The scan check: whether it catches any of the shipment's errors now."""
        st = self.state.get(sh.index)
        n = 0 if st is None else st.errors()
        if n and (self.scan_rng.random(n) < self.spec.scan_check.catch_share).any():
            st.caught += 1
            return True
        return False

    def scan_time(self, sampler: Callable[[], float], s_per_line_h: float
                  ) -> Callable[[Shipment], float]:
        """The scan check's time per shipment in hours."""
        def time_h(sh: Shipment) -> float:
            return sampler() + s_per_line_h * len(sh.sku)
        return time_h

    def handed_over(self, going: list[Shipment], returned: np.ndarray, bounds: np.ndarray,
                    cost: np.ndarray, row: np.ndarray, delivered_h: np.ndarray) -> None:
        """Shipments leave (carrier `cost` currency, service `row`, delivery at `delivered_h`
        hours): the customer finds the errors still in them and any damage in transit. Adds
        the units errors send back to `returned` (per line, at most the line's units) and
        logs each shipment."""
        log = log_of(self.node.net.record)
        handling = self.spec.reship_handling_cost
        damage = self.damage.rows(going, cost, row)
        for i, sh in enumerate(going):
            st = self.state.pop(sh.index, None) or _State()
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            lines = returned[lo:hi]
            before = int(lines.sum())
            if st.pack == "wrong_label":  # misdelivered: the whole parcel comes back
                lines[:] = sh.qty
            else:
                for j in (*st.wrong_item.tolist(), *st.wrong_qty.tolist()):
                    lines[j] = sh.qty[j]
            errors = st.errors()
            reship = (float(cost[i]) + handling) if errors else 0.0
            log.shipped.append((
                sh.index, sh.order, self.node.index, hi - lo, sh.units, self.node.env.now,
                max(st.attempts, 1), max(st.first, 0), st.caught, len(st.wrong_item),
                len(st.wrong_qty), st.pack == "wrong_label", st.pack == "missing_item",
                int(lines.sum()) - before, reship, float(delivered_h[i]), *damage[i]))

    # ------------------------------------------------------------ QC at receiving
    def rejects(self, checked: bool) -> bool:
        """Whether QC rejects a line it checks (the one-job receiving)."""
        share = self.spec.qc_reject_share
        return checked and share > 0 and self.qc_rng.random() < share


def reject_line(node: NodeSim, line: PurchaseOrderLine, lead_h: float) -> None:
    """QC sends a purchase-order line back: it leaves receiving and the order, and a
    replacement purchase order for its units reaches the dock `lead_h` hours from now."""
    log = log_of(node.net.record)
    node.in_receiving -= line.units
    node.on_order[line.sku] -= line.units
    log.rejected_lines.add(id(line))
    replacement = len(node.net.record.po_lines)
    node.place_order(np.array([line.sku]), np.array([line.units]), node.env.now, lead_h)
    log.rejects.append((node.env.now, node.index, line.po, line.sku, line.units, replacement))


def accuracy_tables(rec: Recorder) -> dict[str, pd.DataFrame]:
    """The accuracy tables (none without an accuracy section): `accuracy` a row per shipment
    handed over at such a node (errors, reshipment, delivery `found_h`, damage in transit),
    `drift` a row per unit off the shelf, `counts` a row per location counted (cycle,
    discrepancy) or corrected at a pick (exception), `locations` a row per location at the
    end, `qc_rejects` a row per purchase-order line sent back."""
    log = rec.accuracy
    if log is None:
        return {}
    node_ids = np.asarray(rec.names.node_ids, object)
    sku_ids = np.asarray(rec.names.sku_ids, object)

    def frame(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=list(columns))
        if "node" in df:
            df["node"] = node_ids[df["node"].to_numpy(np.int64)]
        if "sku" in df:
            df["sku"] = sku_ids[df["sku"].to_numpy(np.int64)]
        return df

    locations = (pd.concat(log.locations, ignore_index=True) if log.locations
                 else pd.DataFrame(columns=list(_LOCATION_COLUMNS)))
    if len(locations):
        locations["node"] = node_ids[locations["node"].to_numpy(np.int64)]
        locations["sku"] = sku_ids[locations["sku"].to_numpy(np.int64)]
    shipped = frame(log.shipped, _SHIPPED_COLUMNS)
    shipped["error"] = shipped[list(ERROR_KINDS)].to_numpy().sum(axis=1) > 0
    shipped["damaged"] = shipped["damaged_parcels"] > 0
    return {"accuracy": shipped, "drift": frame(log.drift, _DRIFT_COLUMNS),
            "counts": frame(log.counts, _COUNT_COLUMNS), "locations": locations,
            "qc_rejects": frame(log.rejects, _REJECT_COLUMNS)}


def location_frame(node: int, sku: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A node's locations at the end (sim.cycle_counts), as rows of the `locations` table."""
    return pd.DataFrame({"node": node, "sku": sku, **columns})[list(_LOCATION_COLUMNS)]
