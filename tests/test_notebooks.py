"""The notebooks run top to bottom (executed here on a temporary copy, two at a time, as a
researcher would), give the outputs they are stored with (compared loosely: the same kinds
of output cell by cell, and their key lines), and find the scenarios through the library."""

from __future__ import annotations

import importlib.util
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_notebooks",
                                               ROOT / "scripts" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

NOTEBOOKS = run_notebooks.notebooks()
# Lines each notebook prints (its answer), beside a figure and a table.
KEY_TEXT = {
    "01": [],
    "02": ["cheapest:"],
    "03": ["extra holding cost of the pre-build", "spike-window fill rate"],
    "04": ["planned:", "The plan serves"],
    "05": ["order lines,"],
    "06": ["spike fill", "GSM promise:"],
    "07": ["(a) naive: recommended:", "(d) both: recommended:", "3PL minus in-house"],
}


def _kinds(cell) -> list[str]:
    """What a code cell showed: printed text and each displayed object's richest types
    (stderr left out: warnings and progress lines come and go)."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            if o["name"] == "stdout":
                out.append("stdout")
        elif o["output_type"] == "error":
            out.append("error")
        else:
            out.append("+".join(sorted(k for k in o.get("data", {}) if k != "text/plain")))
    return sorted(set(out))


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("name") == "stdout")


def _key(path: Path) -> str:
    return path.name[:2]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, object]:
    """Each notebook run on a copy in a temporary folder (so nothing relies on being
    started from notebooks/): name -> executed notebook, or the exception it raised."""
    work = tmp_path_factory.mktemp("notebooks")

    def one(path: Path) -> object:
        copy = work / path.name
        shutil.copy2(path, copy)
        try:
            return run_notebooks.execute(copy, cwd=work, timeout=300)
        except Exception as err:  # reported by the notebook's own test
            return err

    with ThreadPoolExecutor(2) as pool:
        return dict(zip([p.name for p in NOTEBOOKS], pool.map(one, NOTEBOOKS), strict=True))


def test_every_notebook_is_checked():
    assert len(NOTEBOOKS) >= 5
    assert {_key(p) for p in NOTEBOOKS} == set(KEY_TEXT)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_with_outputs_and_no_hard_coded_paths(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "stored without running it"
    assert any(c.get("outputs") for c in code)
    kinds = {k for c in code for k in _kinds(c)}
    assert "error" not in kinds
    assert any("image/png" in k for k in kinds), "no figure stored"
    source = "\n".join(c.source for c in code)
    assert "../scenarios" not in source and not re.search(r"""['"]scenarios['"/]""", source)
    assert not re.search(r"\bsim\.cli\b(?!\w)", source), "a notebook uses the CLI's internals"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_what_it_is_stored_with(path: Path, executed):
    nb = executed[path.name]
    if isinstance(nb, Exception):
        raise nb
    stored = nbformat.read(path, as_version=4)
    fresh_cells = [c for c in nb.cells if c.cell_type == "code"]
    stored_cells = [c for c in stored.cells if c.cell_type == "code"]
    assert [_kinds(c) for c in fresh_cells] == [_kinds(c) for c in stored_cells], (
        "outputs differ in kind from the stored ones: "
        "refresh with .venv/bin/python scripts/run_notebooks.py")
    for line in KEY_TEXT[_key(path)]:
        assert line in _stdout(nb) and line in _stdout(stored), line
