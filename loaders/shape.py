"""Raw page -> raw page in the shape the catalogue declares, before normalize reads it.

Real exports are not one tidy row per counted unit. Per the source's rules (loaders/catalog_rules.py)
this joins a related table's fields onto each row, keeps only the rows a filter names, splits cells
holding several subjects into one row per subject, and builds the record id (named fields, or a
content hash of them). Everything it drops or adds is counted, so the manifest can say so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.catalog import Source
from loaders.normalize import recode_key as comparable_key
from loaders.shape_columns import (
    GROUP_RAW,
    GROUP_TYPE,
    LEVEL,
    MEASURE,
    POSITION,
    RECORD_ID,
    ROLLUP_KEY,
    SCORE,
)


@dataclass
class ShapeStats:
    rows_in: int = 0
    filtered_out: int = 0
    unjoined: int = 0
    split_added: int = 0
    split_mismatched: int = 0
    blank_ids: int = 0
    copies_dropped: int = 0  # published rows identical in identity to an earlier one (wide exports)
    scores_read: int = 0
    seen_fields: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "rows_in": self.rows_in,
            "filtered_out": self.filtered_out,
            "unjoined": self.unjoined,
            "split_added": self.split_added,
            "split_mismatched": self.split_mismatched,
            "blank_ids": self.blank_ids,
            "copies_dropped": self.copies_dropped,
            "scores_read": self.scores_read,
        }


class RowShaper:
    """Applies one source's join, filters, splits and identity to each raw page."""

    def __init__(self, source: Source, related: pa.Table | None = None):
        self.source = source
        self.related = _prepared_related(source, related) if source.join and related is not None else None
        self.stats = ShapeStats()
        self._position = 0
        self._seen_rows: set[str] = set()  # ids of the published rows kept so far (wide exports)

    def shape(self, raw: pa.Table) -> pa.Table:
        self.stats.rows_in += raw.num_rows
        self.stats.seen_fields.update(raw.column_names)
        raw = _as_text(raw)
        if self.related is not None:
            raw = self._join(raw)
        for rule in self.source.filters:
            raw = self._filter(raw, rule)
        multi = self.source.multi_value
        if multi and multi.split_rows:
            raw = self._split(raw, multi.split_rows, multi.token)
        if self.source.unpivot:
            raw = self._scores(raw, self._record_ids(raw))
        else:
            raw = raw.append_column(RECORD_ID, self._record_ids(raw))
        if self.source.rollup:
            raw = raw.append_column(
                ROLLUP_KEY, _joined([_trimmed(_column(raw, k)) for k in self.source.rollup.key])
            )
        positions = pa.array(np.arange(self._position, self._position + raw.num_rows, dtype=np.int64))
        self._position += raw.num_rows
        return raw.append_column(POSITION, positions)

    def _join(self, raw: pa.Table) -> pa.Table:
        join = self.source.join
        key = "__join_key"
        left = raw.append_column(key, _trimmed(_column(raw, join.on)))
        left = left.drop_columns([c for c in join.fields if c in left.column_names and c != join.on])
        left = left.append_column("__order", pa.array(np.arange(raw.num_rows)))
        joined = left.join(self.related, keys=key, join_type="left outer", use_threads=False)
        joined = joined.sort_by("__order")  # a hash join does not keep the page's order
        self.stats.unjoined += joined.num_rows - (
            pc.sum(pc.is_valid(joined.column("__matched"))).as_py() or 0
        )
        return _as_text(joined.drop_columns([key, "__matched", "__order"]))

    def _filter(self, raw: pa.Table, rule) -> pa.Table:
        values = _column(raw, rule.field)
        wanted = pa.array(sorted({comparable_key(v) for v in rule.values}), pa.string())
        hit = pc.fill_null(pc.is_in(_comparable(values), value_set=wanted), False)
        keep = pc.invert(hit) if rule.is_exclusion else hit
        kept = raw.filter(keep)
        self.stats.filtered_out += raw.num_rows - kept.num_rows
        return kept

    def _split(self, raw: pa.Table, names: tuple[str, ...], token: str) -> pa.Table:
        """One row per position of the joined cells; a shorter list is padded with nulls."""
        parts = {n: pc.split_pattern(_column(raw, n), pattern=token) for n in names if n in raw.column_names}
        if not parts:
            return raw
        lengths = np.max(
            np.stack([pc.fill_null(pc.list_value_length(p), 1).to_numpy() for p in parts.values()]), axis=0
        ).clip(min=1)
        for p in parts.values():
            own = pc.fill_null(pc.list_value_length(p), 1).to_numpy()
            self.stats.split_mismatched += int(np.count_nonzero((own != lengths) & (own > 1)))
        rows = np.repeat(np.arange(raw.num_rows), lengths)
        slot = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out = raw.take(pa.array(rows))
        for name, lists in parts.items():
            out = out.set_column(out.column_names.index(name), name, _nth(lists, rows, slot))
        ids = pc.cast(pa.array(slot + 1), pa.string())
        out = out.append_column("__subject_number", ids)
        self.stats.split_added += len(rows) - raw.num_rows
        return out

    def _scores(self, raw: pa.Table, ids: pa.Array) -> pa.Table:
        """A wide row (one place and period) -> one row per published score, each with its own id.

        Copies of a published row are dropped here, before they become dozens of score rows each,
        so the manifest counts them as the publisher's rows ("5,008 rows were copies").
        """
        if self.source.identity.duplicates == "keep_one":
            raw, ids = self._without_copies(raw, ids)
        raw = raw.append_column(LEVEL, self._levels(raw))
        unpivot = self.source.unpivot
        read = {c: unpivot.read(c) for c in raw.column_names}
        base = raw.select([c for c, r in read.items() if r is None])
        pieces = []
        for column, found in read.items():
            if found is None:
                continue
            values = _trimmed(_column(raw, column))
            present = pc.is_valid(values)
            part = base.filter(present)
            n = part.num_rows
            measure, group_type, group = found
            constants = {MEASURE: measure, GROUP_TYPE: group_type, GROUP_RAW: group or None}
            for name, value in constants.items():
                part = part.append_column(name, pa.array([value] * n, pa.string()))
            part = part.append_column(SCORE, values.filter(present))
            key = f"{measure}|{group_type}|{group}"
            part = part.append_column(RECORD_ID, pc.binary_join_element_wise(ids.filter(present), key, "|"))
            pieces.append(part)
        if not pieces:
            empty = {n: pa.array([], pa.string()) for n in (MEASURE, GROUP_TYPE, GROUP_RAW, SCORE, RECORD_ID)}
            return pa.table({**{c: base.column(c).slice(0, 0) for c in base.column_names}, **empty})
        out = pa.concat_tables(pieces)
        self.stats.scores_read += out.num_rows
        return out

    def _without_copies(self, raw: pa.Table, ids: pa.Array) -> tuple[pa.Table, pa.Array]:
        keep = np.ones(raw.num_rows, dtype=bool)
        for i, value in enumerate(ids.to_pylist()):
            if value in self._seen_rows:
                keep[i] = False
            else:
                self._seen_rows.add(value)
        self.stats.copies_dropped += int((~keep).sum())
        mask = pa.array(keep)
        return raw.filter(mask), ids.filter(mask)

    def _levels(self, raw: pa.Table) -> pa.Array:
        """The first level (most specific) whose key field is filled; the catch-all otherwise."""
        levels = self.source.levels
        if levels is None:
            return pa.nulls(raw.num_rows, pa.string())
        level = pa.nulls(raw.num_rows, pa.string())
        for name, field_name in levels.by_filled:
            filled = pc.fill_null(pc.is_valid(_trimmed(_column(raw, field_name))), False)
            level = pc.if_else(pc.and_(pc.is_null(level), filled), pa.scalar(name), level)
        return pc.fill_null(level, levels.otherwise)

    def _record_ids(self, raw: pa.Table) -> pa.Array:
        identity = self.source.identity
        names = identity.fields or (self.source.fields.get("record_id"),)
        if names == ("*",):  # every published column: only exact copies share an id
            names = tuple(c for c in raw.column_names if not c.startswith("__"))
        columns = [_trimmed(_column(raw, n)) for n in names]
        ids = _hash_rows(columns) if identity.is_hash else _joined(columns)
        self.stats.blank_ids += pc.sum(pc.is_null(ids)).as_py() or 0
        if "__subject_number" in raw.column_names:
            ids = pc.binary_join_element_wise(ids, raw.column("__subject_number"), "#")
        return ids


def _prepared_related(source: Source, related: pa.Table) -> pa.Table:
    """The related table keyed for joining: one row per key (the first), only the named fields."""
    join = source.join
    related = _as_text(related)
    keys = _trimmed(_column(related, join.related_on))
    columns = {n: _column(related, n) for n in join.fields if n != join.on}
    table = pa.table({"__join_key": keys, **columns, "__matched": pa.array([True] * len(keys))})
    table = table.filter(pc.is_valid(table.column("__join_key")))
    first = pc.unique(table.column("__join_key"))
    if len(first) == table.num_rows:
        return table
    index = pc.index_in(first, value_set=table.column("__join_key"))
    return table.take(index)


def _as_text(raw: pa.Table) -> pa.Table:
    columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in raw.columns]
    return pa.Table.from_arrays(columns, names=raw.column_names)


def _column(raw: pa.Table, name: str | None) -> pa.Array:
    if not name or name not in raw.column_names:
        return pa.nulls(raw.num_rows, pa.string())
    column = raw.column(name)
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def _trimmed(values: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _comparable(values: pa.Array) -> pa.Array:
    encoded = pc.dictionary_encode(values)
    keys = [comparable_key(v) if v is not None else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(keys, pa.string()), encoded.indices)


def _nth(lists: pa.Array, rows: np.ndarray, slot: np.ndarray) -> pa.Array:
    """Element `slot` of list `rows` for each output row, trimmed; null past a list's end."""
    flat = pc.list_flatten(lists)
    offsets = lists.offsets.to_numpy()[:-1] if len(lists) else np.zeros(0, np.int64)
    own = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    at = offsets[rows] + slot
    inside = slot < own[rows]
    picked = (
        pc.take(flat, pa.array(np.where(inside, at, 0))) if len(flat) else pa.nulls(len(rows), pa.string())
    )
    return _trimmed(pc.if_else(pa.array(inside), picked, pa.scalar(None, pa.string())))


def _joined(columns: list[pa.Array]) -> pa.Array:
    """One text per row from several fields ("a|b"); null when every field is empty."""
    if len(columns) == 1:
        return columns[0]
    joined = pc.binary_join_element_wise(*[pc.fill_null(c, "") for c in columns], "|")
    empty = pc.is_null(columns[0])
    for c in columns[1:]:
        empty = pc.and_(empty, pc.is_null(c))
    return pc.if_else(empty, pa.scalar(None, pa.string()), joined)


def _hash_rows(columns: list[pa.Array]) -> pa.Array:
    # A unit separator cannot occur in published text, so ("a|b", "c") and ("a", "b|c") differ.
    joined = pc.binary_join_element_wise(*[pc.fill_null(c, "\x00") for c in columns], "\x1f")
    encoded = pc.dictionary_encode(joined)
    digests = [hashlib.sha256(v.encode()).hexdigest()[:20] for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(digests, pa.string()), encoded.indices)
