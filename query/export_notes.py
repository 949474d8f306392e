"""A download's name and notes: the safe file name, the snapshot date, and the README that says what the numbers are."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime

from query.db import CityData
from query.disclosure import DisclosurePolicy
from query.filters import Filters
from query.i18n import _, language, number, term
from query.provenance import parse_time, source_provenance
from query.quality import source_quality
from store.schema import schema_for


def slug(text: str, max_length: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens: 'Peñalosa Park / North' -> 'penalosa-park-north'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].rstrip("-") or "all"


def export_filename(
    kind: str,
    area_label: str,
    date_from: date | None,
    date_to: date | None,
    snapshot_at: datetime | date | str | None,
    what: str,
    extension: str = "csv",
) -> str:
    """A safe ASCII file name, e.g. use_of_force_alder-park_2021-01-01_2022-06-30_snapshot-2026-01-01_records.csv."""
    schema_for(kind)
    parts = [kind, slug(area_label), date_from.isoformat() if date_from else "earliest"]
    parts.append(date_to.isoformat() if date_to else "latest")
    when = parse_time(snapshot_at) if isinstance(snapshot_at, str) else snapshot_at
    if isinstance(when, datetime):
        parts.append(f"snapshot-{when.astimezone(UTC).date().isoformat()}")
    elif isinstance(when, date):
        parts.append(f"snapshot-{when.isoformat()}")
    parts.append(slug(what).replace("-", "_"))
    return "_".join(parts) + "." + slug(extension)


def snapshot_at(city: CityData, kind: str) -> datetime | None:
    """When the newest snapshot of a kind was fetched."""
    times = [parse_time(s.manifest.fetched_at) for s in city.snapshots.get(kind, ())]
    times = [t for t in times if t]
    return max(times) if times else None


def notes_text(
    city: CityData,
    filters: Filters,
    *,
    what: str,
    disclosure: DisclosurePolicy | None = None,
    generated_at: datetime | None = None,
    rules: Sequence[str] = (),
) -> str:
    """The README that travels with every download: selection, sources, unit, suppression, escaping.

    `rules` are further sentences for the small-numbers section (what is counted, which columns
    were withheld and why), written by the disclosure gate for the deployment's actual policy.
    """
    schema = schema_for(filters.kind)
    lines = [
        _("Policing open data dashboard: notes for this download"),
        "",
        _("Contents: {what}").format(what=what_words(what)),
        _("City: {city}").format(city=city.name),
        _("Selection: {selection}").format(
            selection=filters.describe(city.neighborhood_names, max_listed=None)
        ),
        _("Counting unit: {unit}.").format(unit=term(city.unit_plural(filters.kind)))
        + f" {term(schema.unit_note)}",
        _("Dates: the date each event occurred, in the city's local time ({zone}).").format(
            zone=city.time_zone
        ),
    ]
    if language() != "en":  # a reader of the translated notes is told why the cells are in English
        lines.append(
            _(
                "Values: category, finding and group values are the site's canonical English values in every "
                "language, so files compare; the summary tables' column names are translated."
            )
        )
    lines += ["", _("Sources")]
    lines += _source_lines(city, filters.kind)
    lines += ["", _("Small numbers")]
    lines.append(
        disclosure.note()
        if disclosure
        else _("Row-level records as the source publishes them; nothing is suppressed.")
    )
    lines += [*rules, *filters.ignored, "", _("Spreadsheet safety and encoding"), *_safety_lines()]
    lines += ["", _("Generated: {moment}").format(moment=_stamp(generated_at or datetime.now(UTC)))]
    return "\n".join(lines) + "\n"


def _safety_lines() -> list[str]:
    """The notes' section on formula escaping and the CSV's encoding (what query.export does)."""
    return [
        _(
            "Text cells that begin with =, +, -, @, a tab or a carriage return start with an apostrophe (') so that "
            "spreadsheet programs do not run them as formulas. Numbers are never changed. Remove the leading "
            "apostrophe if you need the exact published text."
        ),
        _(
            "The CSV is UTF-8 with a byte-order mark so that Excel shows accented names correctly; "
            'in Python read it with encoding="utf-8-sig". Empty cells mean no value.'
        ),
    ]


def what_words(what: str) -> str:
    """A download's contents ("by race") in the reader's language; file names keep the English."""
    words = {
        "monthly": _("monthly"),
        "by category": _("by category"),
        "by finding": _("by finding"),
        "by neighborhood": _("by neighborhood"),
        "by race": _("by race"),
        "by sex": _("by sex"),
        "by age": _("by age"),
        "records": _("records"),
        "highest rates": _("highest rates"),
        "brief figures": _("brief figures"),
        "withheld under a filter on who the records were about": _(
            "withheld under a filter on who the records were about"
        ),
    }
    return words.get(what, what)


def _source_lines(city: CityData, kind: str) -> list[str]:
    lines = []
    for src in (s for s in source_provenance(city) if s.kind == kind):
        not_given = _("n/a")
        lines += [
            f"- {src.title}" + (f" ({src.publisher})" if src.publisher else ""),
            "  "
            + _("Dataset id: {source_id} (this site's id: {site_id})").format(
                source_id=src.source_dataset_id or not_given, site_id=src.dataset_id
            ),
            "  " + _("Landing page: {url}").format(url=src.landing_page or not_given),
            "  " + _("Licence: {licence}").format(licence=src.licence or _("see the landing page")),
            "  "
            + _(
                "Source updated: {updated}; fetched: {fetched}; rows in snapshot: {rows}; snapshot: {snapshot}"
            ).format(
                updated=_stamp(src.source_updated_at),
                fetched=_stamp(src.fetched_at),
                rows=number(src.row_count),
                snapshot=src.snapshot_id,
            ),
        ]
        if src.manifest is not None:
            quality = source_quality(src.manifest)
            lines += ["  " + _("Counting: {rule}").format(rule=rule) for rule in quality.rules]
            lines += ["  " + _("Entry check: {check}").format(check=quality.verified)]
            lines += ["  " + _("Quality: {figure}").format(figure=f) for f in quality.figures]
        if src.is_synthetic:
            lines.append("  " + _("SYNTHETIC DATA: generated for demonstration; no real people or events."))
    if city.reference is not None:
        lines.append(
            "- "
            + _("Neighborhood boundaries and population: snapshot {snapshot}, fetched {fetched}").format(
                snapshot=city.reference.snapshot_id,
                fetched=_stamp(parse_time(city.reference.manifest.fetched_at)),
            )
        )
    return lines


def _stamp(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else _("unknown")
