"""Great-circle distances (haversine, R = 6371.0 km)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["EARTH_RADIUS_KM", "distance_matrix_km", "haversine_km"]

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat_a: ArrayLike, lon_a: ArrayLike, lat_b: ArrayLike, lon_b: ArrayLike
                       ) -> np.ndarray:
    """Matrix [len(a), len(b)] of great-circle distances in km."""
    lat_a, lon_a = np.asarray(lat_a, float)[:, None], np.asarray(lon_a, float)[:, None]
    return haversine_km(lat_a, lon_a, np.asarray(lat_b, float)[None, :],
                        np.asarray(lon_b, float)[None, :])
