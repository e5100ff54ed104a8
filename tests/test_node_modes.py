"""A node's `mode` is a discriminated union of the per-mode settings: the full form, the
bare-kind shorthand and the old sibling keys (with a DeprecationWarning) load to the same
model; a setting of another mode is rejected by name; every member survives dump -> load."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.api import with_changes
from sim.fulfilment_modes import MODE_RULES, rule_for
from sim.scenario import (
    MODE_KINDS,
    MODE_SETTINGS,
    DropshipMode,
    InHouseMode,
    MarketplaceMode,
    Node,
    ThreePlMode,
    load_scenario,
)

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
WHERE = {"id": "n", "location": {"lat": 35.0, "lon": -90.0}}
GAMMA = {"dist": "gamma", "mean": 2.0, "cv": 0.5}


def _node(**fields: object) -> Node:
    return Node.model_validate({**WHERE, **fields})


def _quiet(**fields: object) -> Node:
    """The node, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return _node(**fields)


@pytest.mark.parametrize(("full", "short", "old"), [
    ({"kind": "in_house"}, "in_house", None),
    ({"kind": "3pl", "capacity_orders_per_day": 5000}, None,
     {"mode": "3pl", "sla": {"capacity_orders_per_day": 5000}}),
    ({"kind": "dropship", "processing_days": GAMMA}, None,
     {"mode": "dropship", "dropship": {"processing_days": GAMMA}}),
    ({"kind": "marketplace", "promise_days": 1}, None,
     {"mode": "marketplace", "marketplace": {"promise_days": 1}}),
])
def test_every_form_loads_to_the_same_mode(full, short, old):
    new = _quiet(mode=full)
    assert new.mode.kind == full["kind"] and type(new.mode) is MODE_SETTINGS[full["kind"]]
    if short is not None:
        assert _quiet(mode=short) == new
    if old is not None:
        with pytest.warns(DeprecationWarning) as caught:
            assert _node(**old) == new
        (message,) = [str(w.message) for w in caught]
        old_key = next(k for k in old if k != "mode")
        # the warning names the node, the old key and the new form to write
        assert "'n'" in message and f"{old_key} is deprecated" in message
        assert f"mode: {{kind: {full['kind']}" in message


def test_a_bare_kind_is_that_mode_at_its_defaults():
    assert _quiet(mode="3pl").mode == ThreePlMode()
    assert _quiet(mode="dropship").mode == DropshipMode()
    assert _quiet(mode="marketplace").mode == MarketplaceMode()
    assert _quiet().mode == InHouseMode()  # no mode: in-house
    assert _quiet(mode="3pl").mode.capacity_orders_per_day == 100_000


def test_the_old_keys_add_to_a_full_form_but_not_twice():
    with pytest.warns(DeprecationWarning):
        node = _node(mode={"kind": "marketplace", "promise_days": 3},
                     marketplace={"storage_per_m3_month": 10.0})
    assert (node.mode.promise_days, node.mode.storage_per_m3_month) == (3, 10.0)
    with pytest.raises(ValidationError, match=r"give mode\.promise_days or marketplace"):
        _node(mode={"kind": "marketplace", "promise_days": 3},
              marketplace={"promise_days": 4})
    # the unused keys earlier releases dumped as null load silently
    assert _quiet(mode="in_house", sla=None, dropship=None, marketplace=None).mode \
        == InHouseMode()


def _problem(**fields: object) -> tuple[str, str, object]:
    with pytest.raises(ValidationError) as info:
        _node(**fields)
    (e,) = info.value.errors()
    return ".".join(str(p) for p in e["loc"]), e["msg"], e["input"]


@pytest.mark.parametrize(("fields", "path", "needle", "value"), [
    ({"mode": "in_house", "sla": {"capacity_orders_per_day": 10}}, "sla",
     "sla is for mode 3pl, but mode is 'in_house'", {"capacity_orders_per_day": 10}),
    ({"sla": {"capacity_orders_per_day": 10}}, "sla", "but mode is 'in_house'", None),
    ({"mode": "3pl", "dropship": {}}, "dropship", "dropship is for mode dropship, but mode "
     "is '3pl'", {}),
    ({"mode": {"kind": "3pl"}, "marketplace": {}}, "marketplace", "is for mode marketplace",
     {}),
    ({"mode": "outsourced"}, "mode", "'in_house', '3pl', 'dropship' or 'marketplace'",
     "outsourced"),
    ({"mode": {"kind": "3pll"}}, "mode.kind", "'3pl'", "3pll"),
    ({"mode": {"capacity_orders_per_day": 5}}, "mode.kind", "Field required", None),
    ({"mode": {"kind": "in_house", "capacity_orders_per_day": 5}},
     "mode.capacity_orders_per_day", "Extra inputs", 5),
    ({"mode": {"kind": "3pl", "capacity_orders_per_day": 0}},
     "mode.capacity_orders_per_day", "greater than 0", 0),
])
def test_bad_modes_are_named_by_field_and_value(fields, path, needle, value):
    where, msg, got = _problem(**fields)
    assert where == path and needle in msg
    if value is not None:
        assert got == value


def test_a_string_change_of_mode_still_works():
    base = load_scenario(SCENARIOS / "us_one_node_3pl.yaml")
    assert base.nodes[0].mode == ThreePlMode(capacity_orders_per_day=4000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc = with_changes(base, {"nodes[0].mode": "in_house"})
        assert sc.nodes[0].mode == InHouseMode()
        assert with_changes(sc, {"nodes[0].mode": "3pl"}).nodes[0].mode == ThreePlMode()
    node = base.nodes[0].model_copy(deep=True)
    node.mode = "dropship"  # assignment is validated through the same shorthand
    assert node.mode == DropshipMode()


def test_each_rule_reads_its_node_settings():
    assert set(MODE_RULES) == set(MODE_SETTINGS) == set(MODE_KINDS)
    tpl = rule_for(_quiet(mode={"kind": "3pl", "capacity_orders_per_day": 77}))
    assert (tpl.name, tpl.orders_per_day_cap, tpl.promise_days) == ("3pl", 77, None)
    mkt = rule_for(_quiet(mode={"kind": "marketplace", "promise_days": 4}))
    assert (mkt.orders_per_day_cap, mkt.promise_days, mkt.stocks) == (None, 4, True)
    ds = rule_for(_quiet(mode="dropship"))
    assert not ds.stocks and ds.settings.processing_days == DropshipMode().processing_days


_dist = st.builds(dict, dist=st.just("gamma"),
                  mean=st.floats(0.1, 10.0, allow_nan=False),
                  cv=st.floats(0.0, 2.0, allow_nan=False))
_modes = st.one_of(
    st.just({"kind": "in_house"}),
    st.builds(dict, kind=st.just("3pl"), capacity_orders_per_day=st.integers(1, 10**6)),
    st.builds(dict, kind=st.just("dropship"), processing_days=_dist),
    st.builds(dict, kind=st.just("marketplace"), promise_days=st.integers(1, 9),
              storage_per_m3_month=st.floats(0.0, 100.0, allow_nan=False),
              fee_tiers_kg=st.lists(st.floats(0.01, 50.0, allow_nan=False), min_size=1,
                                    max_size=4)).map(
        lambda m: {**m, "fee_per_unit": [1.0] * (len(m["fee_tiers_kg"]) + 1)}),
)


@settings(max_examples=60, deadline=None)
@given(_modes, st.sampled_from(["python", "json"]))
def test_the_union_round_trips_through_dump_and_load(mode, how):
    node = _quiet(mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = Node.model_validate(node.model_dump(mode=how))
    assert again == node and type(again.mode) is type(node.mode)
    assert again.mode.kind == mode["kind"]
