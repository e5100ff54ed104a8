"""Network design: how many fulfilment nodes, and where (coverage, set cover, p-median)."""

from optimize.network.coverage import (
    CoverageCurve,
    CoverageInstance,
    CoverageResult,
    SetCoverResult,
    coverage_curve,
    coverage_instance,
    max_coverage,
    set_cover,
)
from optimize.network.median import LocationResult, fixed_charge_location, p_median
from optimize.network.mip import BACKENDS, DEFAULT_BACKEND
from optimize.network.service import (
    ServiceLevel,
    TransitBand,
    TransitBands,
    road_distance_matrix_km,
    service_levels,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "CoverageCurve",
    "CoverageInstance",
    "CoverageResult",
    "LocationResult",
    "ServiceLevel",
    "SetCoverResult",
    "TransitBand",
    "TransitBands",
    "coverage_curve",
    "coverage_instance",
    "fixed_charge_location",
    "max_coverage",
    "p_median",
    "road_distance_matrix_km",
    "service_levels",
    "set_cover",
]
