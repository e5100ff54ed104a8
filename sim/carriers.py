"""Carrier services as arrays: band lookup, service choice per shipment, rates, transit, and
per-parcel billing on billable weight with size surcharges (nodes that pack into cartons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Carriers

__all__ = ["CarrierTable", "billable_kg"]


def billable_kg(actual_kg: np.ndarray, volume_cm3: np.ndarray,
                divisor_cm3_per_kg: np.ndarray | float) -> np.ndarray:
    """Billable weight (kg): the greater of the actual kg and the volume over the dim divisor
    (cm3 per kg; inf: no dimensional weight)."""
    return np.maximum(actual_kg, volume_cm3 / divisor_cm3_per_kg)


@dataclass(frozen=True)
class CarrierTable:
    """Every (carrier, service) as a row; per-band columns for transit days and rates."""

    bands_km: np.ndarray  # upper bounds; a distance <= bound falls in that band
    carrier: np.ndarray  # carrier index per row
    carrier_ids: tuple[str, ...]
    names: tuple[str, ...]  # "carrier/service" per row
    transit_days: np.ndarray  # [row, band]
    base_rate: np.ndarray  # [row, band]
    per_kg_rate: np.ndarray  # [row, band]
    min_billable_kg: np.ndarray
    p_delay: np.ndarray
    delay_days: np.ndarray
    rule: str
    # Dimensional weight and surcharges, used only for parcels of nodes with cartons.
    dim_divisor: np.ndarray | None = None  # cm3 per kg per row; inf: no dimensional weight
    surcharges: tuple[tuple[tuple[str, float, float], ...], ...] = ()  # per row: (rule, over, fee)

    @classmethod
    def from_scenario(cls, carriers: Carriers) -> CarrierTable:
        """Flatten the scenario's carriers and services."""
        rows = [(ci, c.id, s) for ci, c in enumerate(carriers.carriers) for s in c.services]
        return cls(
            bands_km=np.asarray(carriers.distance_bands_km, float),
            carrier=np.array([r[0] for r in rows]),
            carrier_ids=tuple(c.id for c in carriers.carriers),
            names=tuple(f"{cid}/{s.name}" for _, cid, s in rows),
            transit_days=np.array([s.transit_days for *_, s in rows], float),
            base_rate=np.array([s.base_rate for *_, s in rows], float),
            per_kg_rate=np.array([s.per_kg_rate for *_, s in rows], float),
            min_billable_kg=np.array([s.min_billable_kg for *_, s in rows], float),
            p_delay=np.array([s.p_delay for *_, s in rows], float),
            delay_days=np.array([s.delay_days for *_, s in rows], float),
            rule=carriers.rule,
            dim_divisor=np.array([np.inf if s.dim_divisor_cm3_per_kg is None
                                  else s.dim_divisor_cm3_per_kg for *_, s in rows], float),
            surcharges=tuple(tuple((x.rule, x.over, x.fee) for x in s.surcharges)
                             for *_, s in rows),
        )

    def band(self, distance_km: np.ndarray) -> np.ndarray:
        """Distance band index of each distance (km)."""
        return np.searchsorted(self.bands_km, distance_km, side="left")

    def rate(self, row: np.ndarray, band: np.ndarray, weight_kg: np.ndarray) -> np.ndarray:
        """Carrier charge per shipment (currency) from the rate card."""
        billable = np.maximum(weight_kg, self.min_billable_kg[row])
        return self.base_rate[row, band] + self.per_kg_rate[row, band] * billable

    def choose(self, band: np.ndarray, days_left: np.ndarray, weight_kg: np.ndarray
               ) -> np.ndarray:
        """Service row per shipment under the scenario's rule (by default the cheapest
        service whose nominal transit meets the days left to the promise, else the fastest)."""
        cost = self.rate(np.arange(len(self.names))[:, None], band[None, :], weight_kg[None, :])
        transit = self.transit_days[:, band]  # [row, shipment]
        fastest = np.lexsort((cost, transit), axis=0)[0]
        if self.rule == "fastest":
            return fastest
        if self.rule == "cheapest":
            return np.argmin(cost, axis=0)
        meets = transit <= days_left[None, :]
        cheapest_meeting = np.argmin(np.where(meets, cost, np.inf), axis=0)
        return np.where(meets.any(axis=0), cheapest_meeting, fastest)

    def transit(self, row: np.ndarray, band: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Realised transit days: nominal plus a delay with the service's probability."""
        late = rng.random(len(row)) < self.p_delay[row]
        return self.transit_days[row, band] + late * self.delay_days[row]

    def bill_parcels(self, row: np.ndarray, band: np.ndarray, actual_kg: np.ndarray,
                     dims_cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                   np.ndarray]:
        """Per parcel (each a label of its own): (billable kg, list charge on it, surcharge fees,
        surcharges met), from its service `row`, distance `band`, actual kg and outer sides
        (cm, [parcel, 3]). Billable kg = max(actual, length x width x height / divisor)."""
        dims = np.sort(np.asarray(dims_cm, float), axis=1)[:, ::-1]  # longest side first
        billable = billable_kg(actual_kg, dims.prod(axis=1), self.dim_divisor[row])
        measure = {"length_plus_girth": dims[:, 0] + 2.0 * (dims[:, 1] + dims[:, 2]),
                   "longest_side": dims[:, 0], "actual_kg": np.asarray(actual_kg, float)}
        fees = np.zeros(len(row))
        met = np.zeros(len(row), np.int64)
        for r in np.unique(row):
            mine = row == r
            for rule, over, fee in self.surcharges[r]:
                hit = mine & (measure[rule] > over)
                fees += hit * fee
                met += hit
        return billable, self.rate(row, band, billable), fees, met
