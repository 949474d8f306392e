"""Pulled rows -> the snapshot file: apply the source's identity and rollup rules, merge an
incremental pull onto the previous snapshot, and measure what the gates and the manifest need.

Rows that must be compared with each other (an id repeated, offenses of one report) can only be
settled once the whole pull is on disk, so this runs in DuckDB over the staged Parquet file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.catalog import Source
from loaders.errors import FeedQualityError
from loaders.shape_columns import POSITION, ROLLUP_KEY, SEVERITY_RANK

ROW_GROUP_ROWS = 122_880
EXAMPLES = 5


def finalize(
    pulled: Path, base: Path | None, out: Path, schema: pa.Schema, source: Source | None = None
) -> dict:
    """Write `out` from `pulled` (and `base`, for an incremental pull); return its measurements."""
    con = duckdb.connect(
        config={"threads": 2, "memory_limit": "1GB", "temp_directory": str(out.parent / "tmp")}
    )
    try:
        settled = {}
        if source is not None and POSITION in pq.read_schema(pulled).names:
            settled = _settle(
                con, pulled, out if base is None else pulled.with_suffix(".settled"), schema, source
            )
            if base is not None:
                pulled.unlink()
                pulled = pulled.with_suffix(".settled")
        if base is not None:
            new = f"read_parquet({sql_path(pulled)})"
            # The pull holds every row changed since the watermark; they replace their old versions.
            merged = (
                f"SELECT * FROM read_parquet({sql_path(base)}) WHERE record_id NOT IN "
                f"(SELECT record_id FROM {new}) UNION ALL BY NAME SELECT * FROM {new}"
            )
            _write(con, merged, out, schema)
            pulled.unlink()
        return {**_measure(con, out, schema.field("occurred_at").type.tz), **settled}
    finally:
        con.close()


def _settle(con, pulled: Path, out: Path, schema: pa.Schema, source: Source) -> dict:
    """Repeated ids per the duplicate policy, then rows sharing a rollup key made one unit."""
    src = f"read_parquet({sql_path(pulled)})"
    policy = source.identity.duplicates
    repeated, examples = _repeats(con, src, "record_id")
    ranked = f"SELECT *, row_number() OVER (PARTITION BY record_id ORDER BY {POSITION}) AS __n FROM {src}"
    if policy == "keep_one":
        rows = f"SELECT * EXCLUDE (__n) FROM ({ranked}) WHERE __n = 1"
    elif policy == "allow":
        rows = (
            f"SELECT * EXCLUDE (__n, record_id), CASE WHEN __n = 1 THEN record_id "
            f"ELSE record_id || '#' || __n END AS record_id FROM ({ranked})"
        )
    else:
        rows = f"SELECT * FROM {src}"
    outcome = {"duplicate_policy": policy, "repeated_id_rows": repeated, "repeated_id_examples": examples}
    if source.rollup is not None:
        outcome["rollup_rows_in"] = con.sql(f"SELECT count(*) FROM ({rows})").fetchall()[0][0]
        rows = _rollup(rows, source.rollup.keep)
    _write(con, f"SELECT * EXCLUDE ({ROLLUP_KEY}, {SEVERITY_RANK}, {POSITION}) FROM ({rows})", out, schema)
    return outcome


def _rollup(rows: str, keep: str) -> str:
    order = f"{SEVERITY_RANK}, {POSITION}" if keep == "most_serious" else POSITION
    ranked = f"SELECT *, row_number() OVER (PARTITION BY {ROLLUP_KEY} ORDER BY {order}) AS __k FROM ({rows})"
    # The unit is the report, so its id is the report's: the rollup key replaces the row's id.
    return (
        f"SELECT * EXCLUDE (__k, record_id), coalesce({ROLLUP_KEY}, record_id) AS record_id "
        f"FROM ({ranked}) WHERE __k = 1 OR {ROLLUP_KEY} IS NULL"
    )


def _repeats(con, src: str, column: str) -> tuple[int, list[str]]:
    """Rows beyond the first of each repeated value, and a few of the values."""
    extra = con.sql(f"SELECT count(*) - count(DISTINCT {column}) FROM {src}").fetchall()[0][0]
    if not extra:
        return 0, []
    examples = con.sql(
        f"SELECT {column} FROM {src} GROUP BY 1 HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT {EXAMPLES}"
    ).fetchall()
    return extra, [str(row[0]) for row in examples]


def check_identity(source: Source, checks: dict) -> None:
    """A repeated id is refused unless the catalogue chose what to do with it."""
    if not checks["duplicate_ids"]:
        return
    examples = checks.get("repeated_id_examples") or checks["duplicate_examples"]
    shown = ", ".join(repr(e) for e in examples[:EXAMPLES])
    raise FeedQualityError(
        source.source_id,
        f"{checks['duplicate_ids']:,} rows repeat a record id (for example {shown})",
        next_step=(
            'Nothing was published. If these rows are copies, set duplicates = "keep_one" under '
            f"[sources.identity] for {source.source_id} in loaders/sources.toml; if they are separate "
            "records, name the fields that tell them apart in identity.fields (hash = true to hash "
            'them), or set duplicates = "allow".'
        ),
    )


def _write(con, sql: str, out: Path, schema: pa.Schema) -> None:
    with snapshot_writer(out, schema) as writer:
        for batch in con.sql(sql).to_arrow_reader(ROW_GROUP_ROWS):
            writer.write_table(pa.Table.from_batches([batch]).select(schema.names).cast(schema))


def snapshot_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    # Text columns repeat a few values and are dictionary-encoded, which DuckDB reads fastest; ids
    # are unique and numbers and times compress well plain, so a dictionary for them is wasted work.
    dictionary = [
        f.name
        for f in schema
        if pa.types.is_string(f.type) and f.name not in ("record_id", "allegation_id", ROLLUP_KEY)
    ]
    # Min/max statistics let a reader skip row groups by date or number; rows are not sorted by any
    # text column, so text statistics would skip nothing, and computing them was a third of the write.
    ordered = [f.name for f in schema if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
    return pq.ParquetWriter(
        path, schema, compression="zstd", use_dictionary=dictionary, write_statistics=ordered
    )


def _measure(con, out: Path, tz: str) -> dict:
    rows, duplicates, oldest, newest = con.sql(
        "SELECT count(*), count(*) - count(DISTINCT record_id), epoch_us(min(occurred_at)), "
        f"epoch_us(max(occurred_at)) FROM read_parquet({sql_path(out)})"
    ).fetchall()[0]
    _, examples = _repeats(con, f"read_parquet({sql_path(out)})", "record_id") if duplicates else (0, [])
    return {
        "rows": rows,
        "duplicate_ids": duplicates,
        "duplicate_examples": examples,
        "oldest": _instant(oldest, tz),
        "newest": _instant(newest, tz),
    }


def compare_snapshots(current: Path, previous: Path | None, months_listed: int = 36) -> dict:
    """What changed against the previous snapshot: records added, removed and revised (same id,
    any published value different), and the months whose counts moved, with old and new counts."""
    if previous is None:
        return {"added": pq.read_metadata(current).num_rows, "removed": 0, "revised": 0, "months": []}
    # The join holds both snapshots' rows: let it spill beside the staged file, not into memory.
    con = duckdb.connect(
        config={"threads": 2, "memory_limit": "1GB", "temp_directory": str(current.parent / "tmp")}
    )
    try:
        now, before = f"read_parquet({sql_path(current)})", f"read_parquet({sql_path(previous)})"
        names = [n for n in pq.read_schema(current).names if n in pq.read_schema(previous).names]
        values = [n for n in names if n not in ("record_id", "source_id")]
        changed = " OR ".join(f"n.{_q(c)} IS DISTINCT FROM b.{_q(c)}" for c in values) or "false"
        added, removed, revised = con.sql(
            f"SELECT count(*) FILTER (WHERE b.record_id IS NULL), count(*) FILTER (WHERE n.record_id IS NULL), "
            f"count(*) FILTER (WHERE n.record_id IS NOT NULL AND b.record_id IS NOT NULL AND ({changed})) "
            f"FROM {now} n FULL OUTER JOIN {before} b USING (record_id)"
        ).fetchall()[0]
        months = con.sql(
            f"WITH n AS (SELECT occurred_month AS m, count(*) AS c FROM {now} GROUP BY 1), "
            f"b AS (SELECT occurred_month AS m, count(*) AS c FROM {before} GROUP BY 1) "
            "SELECT strftime(coalesce(n.m, b.m), '%Y-%m'), coalesce(b.c, 0), coalesce(n.c, 0) "
            "FROM n FULL OUTER JOIN b USING (m) WHERE coalesce(b.c, 0) <> coalesce(n.c, 0) "
            f"AND coalesce(n.m, b.m) IS NOT NULL ORDER BY 1 DESC LIMIT {months_listed}"
        ).fetchall()
    finally:
        con.close()
    return {
        "added": added,
        "removed": removed,
        "revised": revised,
        "months": [{"month": m, "before": int(old), "after": int(new)} for m, old, new in months],
    }


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_path(path: Path) -> str:
    """A file path as a SQL string literal (paths are ours, but a quote in a folder name must not break SQL)."""
    return "'" + str(path).replace("'", "''") + "'"


def _instant(epoch_us: int | None, tz: str) -> datetime | None:
    if epoch_us is None:
        return None
    return datetime.fromtimestamp(epoch_us / 1e6, UTC).astimezone(ZoneInfo(tz))
