"""What customers buy and where they are: lines per order, units per line, SKU shares and
attributes, return rates and delays, the service mix and weighted demand points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CountFit", "demand_points", "drawn_lines_mean", "fit_count", "fit_returns",
           "service_mix", "sku_items"]

# A parametric count is kept when its probabilities are this close to the observed ones
# (total variation distance, plus the sampling noise 1/sqrt(n)); otherwise the observed
# distribution itself is used.
TV_TOLERANCE = 0.01
GRID_DEG = 0.5  # demand points: ship-to points grouped on a 0.5 degree grid (about 55 km)


@dataclass(frozen=True)
class CountFit:
    """A count distribution fitted to observed counts (each >= 1)."""

    dist: dict  # a scenario Dist: geometric or poisson shifted to min 1, or empirical
    tv_distance: float  # between the chosen distribution and the observed frequencies
    n: int
    note: str


def _pmf(kind: str, mean: float, k: np.ndarray) -> np.ndarray:
    excess = max(mean - 1.0, 1e-9)
    if kind == "geometric":
        return stats.geom.pmf(k, 1.0 / (1.0 + excess))  # k >= 1, P(k) = p (1-p)^(k-1)
    return stats.poisson.pmf(k - 1, excess)


def fit_count(counts: np.ndarray, what: str) -> CountFit:
    """Lines per order or units per line: shifted geometric or Poisson by total variation
    distance to the observed frequencies, or the observed distribution when neither fits."""
    counts = np.asarray(counts, np.int64)
    values, freq = np.unique(counts, return_counts=True)
    p_obs = freq / freq.sum()
    mean = float(counts.mean())
    k = np.arange(1, values.max() + 1)
    obs = np.zeros(len(k))
    obs[values - 1] = p_obs
    scores = {}
    for kind in ("geometric", "poisson"):
        p = _pmf(kind, mean, k)
        scores[kind] = 0.5 * (np.abs(p - obs).sum() + max(1.0 - p.sum(), 0.0))
    best = min(scores, key=scores.get)
    limit = TV_TOLERANCE + 1.0 / np.sqrt(len(counts))
    if scores[best] <= limit:
        return CountFit({"dist": best, "mean": round(mean, 4), "min": 1}, scores[best],
                        len(counts), f"{best} (total variation {scores[best]:.3f} <= "
                        f"{limit:.3f} to the observed {what})")
    return CountFit({"dist": "empirical", "values": values.tolist(),
                     "weights": freq.tolist()}, 0.0, len(counts),
                    f"observed frequencies: geometric and Poisson fit badly (total variation "
                    f"{scores['geometric']:.3f} and {scores['poisson']:.3f} > {limit:.3f})")


def drawn_lines_mean(observed_mean: float, kind: str, popularity: np.ndarray) -> float:
    """The mean lines per order the generator must draw so that, after it merges a SKU drawn
    twice in one basket into one line, baskets hold `observed_mean` distinct SKUs:
    E[distinct | n draws] = sum_i 1 - (1 - p_i)^n, averaged over the count distribution."""
    from scipy.optimize import brentq

    p = np.asarray(popularity, float) / np.sum(popularity)
    n = np.arange(1, 400)
    distinct = (1.0 - np.exp(np.outer(n, np.log1p(-np.minimum(p, 1 - 1e-12))))).sum(axis=1)

    def gap(mean: float) -> float:
        return float(_pmf(kind, mean, n) @ distinct) - observed_mean

    if gap(observed_mean) >= 0:  # no SKU is ever drawn twice (or the data say so)
        return observed_mean
    return float(brentq(gap, observed_mean, 2.0 * observed_mean + 1.0, xtol=1e-6))


def sku_items(lines: pd.DataFrame, master: pd.DataFrame | None,
              defaults: dict) -> tuple[list[dict], list[str]]:
    """`skus.items` from the SKUs sold: popularity = order lines, attributes from the master
    (cube from its dimensions) or, without one, the defaults; and notes on what was assumed."""
    sold = lines.groupby("sku", observed=True).size().rename("lines").to_frame()
    if "unit_price" in lines.columns:
        sold["price"] = lines.groupby("sku", observed=True)["unit_price"].median()
    else:
        sold["price"] = np.nan
    sold = sold.sort_values("lines", ascending=False, kind="stable")
    notes = []
    if master is not None:
        m = master.set_index("sku")
        sold = sold.join(m, how="left")
        unsold = len(m.index.difference(sold.index))
        if unsold:
            notes.append(f"{unsold} SKUs of the master sold nothing in the history and are "
                         "left out")
    items = []
    for sku, r in sold.iterrows():
        item = {"id": str(sku), "popularity": int(r["lines"])}
        weight = r.get("weight_kg", np.nan)
        item["weight_kg"] = float(weight) if pd.notna(weight) else defaults["weight_kg"]
        dims = [r.get(c, np.nan) for c in ("length_cm", "width_cm", "height_cm")]
        item["cube_m3"] = (float(f"{np.prod(dims) / 1e6:.6g}") if all(pd.notna(d) for d in dims)
                           else defaults["cube_m3"])
        if all(pd.notna(d) and d > 0 for d in dims):  # the sides a carton catalogue packs by
            item["dims_cm"] = [float(d) for d in dims]
        cost = r.get("unit_cost", np.nan)
        item["unit_value"] = round(float(cost) if pd.notna(cost) else
                                   float(r["price"]) if pd.notna(r["price"]) else
                                   defaults["unit_value"], 4)
        if pd.notna(r["price"]):  # the selling price, for revenue and lost sales
            item["price"] = round(float(r["price"]), 4)
        cat = r.get("category", np.nan)
        item["category"] = str(cat) if pd.notna(cat) else "general"
        items.append(item)
    if master is None:
        notes.append("no SKU master: weight, cube and value are the template's means" + (
            "; value is the median selling price" if "unit_price" in lines.columns else ""))
    return items, notes


def fit_returns(lines: pd.DataFrame, categories: dict[str, str], last_day: pd.Timestamp,
                settle_days: int = 60) -> tuple[dict[str, tuple[float, int]], pd.Series, str]:
    """Return rate per category (returned units / sold units, with sold units as the
    count), from orders at least `settle_days` old so their returns have had time to come
    back; and the observed days from order to return, indexed by the line's category."""
    delays = pd.Series(dtype=float)
    if "returned_quantity" not in lines.columns:
        return {}, delays, "no returned_quantity column: the template's return rates"
    old = lines["created_at"] <= last_day - pd.Timedelta(days=settle_days)
    window = f"orders at least {settle_days} days before the history's end"
    if old.sum() < 0.2 * len(lines):
        old = np.ones(len(lines), bool)
        window = "every order (the history is too short to leave returns time to arrive)"
    sub = lines[old]
    cat = sub["sku"].astype(str).map(categories).fillna("general")
    sold = sub.groupby(cat)["quantity"].sum()
    back = sub["returned_quantity"].fillna(0).clip(lower=0).groupby(cat).sum()
    rates = {c: (float(back.get(c, 0) / sold[c]), int(sold[c])) for c in sold.index}
    if "returned_at" in lines.columns:
        r = sub[sub["returned_quantity"].fillna(0) > 0].dropna(subset=["returned_at"])
        delays = pd.Series(((r["returned_at"] - r["created_at"]) / pd.Timedelta(days=1))
                           .to_numpy(), index=cat[r.index].to_numpy())
        delays = delays[delays >= 0]
    return rates, delays, f"returned units / sold units, {window}"


def service_mix(lines: pd.DataFrame) -> dict[str, float] | None:
    """Share of orders by service name, or None when the file gives no service."""
    if "service" not in lines.columns:
        return None
    heads = lines.drop_duplicates("order_id")
    shares = heads["service"].dropna().astype(str).value_counts(normalize=True)
    return shares.to_dict() if len(shares) else None


def demand_points(lines: pd.DataFrame) -> pd.DataFrame:
    """Ship-to points grouped on a grid: id, lat, lon (order-weighted centre), weight
    (orders)."""
    heads = lines.drop_duplicates("order_id")
    cell = pd.DataFrame({"a": np.floor(heads["lat"].to_numpy() / GRID_DEG),
                         "b": np.floor(heads["lon"].to_numpy() / GRID_DEG),
                         "lat": heads["lat"].to_numpy(), "lon": heads["lon"].to_numpy()})
    g = cell.groupby(["a", "b"], sort=True)
    pts = g.agg(lat=("lat", "mean"), lon=("lon", "mean"), weight=("lat", "size"))
    pts = pts.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    width = len(str(len(pts)))
    pts.insert(0, "id", [f"P{i:0{width}d}" for i in range(len(pts))])
    pts["lat"], pts["lon"] = pts["lat"].round(4), pts["lon"].round(4)
    return pts
