"""Notebooks and scripts find the bundled scenarios from any folder, with an editable or a
plain install, and a clear error when there are none."""

from __future__ import annotations

import pytest

import sim.bundled as bundled
from sim.bundled import ENV, bundled_scenario, scenarios_dir

from .conftest import SCENARIOS

ROOT = SCENARIOS.parent


def test_found_beside_the_package_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert scenarios_dir() == SCENARIOS
    assert bundled_scenario("sweeps/volume_by_mode.yaml") == SCENARIOS / "sweeps" / \
        "volume_by_mode.yaml"


def test_found_above_the_notebook_with_a_plain_install(tmp_path, monkeypatch):
    # a non-editable install: the package lives in site-packages, far from any scenarios/
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(bundled, "__file__", str(tmp_path / "site" / "sim" / "bundled.py"))
    assert scenarios_dir(ROOT / "notebooks") == SCENARIOS
    assert scenarios_dir(ROOT) == SCENARIOS
    with pytest.raises(FileNotFoundError, match=ENV):
        scenarios_dir(tmp_path)


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    (tmp_path / bundled.MARKER).write_text("name: x\n")
    monkeypatch.setenv(ENV, str(tmp_path))
    assert scenarios_dir() == tmp_path
    monkeypatch.setenv(ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        scenarios_dir()


def test_a_missing_file_is_named(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(FileNotFoundError, match=r"no_such\.yaml"):
        bundled_scenario("no_such.yaml")
