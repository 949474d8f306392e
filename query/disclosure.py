"""Small-cell suppression for breakdowns built on people's attributes (race, sex, age, and any cell a
person filter narrows), so that no published count, and no total minus the visible cells, names
fewer than `threshold` people.

Primary suppression hides counts 1..threshold-1. Complementary suppression then hides the smallest
remaining non-zero cells until the hidden cells of a breakdown add up to at least the threshold, so
the total cannot be differenced back to a small cell. If even that is impossible (the whole
breakdown holds fewer than `threshold` records) every cell is hidden, zeros included, since a
visible zero would then tell where the few records are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from query import frames
from query.i18n import _

SUPPRESSED_LABEL = "suppressed"
# Why a cell is hidden, in the `reason` column every suppressed frame carries (None where shown).
REASON_SMALL = "small"  # a count from 1 to threshold-1
REASON_COMPLEMENTARY = "complementary"  # hidden so the visible cells and the total cannot reveal a small one
REASON_LINKED = (
    "linked"  # hidden so a neighbouring published table cannot reveal a small count by subtraction
)
REASON_NO_POPULATION = "no population"  # a rate with no resident count to divide by


@dataclass(frozen=True)
class DisclosurePolicy:
    """Set per deployment: hide counts 1..threshold-1, and hide companions so totals cannot reveal them."""

    threshold: int = 5
    is_complementary: bool = True

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1 (1 disables suppression)")

    def hides(self, count: int | None) -> bool:
        """True for a count the policy never publishes on its own (1..threshold-1)."""
        return count is not None and 0 < count < self.threshold

    def reason_words(self, reason: str | None) -> str:
        """The plain-words reason a visitor reads for a hidden cell, stating this deployment's threshold."""
        return {
            REASON_SMALL: _("fewer than {threshold}").format(threshold=self.threshold),
            REASON_COMPLEMENTARY: _(
                "hidden so that a smaller hidden count cannot be worked out from the total"
            ),
            REASON_LINKED: _("hidden so that it cannot be worked out from another published view"),
            REASON_NO_POPULATION: _("no population"),
        }.get(reason or "", "")

    def note(self) -> str:
        """The sentence every table, chart and download that uses the policy carries."""
        if self.threshold <= 1:
            return _("No counts are suppressed.")
        text = _(
            "To protect the people in these records, counts from 1 to {largest} in breakdowns by "
            "race, sex or age (and any count narrowed by a race, sex or age filter) are not shown"
        ).format(largest=self.threshold - 1)
        if self.is_complementary:
            text += _(
                "; where needed, one or more other cells are hidden too, so a hidden count cannot be worked "
                "out by subtracting the visible ones from the total"
            )
        return text + _('. Hidden cells read "{label}".').format(label=suppressed_label())


NO_SUPPRESSION = DisclosurePolicy(threshold=1, is_complementary=False)


def suppressed_label() -> str:
    """What a hidden cell reads in the current language (frames keep SUPPRESSED_LABEL until the gate)."""
    return _("suppressed")


DEFAULT_POLICY = DisclosurePolicy()


def suppress(
    df: pd.DataFrame,
    policy: DisclosurePolicy,
    *,
    count_column: str = "count",
    within: Sequence[str] = (),
    derived_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy of `df` with small cells hidden: `count_column` set to NA, `is_suppressed` True, a `label`.

    `within` names columns that split the frame into separate breakdowns (e.g. neighborhood_id for a
    neighborhood x race table); complementary suppression works inside each of them. Columns in
    `derived_columns` (shares, rates) are blanked wherever the count is hidden.
    """
    counts = pd.to_numeric(df[count_column], errors="coerce").fillna(0).astype("int64").to_numpy()
    groups = df.groupby(list(within), sort=False, dropna=False).indices.values() if within else None
    columns = {name: frames.column_array(values) for name, values in df.items()}
    return frames.frame(hidden_columns(columns, counts, policy, groups, count_column, derived_columns))


def hidden_columns(
    columns: dict[str, object],
    counts: np.ndarray,
    policy: DisclosurePolicy,
    groups=None,
    count_column: str = "count",
    derived_columns: Sequence[str] = (),
) -> dict[str, object]:
    """`suppress` on column arrays: the count as Int64 (NA where hidden), derived columns blanked, then
    is_suppressed, reason and label; `groups` lists row positions per separate breakdown."""
    hidden = np.zeros(len(counts), dtype=bool)
    if policy.threshold > 1 and len(counts):
        for positions in groups if groups is not None else (np.arange(len(counts)),):
            hidden[positions] = _hide(counts[positions], policy)
    out = dict(columns)
    out[count_column] = frames.nullable_ints(counts, hidden)
    for column in derived_columns:
        if column in out:
            out[column] = np.where(hidden, np.nan, np.asarray(out[column], dtype="float64"))
    small = (counts > 0) & (counts < policy.threshold)
    reasons = [(REASON_SMALL if s else REASON_COMPLEMENTARY) if h else None for h, s in zip(hidden, small)]
    out["is_suppressed"] = hidden
    out["reason"] = frames.text(reasons)
    out["label"] = frames.text([SUPPRESSED_LABEL if h else f"{c:,}" for h, c in zip(hidden, counts.tolist())])
    return out


def _hide(counts: np.ndarray, policy: DisclosurePolicy) -> np.ndarray:
    """Which cells of one breakdown to hide."""
    k = policy.threshold
    hidden = (counts > 0) & (counts < k)
    if not policy.is_complementary or not hidden.any():
        return hidden
    while 0 < counts[hidden].sum() < k:
        candidates = np.flatnonzero(~hidden & (counts > 0))
        if candidates.size == 0:
            return np.ones_like(hidden)  # fewer than k records in all: show none of the cells
        hidden[candidates[np.argmin(counts[candidates])]] = True
    return hidden


def suppress_count(count: int | None, policy: DisclosurePolicy) -> int | None:
    """A single count narrowed by a person filter: None when the policy hides it."""
    return None if policy.hides(count) else count
