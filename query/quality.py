"""What a snapshot's manifest says about the data's quality and counting, in words for readers.

The refresh records each gate's figure, the counting rules and the values no recode knew; this
turns them into the sentences and small tables the data page and every download's notes show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from query.i18n import _, month_year, ngettext, number, percent
from store.schema import UNIT_PLURALS, schema_for
from store.snapshots import Manifest


@dataclass(frozen=True)
class SourceQuality:
    unit_plural: str  # what one record of the snapshot is, e.g. "subjects"
    rules: tuple[str, ...]  # the counting rules, one sentence each
    verified: str  # whether the catalogue entry was checked against a real export, and why not
    figures: tuple[str, ...]  # "3.1% of records have no usable date", ...
    unmapped: pd.DataFrame  # column, published value, records: values no recode table knew
    changes: tuple[str, ...] = ()  # against the previous snapshot: records and months that moved


def unit_plural(manifest: Manifest | None, kind: str) -> str:
    """The unit a snapshot counts: its source's declared unit, else the kind's."""
    unit = ((manifest.provenance or {}).get("unit") if manifest else None) or schema_for(kind).unit_singular
    return UNIT_PLURALS.get(unit, unit + "s")


def source_quality(manifest: Manifest) -> SourceQuality:
    provenance, stats = manifest.provenance or {}, manifest.stats or {}
    return SourceQuality(
        unit_plural=unit_plural(manifest, manifest.kind),
        rules=tuple(str(r) for r in provenance.get("rules", ())),
        verified=(
            _(
                "Synthetic data generated through the real pipeline; there is no real export to check it against."
            )
            if manifest.is_synthetic
            else _verified(provenance)
        ),
        figures=tuple(_figures(stats, manifest.row_count)),
        unmapped=_unmapped(stats),
        changes=tuple(_changes(stats.get("changes") or {})),
    )


def _verified(provenance: dict) -> str:
    verified, note = provenance.get("verified"), str(provenance.get("verified_note") or "")
    if verified is True:
        return _("Checked against a real export of this source.") + " " + note
    if verified is False:
        return _("Not yet checked against a real export of this source:") + " " + note
    return _("Not stated whether this entry was checked against a real export.")


def _figures(stats: dict, records: int) -> list[str]:
    quality = stats.get("quality") or {}
    if not quality:
        return []
    out = [
        _("{share} of records have no usable date.").format(
            share=percent(quality.get("date_failure_share", 0), 1)
        ),
        _("{share} have no neighborhood.").format(share=percent(quality.get("unassigned_share", 0), 1)),
    ]
    for column, share in sorted((quality.get("unmapped_share") or {}).items()):
        if share:
            out.append(
                _("{share} of {column} values are shown as published (no recode).").format(
                    share=percent(share, 1), column=column.replace("_", " ")
                )
            )
    if quality.get("filtered_out"):
        n = quality["filtered_out"]
        out.append(
            ngettext(
                "{n} published row was left out by the row filter.",
                "{n} published rows were left out by the row filter.",
                n,
            ).format(n=number(n))
        )
    if quality.get("split_added"):
        n = quality["split_added"]
        out.append(
            ngettext(
                "{n} record comes from cells listing several people.",
                "{n} records come from cells listing several people.",
                n,
            ).format(n=number(n))
        )
    if quality.get("unjoined_share"):
        out.append(
            _("{share} of records found no match in the joined table.").format(
                share=percent(quality["unjoined_share"], 1)
            )
        )
    out += _identity(stats.get("identity") or {}, records)
    return out


def _identity(identity: dict, records: int) -> list[str]:
    out = []
    repeated = identity.get("repeated_rows") or 0
    if repeated:
        what = {"keep_one": _("dropped as copies"), "allow": _("kept as separate records")}.get(
            identity.get("policy"), _("found")
        )
        out.append(
            ngettext(
                "{n} row repeated another record's id and was {what}.",
                "{n} rows repeated another record's id and were {what}.",
                repeated,
            ).format(n=number(repeated), what=what)
        )
    copies = identity.get("copied_published_rows") or 0
    if copies:
        kept = identity.get("published_rows_kept")
        left = _("; the scores are read from the {kept} rows left").format(kept=number(kept)) if kept else ""
        out.append(
            _(
                "{copies} published rows were copies of an earlier row (the same in every identity field) "
                "and were dropped{left}."
            ).format(copies=number(copies), left=left)
        )
    merged_in = identity.get("rollup_rows_in")
    if merged_in:
        out.append(
            _("{rows} published rows were combined into {records} records.").format(
                rows=number(merged_in), records=number(records)
            )
        )
    return out


def _changes(changes: dict) -> list[str]:
    """So that staff are not surprised at a meeting by a number that moved since they last looked."""
    if not changes.get("previous_snapshot"):
        return []
    out = [
        _(
            "Since the previous snapshot ({snapshot}): {added} added, {removed} removed, {revised} revised."
        ).format(
            snapshot=changes["previous_snapshot"],
            added=number(changes.get("added", 0)),
            removed=number(changes.get("removed", 0)),
            revised=number(changes.get("revised", 0)),
        )
    ]
    months = changes.get("months") or []
    if months:
        listed = "; ".join(
            f"{_month_words(m['month'])}: {number(m['before'])} → {number(m['after'])}" for m in months[:12]
        )
        more = " " + _("(and {n} more)").format(n=len(months) - 12) if len(months) > 12 else ""
        out.append(_("Months whose counts changed: {months}.").format(months=listed + more))
    return out


def _month_words(month: str) -> str:
    year, number = month.split("-")
    return month_year(date(int(year), int(number), 1))


def _unmapped(stats: dict) -> pd.DataFrame:
    rows = [
        {"column": column, "published value": value, "records": int(count)}
        for column, values in (stats.get("unmapped_values") or {}).items()
        for value, count in values.items()
    ]
    return pd.DataFrame(rows, columns=["column", "published value", "records"])
