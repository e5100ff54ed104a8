"""Issue 18: a large set of bad inputs, each a clear error naming the argument or field and the
value (exit 2, no traceback), and the CLI polish that came with it (JSON-only stdout,
choices in --help, --version, fast start-up, sweeps that survive a dead worker)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from optimize.errors import FieldProblem, InvalidInput
from sim.cli import app
from sim.cli.csv_input import finite_numbers, read_csv
from sim.cli.errors import bad_input_exits, did_you_mean, plain, solver_output_to_stderr
from sim.store import ResultStore
from sim.sweep import _local

from .conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "bad_inputs"
EXAMPLES = ROOT / "examples"
SCENARIO = SCENARIOS / "us_one_node_in_house.yaml"
PYTHON = sys.executable
def _invoke(args: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr (box drawing and line wrapping of rich taken out)."""
    res = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", res.stderr).split())
    return res.exit_code, res.stdout, flat


def _bad(args: list[str], *needles: str) -> str:
    code, _, err = _invoke(args)
    assert code == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    return err


# ---------------------------------------------------------------- a binary file, a directory

FILE_ARGS = {
    "validate": (["validate", "{}"], "'scenario'"),
    "run": (["run", "{}", "--out", "out"], "'scenario'"),
    "compare": (["compare", "{}", "--out", "out"], "'scenario'"),
    "sweep": (["sweep", "{}", "--out", "out"], "'sweep_file'"),
    "pick-route": (["pick-route", "{}"], "'request'"),
    "route-orders": (["route-orders", "{}"], "'instance'"),
    "coverage --points": (["coverage", "--points", "{}", "--k", "1"], "'--points'"),
    "coverage --candidates": (["coverage", "--candidates", "{}", "--k", "1"], "'--candidates'"),
    "safety-stock": (["safety-stock", "{}"], "'source'"),
}


@pytest.mark.parametrize("kind", ["binary", "directory"])
@pytest.mark.parametrize("args_arg", FILE_ARGS.values(), ids=FILE_ARGS.keys())
def test_binary_file_or_directory_names_argument_and_path(args_arg, kind, tmp_path,
                                                           monkeypatch):
    args, argument = args_arg
    monkeypatch.chdir(tmp_path)
    if kind == "binary":
        Path("b.bin").write_bytes((DATA / "binary.bin").read_bytes())
        name, what = "b.bin", "binary file"
    else:
        Path("d").mkdir()
        name, what = "d", "directory"
    _bad([a.format(name) for a in args], f"Invalid value for {argument}", f"'{name}'", what)
    assert not Path("out").exists()


def test_small_binary_file_with_nul_bytes_is_binary(tmp_path):
    _bad(["validate", str(DATA / "binary_small.bin")], "binary file")


def test_utf8_character_cut_by_the_sniffed_block_is_still_text(tmp_path):
    from sim.cli.errors import input_file

    text = tmp_path / "t.yaml"
    text.write_bytes(b"#" * 8191 + "é".encode())  # the 2-byte é straddles byte 8192
    assert input_file(text) == text
    text.write_bytes(b"#" * 100 + b"\xff")
    with pytest.raises(typer.BadParameter, match="binary file"):
        input_file(text)


def test_existing_file_takes_binary_formats_but_not_a_directory(tmp_path):
    from sim.cli.errors import existing_file

    parquet = tmp_path / "orders.parquet"
    parquet.write_bytes((DATA / "binary.bin").read_bytes())
    assert existing_file(parquet) == parquet
    assert existing_file(None) is None
    with pytest.raises(typer.BadParameter, match="is a directory"):
        existing_file(tmp_path)


def test_text_file_is_accepted_by_the_file_check():
    code, _, err = _invoke(["validate", str(SCENARIO)])
    assert code == 0, err


# ---------------------------------------------------------------- scenarios the schema took

SCENARIO_CASES = {
    "inf orders_per_day": ("scenario_inf_orders.yaml", "demand.orders_per_day", "finite",
                           "got inf"),
    "nan orders_per_day": ("scenario_nan_orders.yaml", "demand.orders_per_day", "finite",
                           "got nan"),
    "inf aisle_length_m": ("scenario_inf_aisle.yaml", "nodes[0].layout.aisle_length_m",
                           "finite", "got inf"),
    "empty skus.items": ("scenario_empty_items.yaml", "skus.items", "at least 1", "got []"),
    "duplicate SKU id": ("scenario_duplicate_sku.yaml", "items[2].id", "duplicate", "'A'"),
    "YAML key twice": ("scenario_duplicate_key.yaml", "'orders_per_day'", "given twice",
                       "lines 27 and 28"),
    "stock of 1e23": ("scenario_stock_1e23.yaml", "inventory.order_up_to.memphis.A",
                      "1e+23"),
    "mistyped key": ("scenario_typo_key.yaml", "demand.orders_per_dya",
                     "did you mean 'orders_per_day'?"),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenario_is_rejected_naming_field_and_value(case, tmp_path):
    name, *needles = SCENARIO_CASES[case]
    for args in (["validate", str(DATA / name)],
                 ["run", str(DATA / name), "--out", str(tmp_path / "out")]):
        _bad(args, *needles)
    assert not (tmp_path / "out").exists()


def test_duplicate_key_in_a_nested_mapping_and_a_sweep(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"scenario: {SCENARIO}\nreplications: 1\nreplications: 2\n")
    _bad(["sweep", str(sweep), "--out", str(tmp_path / "o")], "'replications'", "given twice",
         "lines 2 and 3")


def test_mistyped_choice_in_a_scenario_suggests_the_closest(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text(SCENARIO.read_text().replace("mode: in_house", "mode: in_hose", 1))
    assert "in_hose" in bad.read_text()
    _bad(["validate", str(bad)], "nodes[0].mode", "'in_hose'", "did you mean 'in_house'?")


def test_a_typo_far_from_every_field_gets_no_suggestion():
    assert did_you_mean("zzzzqqq", ["orders_per_day", "spikes"]) == ""
    assert did_you_mean("spkes", ["orders_per_day", "spikes"]) == "; did you mean 'spikes'?"


# ---------------------------------------------------------------- other files

@pytest.mark.parametrize("change", ["foo.bar", "nodes[7].mode"])
def test_sweep_change_on_an_unknown_path(change, tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"scenario: {SCENARIO}\nchanges:\n  {change}: 7\n")
    _bad(["sweep", str(sweep), "--out", str(tmp_path / "o")], f"changes.{change}",
         "no such field", "got 7")
    assert not (tmp_path / "o").exists()


def test_sweep_change_on_a_mistyped_field(tmp_path):
    _bad(["sweep", str(DATA / "sweep_unknown_path.yaml"), "--out", str(tmp_path / "o")],
         "run.horizon_dayz", "got 7", "did you mean 'horizon_days'?")


def test_pick_aisle_given_as_true():
    _bad(["pick-route", str(DATA / "pick_aisle_true.json")], "pick_lists[0][0][0]",
         "not true/false", "got True")


def test_route_orders_stock_of_1e23():
    _bad(["route-orders", str(DATA / "route_stock_1e23.json")], "nodes[0].stock.A", "1e+23")


@pytest.mark.parametrize("name", ["no_columns.csv", "blank_lines.csv", "binary.bin"])
def test_read_csv_without_columns_or_text_is_invalid_input(name):
    with pytest.raises(InvalidInput) as err:
        read_csv(DATA / name)
    assert err.value.problems[0].path == "(file)"
    assert err.value.problems[0].value == name


def test_coverage_points_csv_with_no_columns():
    _bad(["coverage", "--points", str(DATA / "no_columns.csv"), "--k", "1"], "no_columns.csv",
         "empty file")


def test_finite_numbers_turns_infinity_and_text_into_missing():
    import pandas as pd

    got = finite_numbers(pd.Series(["1.5", "inf", "-inf", "nan", "x", None, "2"]))
    assert got.iloc[0] == 1.5 and got.iloc[-1] == 2.0
    assert got.iloc[1:6].isna().all()


@pytest.mark.parametrize("name, needle", [("no_columns.csv", "no columns"),
                                          ("skus_inf_demand.csv", "rows[0].demand_mean")])
def test_safety_stock_csv_without_columns_or_with_inf_demand(name, needle):
    _bad(["safety-stock", str(DATA / name)], needle)


# ---------------------------------------------------------------- option ranges

RANGES = {
    "run --days 0": (["run", str(SCENARIO), "--days", "0"], "'--days'", "got 0"),
    "run --seed -1": (["run", str(SCENARIO), "--seed", "-1"], "'--seed'", "got -1"),
    "sweep --workers -1": (["sweep", str(ROOT / "scenarios/sweeps/two_node_pickers.yaml"),
                            "--out", "o", "--workers", "-1"], "'--workers'", "got -1"),
    "compare --replications 1": (["compare", str(SCENARIO), "--replications", "1"],
                                 "'--replications'", "got 1"),
    "compare --workers -1": (["compare", str(SCENARIO), "--workers", "-1"], "'--workers'",
                             "got -1"),
    "route-orders --time-limit -1": (["route-orders", str(EXAMPLES / "route_orders.json"),
                                      "--time-limit", "-1"], "'--time-limit'", "got -1"),
    "pick-route --time-limit -1": (["pick-route", str(EXAMPLES / "pick_request.json"),
                                    "--time-limit", "-1"], "'--time-limit'", "got -1"),
    "coverage --time-limit -1": (["coverage", "--time-limit", "-1"], "'--time-limit'",
                                 "got -1"),
    "safety-stock --holding-rate -1": (
        ["safety-stock", str(EXAMPLES / "skus.csv"), "--holding-rate", "-1"],
        "'--holding-rate'", "got -1"),
}


@pytest.mark.parametrize("case", RANGES.values(), ids=RANGES.keys())
def test_range_error_names_option_and_value(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args, option, value = case
    _bad(args, option, value)


# ---------------------------------------------------------------- plain values in messages

def test_numpy_values_are_shown_as_plain_python(capsys):
    assert plain(np.int64(-3)) == -3 and type(plain(np.int64(-3))) is int
    assert plain({"a": [np.float64(1.5), np.array([1, 2])]}) == {"a": [1.5, [1, 2]]}
    with pytest.raises(typer.Exit), bad_input_exits("x"):
        raise InvalidInput(FieldProblem("nodes[1].count", "must be >= 0", np.int64(-3)))
    err = capsys.readouterr().err
    assert "got -3" in err and "np." not in err and "int64" not in err


# ---------------------------------------------------------------- --json: stdout is the JSON

def test_helper_sends_c_level_writes_to_stderr():
    code = textwrap.dedent("""
        import ctypes, json, os, sys
        from sim.cli.errors import solver_output_to_stderr
        with solver_output_to_stderr(True):
            os.write(1, b"HighsMipSolverData::transformNewIntegerFeasibleSolution\\n")
            ctypes.CDLL(None).printf(b"buffered C printf\\n")
            print("python print")
        print(json.dumps({"ok": True}))
        os.write(1, b"")  # fd 1 is usable again
    """)
    res = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert json.loads(res.stdout) == {"ok": True}
    for noise in ("transformNewIntegerFeasibleSolution", "buffered C printf", "python print"):
        assert noise in res.stderr


def test_helper_disabled_leaves_stdout_alone(capfd):
    with solver_output_to_stderr(False):
        os.write(1, b"kept\n")
    assert capfd.readouterr().out == "kept\n"


JSON_COMMANDS = {
    "route-orders": ["route-orders", str(EXAMPLES / "route_orders.json"), "--json"],
    "route-orders lp": ["route-orders", str(EXAMPLES / "route_orders.json"), "--json",
                        "--method", "lp"],
    "pick-route": ["pick-route", str(EXAMPLES / "pick_request.json"), "--json"],
    "coverage highs": ["coverage", "--region", "fr", "--k", "2", "--backend", "highs",
                       "--json"],
}


@pytest.mark.parametrize("args", JSON_COMMANDS.values(), ids=JSON_COMMANDS.keys())
def test_json_stdout_parses_in_a_subprocess(args):
    res = subprocess.run([str(Path(PYTHON).parent / "fulfil"), *args], capture_output=True,
                         text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    json.loads(res.stdout)


# ---------------------------------------------------------------- options and --help

def test_pick_route_time_limit_and_hidden_old_name():
    base = ["pick-route", str(EXAMPLES / "pick_request.json"), "--json"]
    for opt in ("--time-limit", "--time-limit-s"):
        code, out, err = _invoke([*base, opt, "0.5"])
        assert code == 0, err
        assert len(json.loads(out)["tours"]) == 2
    code, out, _ = _invoke(["pick-route", "--help"])
    assert "--time-limit " in out and "--time-limit-s" not in out


@pytest.mark.parametrize("command, listed", [
    ("route-orders", "optimal|greedy|lp"),
    ("pick-route", "optimal|s_shape|return|midpoint|largest_gap|combined|ortools"),
    ("run", "nearest_with_stock|nearest|assortment_split"),
    ("coverage", "cp_sat|highs|scip"),
])
def test_help_lists_the_choices(command, listed):
    code, out, _ = _invoke([command, "--help"])
    assert code == 0
    assert listed in out


def test_mistyped_choice_suggests_the_closest():
    _bad(["route-orders", str(EXAMPLES / "route_orders.json"), "--method", "optimall"],
         "'optimall' is not one of", "did you mean 'optimal'?")
    _bad(["run", str(SCENARIO), "--routing", "overflw"], "did you mean 'overflow'?")


def test_choices_spelled_out_in_the_cli_match_the_libraries():
    from optimize.network import BACKENDS, DEFAULT_BACKEND
    from optimize.pick_routing import METHODS
    from sim.cli.compare_command import COMPARE_DEFAULTS, MODES
    from sim.cli.coverage_command import COVERAGE_BACKENDS, DEFAULT_COVERAGE_BACKEND
    from sim.cli.pick_route_command import PICK_METHODS
    from sim.compare import CompareSettings
    from sim.modes import MODES as LIBRARY_MODES

    assert PICK_METHODS == METHODS
    assert tuple(sorted(BACKENDS)) == COVERAGE_BACKENDS
    assert DEFAULT_COVERAGE_BACKEND == DEFAULT_BACKEND
    assert MODES == LIBRARY_MODES
    settings = CompareSettings()
    assert {k: getattr(settings, k) for k in COMPARE_DEFAULTS} == COMPARE_DEFAULTS


def test_version():
    code, out, _ = _invoke(["--version"])
    assert code == 0
    assert out.strip() == f"fulfil {version('fulfilment-workbench')}"


# ---------------------------------------------------------------- start-up imports

HEAVY = ("ortools", "matplotlib", "dask", "distributed", "simpy", "duckdb")
_IMPORTED = """
import sys, types
{stub}
from sim.cli import main
sys.argv = ["fulfil", "--help"]
try:
    main()
except SystemExit:
    pass
print("HEAVY", [m for m in {heavy!r} if m in sys.modules], file=sys.stderr)
"""


def _heavy_after_help(stub: str) -> list[str]:
    res = subprocess.run([PYTHON, "-c", _IMPORTED.format(stub=stub, heavy=HEAVY)],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("HEAVY"))
    return eval(line[len("HEAVY"):])


def test_help_of_the_commands_here_imports_no_heavy_module():
    # safety_stock_command (another owner) stubbed out: the rest of the CLI must start light
    stub = ('sys.modules["sim.cli.safety_stock_command"] = '
            'types.ModuleType("sim.cli.safety_stock_command")')
    assert _heavy_after_help(stub) == []


def test_help_imports_no_heavy_module():
    assert _heavy_after_help("") == []


# ---------------------------------------------------------------- sweeps: dead workers, orphans

def _die_on_three(x: int) -> dict:
    """A task that kills its own worker process when x == 3 (as the OOM killer would)."""
    time.sleep(0.2)
    if x == 3:
        os._exit(9)
    return {"x": x, "status": "ok"}


def test_a_dead_worker_fails_only_its_own_task():
    records = list(_local(range(8), 2, fn=_die_on_three,
                          failed=lambda x, err: {"x": x, "status": "error"}))
    assert sorted(r["x"] for r in records) == list(range(8))
    assert [r["x"] for r in records if r["status"] != "ok"] == [3]


def test_orphan_temporary_files_of_dead_writers_are_removed(tmp_path):
    store = ResultStore(tmp_path)
    store.runs_dir.mkdir(parents=True)
    dead = subprocess.Popen([PYTHON, "-c", "pass"])
    dead.wait()
    orphan = store.runs_dir / f".abc-r0.{dead.pid}.tmp"
    live = store.runs_dir / f".abc-r1.{os.getpid()}.tmp"
    orphan.write_bytes(b"half a row")
    live.write_bytes(b"being written")
    assert store.remove_orphans() == 1
    assert not orphan.exists() and live.exists()
