"""Return delays by category: a category with its own `return_delay_days` brings its returns
back at its own pace, the others keep `returns.delay_days`; calibration finds a category
whose returns come back at a pace of their own."""

from __future__ import annotations

from sim.api import with_changes
from sim.model import Network
from sim.tables import build_tables

from .test_record import SMALL

FAST, SLOW, TRANSIT = 2.0, 8.0, 3.0


def _two_paced(categories):
    return with_changes(SMALL, {
        "run.horizon_days": 24, "skus.categories": categories,
        "returns.delay_days": {"dist": "fixed", "mean": SLOW},
        "returns.transit_days": TRANSIT})


def test_each_category_returns_at_its_own_delay():
    sc = _two_paced([
        {"name": "apparel", "share": 1.0, "return_rate": 0.5,
         "return_delay_days": {"dist": "fixed", "mean": FAST}},
        {"name": "home", "share": 1.0, "return_rate": 0.5}])
    net = Network(sc, keep_lines=True)
    net.run()
    shipment, sku, _ = net.record.shipment_lines()
    category = net.catalogue.category[sku]
    ships = build_tables(net.record)["shipments"]
    back = ships[ships["return_received_h"].notna()]
    assert len(back) > 20
    apparel = net.catalogue.category_names.index("apparel")
    one_category = {}
    for s in back["shipment"]:
        cats = set(category[shipment == s].tolist())
        if len(cats) == 1:
            one_category[s] = cats.pop()
    delay_days = ((back.set_index("shipment")["return_received_h"]
                   - back.set_index("shipment")["delivered_h"]) / 24.0 - TRANSIT)
    seen = {c: delay_days[[s for s, k in one_category.items() if k == c]] for c in (0, 1)}
    assert len(seen[0]) and len(seen[1])
    for c, d in seen.items():
        # Drop-off after the category's delay, then the transit back; the received time adds
        # the wait for the dock's receivers (under a day and a half here).
        expected = FAST if c == apparel else SLOW
        assert ((d >= expected - 1e-9) & (d <= expected + 1.5)).all(), (c, d.describe())
