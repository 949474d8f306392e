"""Assembles a neighborhood's brief from pages the disclosure gate issued (`page` is query.gate.page,
passed in so that every figure here is one the gate already let out)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pandas as pd

from query import brief, brief_file, initiative, voice
from query.db import CityData
from query.export import ExportFile, to_csv_bytes
from query.i18n import _, day_month_year, language, month_year, number, percent, signed_percent, term
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
        disclosure_rule=_(
            "Small numbers: counts from 1 to {largest} in breakdowns by who the "
            "records were about are not shown, nor any other count that would reveal one."
        ).format(largest=site.disclosure.threshold - 1),
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
        _(
            "Survey scores: {unit}, as the publisher gives them (averages, not counts). "
            "The publisher gives no margin of error, so a change of a point or two may be noise."
        ).format(unit=scale.words),
        *(_("Method (publisher): {note}").format(note=n) for n in scale.methods),
    )
    latest = tuple(voice.latest(city, kind, hood_id, wanted))
    return {"voice": latest, "voice_notes": notes, "voice_unit": scale.words}


def voice_rows(b: Brief) -> list[tuple[str, str, str, str]]:
    """(what, place, month, score and change) per latest score, in the reader's language."""
    rows = []
    for item in b.voice:
        month, score = _month_and_score(item)
        rows.append(
            (voice.measure_words(item.measure), item.place, month, f"{score}; {voice.change_words(item)}")
        )
    return rows


def _month_and_score(item: voice.LatestScore) -> tuple[str, str]:
    """A latest score's month and score in the reader's words ("not published" where missing)."""
    missing = _("not published")
    month = month_year(item.month) if item.month else missing
    return month, missing if item.score is None else number(item.score, 1)


def _kind(city, kind: str, hood_id: str, window, site, page: PageFn) -> brief.KindBrief:
    area = page(city, brief.area_filters(kind, window, hood_id), site)
    whole = page(city, brief.area_filters(kind, window, None), site)
    figures = area.figures
    count = figures.count
    year_before = brief.poisson_statement(
        count, figures.year_before_count, _("the same period a year before")
    )
    # For a 12-month window the period before is the year before: say it once.
    comparisons = (
        (year_before,)
        if figures.previous_window == figures.year_before_window
        else (brief.poisson_statement(count, figures.previous_count, _("the period before")), year_before)
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
                _(
                    "Half of the closed allegations took {days} days or less from received to closed "
                    "({n} with both dates)."
                ).format(days=number(row["days"]), n=number(int(row["n"])))
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
                _("{share} of subjects with a published injury status were injured ({hurt} of {n}).").format(
                    share=percent(hurt / n), hurt=number(hurt), n=number(n)
                )
            ]
    return []


def _source_lines(city: CityData) -> list[str]:
    out = []
    for src in source_provenance(city):
        fetched = day_month_year(src.fetched_at, padded=True) if src.fetched_at else _("unknown")
        unit = term(source_quality(src.manifest).unit_plural) if src.manifest else ""
        # "licence: " ends every line in every language: to_file() reads the licence after it
        out.append(
            _("{title} ({publisher}): snapshot {snapshot}, fetched {fetched}, counted in {unit}").format(
                title=src.title, publisher=src.publisher, snapshot=src.snapshot_id, fetched=fetched, unit=unit
            )
            + "; "
            + _("licence")
            + ": "
            + (src.licence or _("see the publisher"))
            + "."
        )
    return out


def period_words(window: tuple[date, date]) -> str:
    return f"{day_month_year(window[0], padded=True)} – {day_month_year(window[1], padded=True)}"


def rate_words(rate: float | None, unstable: bool) -> str:
    if rate is None:
        return _("not available (no population)")
    return number(rate, 1) + (" " + _("(unstable: fewer than 20 records)") if unstable else "")


def figures_table(b: Brief) -> pd.DataFrame:
    """Every figure the brief prints, one row each, as published."""
    rows = []
    for k in b.kinds:
        period = period_words(k.window)
        title, unit = term(k.title), term(k.unit)
        for area, shown, rate, unstable in (
            (b.hood_name, k.area.headline, k.area_rate, k.is_rate_unstable),
            (_("Whole city"), k.city.headline, k.city_rate, False),
        ):
            rows.append((title, area, period, _("count"), shown, unit))
            rows.append(
                (
                    title,
                    area,
                    period,
                    _("rate per 1,000 residents per year"),
                    rate_words(rate, unstable),
                    unit,
                )
            )
        for c in k.comparisons:
            value = "" if c.change_pct is None else signed_percent(c.change_pct)
            measure = _("change vs {against}").format(against=c.label)
            rows.append((title, b.hood_name, period, measure, value, unit))
        if k.sustained_share:
            rows.append(
                (title, b.hood_name, period, _("sustained share"), k.sustained_share, term("allegations"))
            )
    rows += _initiative_rows(b)
    for item in b.voice:
        month = month_year(item.month) if item.month else ""
        unit = b.voice_unit
        value = "" if item.score is None else f"{item.score:.1f}"
        what = voice.measure_words(item.measure)
        sentiment = _("Community sentiment")
        rows.append((sentiment, item.place, month, _("{what}: latest score").format(what=what), value, unit))
        change = "" if item.change is None else f"{item.change:+.1f}"
        label = _("{what}: change vs a year before, points").format(what=what)
        rows.append((sentiment, item.place, month, label, change, unit))
    columns = [name for name, _type, _description in brief_file.FIGURE_FIELDS]
    return pd.DataFrame(rows, columns=columns)


def _initiative_rows(b: Brief) -> list[tuple]:
    rows = []
    for report in b.initiatives:
        places = ", ".join(report.covered_names)
        for r in report.results:
            what = _("did it make a difference: {title} (from {start})").format(
                title=report.initiative.title, start=report.initiative.start.isoformat()
            )
            rows.append((r.measure, places, _("before and after the start"), what, _(r.verdict), r.unit))
    return rows


def to_file(b: Brief) -> ExportFile:
    figures = figures_table(b)
    title = _("{area}, {city}: neighborhood brief").format(area=b.hood_name, city=b.city_name)
    sections = ([_voice_section(b)] if b.voice else []) + [_section(b, k) for k in b.kinds]
    sections += [_initiative_section(r) for r in b.initiatives]
    html_text = brief_file.page_html(
        title,
        _intro(b),
        sections,
        [*b.sources, b.disclosure_rule, *b.voice_notes[1:]],
        b.made_at,
        language(),
    )
    sources = [{"title": line} for line in b.sources]
    marker = _("licence") + ": "
    package = brief_file.datapackage(
        title, sources, [line.rsplit(marker, 1)[-1].rstrip(".") for line in b.sources]
    )
    name = (
        "brief_" + "".join(c if c.isalnum() else "_" for c in b.hood_name)[:40] + f"_{b.made_at:%Y%m%d}.zip"
    )
    return ExportFile(name, brief_file.zip_brief(html_text, to_csv_bytes(figures), package))


def _intro(b: Brief) -> list[str]:
    asked = {"as_of": b.pin, "place": b.hood_name} | ({} if language() == "en" else {"lang": language()})
    link = "/neighborhood?" + urlencode(asked)
    return [
        f"{b.city_name}. "
        + _("Each kind covers the latest 12 complete months of its own data unless dates were chosen."),
        _("Rates are per 1,000 residents per year (annualised from the period shown)."),
        _("To reopen these exact figures on the site: {link}").format(link=link),
    ]


def _section(b: Brief, k: brief.KindBrief) -> str:
    unit = term(k.unit)
    rate = _("Rate per 1,000 residents per year")
    rows = [
        (f"{b.hood_name}: {unit}", k.area.headline, period_words(k.window)),
        (_("Whole city"), k.city.headline, ""),
        (rate, rate_words(k.area_rate, k.is_rate_unstable), b.hood_name),
        (rate, rate_words(k.city_rate, False), _("whole city")),
    ]
    text = (
        [c.statement for c in k.comparisons]
        + ([k.sustained_share] if k.sustained_share else [])
        + list(k.extra)
    )
    trend = k.area.trend.frame
    months = [month_year(m) for m in trend["month"]] if "month" in trend else []
    counts = [None if pd.isna(v) else float(v) for v in trend.get("count", [])]
    cats = k.area.by_category.frame.sort_values("count", ascending=False, na_position="last").head(6)
    vocabulary = brief.schema_for(k.kind).category_column
    return (
        f"<section><h2>{html.escape(term(k.title))}</h2>{brief_file.figure_rows(rows)}"
        + "".join(f"<p>{html.escape(t)}</p>" for t in text)
        + _race_rows(k)
        + brief_file.line_svg(months, counts, unit, width=330)
        + brief_file.bars_svg(
            [term(str(c), vocabulary) for c in cats.get("category", [])],
            [None if pd.isna(v) else float(v) for v in cats.get("count", [])],
            unit,
        )
        + "</section>"
    )


def _voice_section(b: Brief) -> str:
    """What residents said, in two short rows (it must not push the brief past two A4 pages)."""
    cells: dict[str, list[str]] = {}
    for item in b.voice:
        month, score = _month_and_score(item)
        label = f"{voice.measure_words(item.measure).capitalize()}, {month}"
        change = (
            ""
            if item.change is None
            else f" ({'+' if item.change >= 0 else '-'}{number(abs(item.change), 1)})"
        )
        cells.setdefault(label, []).append(f"{item.place}: {score}{change}")
    rows = [(label, *(places + ["", ""])[:2]) for label, places in cells.items()]
    note = _(
        "{unit}, not counts; in brackets the change in points since the same month "
        "a year before (the publisher gives no margin of error). The method is under Sources."
    ).format(unit=b.voice_unit.capitalize())
    heading = html.escape(_("Community sentiment: survey scores"))
    return (
        f"<section><h2>{heading}</h2>{brief_file.figure_rows(rows)}"
        f"<p class='note'>{html.escape(note)}</p></section>"
    )


def _race_rows(k: brief.KindBrief) -> str:
    """Use of force: subjects by race beside residents, in shares on both sides, as the gate issued them."""
    race = k.area.by_race.frame
    if k.kind != "use_of_force" or race.empty or "share" not in race:
        return ""
    unit = term(k.unit)
    rows = [
        (
            term(str(r.group), "race"),
            _("not shown")
            if pd.isna(r.share)
            else _("{share} of {unit}").format(share=percent(r.share), unit=unit),
            ""
            if pd.isna(r.population_share)
            else _("{share} of residents").format(share=percent(r.population_share)),
        )
        for r in race.itertuples()
    ]
    scope = _("{scope}: by race").format(scope=k.area.demographic_scope)
    return f"<p class='note'>{html.escape(scope)}</p>" + brief_file.figure_rows(rows)


def _initiative_section(report: initiative.InitiativeReport) -> str:
    """A programme covering the place: each measure's verdict and sentence, then the assumptions."""
    chosen = report.initiative
    head = _("Did it make a difference? {title} (started {start})").format(
        title=chosen.title, start=day_month_year(chosen.start)
    )
    places = _("Covers {places}; compared with the rest of the city.").format(
        places=", ".join(report.covered_names)
    )
    lines = [f"{r.measure}: {_(r.verdict)}. {r.sentence}" for r in report.results]
    return (
        f"<section><h2>{html.escape(head)}</h2><p>{html.escape(places)}</p>"
        + "".join(f"<p>{html.escape(t)}</p>" for t in lines)
        + "<p class='note'>"
        + html.escape(" ".join(_(a) for a in report.assumptions))
        + "</p></section>"
    )
