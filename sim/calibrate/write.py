"""Write a calibration: the scenario YAML and its demand points, validated before they land."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from sim.calibrate import Calibration

__all__ = ["write_calibration"]


def _header(cal: Calibration, source: str) -> str:
    r = cal.rate
    lines = [f"# Calibrated by `fulfil calibrate` from {source}",
             f"# ({r.first_day} to {r.last_day}); every fitted value and its source is in the "
             "--report table.", "# Assumptions to check:"]
    lines += [f"#   - {n}" for n in cal.notes] or ["#   - none"]
    if r.spikes:
        lines.append("# Spikes in the history (recurring ones are placed at their next date "
                     "inside the run):")
        lines += [f"#   - {s.start}: {s.days} day(s) x{s.multiplier:.2f} ({s.recurs})"
                  for s in r.spikes]
    return "\n".join(lines) + "\n"


def write_calibration(cal: Calibration, out: Path, source: str,
                      replay_file: Path | None = None, columns: dict[str, str] | None = None,
                      tz: str | None = None) -> list[Path]:
    """Write `out` (scenario YAML) and `<stem>.points.csv` beside it, after checking that the
    scenario validates and passes the pre-run checks; nothing is written if it does not.
    `replay_file`: also replay those orders (demand.orders_file), read with `columns` (ours
    -> the file's) and `tz` as the calibration read them. Returns the paths written."""
    from sim.preflight import preflight
    from sim.scenario import Scenario

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    points_path = out.with_name(out.stem + ".points.csv")
    data = dict(cal.scenario, geography={"points_csv": points_path.name})
    check = dict(data)
    if replay_file is not None:
        absolute = Path(replay_file).resolve()
        rel = os.path.relpath(absolute, out.parent.resolve())
        read_as = {k: v for k, v in (("columns", columns), ("tz", tz)) if v}
        data["demand"] = {**data["demand"], "orders_file": rel, **read_as}
        check["demand"] = {**data["demand"], "orders_file": str(absolute)}
    # Flow style for leaf mappings: one line per SKU, demand point or distribution.
    text = _header(cal, source) + yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                                 default_flow_style=None, width=100)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_yaml, tmp_points = Path(tmp) / out.name, Path(tmp) / points_path.name
        cal.points.to_csv(tmp_points, index=False)
        check["geography"] = {"points_csv": str(tmp_points)}
        preflight(Scenario.model_validate(check))  # what we write must run as is
        tmp_yaml.write_text(text, encoding="utf-8")
        os.replace(tmp_points, points_path)
        os.replace(tmp_yaml, out)
    return [out, points_path]
