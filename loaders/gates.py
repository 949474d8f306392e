"""Data-quality gates: a pull that arrived whole is still refused when publishing it would publish
wrong numbers. Each refusal names the column and the catalogue key to change; each gate's figure
goes into the manifest either way, so the data page can tell readers how clean the data is.
"""

from __future__ import annotations

from loaders.catalog import Source
from loaders.errors import FeedQualityError
from loaders.normalize import NormalizeStats
from loaders.shape import ShapeStats
from store.schema import schema_for

CATALOGUE = "loaders/sources.toml"


def check_fields(
    source: Source, available: tuple[str, ...] | None, seen: set[str], rows: int, table: str = ""
) -> None:
    """Schema drift: a mapped field the source no longer declares (renamed upstream) is refused."""
    wanted = source.fields_read() if not table else dict.fromkeys(source.join.fields, "joined")
    if available is not None:
        missing = [raw for raw in wanted if raw not in available]
    elif rows:
        required = {c.name for c in schema_for(source.kind).columns if c.is_required}
        missing = [raw for raw, role in wanted.items() if raw not in seen and role in required]
    else:
        missing = []
    if not missing:
        return
    listed = ", ".join(f"{raw!r} (for {wanted[raw]})" for raw in missing)
    offer = f"; it has {', '.join(sorted(available)[:40])}" if available else ""
    raise FeedQualityError(
        source.source_id,
        f"the {table or 'source'} no longer has field(s) {listed}{offer}",
        next_step=(
            f"Nothing was published. The publisher may have renamed them: update [fields] (or the "
            f"key naming them) for {source.source_id} in {CATALOGUE}; "
            f"`python -m loaders check --probe {source.source_id}` lists what the source has now."
        ),
    )


def quality_figures(source: Source, norm: NormalizeStats, shape: ShapeStats) -> dict:
    """Each gate's figure, as shares of the rows that reached normalize."""
    rows = norm.rows or 1
    schema = schema_for(source.kind)
    unmapped = {
        col.name: round(
            sum(norm.unmapped.get(col.name, {}).values()) / max(norm.recoded_rows[col.name], 1), 4
        )
        for col in schema.columns
        if col.vocabulary and norm.recoded_rows.get(col.name)
    }
    return {
        "rows_checked": norm.rows,
        "date_failure_share": round(norm.date_failures / rows, 4),
        "date_failure_examples": norm.date_failure_examples,
        "unassigned_share": round(norm.geo.get("unassigned", 0) / rows, 4),
        "unmapped_share": unmapped,
        "unjoined_share": round(shape.unjoined / max(shape.rows_in - shape.filtered_out, 1), 4),
        "filtered_out": shape.filtered_out,
        "split_added": shape.split_added,
        "blank_ids": shape.blank_ids,
        "copies_dropped": shape.copies_dropped,
        "published_rows_kept": shape.rows_in - shape.filtered_out - shape.copies_dropped,
        "scores_read": shape.scores_read,
    }


def check_quality(source: Source, norm: NormalizeStats, figures: dict) -> None:
    """Refuse when a required column is empty, or dates, recodes, places or joins fail too often."""
    if not norm.rows:
        if figures["filtered_out"]:
            rules = "; ".join(f.describe() for f in source.filters)
            _refuse(
                source,
                f"the row filters kept none of the {figures['filtered_out']:,} rows ({rules})",
                f"check the values under [[sources.filters]] for {source.source_id}",
            )
        return
    _empty_required(source, norm)
    q = source.quality
    date_share = figures["date_failure_share"]
    if date_share > q.max_date_failure_share:
        examples = ", ".join(repr(v) for v in figures["date_failure_examples"]) or "none published"
        _refuse(
            source,
            f"{date_share:.1%} of rows have no usable date in {source.date_field!r} (for example {examples}); "
            "impossible dates such as 02/30 are not rolled over",
            f'set date_format (e.g. "%m/%d/%Y") for {source.source_id}, or raise '
            f"quality.max_date_failure_share (now {q.max_date_failure_share:.0%}) after checking",
        )
    for col in (c for c in schema_for(source.kind).columns if c.is_required and c.vocabulary):
        share = figures["unmapped_share"].get(col.name, 0.0)
        if share > q.max_unmapped_share:
            top = ", ".join(f"{v!r} ({n:,})" for v, n in norm.unmapped[col.name].most_common(8))
            _refuse(
                source,
                f"{share:.1%} of {col.name} values match no recode: {top}",
                f"add them under [sources.recode.{col.name}] for {source.source_id} (or to "
                f"loaders/recodes.toml), or raise quality.max_unmapped_share (now {q.max_unmapped_share:.0%})",
            )
    if source.geography.method != "none" and figures["unassigned_share"] > q.max_unassigned_share:
        _refuse(
            source,
            f"{figures['unassigned_share']:.1%} of rows were placed in no neighborhood",
            "check [sources.geography] (lat/lon fields, district_field, the crosswalk) against the "
            f"boundaries, or raise quality.max_unassigned_share (now {q.max_unassigned_share:.0%})",
        )
    if source.join and figures["unjoined_share"] > q.max_unjoined_share:
        _refuse(
            source,
            f"{figures['unjoined_share']:.1%} of rows found no match in the joined table on {source.join.on!r}",
            f"check [sources.join] on / related_on, or raise quality.max_unjoined_share (now {q.max_unjoined_share:.0%})",
        )


def _empty_required(source: Source, norm: NormalizeStats) -> None:
    for col in schema_for(source.kind).columns:
        if col.is_required and col.name != "occurred_at" and norm.non_null.get(col.name, 1) == 0:
            raw = source.fields.get(col.name) or source.fields.get(col.name + "_raw") or "its field"
            _refuse(
                source,
                f"required column {col.name} (from {raw!r}) is empty in all {norm.rows:,} rows",
                f"the field was probably renamed or emptied upstream: check [fields] for {source.source_id}",
            )


def _refuse(source: Source, problem: str, step: str) -> None:
    raise FeedQualityError(
        source.source_id, problem, next_step=f"Nothing was published. Next: {step} in {CATALOGUE}."
    )
