"""The `storage:` section of a node (sim.storage has the rules and the running model)."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    model_validator,
)

__all__ = ["DEFAULT_USABLE_M3", "LocationType", "Overflow", "Storage"]

# Default usable volume by location type name (m3). A pallet position: an EUR/ISO pallet
# footprint 1.2 x 1.0 m (ISO 6780) loaded to 1.5 m (a common rack beam pitch less clearance),
# times 0.8: the share of a location's cube filled in practice (honeycombing; Bartholdi &
# Hackman, Warehouse & Distribution Science, ch. 3). A shelf bin: a 60 x 40 x 30 cm tote
# (the VDA KLT / Euro container footprint) times the same 0.8.
DEFAULT_USABLE_M3 = {"pallet_positions": 1.2 * 1.0 * 1.5 * 0.8,
                     "shelf_bins": 0.6 * 0.4 * 0.3 * 0.8}

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class LocationType(_Strict):
    """One type of storage location: how many, and the volume each holds in practice (m3;
    default by name for `pallet_positions` and `shelf_bins`, see DEFAULT_USABLE_M3)."""

    count: NonNegativeInt
    usable_m3: PositiveFloat | None = None


class Overflow(_Strict):
    """The external store units go to when the node is full: rent per m3-day (currency;
    public warehousing at about 20 per pallet-month on 1.44 m3 is 0.46 per m3-day, short-term
    space a little dearer), handling per unit each way, and the days back once room frees."""

    cost_per_m3_day: NonNegativeFloat = 0.6
    handling_per_unit: NonNegativeFloat = 0.15
    transfer_days: NonNegativeFloat = 2.0


class Storage(_Strict):
    """A node's storage locations by type and what happens when they are full (sim.storage)."""

    locations: dict[str, LocationType] = Field(min_length=1)
    when_full: Literal["overflow", "wait"] = "overflow"
    overflow: Overflow = Overflow()

    @model_validator(mode="after")
    def _usable(self) -> Storage:
        for name, loc in self.locations.items():
            if loc.usable_m3 is None:
                if name not in DEFAULT_USABLE_M3:
                    raise ValueError(f"locations.{name}.usable_m3 is required (a default "
                                     f"exists only for {', '.join(DEFAULT_USABLE_M3)})")
                object.__setattr__(loc, "usable_m3", DEFAULT_USABLE_M3[name])
        return self
