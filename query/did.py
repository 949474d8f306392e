"""Difference-in-differences on a monthly panel: did the covered places change more than the rest?

The model is the standard two-way fixed-effects one: each place has its own level, each month its own
citywide level, and one extra term says how much the covered places moved after the start beyond
that. Counts use a Poisson model (the term is a proportional change); scores use least squares (the
term is in points of the score's scale). The interval is cluster-robust by place (statsmodels), and
because that interval is too narrow when only a few places are covered, a placebo check also asks how
often the same estimate is as large for places that had no programme. A difference is claimed only
when both agree. Pure functions: no Streamlit, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

LEVEL = 0.95
MAX_PLACEBOS = 300
MATCHES = 8  # like places a placebo may stand in for each covered one
PLACEBO_SEED = 2024  # the same panel always gets the same placebo draws


@dataclass(frozen=True)
class DidEstimate:
    """One measure's answer. Counts: `effect` is a share (-0.4 = 40% lower); scores: points."""

    effect: float
    low: float
    high: float
    is_count: bool
    placebo_p: float | None  # share of placebo groups whose estimate is at least as far from none
    placebo_draws: int
    pre_trend_p: float | None  # a test of "the places were already drifting apart before"
    n_treated: int
    n_control: int
    months_before: int
    months_after: int
    treated_before: float  # per place per month, covered places, before the start
    treated_after: float
    rest_before: float
    rest_after: float

    @property
    def interval_excludes_none(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def is_placebo_clear(self) -> bool:
        return self.placebo_p is not None and self.placebo_p <= 1 - LEVEL

    @property
    def is_pre_trend_doubtful(self) -> bool:
        return self.pre_trend_p is not None and self.pre_trend_p <= 1 - LEVEL

    @property
    def is_clear(self) -> bool:
        """The interval and the placebo check both find a difference, and the trends before the start
        give no reason to doubt the comparison. Without a placebo check nothing is claimed."""
        return self.interval_excludes_none and self.is_placebo_clear and not self.is_pre_trend_doubtful


def estimate(panel: pd.DataFrame, treated: set[str], start: pd.Timestamp, is_count: bool) -> DidEstimate:
    """Fit the model on `panel` (columns place, month, value; one row per place and month)."""
    # Imported here: statsmodels brings scipy, two seconds of start-up that every other page and a
    # server's cold start would pay for a model only this page and the brief fit.
    from threadpoolctl import threadpool_limits

    # One BLAS thread: these matrices are small, and OpenBLAS's threads fighting over two busy
    # cores made one fit take seconds instead of a tenth of one.
    with threadpool_limits(limits=1, user_api="blas"):
        return _estimate(panel, treated, start, is_count)


def _estimate(panel: pd.DataFrame, treated: set[str], start: pd.Timestamp, is_count: bool) -> DidEstimate:
    data = _prepared(panel, treated, start, is_count)
    coef, low, high = _fit(data, is_count)
    transform = (lambda b: math.exp(b) - 1) if is_count else (lambda b: b)
    placebo_p, draws = _placebo(data, is_count)
    means = data.groupby(["is_treated", "is_after"])["value"].mean()
    return DidEstimate(
        effect=transform(coef),
        low=transform(low),
        high=transform(high),
        is_count=is_count,
        placebo_p=placebo_p,
        placebo_draws=draws,
        pre_trend_p=_pre_trend_p(data, is_count),
        n_treated=int(data.loc[data["is_treated"], "place"].nunique()),
        n_control=int(data.loc[~data["is_treated"], "place"].nunique()),
        months_before=int(data.loc[~data["is_after"], "month"].nunique()),
        months_after=int(data.loc[data["is_after"], "month"].nunique()),
        treated_before=float(means.get((True, False), np.nan)),
        treated_after=float(means.get((True, True), np.nan)),
        rest_before=float(means.get((False, False), np.nan)),
        rest_after=float(means.get((False, True), np.nan)),
    )


def _prepared(panel: pd.DataFrame, treated: set[str], start: pd.Timestamp, is_count: bool) -> pd.DataFrame:
    data = panel.dropna(subset=["value"]).copy()
    data["is_treated"] = data["place"].isin(treated)
    data["is_after"] = data["month"] >= start
    if is_count:
        # a place with no event in the whole window has no level to estimate (its fixed effect is -inf)
        totals = data.groupby("place")["value"].transform("sum")
        data = data[totals > 0]
    return data.reset_index(drop=True)


def _design(data: pd.DataFrame, term: pd.Series) -> pd.DataFrame:
    places = pd.get_dummies(data["place"], prefix="p", drop_first=True, dtype=float)
    months = pd.get_dummies(data["month"].astype(str), prefix="m", drop_first=True, dtype=float)
    return pd.concat([term.rename("term").astype(float), places, months], axis=1).assign(const=1.0)


def _fit(data: pd.DataFrame, is_count: bool) -> tuple[float, float, float]:
    """The coefficient of covered-and-after and its cluster-robust interval (t with clusters - 1 df)."""
    return _term_interval(data, data["is_treated"] & data["is_after"], is_count)


def _term_interval(data: pd.DataFrame, term: pd.Series, is_count: bool) -> tuple[float, float, float]:
    X = _design(data, term)
    groups = pd.factorize(data["place"])[0]
    kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}, "use_t": True}
    import statsmodels.api as sm  # see estimate()

    if is_count:
        result = sm.GLM(data["value"].astype(float), X, family=sm.families.Poisson()).fit(**kwargs)
    else:
        result = sm.OLS(data["value"].astype(float), X).fit(**kwargs)
    low, high = result.conf_int(alpha=1 - LEVEL).loc["term"]
    return float(result.params["term"]), float(low), float(high)


def _pre_trend_p(data: pd.DataFrame, is_count: bool) -> float | None:
    """How unusual the covered places' trend before the start is, against like places without it.

    The slope over the months before (of the log of the group's monthly total, or of its mean score)
    of the covered group minus the rest, against the same for placebo groups. A small value says the
    places were already drifting apart, so "parallel trends" is in doubt. None with under 6 months
    before, or too few places for placebo groups.
    """
    before = data[~data["is_after"]]
    if before["month"].nunique() < 6:
        return None
    wide = before.pivot_table(index="place", columns="month", values="value", aggfunc="mean").dropna()
    setup = _placebo_setup(wide.mean(axis=1), data)
    if setup is None:
        return None
    is_treated, groups, controls = setup
    x = np.arange(wide.shape[1], dtype=float)
    x -= x.mean()

    def slope_gap(inside: np.ndarray, places: np.ndarray) -> np.ndarray:
        rows = wide.to_numpy()[places]
        totals_in, totals_out = inside @ rows, (1 - inside) @ rows
        if is_count:
            totals_in, totals_out = np.log(totals_in + 0.5), np.log(totals_out + 0.5)
        else:
            totals_in = totals_in / inside.sum(axis=1, keepdims=True)
            totals_out = totals_out / (1 - inside).sum(axis=1, keepdims=True)
        return (totals_in - totals_out) @ x / (x @ x)

    observed = slope_gap(is_treated[None, :].astype(float), np.arange(len(wide)))[0]
    placebo = slope_gap(groups.astype(float), controls)
    return _share_as_far(placebo, observed)


def _simple_effect(totals: pd.DataFrame, group: np.ndarray, is_count: bool) -> np.ndarray:
    """The two-by-two estimate for many groups at once (rows of `totals` are places, columns
    before/after; `group` is draws x places of 0/1). Counts: log of (covered after / before) over
    (rest after / before), half an event added so an empty side stays finite. Scores: the
    difference of mean changes."""
    before, after = totals["before"].to_numpy(), totals["after"].to_numpy()
    inside = group.astype(float)
    outside = 1 - inside
    if is_count:
        t_b, t_a = inside @ before + 0.5, inside @ after + 0.5
        c_b, c_a = outside @ before + 0.5, outside @ after + 0.5
        return np.log(t_a / t_b) - np.log(c_a / c_b)
    change = after - before
    return (inside @ change) / inside.sum(axis=1) - (outside @ change) / outside.sum(axis=1)


def _placebo(data: pd.DataFrame, is_count: bool) -> tuple[float | None, int]:
    """How often like places without the programme show an estimate at least as far from zero."""
    how = "sum" if is_count else "mean"
    totals = data.pivot_table(index="place", columns="is_after", values="value", aggfunc=how)
    totals = totals.rename(columns={False: "before", True: "after"}).dropna()
    if not {"before", "after"} <= set(totals.columns):
        return None, 0
    setup = _placebo_setup(totals["before"], data)
    if setup is None:
        return None, 0
    is_treated, groups, controls = setup
    observed = _simple_effect(totals, is_treated[None, :], is_count)[0]
    placebo = _simple_effect(totals.iloc[controls], groups, is_count)
    return _share_as_far(placebo, observed), len(groups)


def _share_as_far(placebo: np.ndarray, observed: float) -> float:
    return float((1 + np.sum(np.abs(placebo) >= abs(observed) - 1e-12)) / (1 + len(placebo)))


def _placebo_setup(size: pd.Series, data: pd.DataFrame):
    """(covered mask over `size`'s places, placebo groups over the controls, control positions) or None.

    A placebo group stands in each covered place with one of the MATCHES places without the programme
    nearest to it in size (its level before the start): a big place's count moves in smaller steps
    than a small one's, so like must be compared with like. Fewer than 19 groups is too few for a 5%
    check, and then None.
    """
    is_treated = size.index.isin(data.loc[data["is_treated"], "place"].unique())
    controls = np.flatnonzero(~is_treated)
    if not is_treated.any() or len(controls) <= is_treated.sum():
        return None
    levels = np.log(size.to_numpy(dtype=float) + 0.5)
    covered = np.flatnonzero(is_treated)
    matches = MATCHES if len(covered) > 1 else 19  # one covered place: 19 stand-ins, enough for 5%
    candidates = [np.argsort(np.abs(levels[controls] - levels[i]), kind="stable")[:matches] for i in covered]
    groups = _placebo_groups(candidates, len(controls))
    return (is_treated, groups, controls) if len(groups) >= 19 else None


def _placebo_groups(candidates: list[np.ndarray], n: int) -> np.ndarray:
    """Distinct groups taking one candidate per covered place (all of them, or MAX_PLACEBOS drawn)."""
    total = math.prod(len(c) for c in candidates)
    if total <= MAX_PLACEBOS:
        picks = product(*candidates)
    else:
        rng = np.random.default_rng(PLACEBO_SEED)
        picks = ([rng.choice(c) for c in candidates] for _ in range(MAX_PLACEBOS))
    unique = {tuple(sorted(set(int(i) for i in pick))) for pick in picks}
    unique = sorted(g for g in unique if len(g) == len(candidates))
    groups = np.zeros((len(unique), n), dtype=bool)
    for row, pick in enumerate(unique):
        groups[row, list(pick)] = True
    return groups
