"""Survey scores (community sentiment) as they leave the gate: the Community voice page's, the
monthly lines, and the brief's latest scores."""

from __future__ import annotations

from datetime import date

import pandas as pd

from query import brief_view, voice
from query.db import CityData
from query.i18n import _
from query.published import _ISSUED_HERE, PublishedTable

# The disclosure rule for scores: a publisher's averages are already aggregates over many residents,
# so they leave as published, with no small-cell suppression; but nothing here sums, rates or
# re-averages them, so no figure leaves that the publisher did not give (or the difference of two).

VoiceView = voice.VoiceView
measure_words = voice.measure_words


def _scores(frame: pd.DataFrame, what: str) -> PublishedTable:
    return PublishedTable(frame.reset_index(drop=True), what, _ISSUED_HERE)


def sentiment_monthly(
    city: CityData,
    measure: str,
    group: str = "all residents",
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> PublishedTable:
    """Monthly published scores of one measure and group for every neighborhood, and the city line
    (neighborhood_id None, neighborhood_name "Whole city"). Columns: month (first day, a date),
    neighborhood_id, neighborhood_name, score. Empty when the city publishes no scores."""
    kind = voice.kind_of(city)
    columns = ["month", "neighborhood_id", "neighborhood_name", "score"]
    if kind is None:
        return _scores(pd.DataFrame(columns=columns), "scores by month")
    frame, _conflicting = voice.monthly(city, kind, (measure,), group, (), (date_from, date_to))
    return _scores(frame[columns], "scores by month")


def voice_view(
    city: CityData,
    hood_id: str | None,
    window: tuple[date | None, date | None],
    measure: str | None = None,
    group_type: str | None = None,
) -> VoiceView | None:
    """The Community voice page's figures for a place (None: the whole city), or None without scores."""
    if voice.kind_of(city) is None:
        return None
    return voice.assemble(city, hood_id, window, measure, group_type, _scores)


def brief_voice_rows(brief: brief_view.Brief) -> PublishedTable:
    """The brief's latest survey scores (what, place, month, score and change), headed in the reader's
    language (the page's table; the brief's file carries them in its figures)."""
    headers = [_("Measure"), _("Place"), _("Month"), _("Score and change")]
    frame = pd.DataFrame(brief_view.voice_rows(brief), columns=headers)
    return _scores(frame, "survey scores")
