"""Small-cell suppression: what is hidden, what stays visible, and that totals cannot undo it."""

import random

import pandas as pd
import pytest

from query import NO_SUPPRESSION, SUPPRESSED_LABEL, DisclosurePolicy, suppress, suppress_count

POLICY = DisclosurePolicy(threshold=5)


def breakdown(*counts: int) -> pd.DataFrame:
    return pd.DataFrame({"group": [f"g{i}" for i in range(len(counts))], "count": list(counts)})


def hidden(df: pd.DataFrame) -> list[str]:
    return list(df.loc[df["is_suppressed"], "group"])


def test_counts_one_to_four_are_hidden_and_zeros_and_larger_counts_shown():
    """1..4 become NA with the 'suppressed' label; 0 and 5+ are published as they are."""
    out = suppress(breakdown(0, 3, 5, 12, 7), POLICY)
    assert hidden(out) == ["g1"] + ["g2"]  # g1 is small; g2 (5) hides with it, see the next test
    assert out["count"].isna().tolist() == [False, True, True, False, False]
    assert out.loc[out["is_suppressed"], "label"].eq(SUPPRESSED_LABEL).all()
    assert out.loc[~out["is_suppressed"], "label"].tolist() == ["0", "12", "7"]


def test_one_hidden_cell_takes_the_next_smallest_with_it():
    """Total minus visible cells would reveal a lone hidden cell, so the smallest other non-zero cell hides too."""
    assert hidden(suppress(breakdown(40, 2, 9, 30), POLICY)) == ["g1", "g2"]
    assert hidden(suppress(breakdown(40, 2, 9, 30), DisclosurePolicy(5, is_complementary=False))) == ["g1"]


def test_two_small_cells_that_add_up_to_a_small_number_take_a_third():
    """Hidden cells of 1 and 2 would still difference to 3; another cell is hidden until they reach 5."""
    assert hidden(suppress(breakdown(1, 2, 20, 8), POLICY)) == ["g0", "g1", "g3"]
    assert hidden(suppress(breakdown(2, 3, 20, 8), POLICY)) == ["g0", "g1"]  # 2 + 3 = 5 is safe


def test_a_breakdown_of_fewer_than_k_records_hides_every_cell_zeros_included():
    """With 3 records in all, a visible zero would tell where they are, so nothing is shown."""
    out = suppress(breakdown(3, 0, 0), POLICY)
    assert out["is_suppressed"].all() and out["count"].isna().all()


def test_within_protects_each_row_of_a_two_way_table():
    """Neighborhood x race: complementary suppression works inside each neighborhood separately."""
    df = pd.DataFrame(
        {"hood": ["a", "a", "a", "b", "b"], "group": ["x", "y", "z", "x", "y"], "count": [2, 10, 20, 30, 40]}
    )
    out = suppress(df, POLICY, within=["hood"])
    assert out["is_suppressed"].tolist() == [True, True, False, False, False]


def test_shares_and_rates_are_blanked_with_their_counts():
    """A share of a known total would give the hidden count away, so it is hidden too."""
    df = breakdown(2, 9, 30).assign(share=[2 / 41, 9 / 41, 30 / 41])
    out = suppress(df, POLICY, derived_columns=["share"])
    assert out["share"].isna().tolist() == [True, True, False]


def test_threshold_one_publishes_everything():
    """The no-suppression policy (for pure counts) leaves every number visible."""
    out = suppress(breakdown(1, 2, 0), NO_SUPPRESSION)
    assert out["count"].tolist() == [1, 2, 0] and not out["is_suppressed"].any()
    assert (
        suppress_count(3, POLICY) is None
        and suppress_count(0, POLICY) == 0
        and suppress_count(5, POLICY) == 5
    )
    with pytest.raises(ValueError):
        DisclosurePolicy(threshold=0)


@pytest.mark.parametrize("k", [3, 5, 10])
def test_no_published_number_or_difference_with_the_total_falls_in_1_to_k_minus_1(k):
    """Property, over 400 seeded random breakdowns: visible cells and total minus visible are 0 or >= k.

    The one allowed exception is a breakdown of fewer than k records in all: every cell is hidden, so
    total minus visible is the total itself, which says nothing about any cell.
    """
    rng = random.Random(k)
    policy = DisclosurePolicy(threshold=k)
    for _ in range(400):
        counts = [
            rng.choice([0, 0, 1, 2, 3, 4, k - 1, k, k + 1, 2 * k, rng.randrange(60)])
            for _ in range(rng.randrange(1, 8))
        ]
        out = suppress(breakdown(*counts), policy)
        visible = out["count"].dropna().astype(int)
        assert not ((visible > 0) & (visible < k)).any(), counts
        difference = sum(counts) - int(visible.sum())
        if 0 < difference < k:  # only when the whole breakdown is under k records, and then all is hidden
            assert sum(counts) < k and out["is_suppressed"].all(), counts
