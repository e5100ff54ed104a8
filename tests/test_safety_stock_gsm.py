"""Guaranteed-service model: CP-SAT and the tree DP agree, and match brute force; validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize.errors import InvalidInput
from optimize.safety_stock import (
    evaluate_service_times,
    parse_network,
    random_acyclic_network,
    solve_gsm,
    solve_gsm_cpsat,
    solve_gsm_dp,
)


@st.composite
def tree_networks(draw, max_nodes=12):
    n = draw(st.integers(1, max_nodes))
    nodes = []
    for k in range(n):
        node = {"id": f"k{k}", "processing_time": draw(st.integers(0, 4)),
                "holding_cost": draw(st.floats(0.0, 5.0)), "z": draw(st.floats(0.0, 3.0)),
                "demand_sd": draw(st.floats(0.0, 10.0)),
                "external_inbound_cst": draw(st.integers(0, 2))}
        if draw(st.booleans()):
            node["max_outbound_cst"] = draw(st.integers(0, 3))
        nodes.append(node)
    edges = []
    for k in range(1, n):
        j = draw(st.integers(0, k - 1))
        edges.append([f"k{j}", f"k{k}"] if draw(st.booleans()) else [f"k{k}", f"k{j}"])
    return parse_network({"nodes": nodes, "edges": edges})


def _brute_force(net) -> float:
    ranges = [range(int(u) + 1) for u in net.outbound_upper]
    best = np.inf
    for S in itertools.product(*ranges):
        ev = evaluate_service_times(net, S)
        if ev.feasible:
            best = min(best, ev.cost)
    return best


@settings(max_examples=300, deadline=None)
@given(tree_networks())
def test_cpsat_and_tree_dp_agree_on_random_trees(net):
    dp = solve_gsm_dp(net)
    cp = solve_gsm_cpsat(net, num_workers=1)
    assert cp.optimal
    assert dp.objective == pytest.approx(cp.objective, rel=1e-7, abs=1e-7)
    for res in (dp, cp):
        ev = evaluate_service_times(net, list(res.outbound_cst.values()))
        assert ev.feasible
        assert min(res.safety_stock.values()) >= 0


@settings(max_examples=40, deadline=None)
@given(tree_networks(max_nodes=5))
def test_tree_dp_matches_brute_force(net):
    assert solve_gsm_dp(net).objective == pytest.approx(_brute_force(net), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_cpsat_matches_brute_force_on_small_acyclic_networks(seed):
    net = random_acyclic_network(6, seed, max_time=2, extra_edge_share=0.5)
    res = solve_gsm_cpsat(net, num_workers=1)
    assert res.objective == pytest.approx(_brute_force(net), rel=1e-9, abs=1e-9)


def test_dp_refuses_a_network_that_is_not_a_tree_and_auto_uses_cpsat():
    net = parse_network({"nodes": [{"id": x, "processing_time": 1, "holding_cost": 1, "z": 1,
                                    "demand_sd": 1} for x in "abcd"],
                         "edges": [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]})
    with pytest.raises(InvalidInput, match="tree"):
        solve_gsm_dp(net)
    assert solve_gsm(net).message.startswith("CP-SAT")


def test_net_sigma_counts_each_downstream_node_once():
    # a feeds b and c, both feed d: a's sigma is sqrt(1 + 4 + 9 + 16), not double-counting d.
    net = parse_network({"nodes": [{"id": x, "processing_time": 1, "holding_cost": 1, "z": 1,
                                    "demand_sd": s} for x, s in zip("abcd", (1, 2, 3, 4),
                                                                    strict=True)],
                         "edges": [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]})
    assert net.net_demand_sd[0] == pytest.approx(np.sqrt(30))


def _problems(data) -> dict[str, object]:
    with pytest.raises(InvalidInput) as err:
        parse_network(data)
    return {p.path: p.value for p in err.value.problems}


def _node(i, **kw):
    return {"id": i, "processing_time": 1, "holding_cost": 1.0, "z": 1.0, **kw}


def test_validation_names_cycle_unknown_node_negative_time_and_cost():
    assert "edges" in _problems({"nodes": [_node("a"), _node("b"), _node("c")],
                                 "edges": [["a", "b"], ["b", "c"], ["c", "a"]]})
    assert _problems({"nodes": [_node("a"), _node("b"), _node("c")],
                      "edges": [["a", "b"], ["b", "c"], ["c", "a"]]})["edges"] == "a -> b -> c -> a"
    assert _problems({"nodes": [_node("a")], "edges": [["a", "zz"]]}) == {"edges[0][1]": "zz"}
    got = _problems({"nodes": [_node("a", processing_time=-2), _node("b", holding_cost=-1.5),
                               _node("c", external_inbound_cst=-1), _node("d", demand_sd=-3)],
                     "edges": []})
    assert got == {"nodes[0].processing_time": -2, "nodes[1].holding_cost": -1.5,
                   "nodes[2].external_inbound_cst": -1, "nodes[3].demand_sd": -3}
    missing = _problems({"nodes": [{"id": "a", "processing_time": 1}], "edges": []})
    assert {"nodes[0].holding_cost", "nodes[0].z"} <= set(missing)
