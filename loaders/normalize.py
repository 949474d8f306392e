"""Raw page -> canonical table: rename, parse dates into the city's zone, recode, assign neighborhoods.

Runs once per page as it arrives, vectorised, so a feed of any size passes through in bounded
memory. Raw values are kept next to recoded ones (`<col>_raw`); values no recode table knows pass
through unchanged and are counted, so the manifest shows what a table is missing.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.catalog import City, Source
from loaders.dates import guess_format, local_date, local_month, parse_dates
from loaders.geo import NeighborhoodIndex, assign_neighborhoods
from loaders.shape_columns import (
    GROUP_RAW,
    GROUP_TYPE,
    LEVEL,
    MEASURE,
    POSITION,
    RECORD_ID,
    ROLLUP_KEY,
    SCORE,
    SEVERITY_RANK,
)
from store.schema import ALL_GROUP, SEVERITY, schema_for

_SEPARATORS = re.compile(r"[\s\-_]+")
RECODES_PATH = Path(__file__).with_name("recodes.toml")
NULL_MEANS_UNKNOWN = frozenset({"race", "sex"})
TRUE_WORDS = frozenset({"Y", "YES", "TRUE", "T", "1", "INJURED"})
FALSE_WORDS = frozenset({"N", "NO", "FALSE", "F", "0", "NOT INJURED", "NO INJURY"})
# Where a recoded column is filled from another raw column when the source has no field for it.
RECODE_FROM = {"offense_category": "offense_raw", "finding": "finding_raw", "force_type": "force_type_raw"}
# Columns of a score kind filled from the shaping step's working columns (a wide export unpivoted).
SHAPED = {
    "geo_level": LEVEL,
    "measure": MEASURE,
    "group_type": GROUP_TYPE,
    "group_value_raw": GROUP_RAW,
    "score": SCORE,
}
# Group types whose published words map onto a shared vocabulary, so "AFRICAN_AMERICAN" reads "Black".
GROUP_VOCABULARY = {"race": "race", "sex": "sex"}


@cache
def shared_recodes() -> dict:
    return tomllib.loads(RECODES_PATH.read_text(encoding="utf-8"))


@dataclass
class NormalizeStats:
    rows: int = 0
    date_failures: int = 0
    date_failure_examples: list[str] = field(default_factory=list)
    unmapped: dict[str, Counter] = field(default_factory=dict)
    recoded_rows: Counter = field(default_factory=Counter)  # rows with a published value, per column
    non_null: Counter = field(default_factory=Counter)  # per canonical column
    geo: Counter = field(default_factory=Counter)

    def as_dict(self, top: int = 20) -> dict:
        return {
            "rows": self.rows,
            "date_failures": self.date_failures,
            "date_failure_examples": self.date_failure_examples,
            "recoded_rows": dict(self.recoded_rows),
            "non_null": dict(self.non_null),
            "unmapped_values": {c: dict(n.most_common(top)) for c, n in self.unmapped.items() if n},
            "unmapped_rows": {c: sum(n.values()) for c, n in self.unmapped.items() if n},
            "geo_methods": dict(self.geo),
            "unassigned_share": round(self.geo["unassigned"] / self.rows, 4) if self.rows else 0.0,
        }


class Normalizer:
    """Turns raw pages of one source into tables of its kind's canonical schema."""

    def __init__(self, source: Source, city: City, index: NeighborhoodIndex):
        self.source = source
        self.city = city
        self.index = index
        self.kind_schema = schema_for(source.kind)
        self.schema = self.kind_schema.arrow_schema(city.time_zone)
        # Rows that must be compared with each other (repeated ids, offenses of one report) carry
        # three working columns to the finalize step, which removes them.
        self.needs_finalize = bool(source.rollup) or source.identity.duplicates != "refuse"
        self.pulled_schema = self.schema
        if self.needs_finalize:
            for name, kind in (
                (ROLLUP_KEY, pa.string()),
                (SEVERITY_RANK, pa.int16()),
                (POSITION, pa.int64()),
            ):
                self.pulled_schema = self.pulled_schema.append(pa.field(name, kind))
        self.stats = NormalizeStats()
        self._date_formats: dict[str, str] = {}
        geo = source.geography
        self._crosswalk = {
            **(index.crosswalk_from(geo.boundary_field) if geo.boundary_field else {}),
            **geo.crosswalk,
        }

    def normalize(self, raw: pa.Table) -> pa.Table:
        n = raw.num_rows
        columns: dict[str, pa.Array] = {}
        for col in self.kind_schema.columns:
            columns[col.name] = self._column(col, raw, columns)
        lon, lat = columns["lon"], columns["lat"]
        hood, method = assign_neighborhoods(
            self.index, lon, lat, self._raw(raw, self._district_field()), self._crosswalk
        )
        if self.source.geography.method == "none":
            hood = pa.nulls(n, pa.string())
            method = pa.array(["unassigned"] * n, pa.string())
        if self.source.levels is not None:
            # A city, area or sector score belongs to no neighborhood; it stands beside them.
            at = pc.fill_null(pc.equal(columns["geo_level"], self.source.levels.neighborhood), False)
            hood = pc.if_else(at, hood, pa.scalar(None, pa.string()))
            method = pc.if_else(at, method, pa.scalar("other_level"))
        columns["neighborhood_id"], columns["geo_method"] = hood, method
        columns["neighborhood_name"] = _lookup(hood, self.index.names)
        self._count(raw, columns, method)
        arrays = [pc.cast(columns[f.name], f.type) for f in self.schema]
        if self.needs_finalize:
            arrays += self._working_columns(raw, columns)
        return pa.Table.from_arrays(arrays, schema=self.pulled_schema)

    def _count(self, raw: pa.Table, columns: dict[str, pa.Array], method: pa.Array) -> None:
        stats = self.stats
        stats.rows += raw.num_rows
        dates = columns["occurred_at"]
        stats.date_failures += dates.null_count
        if dates.null_count and len(stats.date_failure_examples) < 5:
            published = self._raw(raw, self.source.fields.get("occurred_at", self.source.date_field))
            if published is not None:
                bad = pc.filter(published, pc.and_(pc.is_null(dates), pc.is_valid(published)))
                for value in pc.unique(pc.cast(bad, pa.string())).to_pylist()[:5]:
                    if value.strip() and len(stats.date_failure_examples) < 5:
                        stats.date_failure_examples.append(value[:40])
        for name, values in columns.items():
            stats.non_null[name] += len(values) - values.null_count
        stats.geo.update(_counts(method))

    def _working_columns(self, raw: pa.Table, columns: dict[str, pa.Array]) -> list[pa.Array]:
        n = raw.num_rows
        key = self._raw(raw, ROLLUP_KEY)
        order = SEVERITY.get(self.kind_schema.severity_column or "", ())
        rank = {v: i for i, v in enumerate(order)}
        category = columns.get(self.kind_schema.severity_column or "")
        if category is not None and order:
            encoded = pc.dictionary_encode(category)
            ranks = [rank.get(v, len(order)) for v in encoded.dictionary.to_pylist()] + [len(order) + 1]
            severity = pc.take(pa.array(ranks, pa.int16()), pc.fill_null(encoded.indices, len(ranks) - 1))
        else:
            severity = pa.array(np.zeros(n, np.int16))
        position = self._raw(raw, POSITION)
        return [
            key if key is not None else pa.nulls(n, pa.string()),
            severity,
            position if position is not None else pa.array(np.arange(n, dtype=np.int64)),
        ]

    def _column(self, col, raw: pa.Table, done: dict[str, pa.Array]) -> pa.Array:
        n, name, fields = raw.num_rows, col.name, self.source.fields
        if name == "source_id":
            return pa.repeat(pa.scalar(self.source.source_id, pa.string()), n)
        if name == "record_id" and RECORD_ID in raw.column_names:
            return self._raw(raw, RECORD_ID)
        if name == "occurred_at":
            return self._dates(name, self._raw(raw, fields.get(name, self.source.date_field)), n)
        if name == "occurred_date":
            return local_date(done["occurred_at"])
        if name == "occurred_month":
            return local_month(done["occurred_date"])
        if name in ("neighborhood_id", "neighborhood_name", "geo_method"):
            return pa.nulls(n, pa.string())  # filled after lat/lon are known
        if name in ("lat", "lon"):
            return _coordinate(
                self._raw(raw, self._coordinate_field(name)), 90.0 if name == "lat" else 180.0, n
            )
        if name == "district":
            return _text(self._raw(raw, fields.get("district") or self.source.geography.district_field), n)
        if col.vocabulary:
            return self._recode(col, raw, n)
        if name == "group_value" and GROUP_TYPE in raw.column_names:
            return self._group_labels(self._raw(raw, GROUP_TYPE), self._raw(raw, GROUP_RAW))
        if name in ("scale_min", "scale_max", "method_note") and name not in fields and self.source.scores:
            value = getattr(self.source.scores, name)
            return pa.array([value] * n, col.arrow_type)
        working = SHAPED.get(name)
        values = self._raw(raw, working if working in raw.column_names else fields.get(name))
        if values is None:
            return pa.nulls(n, col.arrow_type)
        if pa.types.is_timestamp(col.arrow_type):
            return self._dates(name, values, n)
        if pa.types.is_boolean(col.arrow_type):
            return _boolean(values)
        if pa.types.is_integer(col.arrow_type):
            return _whole_number(values)
        if pa.types.is_floating(col.arrow_type):
            return values if pa.types.is_floating(values.type) else _numbers_only(values)
        return _text(values, n)

    def _group_labels(self, types: pa.Array, published: pa.Array) -> pa.Array:
        """Each score's group in words: all residents, a shared vocabulary's word, or the publisher's."""
        pairs = pc.binary_join_element_wise(pc.fill_null(types, ""), pc.fill_null(published, ""), "\x1f")
        encoded = pc.dictionary_encode(pairs)
        labels = []
        for pair in encoded.dictionary.to_pylist():
            group_type, _, word = pair.partition("\x1f")
            labels.append(self._group_label(group_type, word))
        return pc.take(pa.array(labels, pa.string()), encoded.indices)

    def _group_label(self, group_type: str, word: str) -> str | None:
        if group_type == "all" or not word:
            return ALL_GROUP if group_type == "all" else None
        vocabulary = GROUP_VOCABULARY.get(group_type)
        spoken = word.replace("_", " ").strip()
        if vocabulary:
            lookup = {recode_key(str(k)): v for k, v in shared_recodes().get(vocabulary, {}).items()}
            found = lookup.get(recode_key(spoken))
            if found:
                return found
        # "Low" is published for age, education and income alike: the type makes the label unique.
        return f"{group_type.capitalize()}: {spoken.lower()}"

    def _recode(self, col, raw: pa.Table, n: int) -> pa.Array:
        fields = self.source.fields
        raw_name = (
            fields.get(col.name) or fields.get(col.name + "_raw") or fields.get(RECODE_FROM.get(col.name, ""))
        )
        values = self._raw(raw, raw_name)
        if values is None:
            return pa.array(
                ["Unknown"] * n if col.vocabulary in NULL_MEANS_UNKNOWN else [None] * n, pa.string()
            )
        table = {**shared_recodes().get(col.vocabulary, {}), **self.source.recodes.get(col.name, {})}
        keywords = shared_recodes().get(f"{col.vocabulary}_keywords", {})
        multi = self.source.multi_value
        joined = multi.token if multi and raw_name in multi.most_serious else None
        recoded, unmapped = recode(
            values, table, keywords, col.vocabulary in NULL_MEANS_UNKNOWN, joined, SEVERITY.get(col.name, ())
        )
        self.stats.unmapped.setdefault(col.name, Counter()).update(unmapped)
        self.stats.recoded_rows[col.name] += len(values) - values.null_count
        return recoded

    def _dates(self, name: str, values: pa.Array | None, n: int) -> pa.Array:
        tz = self.city.time_zone
        if values is None:
            return pa.nulls(n, pa.timestamp("us", tz=tz))
        fmt = self.source.options.get("date_formats", {}).get(name, self.source.date_format)
        if fmt == "auto" and pa.types.is_string(values.type):
            # Guess once per pull, from the first page, so every page is read the same way.
            if name not in self._date_formats:
                self._date_formats[name] = guess_format(pc.utf8_trim_whitespace(values))
            fmt = self._date_formats[name]
        return parse_dates(values, fmt, tz)

    def _raw(self, raw: pa.Table, name: str | None) -> pa.Array | None:
        if not name or name not in raw.column_names:
            return None
        column = raw.column(name)
        return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column

    def _coordinate_field(self, name: str) -> str | None:
        geo = self.source.geography
        return self.source.fields.get(name) or (geo.lat_field if name == "lat" else geo.lon_field)

    def _district_field(self) -> str | None:
        return self.source.geography.district_field or self.source.fields.get("district")


def recode(
    values: pa.Array,
    table: Mapping[str, str],
    keywords: Mapping[str, list],
    null_is_unknown: bool,
    token: str | None = None,
    severity: tuple[str, ...] = (),
) -> tuple[pa.Array, Counter]:
    """Map published values onto a vocabulary; unknown values pass through and are counted.

    With a `token`, a cell may hold several values ("Firearm | Taser"): each is recoded and the
    most serious (first in `severity`) is kept, so joined text never becomes a category of its own.
    """
    lookup = {recode_key(str(k)): v for k, v in table.items()}
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(pc.cast(values, pa.string())))
    distinct = encoded.dictionary.to_pylist()
    counts = np.bincount(
        pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False), minlength=len(distinct)
    )
    mapped, unmapped = [], Counter()
    rank = {v: i for i, v in enumerate(severity)}
    for value, count in zip(distinct, counts):
        parts = [p.strip() for p in value.split(token)] if token else [value]
        outs = []
        for part in parts:
            key = recode_key(part)
            out = lookup.get(key) or _keyword(key, keywords)
            if out is None:
                if key:
                    unmapped[part] += int(count)
                out = part if key else None
            if out is not None:
                outs.append(out)
        best = min(outs, key=lambda v: rank.get(v, len(rank))) if outs else None
        mapped.append(best if best is not None else ("Unknown" if null_is_unknown else None))
    mapped.append("Unknown" if null_is_unknown else None)
    indices = pc.fill_null(encoded.indices, len(distinct))
    return pc.take(pa.array(mapped, pa.string()), indices), unmapped


def recode_key(value: str) -> str:
    """The form a published value is matched in: upper case, with runs of spaces, hyphens and
    underscores made one space, so "Not-Sustained", "NOT_SUSTAINED" and " not  sustained" agree."""
    return _SEPARATORS.sub(" ", value.upper()).strip()


def _keyword(key: str, keywords: Mapping[str, list]) -> str | None:
    for category, words in keywords.items():
        if any(word in key for word in words):
            return category
    return None


def _lookup(ids: pa.Array, names: Mapping[str, str]) -> pa.Array:
    """Names for ids, looked up once per distinct id rather than once per row."""
    encoded = pc.dictionary_encode(ids)
    distinct = pa.array([names.get(i) for i in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(distinct, encoded.indices)


def _counts(values: pa.Array) -> dict[str, int]:
    return {row["values"]: row["counts"] for row in pc.value_counts(values).to_pylist()}


def _text(values: pa.Array | None, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.string())
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _coordinate(values: pa.Array | None, limit: float, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.float64())
    if not pa.types.is_floating(values.type):
        values = _plain_floats(values)
    # Unknown locations are often published as 0,0; they are missing, not in the ocean.
    bad = pc.or_(pc.or_(pc.equal(values, 0.0), pc.greater(pc.abs(values), limit)), pc.is_nan(values))
    return pc.if_else(bad, pa.scalar(None, pa.float64()), values)


def _plain_floats(values: pa.Array) -> pa.Array:
    """Floats from text, by the cheapest way that reads every value; what is no number becomes null."""
    try:  # the common case: every value a plain number (empty cells are already null)
        return pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:  # then padded numbers and blank cells
        return pc.cast(_blank_to_null(values), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _numbers_only(values)


def _blank_to_null(values: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _numbers_only(values: pa.Array) -> pa.Array:
    """Plain decimal numbers as floats; anything else (text, '1,035,836', '(40.7, -73.8)') as null."""
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    ok = pc.match_substring_regex(text, r"^-?\d+(\.\d+)?$")
    return pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())


def _boolean(values: pa.Array) -> pa.Array:
    if pa.types.is_boolean(values.type):
        return values
    text = pc.utf8_upper(pc.utf8_trim_whitespace(pc.cast(values, pa.string())))
    is_true = pc.is_in(text, pa.array(sorted(TRUE_WORDS)))
    is_false = pc.is_in(text, pa.array(sorted(FALSE_WORDS)))
    return pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))


def _whole_number(values: pa.Array) -> pa.Array:
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.int16(), safe=False)
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    ok = pc.match_substring_regex(text, r"^\d{1,3}(\.0+)?$")
    digits = pc.replace_substring_regex(pc.if_else(ok, text, pa.scalar(None, pa.string())), r"\.0+$", "")
    return pc.cast(digits, pa.int16())
