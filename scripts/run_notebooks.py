"""Execute the notebooks in place, so they are stored with fresh outputs.

    .venv/bin/python scripts/run_notebooks.py              # every notebook in notebooks/
    .venv/bin/python scripts/run_notebooks.py 01 04        # those whose name starts so
    .venv/bin/python scripts/run_notebooks.py --jobs 2     # two at a time

Each runs top to bottom in a fresh kernel from the notebooks folder (as `jupyter lab
notebooks/` would), one progress line per notebook as it finishes; a notebook that fails is
left as it was and the script exits 1. The test suite (tests/test_notebooks.py) runs the same
function on a temporary copy and compares its outputs loosely with the stored ones.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT_S = 600  # per cell


def notebooks(prefixes: list[str] | None = None) -> list[Path]:
    """The notebooks in notebooks/ (sorted), only those whose name starts with a prefix."""
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def execute(path: Path, cwd: Path | None = None, timeout: int = TIMEOUT_S
            ) -> nbformat.NotebookNode:
    """The notebook at `path` executed top to bottom in a fresh python3 kernel started in
    `cwd` (default: its own folder); raises nbclient's CellExecutionError on a failing cell.
    No timing metadata, so a refresh changes only what the code prints and draws."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   # the kernel's start-up notes (plain TCP on localhost) are not output
                   extra_arguments=["--IPKernelApp.log_level=ERROR"],
                   resources={"metadata": {"path": str(cwd or path.parent)}}).execute()
    return nb


def main() -> int:
    """Execute the notebooks asked for in place; 1 if any failed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefixes", nargs="*", help="run only notebooks whose name starts so")
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S, help="seconds per cell")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks run at the same time")
    args = ap.parse_args()
    paths = notebooks(args.prefixes)
    if not paths:
        print(f"no notebook matches {args.prefixes} in {NOTEBOOKS}", file=sys.stderr)
        return 2

    def run(path: Path) -> float:
        t0 = time.perf_counter()
        nbformat.write(execute(path, timeout=args.timeout), path)
        return time.perf_counter() - t0

    print(f"executing {len(paths)} notebook(s), {args.jobs} at a time", flush=True)
    failed = []
    t_all = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run, p): p for p in paths}
        for i, fut in enumerate(as_completed(futures), start=1):
            name = futures[fut].name
            try:
                print(f"[{i}/{len(paths)}] {name}: stored with outputs, {fut.result():.0f} s",
                      flush=True)
            except Exception as err:  # a failing cell: report it, keep the stored copy
                print(f"[{i}/{len(paths)}] {name}: FAILED (stored copy kept)", flush=True)
                print(str(err)[-2000:], file=sys.stderr)
                failed.append(name)
    print(f"{len(paths) - len(failed)} of {len(paths)} notebooks executed and stored in "
          f"{time.perf_counter() - t_all:.0f} s" + (f"; failed: {', '.join(failed)}"
                                                     if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
