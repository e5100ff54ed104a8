"""The package stands on its own: library modules never import the CLI, `sim/` has no import
loops, and an installed (non-editable) wheel carries the scenario templates `fulfil coverage
--scenario-out` needs, so the commands work outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from sim.coverage import TEMPLATES

from .conftest import SCENARIOS
from .import_graph import cycles, import_graph

ROOT = Path(__file__).resolve().parents[1]


def test_no_library_module_imports_the_cli():
    graph = import_graph("sim")
    assert {"sim.coverage", "sim.compare"} <= set(graph)
    offenders = {m: sorted(d for d in deps if d == "sim.cli" or d.startswith("sim.cli."))
                 for m, deps in graph.items() if not (m == "sim.cli" or m.startswith("sim.cli."))}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_the_loop_finder_sees_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(TEMPLATES.values()))
def test_package_templates_are_the_bundled_scenarios(name):
    """The shipped templates are the `scenarios/` files users read, byte for byte."""
    shipped = resources.files("sim") / "templates" / name
    assert shipped.read_bytes() == (SCENARIOS / name).read_bytes()


# Runs `fulfil ARGS` from the installed copy only: no site processing (the editable install's
# hook would map `sim` back to the source tree), the target folder and the running venv's
# site-packages (for the dependencies) on sys.path, and a cwd outside the repository.
DRIVER = """
import sys
target, *site, args = sys.argv[1], *sys.argv[2:-1], sys.argv[-1].split()
sys.path[:0] = [target, *site]
import optimize, sim
for mod in (sim, optimize):
    assert mod.__file__.startswith(target), mod.__file__
from sim.cli import main
sys.argv = ["fulfil", *args]
main()
"""


def _fulfil(target: Path, args: str, cwd: Path) -> subprocess.CompletedProcess:
    paths = sysconfig.get_paths()
    site = dict.fromkeys([paths["purelib"], paths["platlib"]])
    return subprocess.run([sys.executable, "-I", "-S", "-c", DRIVER, str(target), *site, args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_wheel_ships_the_templates_and_runs_outside_the_source_tree(tmp_path):
    src = tmp_path / "src"  # a copy, so building leaves nothing in the repository
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for package in ("sim", "optimize"):
        shutil.copytree(ROOT / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(dist), str(src)], capture_output=True, text=True, timeout=600)
    if built.returncode and "No matching distribution found for setuptools" in built.stderr:
        pytest.skip("no setuptools for the isolated build (offline)")
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {f"sim/templates/{name}" for name in TEMPLATES.values()} <= names

    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                                "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "work"
    work.mkdir()
    res = _fulfil(target, "coverage --region us --days 2 --k 3 --scenario-out net.yaml", work)
    assert res.returncode == 0, res.stderr
    assert "scenario: net.yaml" in res.stdout
    assert "us_one_node_in_house.yaml" in (work / "net.yaml").read_text(encoding="utf-8")
    res = _fulfil(target, "run net.yaml --days 10", work)
    assert res.returncode == 0, res.stderr
    assert "coverage-us-k3" in res.stdout and (work / "results" / "run" / "summary.json").exists()
