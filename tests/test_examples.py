"""Every README command that reads a file from `examples/` runs as written (outputs sent to
a temporary folder), and prints what its format promises."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [line.strip().removeprefix(".venv/bin/fulfil ")
            for line in (ROOT / "README.md").read_text().splitlines()
            if line.strip().startswith(".venv/bin/fulfil ") and "examples/" in line]


def test_the_readme_uses_every_example_file():
    used = " ".join(COMMANDS)
    files = sorted(p.name for p in (ROOT / "examples").iterdir())
    assert files and all(f"examples/{name}" in used for name in files), files


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_command_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = shlex.split(command.split("#")[0])
    for i, a in enumerate(args[:-1]):
        if a in ("--out", "--plot"):
            args[i + 1] = str(tmp_path / Path(args[i + 1]).name)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    if "--json" in args:
        data = json.loads(res.stdout)
        assert data.get("status", "optimal") in ("optimal", "feasible") or "tours" in data
    for i, a in enumerate(args[:-1]):
        if a in ("--out", "--plot"):
            assert Path(args[i + 1]).stat().st_size > 0
