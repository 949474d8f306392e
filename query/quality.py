"""What a snapshot's manifest says about the data's quality and counting, in words for readers.

The refresh records each gate's figure, the counting rules and the values no recode knew; this
turns them into the sentences and small tables the data page and every download's notes show.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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
            "Synthetic data generated through the real pipeline; there is no real export to check it against."
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
        return "Checked against a real export of this source. " + note
    if verified is False:
        return "Not yet checked against a real export of this source: " + note
    return "Not stated whether this entry was checked against a real export."


def _figures(stats: dict, records: int) -> list[str]:
    quality = stats.get("quality") or {}
    if not quality:
        return []
    out = [
        f"{quality.get('date_failure_share', 0):.1%} of records have no usable date.",
        f"{quality.get('unassigned_share', 0):.1%} have no neighborhood.",
    ]
    for column, share in sorted((quality.get("unmapped_share") or {}).items()):
        if share:
            out.append(
                f"{share:.1%} of {column.replace('_', ' ')} values are shown as published (no recode)."
            )
    if quality.get("filtered_out"):
        out.append(f"{quality['filtered_out']:,} published rows were left out by the row filter.")
    if quality.get("split_added"):
        out.append(f"{quality['split_added']:,} records come from cells listing several people.")
    if quality.get("unjoined_share"):
        out.append(f"{quality['unjoined_share']:.1%} of records found no match in the joined table.")
    out += _identity(stats.get("identity") or {}, records)
    return out


def _identity(identity: dict, records: int) -> list[str]:
    out = []
    repeated = identity.get("repeated_rows") or 0
    if repeated:
        what = {"keep_one": "dropped as copies", "allow": "kept as separate records"}.get(
            identity.get("policy"), "found"
        )
        out.append(f"{repeated:,} rows repeated another record's id and were {what}.")
    copies = identity.get("copied_published_rows") or 0
    if copies:
        kept = identity.get("published_rows_kept")
        left = f"; the scores are read from the {kept:,} rows left" if kept else ""
        out.append(
            f"{copies:,} published rows were copies of an earlier row (the same in every identity field) "
            f"and were dropped{left}."
        )
    merged_in = identity.get("rollup_rows_in")
    if merged_in:
        out.append(f"{merged_in:,} published rows were combined into {records:,} records.")
    return out


def _changes(changes: dict) -> list[str]:
    """So that staff are not surprised at a meeting by a number that moved since they last looked."""
    if not changes.get("previous_snapshot"):
        return []
    out = [
        f"Since the previous snapshot ({changes['previous_snapshot']}): {changes.get('added', 0):,} added, "
        f"{changes.get('removed', 0):,} removed, {changes.get('revised', 0):,} revised."
    ]
    months = changes.get("months") or []
    if months:
        listed = "; ".join(
            f"{_month_words(m['month'])}: {m['before']:,} → {m['after']:,}" for m in months[:12]
        )
        more = f" (and {len(months) - 12} more)" if len(months) > 12 else ""
        out.append(f"Months whose counts changed: {listed}{more}.")
    return out


def _month_words(month: str) -> str:
    year, number = month.split("-")
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[int(number) - 1]} {year}"


def _unmapped(stats: dict) -> pd.DataFrame:
    rows = [
        {"column": column, "published value": value, "records": int(count)}
        for column, values in (stats.get("unmapped_values") or {}).items()
        for value, count in values.items()
    ]
    return pd.DataFrame(rows, columns=["column", "published value", "records"])
