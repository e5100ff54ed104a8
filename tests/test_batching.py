"""Order batching: a partition of the orders, capacities respected, lengths consistent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize.errors import InvalidInput
from optimize.pick_routing import Layout, batch_orders, route_length_m
from optimize.result import Status

LAYOUT = Layout(10, 20.0, 3.0)


def _orders(seed: int, n: int, max_lines: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.column_stack([rng.integers(0, 10, k), rng.uniform(0, 20, k).round(1)])
            for k in rng.integers(1, max_lines + 1, n)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 14), cap_orders=st.integers(1, 5),
       cap_items=st.one_of(st.none(), st.integers(4, 12)),
       method=st.sampled_from(["fcfs", "seed", "savings"]))
def test_partition_and_capacity(seed, n, cap_orders, cap_items, method):
    orders = _orders(seed, n)
    res = batch_orders(LAYOUT, orders, capacity_orders=cap_orders, capacity_items=cap_items,
                       method=method, routing="s_shape")
    assert res.status is Status.FEASIBLE
    assert sorted(i for b in res.batches for i in b) == list(range(n))
    for batch, length in zip(res.batches, res.batch_lengths_m, strict=True):
        assert 1 <= len(batch) <= cap_orders
        assert cap_items is None or sum(len(orders[i]) for i in batch) <= cap_items
        locs = np.concatenate([orders[i] for i in batch])
        assert length == pytest.approx(route_length_m(LAYOUT, locs, "s_shape"))
    assert res.total_length_m == pytest.approx(sum(res.batch_lengths_m))
    assert res.length_per_order_m == pytest.approx(res.total_length_m / n)


@pytest.mark.parametrize("routing", ["s_shape", "optimal"])
@pytest.mark.parametrize("cap", [4, 8])
def test_savings_never_worse_than_fcfs_on_a_fixed_set(routing, cap):
    orders = _orders(7, 40)
    fcfs = batch_orders(LAYOUT, orders, capacity_orders=cap, method="fcfs", routing=routing)
    savings = batch_orders(LAYOUT, orders, capacity_orders=cap, method="savings", routing=routing)
    seed = batch_orders(LAYOUT, orders, capacity_orders=cap, method="seed", routing=routing)
    none = batch_orders(LAYOUT, orders, method="none", routing=routing)
    assert savings.total_length_m <= fcfs.total_length_m
    assert seed.total_length_m <= none.total_length_m
    assert fcfs.total_length_m <= none.total_length_m


def test_fcfs_fills_carts_in_arrival_order():
    orders = _orders(1, 7, max_lines=1)
    res = batch_orders(LAYOUT, orders, capacity_orders=3, method="fcfs")
    assert res.batches == [[0, 1, 2], [3, 4, 5], [6]]


def test_an_order_larger_than_the_cart_is_infeasible():
    orders = _orders(2, 3, max_lines=4)
    big = max(range(3), key=lambda i: len(orders[i]))
    res = batch_orders(LAYOUT, orders, capacity_items=len(orders[big]) - 1, method="savings")
    assert res.status is Status.INFEASIBLE and str(big) in res.message


def test_bad_input_names_fields():
    with pytest.raises(InvalidInput) as err:
        batch_orders(LAYOUT, [[[0, 1.0]], [[11, 1.0]]], capacity_orders=0, method="best",
                     routing="zigzag")
    assert {p.path for p in err.value.problems} == {
        "method", "routing", "capacity_orders", "pick_lists[1][0][0]"}
