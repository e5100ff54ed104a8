"""Refresh docs/report.png: run (or resume) `fulfil compare` on a bundled scenario, open its
report in headless Chromium (the system's package, driven by Playwright), check it shows no
console error and makes no request, and keep a screenshot of the top of the page.

    .venv/bin/python scripts/refresh_report_screenshot.py [--scenario ...] [--out ...]

Runs already in the report's store are not run again, so a second call only re-renders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Compare, render, check and screenshot; exit 1 when the browser saw a problem."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "us_one_node_in_house.yaml"))
    ap.add_argument("--out", default=str(ROOT / "results" / "docs-report"))
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shot", default=str(ROOT / "docs" / "report.png"))
    ap.add_argument("--height-px", type=int, default=1600, help="Height of the screenshot.")
    args = ap.parse_args()

    import sim.cli  # noqa: F401  (registers every command)
    from sim.cli.app import app
    from sim.report_browser import open_report

    res = CliRunner().invoke(app, ["compare", args.scenario, "--replications",
                                   str(args.replications), "--out", args.out,
                                   "--workers", str(args.workers)])
    print(res.output, end="")
    if res.exit_code != 0:
        return res.exit_code
    Path(args.shot).parent.mkdir(parents=True, exist_ok=True)
    seen = open_report(Path(args.out) / "index.html", args.shot, shot_height_px=args.height_px)
    problems = seen.console_errors + seen.page_errors + seen.outside_requests
    print(f"{args.shot}: {seen.images_loaded} images, page {seen.height_px} px tall, "
          f"{len(problems)} problem(s)")
    for p in problems:
        print("  ", p)
    return 1 if problems or seen.images_broken else 0


if __name__ == "__main__":
    sys.exit(main())
