"""Client-facing names: every mode and cost category has one, modes keep one order, and a
share's error bar never runs past 0 or 100 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sim.costs import CATEGORIES
from sim.labels import (
    CATEGORY_LABELS,
    MODE_COLOURS,
    MODE_LABELS,
    category_label,
    crew_label,
    humanise,
    mode_label,
    ordered_modes,
)
from sim.modes import MODES
from sim.report_plots import yerr
from sim.scenario import CORE_CREWS


def test_every_mode_category_and_core_crew_has_a_label_in_the_modes_order():
    assert tuple(MODE_LABELS) == MODES and set(MODE_COLOURS) == set(MODES)
    assert set(CATEGORY_LABELS) == set(CATEGORIES)
    assert category_label("3pl_pick_pack") == "3PL pick & pack"
    assert mode_label("in_house") == "In-house"
    assert all(crew_label(c)[0].isupper() and "_" not in crew_label(c) for c in CORE_CREWS)
    labels = [*MODE_LABELS.values(), *CATEGORY_LABELS.values()]
    assert len(set(labels)) == len(labels)  # two codes never read the same


def test_unlisted_names_are_still_readable():
    assert crew_label("night_packers") == "Night packers"
    assert category_label("3pl_new_fee") == "3PL new fee"
    assert humanise("") == ""


@given(st.permutations(MODES), st.integers(0, len(MODES)))
def test_modes_come_out_in_one_order_whatever_order_they_are_given(modes, k):
    given_modes = [*modes[:k], "zz_custom", *modes[:k]]
    got = ordered_modes(given_modes)
    assert got[:-1] == [m for m in MODES if m in modes[:k]] and got[-1] == "zz_custom"


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 500)), min_size=1, max_size=6))
def test_a_share_error_bar_stays_within_0_and_100(rows):
    df = pd.DataFrame(rows, columns=["mean", "half_width"])
    below, above = yerr(df, share=True)
    assert np.all(df["mean"] - below >= -1e-9) and np.all(df["mean"] + above <= 100 + 1e-9)
    assert np.all(below >= 0) and np.all(above >= 0)
    # a cost is not a share: its bar is the full half-width either side
    below, above = yerr(df)
    np.testing.assert_allclose(below, df["half_width"], atol=1e-9)
    np.testing.assert_allclose(above, df["half_width"], atol=1e-9)


def test_report_sentences_name_modes_as_a_client_reads_them():
    from sim.report import _readable

    text = _readable("no break-even: in_house is cheapest throughout; **3pl** costs more; "
                     "3pl_pick_pack stays a category code here")
    assert text == ("no break-even: In-house is cheapest throughout; **3PL** costs more; "
                    "3pl_pick_pack stays a category code here")
