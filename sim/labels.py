"""What a client reads instead of the code's names: fulfilment modes, cost categories and
crews, in one place for the report, its tables and the run plots; and the one order (and
colour) modes are shown in everywhere.

Names not listed here (a crew a scenario adds, a new cost category) are still readable:
underscores become spaces and the first letter is capitalised.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CATEGORY_LABELS", "CREW_LABELS", "MODE_COLOURS", "MODE_LABELS", "category_label",
           "crew_label", "humanise", "mode_label", "ordered_modes"]

# In sim.modes.MODES order (tests/test_labels.py checks): the order modes appear in everywhere.
MODE_LABELS = {
    "in_house": "In-house",
    "3pl": "3PL",
    "dropship": "Dropship",
    "marketplace": "Marketplace",
    "hybrid": "Hybrid",
}
# Colour-blind-safe (Okabe-Ito), one per mode, the same in every chart.
MODE_COLOURS = {
    "in_house": "#0072B2",
    "3pl": "#E69F00",
    "dropship": "#009E73",
    "marketplace": "#CC79A7",
    "hybrid": "#56B4E9",
}
# Every sim.costs.CATEGORIES entry (tests/test_labels.py checks).
CATEGORY_LABELS = {
    "labour": "Labour",
    "rent": "Rent",
    "equipment": "Equipment",
    "packaging": "Packaging",
    "carrier": "Shipping (carrier)",
    "holding": "Inventory holding",
    "returns_handling": "Returns handling",
    "3pl_account": "3PL account fee",
    "3pl_storage": "3PL storage",
    "3pl_minimum": "3PL monthly minimum",
    "sla_credit": "3PL SLA credit",
    "3pl_receiving": "3PL receiving",
    "3pl_pick_pack": "3PL pick & pack",
    "3pl_returns": "3PL returns",
    "dropship_fee": "Dropship fee",
    "dropship_markup": "Dropship markup",
    "marketplace_fulfilment": "Marketplace fulfilment fee",
    "marketplace_storage": "Marketplace storage",
    "marketplace_inbound": "Marketplace inbound (transport, placement, prep)",
    "marketplace_returns": "Marketplace returns processing",
    "freight": "Freight (inbound legs and transfers between nodes)",
    "lateral_freight": "Freight of lateral transfers between forward nodes",
    "overflow_storage": "Overflow storage (full locations)",
    "return_postage": "Return labels",
    "refurbish": "Refurbishing returns",
    "write_off": "Returns written off",
    "reshipment": "Reshipments of pick and pack errors",
    "transit_damage": "Damage in transit (reshipment and goods, less claims)",
}
CREW_LABELS = {
    "receivers": "Receivers",
    "pickers": "Pickers",
    "packers": "Packers",
}

_WORDS = {"3pl": "3PL", "pct": "%", "p50": "p50", "p95": "p95"}


def humanise(code: str) -> str:
    """A readable name for a code name nobody labelled (`night_packers` -> "Night packers")."""
    words = [_WORDS.get(w, w) for w in str(code).replace("-", "_").split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(code)


def mode_label(mode: str) -> str:
    """A fulfilment mode as a client reads it (`in_house` -> "In-house")."""
    return MODE_LABELS.get(mode, humanise(mode))


def category_label(category: str) -> str:
    """A cost category as a client reads it (`3pl_pick_pack` -> "3PL pick & pack")."""
    return CATEGORY_LABELS.get(category, humanise(category))


def crew_label(crew: str) -> str:
    """A crew as a client reads it (`pickers` -> "Pickers")."""
    return CREW_LABELS.get(crew, humanise(crew))


def ordered_modes(modes: Iterable[str]) -> list[str]:
    """The given modes, once each, in the one order the report uses (unknown ones last)."""
    rank = {m: i for i, m in enumerate(MODE_LABELS)}
    unique = list(dict.fromkeys(modes))
    return sorted(unique, key=lambda m: (rank.get(m, len(rank)), unique.index(m)))
