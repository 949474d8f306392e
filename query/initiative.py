"""Did an initiative make a difference? Its measures before and after, against the rest of the city.

An initiative is a title, a start date and the neighborhoods it covered (named by a visitor in the
URL, or by the deployment in the catalogue). For each kind with data it takes whole months before and
after the start, fits the difference-in-differences of `query.did`, and says in plain words what it
found: "changed more than the rest of the city", "no clear difference" or "too little data to say".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from query import voice
from query.db import CityData
from query.did import LEVEL, DidEstimate, estimate
from query.i18n import N_, _, number, term
from store.schema import schema_for

MIN_MONTHS = 6  # on each side of the start: fewer cannot tell a change from a season
MAX_MONTHS = 24  # on each side: older months say more about other changes than about this one
MIN_EVENTS = 20  # in the covered places, on each side: fewer and chance alone swamps any change
MIN_REST = 5  # places in the rest of the city to compare with

CHANGED = N_("changed more than the rest of the city")
NO_CLEAR = N_("no clear difference")
TOO_LITTLE = N_("too little data to say")

ASSUMPTIONS = (
    N_(
        "The rest of the city is the comparison: it shows what would have happened in the covered "
        "neighborhoods without the initiative."
    ),
    N_(
        "Parallel trends: before the start, the covered neighborhoods and the rest moved up and down "
        "together. The chart of the months before lets you judge this."
    ),
    N_("Nothing else that changed at the same time affected the covered neighborhoods only."),
    N_(
        "Counts are compared as proportional changes (a Poisson model with a level for each "
        "neighborhood and for each month); scores as changes in points."
    ),
    N_(
        "The interval is 95% and allows for months within a neighborhood being alike. With few covered "
        "neighborhoods such intervals are too narrow, so a placebo check also asks how often "
        "neighborhoods of a similar size without the initiative show as large a change. A difference "
        "is claimed only when both find one and the months before show no sign of the places already "
        "drifting apart."
    ),
)


@dataclass(frozen=True)
class Initiative:
    """What a visitor or the deployment names: a title, a start date and the neighborhoods covered."""

    title: str
    start: date
    neighborhood_ids: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class MeasureResult:
    """One measure's verdict, its sentence, the model's figures (None if refused) and its monthly lines."""

    kind: str
    measure: str  # "Use of force"
    unit: str  # "subjects", "points on a 0-100 scale"
    verdict: str  # CHANGED, NO_CLEAR or TOO_LITTLE
    sentence: str
    estimate: DidEstimate | None
    lines: pd.DataFrame = field(repr=False)  # month, group, value (mean per neighborhood), is_after


@dataclass(frozen=True)
class InitiativeReport:
    initiative: Initiative
    covered_names: tuple[str, ...]
    results: tuple[MeasureResult, ...]
    assumptions: tuple[str, ...] = ASSUMPTIONS
    refusal: str | None = None  # why nothing could be compared at all


def evaluate(city: CityData, initiative: Initiative) -> InitiativeReport:
    """The initiative's result for every kind of record this city has."""
    known = set(city.neighborhoods["neighborhood_id"])
    covered = tuple(h for h in initiative.neighborhood_ids if h in known)
    names = tuple(city.neighborhood_names.get(h, h) for h in covered)
    refusal = _refusal(covered, len(known))
    if refusal:
        return InitiativeReport(initiative, names, (), refusal=refusal)
    results = [_count_result(city, kind, initiative, set(covered)) for kind in city.kinds_with_data()]
    results += _score_results(city, initiative, set(covered))
    return InitiativeReport(initiative, names, tuple(results))


def _refusal(covered: tuple[str, ...], n_places: int) -> str | None:
    if not covered:
        return _("Name at least one neighborhood the initiative covered.")
    if n_places - len(covered) < MIN_REST:
        return _("At least {n} neighborhoods must be left out of the initiative to compare with.").format(
            n=MIN_REST
        )
    return None


def monthly_counts(city: CityData, kind: str) -> pd.DataFrame:
    """Records per neighborhood and whole month (zeros included): place, month, value."""
    span = city.coverage.get(kind)
    if span is None:
        return pd.DataFrame(columns=["place", "month", "value"])
    first = pd.Timestamp(span[0]).to_period("M")
    first = first if pd.Timestamp(span[0]).day == 1 else first + 1  # whole months only
    last = pd.Timestamp(span[1]).to_period("M")
    last = last if (pd.Timestamp(span[1]) + pd.Timedelta(days=1)).day == 1 else last - 1
    counts = city.query(
        f"SELECT neighborhood_id AS place, occurred_month AS month, count(*) AS value FROM {kind} "
        "WHERE neighborhood_id IS NOT NULL GROUP BY ALL"
    )
    months = pd.period_range(first, last, freq="M").to_timestamp()
    grid = pd.MultiIndex.from_product(
        [sorted(city.neighborhoods["neighborhood_id"]), months], names=["place", "month"]
    )
    counts["month"] = pd.to_datetime(counts["month"])
    series = counts.set_index(["place", "month"])["value"].astype(float)
    return series.reindex(grid, fill_value=0.0).reset_index()


def windowed(panel: pd.DataFrame, start: date) -> pd.DataFrame:
    """The months within MAX_MONTHS either side of the start."""
    begin = pd.Timestamp(start).to_period("M").to_timestamp()
    low = begin - pd.DateOffset(months=MAX_MONTHS)
    high = begin + pd.DateOffset(months=MAX_MONTHS)
    return panel[(panel["month"] >= low) & (panel["month"] < high)]


def _count_result(city: CityData, kind: str, initiative: Initiative, covered: set[str]) -> MeasureResult:
    measure = term(schema_for(kind).page_title)
    unit = term(city.unit_plural(kind))
    panel = windowed(monthly_counts(city, kind), initiative.start)
    start = pd.Timestamp(initiative.start).to_period("M").to_timestamp()
    lines = group_lines(panel, covered, start)
    short = _too_little(panel, covered, start, is_count=True)
    if short:
        return MeasureResult(kind, measure, unit, TOO_LITTLE, short, None, lines)
    found = estimate(panel, covered, start, is_count=True)
    verdict = CHANGED if found.is_clear else NO_CLEAR
    sentence = _sentence(unit, verdict, found)
    return MeasureResult(kind, measure, unit, verdict, sentence, found, lines)


SCORE_MEASURES = ("trust", "safety")  # the two every survey in view publishes from its start


def score_panel(city: CityData, kind: str, measure: str) -> pd.DataFrame:
    """All residents' monthly score per neighborhood (the publisher's own, never averaged here)."""
    frame, _conflicting = voice.monthly(city, kind, (measure,))
    frame = frame[frame["neighborhood_id"].notna()]
    out = pd.DataFrame(
        {"place": frame["neighborhood_id"], "month": pd.to_datetime(frame["month"]), "value": frame["score"]}
    )
    return out.astype({"value": float}).reset_index(drop=True)


def _score_results(city: CityData, initiative: Initiative, covered: set[str]) -> list[MeasureResult]:
    kind = voice.kind_of(city)
    if kind is None:
        return []
    unit = voice.scale(city, kind).words
    start = pd.Timestamp(initiative.start).to_period("M").to_timestamp()
    results = []
    for measure in (m for m in voice.measures(city, kind) if m in SCORE_MEASURES):
        name = voice.measure_words(measure).capitalize()
        panel = windowed(score_panel(city, kind, measure), initiative.start)
        lines = group_lines(panel, covered, start)
        short = _too_little(panel, covered, start, is_count=False) or _uncovered(panel, covered)
        if short:
            results.append(MeasureResult(kind, name, unit, TOO_LITTLE, short, None, lines))
            continue
        found = estimate(panel, covered, start, is_count=False)
        verdict = CHANGED if found.is_clear else NO_CLEAR
        results.append(
            MeasureResult(kind, name, unit, verdict, _sentence(unit, verdict, found), found, lines)
        )
    return results


def _uncovered(panel: pd.DataFrame, covered: set[str]) -> str | None:
    if panel["place"].isin(covered).any():
        return None
    return _("The survey publishes no scores for the covered neighborhoods.")


def _too_little(panel: pd.DataFrame, covered: set[str], start: pd.Timestamp, is_count: bool) -> str | None:
    """Why this window cannot say anything, in words, or None."""
    before = panel.loc[panel["month"] < start, "month"].nunique()
    after = panel.loc[panel["month"] >= start, "month"].nunique()
    if before < MIN_MONTHS or after < MIN_MONTHS:
        return _(
            "There are {before} whole months of data before the start and {after} after; at least "
            "{n} on each side are needed."
        ).format(before=before, after=after, n=MIN_MONTHS)
    if is_count:
        inside = panel[panel["place"].isin(covered)]
        sides = inside.groupby(inside["month"] >= start)["value"].sum()
        if sides.min() < MIN_EVENTS or len(sides) < 2:
            return _(
                "There are fewer than {n} records in the covered neighborhoods before or after the start."
            ).format(n=MIN_EVENTS)
    return None


def group_lines(panel: pd.DataFrame, covered: set[str], start: pd.Timestamp) -> pd.DataFrame:
    """Mean per neighborhood per month, for the covered neighborhoods and for the rest of the city."""
    if panel.empty:
        return pd.DataFrame(columns=["month", "group", "value", "is_after"])
    label = panel["place"].isin(covered).map({True: _("Covered neighborhoods"), False: _("Rest of the city")})
    lines = panel.groupby([panel["month"], label.rename("group")])["value"].mean().reset_index()
    lines["is_after"] = lines["month"] >= start
    return lines


def _signed(points: float) -> str:
    return ("+" if points > 0 else "−" if points < 0 else "") + number(abs(points), 1)


def _sentence(unit: str, verdict: str, found: DidEstimate) -> str:
    """The plain sentence under a measure's chart (the measure's name is its heading)."""
    way = _("lower") if found.effect < 0 else _("higher")
    if found.is_count:
        size = _("{pct:.0f}% {way}").format(pct=abs(found.effect) * 100, way=way)
        span = _("{low:+.0f}% to {high:+.0f}%").format(low=found.low * 100, high=found.high * 100)
    else:
        size = _("{pts} points {way}").format(pts=number(abs(found.effect), 1), way=way)
        span = _("{low} to {high} points").format(low=_signed(found.low), high=_signed(found.high))
    words = {"size": size, "span": span, "level": f"{LEVEL:.0%}", "unit": unit}
    if verdict == CHANGED:
        return _(
            "After the start it was about {size} in the covered neighborhoods than the rest of the "
            "city's trend would suggest ({level} interval {span}; counted in {unit})."
        ).format(**words)
    if found.is_pre_trend_doubtful:
        return _(
            "The best estimate is {size} than the rest of the city's trend would suggest ({level} "
            "interval {span}), but before the start the covered neighborhoods were already moving "
            "differently from the rest of the city, so a change after it cannot be put down to the "
            "initiative: see the months before in the chart (counted in {unit})."
        ).format(**words)
    if found.interval_excludes_none and found.placebo_p is None:
        return _(
            "The best estimate is {size} than the rest of the city's trend would suggest ({level} "
            "interval {span}), but there are too few similar neighborhoods without the initiative to "
            "check it against chance (counted in {unit})."
        ).format(**words)
    if found.interval_excludes_none:
        return _(
            "The best estimate is {size} than the rest of the city's trend would suggest ({level} "
            "interval {span}), but similar neighborhoods without the initiative often changed as much, "
            "so this cannot be told apart from ordinary differences between places (counted in {unit})."
        ).format(**words)
    return _(
        "The best estimate is {size} than the rest of the city's trend would suggest, but the {level} "
        "interval ({span}) includes no change at all (counted in {unit})."
    ).format(**words)


def place_ids(city: CityData, names_or_ids) -> tuple[str, ...]:
    """Neighborhood ids for what a visitor or the catalogue named (ids or names; unknown ones dropped)."""
    by_name = {str(name).casefold(): hood for hood, name in city.neighborhood_names.items()}
    known = set(city.neighborhoods["neighborhood_id"])
    found = []
    for item in names_or_ids:
        hood = item if item in known else by_name.get(str(item).casefold())
        if hood and hood not in found:
            found.append(hood)
    return tuple(found)


def named_initiatives(city: CityData) -> tuple[Initiative, ...]:
    """The programmes the deployment named in its catalogue for this city."""
    named = []
    for item in city.index.initiatives:
        try:
            start = date.fromisoformat(str(item.get("start")))
        except ValueError:
            continue  # the catalogue check reports it; a page never fails on it
        hoods = place_ids(city, item.get("neighborhoods", []))
        named.append(Initiative(str(item.get("title", "")), start, hoods, str(item.get("note", ""))))
    return tuple(named)
