"""Demand forecasts from a client's order history: daily series, models chosen per series by a
rolling-origin backtest, 80 % intervals and forecast errors over a lead time."""

from __future__ import annotations

from sim.forecast.backtest import ForecastResult, forecast_series, lead_time_sigma
from sim.forecast.series import OTHER_SKUS, TOTAL_ORDERS, daily_series

__all__ = ["OTHER_SKUS", "TOTAL_ORDERS", "ForecastResult", "daily_series", "forecast_series",
           "lead_time_sigma"]
