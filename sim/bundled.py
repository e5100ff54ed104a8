"""Where the bundled example scenarios are (`scenarios/` of the repository), for notebooks and
scripts that should not depend on the folder they are started from."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV", "bundled_scenario", "scenarios_dir"]

ENV = "FULFIL_SCENARIOS"  # a folder that replaces the bundled one
MARKER = "us_one_node_in_house.yaml"  # a file every scenarios folder of ours has


def _candidates(start: Path) -> list[Path]:
    # The checkout this package was imported from (an editable install), then the folders
    # from `start` upwards: a notebook in a checkout, with the package installed non-editable.
    here = Path(__file__).resolve().parents[1] / "scenarios"
    start = start.resolve()
    return [here, *(d / "scenarios" for d in (start, *start.parents))]


def scenarios_dir(start: str | Path | None = None) -> Path:
    """The bundled scenarios folder: `$FULFIL_SCENARIOS` if set, else the repository's
    `scenarios/` beside this package or above `start` (default: the working directory)."""
    if os.environ.get(ENV):
        folder = Path(os.environ[ENV]).expanduser()
        if not (folder / MARKER).is_file():
            raise FileNotFoundError(f"{ENV}={folder}: no {MARKER} there")
        return folder
    looked = _candidates(Path.cwd() if start is None else Path(start))
    for folder in looked:
        if (folder / MARKER).is_file():
            return folder
    raise FileNotFoundError(
        "no bundled scenarios folder found (looked for scenarios/" + MARKER + " beside the "
        f"package and above {looked[1].parent}); run from the repository or set {ENV}")


def bundled_scenario(name: str, start: str | Path | None = None) -> Path:
    """The path of a bundled scenario file (e.g. `us_one_node_in_house.yaml`, or
    `sweeps/volume_by_mode.yaml`); a clear error naming the file when it is not there."""
    path = scenarios_dir(start) / name
    if not path.is_file():
        raise FileNotFoundError(f"no bundled scenario {name!r} in {path.parent}")
    return path
