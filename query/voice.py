"""Community voice: survey scores a publisher already averaged, read as published.

Scores are not counts. Nothing here sums, rates or averages them again: each figure is one
published score for one place, month, measure and group, or the difference between two of them
(a gap between groups, a change against a year before). Only calendar-month periods are read, so
a weekly score is never set beside a monthly one. Where a publisher gives two different scores for
the same place, month, measure and group, neither is shown and the note says how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from query.db import CityData
from query.i18n import N_, _, ngettext, number
from store.schema import ALL_GROUP, CITY_LEVEL, schema_for

CITY_WORDS = N_("Whole city")
# The order measures are listed in; others a publisher adds follow, alphabetically.
MEASURE_ORDER = ("trust", "safety", "listen", "respect")
MEASURE_WORDS = {
    "trust": N_("trust in the police"),
    "safety": N_("feeling safe"),
    "listen": N_("police listen"),
    "respect": N_("police show respect"),
}
_MONTHLY = (
    "occurred_date = occurred_month AND period_end >= occurred_at + INTERVAL 27 DAY "
    "AND period_end < occurred_at + INTERVAL 32 DAY"
)


@dataclass(frozen=True)
class ScoreScale:
    """How a score kind's figures read: its scale, unit words and the publisher's method notes."""

    low: float | None
    high: float | None
    methods: tuple[str, ...]

    @property
    def words(self) -> str:
        if self.low is None or self.high is None:
            return _("average score (scale not published)")
        return _("average score on the publisher's {low}–{high} scale").format(
            low=f"{self.low:g}", high=f"{self.high:g}"
        )


def kind_of(city: CityData) -> str | None:
    """The city's score kind with data (community sentiment), or None."""
    kinds = city.score_kinds_with_data()
    return kinds[0] if kinds else None


def measure_words(measure: str) -> str:
    return _(MEASURE_WORDS[measure]) if measure in MEASURE_WORDS else measure.replace("_", " ")


def measures(city: CityData, kind: str) -> tuple[str, ...]:
    found = set(city.query(f"SELECT DISTINCT measure FROM {kind} WHERE {_MONTHLY}")["measure"].dropna())
    return tuple(m for m in MEASURE_ORDER if m in found) + tuple(sorted(found - set(MEASURE_ORDER)))


def groups(city: CityData, kind: str) -> pd.DataFrame:
    """Group types and values the publisher gives scores for (besides all residents), in order."""
    return city.query(
        f"SELECT group_type, group_value, min(group_value_raw) AS published FROM {kind} "
        f"WHERE group_type <> 'all' AND {_MONTHLY} GROUP BY ALL ORDER BY group_type, group_value"
    )


def scale(city: CityData, kind: str) -> ScoreScale:
    row = city.query(
        f"SELECT min(scale_min) AS low, max(scale_max) AS high, list(DISTINCT method_note) AS notes FROM {kind}"
    ).iloc[0]
    notes = tuple(sorted(str(n) for n in (row["notes"] if row["notes"] is not None else []) if n))
    low = None if pd.isna(row["low"]) else float(row["low"])
    high = None if pd.isna(row["high"]) else float(row["high"])
    return ScoreScale(low, high, notes)


def monthly(
    city: CityData,
    kind: str,
    measures_wanted: tuple[str, ...],
    group: str = ALL_GROUP,
    hood_ids: tuple[str, ...] = (),
    window: tuple[date | None, date | None] = (None, None),
) -> tuple[pd.DataFrame, int]:
    """Monthly scores per neighborhood (all, or the named) and the city line, and how many
    place-months were left out because the publisher gave two different scores for them.

    Columns: month, measure, neighborhood_id (None for the city line), neighborhood_name, score.
    """
    schema = schema_for(kind)
    level = f"{schema.level_column} = $city_level"
    hood = "neighborhood_id IS NOT NULL" + (" AND list_contains($hoods, neighborhood_id)" if hood_ids else "")
    where = [_MONTHLY, "list_contains($measures, measure)", "group_value = $group", f"({level} OR ({hood}))"]
    params: dict[str, object] = {"measures": list(measures_wanted), "group": group, "city_level": CITY_LEVEL}
    if hood_ids:
        params["hoods"] = list(hood_ids)
    if window[0]:
        where.append("occurred_date >= $date_from")
        params["date_from"] = window[0]
    if window[1]:
        where.append("occurred_date <= $date_to")
        params["date_to"] = window[1]
    frame = city.query(
        "SELECT occurred_month AS month, measure, neighborhood_id, "
        "coalesce(neighborhood_name, $city_words) AS neighborhood_name, "
        f"min(score) AS score, count(DISTINCT score) AS versions FROM {kind} WHERE {' AND '.join(where)} "
        "GROUP BY ALL",
        {**params, "city_words": _(CITY_WORDS)},
    )
    conflicting = int((frame["versions"] > 1).sum())
    frame = frame[frame["versions"] == 1].drop(columns="versions")
    # The city line first, then neighborhoods by name; months in order.
    frame = frame.assign(_city=frame["neighborhood_id"].isna()).sort_values(
        ["_city", "neighborhood_name", "measure", "month"], ascending=[False, True, True, True], kind="stable"
    )
    return frame.drop(columns="_city").reset_index(drop=True), conflicting


def by_group(
    city: CityData,
    kind: str,
    measure: str,
    group_type: str,
    hood_id: str | None,
    window: tuple[date | None, date | None] = (None, None),
) -> pd.DataFrame:
    """Monthly scores of each group of one type, for one neighborhood or (None) the city line."""
    frames = []
    values = groups(city, kind)
    for value in values.loc[values["group_type"] == group_type, "group_value"]:
        frame, _conflicting = monthly(city, kind, (measure,), value, (hood_id,) if hood_id else (), window)
        frame = (
            frame[frame["neighborhood_id"].isna()]
            if hood_id is None
            else frame[frame["neighborhood_id"] == hood_id]
        )
        frames.append(frame.assign(group=value))
    if not frames:
        return pd.DataFrame(columns=["month", "group", "score"])
    return pd.concat(frames, ignore_index=True)[["month", "group", "score"]]


def gap(frame: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The difference between two groups' published scores, month by month, where both are published."""
    wide = frame.pivot_table(index="month", columns="group", values="score", aggfunc="first")
    if first not in wide or second not in wide:
        return pd.DataFrame(columns=["month", first, second, "gap"])
    out = wide[[first, second]].dropna().reset_index()
    out.columns.name = None
    out["gap"] = (out[first] - out[second]).round(2)
    return out


@dataclass(frozen=True)
class LatestScore:
    measure: str
    place: str
    month: date | None
    score: float | None
    year_before: float | None

    @property
    def change(self) -> float | None:
        if self.score is None or self.year_before is None:
            return None
        return round(self.score - self.year_before, 2)


def latest(city: CityData, kind: str, hood_id: str, measures_wanted: tuple[str, ...]) -> list[LatestScore]:
    """Each measure's latest monthly score for the neighborhood and the city, and a year before."""
    frame, _conflicting = monthly(city, kind, measures_wanted, ALL_GROUP, (hood_id,))
    out = []
    for measure in measures_wanted:
        for place_id in (hood_id, None):
            rows = frame[(frame["measure"] == measure)]
            rows = (
                rows[rows["neighborhood_id"].isna()]
                if place_id is None
                else rows[rows["neighborhood_id"] == place_id]
            )
            name = _(CITY_WORDS) if place_id is None else str(city.neighborhood_names.get(hood_id, hood_id))
            if rows.empty:
                out.append(LatestScore(measure, name, None, None, None))
                continue
            last = rows.iloc[-1]
            month = last["month"]
            before = rows[rows["month"] == date(month.year - 1, month.month, 1)]
            prior = None if before.empty else float(before["score"].iloc[0])
            out.append(LatestScore(measure, name, month, float(last["score"]), prior))
    return out


def change_words(item: LatestScore) -> str:
    """A change in points in words; the publisher gives no margin of error, so it is not tested."""
    if item.change is None:
        return _("no score a year before to compare with")
    if abs(item.change) < 0.05:
        return _("the same as a year before")
    words = (
        _("{n} points higher than a year before ({then})")
        if item.change > 0
        else _("{n} points lower than a year before ({then})")
    )
    return words.format(n=number(abs(item.change), 1), then=number(item.year_before, 1))


@dataclass(frozen=True)
class VoiceView:
    """Everything the Community voice page shows for one place and period, as the gate issued it."""

    kind: str
    hood_id: str | None
    place: str
    measures: tuple[str, ...]
    scale: ScoreScale
    lines: object  # PublishedTable: month, measure, neighborhood_name, score (the place and the city)
    group_types: tuple[str, ...]
    group_type: str | None
    by_group: object  # PublishedTable: month, group, score
    gap_pair: tuple[str, str] | None
    gap: object  # PublishedTable: month, first, second, gap
    notes: tuple[str, ...]
    span: tuple[date, date] | None = None  # first day of the first month shown .. last day of the last
    measure: str | None = None  # the measure the group breakdown shows


def assemble(
    city: CityData,
    hood_id: str | None,
    window: tuple[date | None, date | None],
    measure: str | None,
    group_type: str | None,
    issue,
) -> VoiceView:
    """The page's tables; `issue` is the gate's publisher of scores (query.gate), passed in."""
    kind = kind_of(city)
    schema = schema_for(kind)
    found = measures(city, kind)
    frame, conflicting = monthly(city, kind, found, ALL_GROUP, (hood_id,) if hood_id else (), window)
    if hood_id:
        frame = frame[frame["neighborhood_id"].isna() | (frame["neighborhood_id"] == hood_id)]
    else:
        frame = frame[frame["neighborhood_id"].isna()]
    place = _(CITY_WORDS) if hood_id is None else str(city.neighborhood_names.get(hood_id, hood_id))
    values = groups(city, kind)
    types = tuple(dict.fromkeys(values["group_type"]))
    preferred = schema.default_gap[0] if schema.default_gap and schema.default_gap[0] in types else None
    chosen_type = group_type if group_type in types else (preferred or (types[0] if types else None))
    measure = measure if measure in found else (found[0] if found else None)
    per_group = (
        by_group(city, kind, measure, chosen_type, hood_id, window) if chosen_type and measure else None
    )
    pair = _gap_pair(schema.default_gap, chosen_type, values)
    gap_frame = gap(per_group, *pair) if per_group is not None and pair else pd.DataFrame()
    lines = frame[["month", "measure", "neighborhood_name", "score"]].rename(
        columns={"neighborhood_name": "place"}
    )
    lines = lines.assign(measure=[measure_words(m) for m in lines["measure"]])
    span = _span(lines["month"]) if len(lines) else None
    sc = scale(city, kind)
    notes = [
        _(
            "Scores are averages a survey vendor published ({unit}), shown as published: they are not "
            "counts, and no sum, rate or new average is made from them here."
        ).format(unit=sc.words),
        *(_("Method (publisher): {note}").format(note=n) for n in sc.methods),
        _("The publisher gives no margin of error, so a small move between months may be noise."),
    ]
    if conflicting:
        notes.append(
            ngettext(
                "{n} monthly score is not shown: the publisher gave two different values for the same "
                "place, month, measure and group.",
                "{n} monthly scores are not shown: the publisher gave two different values for the same "
                "place, month, measure and group.",
                conflicting,
            ).format(n=f"{conflicting:,}")
        )
    return VoiceView(
        kind=kind,
        hood_id=hood_id,
        place=place,
        measures=found,
        scale=sc,
        lines=issue(lines.reset_index(drop=True), "scores by month"),
        group_types=types,
        group_type=chosen_type,
        by_group=issue(
            per_group if per_group is not None else pd.DataFrame(columns=["month", "group", "score"]),
            "scores by group",
        ),
        gap_pair=pair,
        gap=issue(gap_frame, "gap between groups"),
        notes=tuple(notes),
        span=span,
        measure=measure,
    )


def _span(months: pd.Series) -> tuple[date, date]:
    last = max(months)
    following = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return min(months), following - timedelta(days=1)


def _gap_pair(
    default: tuple[str, str, str] | None, group_type: str | None, values: pd.DataFrame
) -> tuple[str, str] | None:
    """The schema's default pair (Black and White residents) where published, else the type's first two."""
    listed = list(values.loc[values["group_type"] == group_type, "group_value"])
    if default and default[0] == group_type and default[1] in listed and default[2] in listed:
        return default[1], default[2]
    return (listed[0], listed[1]) if len(listed) >= 2 else None
