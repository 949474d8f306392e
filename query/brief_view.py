"""Assembles a neighborhood's brief from pages the disclosure gate issued (`page` is query.gate.page,
passed in so that every figure here is one the gate already let out)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from query import brief, brief_file, initiative, voice
from query.db import CityData
from query.export import ExportFile, to_csv_bytes
from query.provenance import source_provenance
from query.quality import source_quality

PageFn = Callable[..., object]


@dataclass(frozen=True)
class Brief:
    city_name: str
    hood_id: str
    hood_name: str
    kinds: tuple[brief.KindBrief, ...]
    disclosure_rule: str
    sources: tuple[str, ...]  # one line per source: title, snapshot, as of, licence
    made_at: datetime
    pin: str  # the as_of that reopens these figures on the site
    initiatives: tuple[initiative.InitiativeReport, ...] = ()  # programmes covering the place
    # What residents said: the latest published trust and safety scores, here and city-wide.
    voice: tuple[voice.LatestScore, ...] = ()
    voice_notes: tuple[str, ...] = ()  # the scale and the publisher's method, in words
    voice_unit: str = ""  # "average score on the publisher's 0–100 scale"


def _initiatives(city: CityData, hood_id: str, asked: tuple) -> tuple[initiative.InitiativeReport, ...]:
    """The catalogue's programmes that cover this place, and one a link asked for; each evaluated."""
    chosen = [i for i in (*initiative.named_initiatives(city), *asked) if hood_id in i.neighborhood_ids]
    unique = list(dict.fromkeys(chosen))
    return tuple(r for r in (initiative.evaluate(city, i) for i in unique) if not r.refusal)


def assemble(city: CityData, hood_id: str, chosen: tuple, site, page: PageFn, asked: tuple = ()) -> Brief:
    kinds = []
    for kind in city.kinds_with_data():
        window = brief.kind_window(city, kind, chosen)
        if window is not None:
            kinds.append(_kind(city, kind, hood_id, window, site, page))
    return Brief(
        city_name=city.name,
        hood_id=hood_id,
        hood_name=str(city.neighborhood_names.get(hood_id, hood_id)),
        kinds=tuple(kinds),
        disclosure_rule=(
            f"Small numbers: counts from 1 to {site.disclosure.threshold - 1} in breakdowns by who the "
            "records were about are not shown, nor any other count that would reveal one."
        ),
        sources=tuple(_source_lines(city)),
        made_at=datetime.now(UTC),
        pin=city.pin,
        initiatives=_initiatives(city, hood_id, asked),
        **_voice(city, hood_id),
    )


BRIEF_MEASURES = ("trust", "safety")


def _voice(city: CityData, hood_id: str) -> dict:
    """The latest trust and safety scores and their change against a year before, where published."""
    kind = voice.kind_of(city)
    if kind is None:
        return {}
    wanted = tuple(m for m in BRIEF_MEASURES if m in voice.measures(city, kind))
    scale = voice.scale(city, kind)
    notes = (
        f"Survey scores: {scale.words}, as the publisher gives them (averages, not counts). "
        "The publisher gives no margin of error, so a change of a point or two may be noise.",
        *(f"Method (publisher): {n}" for n in scale.methods),
    )
    latest = tuple(voice.latest(city, kind, hood_id, wanted))
    return {"voice": latest, "voice_notes": notes, "voice_unit": scale.words}


def voice_rows(b: Brief) -> list[tuple[str, str, str, str]]:
    """(what, place, month, score and change) per latest score: what the page and the file print."""
    rows = []
    for item in b.voice:
        month = f"{item.month:%b %Y}" if item.month else "not published"
        score = "not published" if item.score is None else f"{item.score:.1f}"
        rows.append(
            (voice.measure_words(item.measure), item.place, month, f"{score}; {voice.change_words(item)}")
        )
    return rows


def _kind(city, kind: str, hood_id: str, window, site, page: PageFn) -> brief.KindBrief:
    area = page(city, brief.area_filters(kind, window, hood_id), site)
    whole = page(city, brief.area_filters(kind, window, None), site)
    figures = area.figures
    count = figures.count
    year_before = brief.poisson_statement(count, figures.year_before_count, "the same period a year before")
    # For a 12-month window the period before is the year before: say it once.
    comparisons = (
        (year_before,)
        if figures.previous_window == figures.year_before_window
        else (brief.poisson_statement(count, figures.previous_count, "the period before"), year_before)
    )
    return brief.KindBrief(
        kind=kind,
        title=brief.title_of(kind),
        unit=area.record_unit,
        window=window,
        area=area,
        city=whole,
        area_rate=brief.per_year_rate(count, brief.population_of(city, hood_id), window),
        city_rate=brief.per_year_rate(whole.figures.count, brief.population_of(city, None), window),
        comparisons=comparisons,
        sustained_share=brief.sustained_share(area.by_finding.frame) if kind == "complaint" else None,
        extra=tuple(_extra(city, kind, brief.area_filters(kind, window, hood_id), site.disclosure.threshold)),
        is_rate_unstable=count is not None and count < 20,
    )


def _extra(city: CityData, kind: str, filters, threshold: int) -> list[str]:
    """Where published: days from received to closed (complaints), subjects injured (force). Both
    are withheld when they rest on fewer records than the small-numbers threshold."""
    where, params = filters.to_sql()
    if kind == "complaint":
        row = city.query(
            "SELECT count(*) AS n, median(floor((epoch(closed_at) - epoch(received_at)) / 86400)) AS days FROM complaint "
            f"WHERE {where} AND received_at IS NOT NULL AND closed_at IS NOT NULL",
            params,
        ).iloc[0]
        if row["n"] >= threshold and pd.notna(row["days"]):
            return [
                f"Half of the closed allegations took {row['days']:.0f} days or less from received to closed ({int(row['n']):,} with both dates)."
            ]
    if kind == "use_of_force":
        row = city.query(
            f"SELECT count(subject_injured) AS n, count(*) FILTER (WHERE subject_injured) AS hurt "
            f"FROM use_of_force WHERE {where}",
            params,
        ).iloc[0]
        hurt, n = int(row["hurt"]), int(row["n"])
        if n >= threshold and not (0 < hurt < threshold) and not (0 < n - hurt < threshold):
            return [
                f"{hurt / n:.0%} of subjects with a published injury status were injured ({hurt:,} of {n:,})."
            ]
    return []


def _source_lines(city: CityData) -> list[str]:
    out = []
    for src in source_provenance(city):
        fetched = f"{src.fetched_at:%d %b %Y}" if src.fetched_at else "unknown"
        unit = source_quality(src.manifest).unit_plural if src.manifest else ""
        out.append(
            f"{src.title} ({src.publisher}): snapshot {src.snapshot_id}, fetched {fetched}, "
            f"counted in {unit}; licence: {src.licence or 'see the publisher'}."
        )
    return out


def period_words(window: tuple[date, date]) -> str:
    return f"{window[0]:%d %b %Y} – {window[1]:%d %b %Y}"


def rate_words(rate: float | None, unstable: bool) -> str:
    if rate is None:
        return "not available (no population)"
    return f"{rate:,.1f}" + (" (unstable: fewer than 20 records)" if unstable else "")


def figures_table(b: Brief) -> pd.DataFrame:
    """Every figure the brief prints, one row each, as published."""
    rows = []
    for k in b.kinds:
        period = period_words(k.window)
        for area, shown, rate, unstable in (
            (b.hood_name, k.area.headline, k.area_rate, k.is_rate_unstable),
            ("Whole city", k.city.headline, k.city_rate, False),
        ):
            rows.append((k.title, area, period, "count", shown, k.unit))
            rows.append(
                (
                    k.title,
                    area,
                    period,
                    "rate per 1,000 residents per year",
                    rate_words(rate, unstable),
                    k.unit,
                )
            )
        for c in k.comparisons:
            value = "" if c.change_pct is None else f"{c.change_pct:+.0f}%"
            rows.append((k.title, b.hood_name, period, f"change vs {c.label}", value, k.unit))
        if k.sustained_share:
            rows.append((k.title, b.hood_name, period, "sustained share", k.sustained_share, "allegations"))
    rows += _initiative_rows(b)
    for item in b.voice:
        month = f"{item.month:%b %Y}" if item.month else ""
        unit = b.voice_unit
        value = "" if item.score is None else f"{item.score:.1f}"
        what = voice.measure_words(item.measure)
        rows.append(("Community sentiment", item.place, month, f"{what}: latest score", value, unit))
        change = "" if item.change is None else f"{item.change:+.1f}"
        rows.append(
            (
                "Community sentiment",
                item.place,
                month,
                f"{what}: change vs a year before, points",
                change,
                unit,
            )
        )
    columns = [name for name, _, _ in brief_file.FIGURE_FIELDS]
    return pd.DataFrame(rows, columns=columns)


def _initiative_rows(b: Brief) -> list[tuple]:
    rows = []
    for report in b.initiatives:
        places = ", ".join(report.covered_names)
        for r in report.results:
            what = f"did it make a difference: {report.initiative.title} (from {report.initiative.start})"
            rows.append((r.measure, places, "before and after the start", what, r.verdict, r.unit))
    return rows


def to_file(b: Brief) -> ExportFile:
    figures = figures_table(b)
    title = f"{b.hood_name}, {b.city_name}: neighborhood brief"
    sections = ([_voice_section(b)] if b.voice else []) + [_section(b, k) for k in b.kinds]
    sections += [_initiative_section(r) for r in b.initiatives]
    html_text = brief_file.page_html(
        title,
        _intro(b),
        sections,
        [*b.sources, b.disclosure_rule, *b.voice_notes[1:]],
        b.made_at,
    )
    sources = [{"title": line} for line in b.sources]
    package = brief_file.datapackage(
        title, sources, [line.rsplit("licence: ", 1)[-1].rstrip(".") for line in b.sources]
    )
    name = (
        "brief_" + "".join(c if c.isalnum() else "_" for c in b.hood_name)[:40] + f"_{b.made_at:%Y%m%d}.zip"
    )
    return ExportFile(name, brief_file.zip_brief(html_text, to_csv_bytes(figures), package))


def _intro(b: Brief) -> list[str]:
    return [
        f"{b.city_name}. Each kind covers the latest 12 complete months of its own data unless dates were chosen.",
        "Rates are per 1,000 residents per year (annualised from the period shown).",
        f"To reopen these exact figures on the site: /neighborhood?as_of={b.pin}&hood={b.hood_id}",
    ]


def _section(b: Brief, k: brief.KindBrief) -> str:
    rows = [
        (f"{b.hood_name}: {k.unit}", k.area.headline, period_words(k.window)),
        ("Whole city", k.city.headline, ""),
        ("Rate per 1,000 residents per year", rate_words(k.area_rate, k.is_rate_unstable), b.hood_name),
        ("Rate per 1,000 residents per year", rate_words(k.city_rate, False), "whole city"),
    ]
    text = (
        [c.statement for c in k.comparisons]
        + ([k.sustained_share] if k.sustained_share else [])
        + list(k.extra)
    )
    trend = k.area.trend.frame
    months = [f"{m:%b %Y}" for m in trend["month"]] if "month" in trend else []
    counts = [None if pd.isna(v) else float(v) for v in trend.get("count", [])]
    cats = k.area.by_category.frame.sort_values("count", ascending=False, na_position="last").head(6)
    return (
        f"<section><h2>{html.escape(k.title)}</h2>{brief_file.figure_rows(rows)}"
        + "".join(f"<p>{html.escape(t)}</p>" for t in text)
        + _race_rows(k)
        + brief_file.line_svg(months, counts, k.unit, width=330)
        + brief_file.bars_svg(
            [str(c) for c in cats.get("category", [])],
            [None if pd.isna(v) else float(v) for v in cats.get("count", [])],
            k.unit,
        )
        + "</section>"
    )


def _voice_section(b: Brief) -> str:
    """What residents said, in two short rows (it must not push the brief past two A4 pages)."""
    cells: dict[str, list[str]] = {}
    for item in b.voice:
        month = f"{item.month:%b %Y}" if item.month else "not published"
        label = f"{voice.measure_words(item.measure).capitalize()}, {month}"
        score = "not published" if item.score is None else f"{item.score:.1f}"
        change = "" if item.change is None else f" ({item.change:+.1f})"
        cells.setdefault(label, []).append(f"{item.place}: {score}{change}")
    rows = [(label, *(places + ["", ""])[:2]) for label, places in cells.items()]
    note = (
        f"{b.voice_unit.capitalize()}, not counts; in brackets the change in points since the same month "
        "a year before (the publisher gives no margin of error). The method is under Sources."
    )
    return (
        f"<section><h2>Community sentiment: survey scores</h2>{brief_file.figure_rows(rows)}"
        f"<p class='note'>{html.escape(note)}</p></section>"
    )


def _race_rows(k: brief.KindBrief) -> str:
    """Use of force: subjects by race beside residents, in shares on both sides, as the gate issued them."""
    race = k.area.by_race.frame
    if k.kind != "use_of_force" or race.empty or "share" not in race:
        return ""
    rows = [
        (
            str(r.group),
            "not shown" if pd.isna(r.share) else f"{r.share:.0%} of {k.unit}",
            "" if pd.isna(r.population_share) else f"{r.population_share:.0%} of residents",
        )
        for r in race.itertuples()
    ]
    return f"<p class='note'>{html.escape(k.area.demographic_scope)}: by race</p>" + brief_file.figure_rows(
        rows
    )


def _initiative_section(report: initiative.InitiativeReport) -> str:
    """A programme covering the place: each measure's verdict and sentence, then the assumptions."""
    chosen = report.initiative
    head = f"Did it make a difference? {chosen.title} (started {chosen.start:%d %B %Y})"
    places = "Covers " + ", ".join(report.covered_names) + "; compared with the rest of the city."
    lines = [f"{r.measure}: {r.verdict}. {r.sentence}" for r in report.results]
    return (
        f"<section><h2>{html.escape(head)}</h2><p>{html.escape(places)}</p>"
        + "".join(f"<p>{html.escape(t)}</p>" for t in lines)
        + "<p class='note'>"
        + html.escape(" ".join(report.assumptions))
        + "</p></section>"
    )
