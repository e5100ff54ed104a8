"""Demand points for a scenario's `geography` section, as a DataFrame id, lat, lon, weight."""

from __future__ import annotations

import pandas as pd

from sim.scenario import Geography

__all__ = ["demand_points_for"]


def demand_points_for(geo: Geography) -> pd.DataFrame:
    """Customer locations with weights: bundled region, user CSV, or the explicit list."""
    from sim import geography  # the bundled data loads lazily: only when a region is used

    if geo.points is not None:
        return pd.DataFrame([p.model_dump() for p in geo.points])
    if geo.points_csv is not None:
        return geography.load_points_csv(geo.points_csv)
    return geography.demand_points(geo.region)
