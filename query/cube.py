"""Per-snapshot count cubes held as numpy arrays: a filter change adds up cells, with no SQL round trip.

Built once when a city is opened (`build`, from the same view the SQL reads), answered per view by
`answer` and `window_totals`:
- month cells: counts per month x neighborhood x category, and the same with one more breakdown
  (finding, race, sex, age band), for the whole months of a window;
- day cells: counts per day x every dimension, for the partial months at either end;
- for kinds with a distinct unit (complaints, incidents): units per cell. A unit whose rows all
  share one day and one neighborhood lives in exactly one cell, so those counts add up across
  cells; each carries the categories of its rows as a bit mask, so a category filter keeps a unit
  when any of its rows matches, as count(DISTINCT ...) over the filtered rows does. Units spread
  over several days or neighborhoods stay as rows and are counted exactly on every view.
A selection the cubes cannot answer exactly (a finding, race, sex or age filter) gets None, and the
caller scans the rows (query.plan). tests/test_query_cube.py compares both on random selections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from query.filters import (
    CATEGORY_COLUMN,
    FINDING_KINDS,
    UNIT_COLUMN,
    age_band_sql,
    person_columns,
)
from query.periods import is_month_end

NO_DAY = np.iinfo(np.int32).min  # a record without a date: counted only when no date bound is set
LAST_DAY = np.iinfo(np.int32).max
MAX_MASK_CODES = 63  # categories a unit's bit mask can hold
DENSE_LIMIT = 4_000_000  # cells of one dense month array (32 MB); larger cities keep the sparse cells
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class Cells:
    """Count cells sorted by `day` (a day, or a month's first day; NO_DAY for no date)."""

    day: np.ndarray  # int32 days since 1970-01-01
    month: np.ndarray  # int32 slot: 0 for no date, else 1 + position in KindCube.months_seen
    n: np.ndarray  # int64 records (or distinct units) per cell
    codes: Mapping[str, np.ndarray]  # dimension -> codes into KindCube.labels[dimension]

    def between(self, low: int, high: int) -> slice:
        # int32 needles: a Python int would make numpy cast the whole array first
        low_at = np.searchsorted(self.day, np.int32(low), "left")
        return slice(int(low_at), int(np.searchsorted(self.day, np.int32(high), "right")))


@dataclass(frozen=True, eq=False)
class Dense:
    """Counts per month slot x dimensions as a dense array, summed over the slots before each, so any
    run of whole months is one subtraction (cum[s] holds the slots before s)."""

    axes: tuple[str, ...]  # the dimensions after the slot axis
    cum: np.ndarray  # int64, shape (slots + 1, *sizes)
    slot_days: np.ndarray  # int32 first day of each slot (slot 0, no date: NO_DAY), ascending

    def slots(self, low: int, high: int) -> tuple[int, int]:
        """The slots whose first day lies in [low, high], as [start, stop)."""
        start = np.searchsorted(self.slot_days, np.int32(low), "left")
        return int(start), int(np.searchsorted(self.slot_days, np.int32(high), "right"))


@dataclass(frozen=True, eq=False)
class Units:
    """Distinct units: simple ones per cell ("mask" codes into `masks`), the loose ones as rows."""

    months: Cells  # simple units per month x neighborhood x category mask
    days: Cells  # the same per day
    masks: np.ndarray | None  # uint64 bit mask of categories per mask code; None: too many categories
    loose: Cells  # rows of units over several days or neighborhoods ("unit" code), n = 1
    dense: Dense | None = None  # `months` as a dense array, when small enough


@dataclass(frozen=True, eq=False)
class KindCube:
    kind: str
    labels: Mapping[str, tuple]  # dimension -> value per code (None: missing)
    months_seen: tuple[date, ...]  # the month of each month position
    by_month: Mapping[str, Cells]  # "" (base) or an extra dimension -> month cells
    days: Cells  # every dimension
    units: Units | None
    dense: Mapping[str, Dense] | None = None  # `by_month` as dense arrays, when small enough

    @property
    def extras(self) -> tuple[str, ...]:
        return tuple(d for d in self.by_month if d)


def dimensions(kind: str) -> dict[str, str]:
    """Breakdown name -> SQL expression over the kind's canonical columns (allowlisted names only)."""
    dims = {"neighborhood_id": "neighborhood_id", "category": CATEGORY_COLUMN[kind]}
    if kind in FINDING_KINDS:
        dims["finding"] = "finding"
    person = person_columns(kind)
    if person:
        dims |= {"race": person["race"], "sex": person["sex"], "age": age_band_sql(person["age"])}
    return dims


def build(con: duckdb.DuckDBPyConnection, kind: str, day_table: str | None = None) -> KindCube | None:
    """The kind's cubes from one scan, or None when its months disagree with its dates (the rows answer).

    `day_table`: a table of counts per day already made from the rows (column n), read instead of them.
    """
    source = day_table or kind
    mismatched = con.sql(
        f"SELECT count(*) FROM {source} WHERE occurred_month IS DISTINCT FROM "
        "CAST(date_trunc('month', occurred_date) AS DATE)"
    ).fetchall()[0][0]
    if mismatched:
        return None
    dims = dimensions(kind)
    select = ", ".join(f"{sql} AS {name}" for name, sql in dims.items())
    extra = f", {UNIT_COLUMN[kind]} AS unit" if kind in UNIT_COLUMN and not day_table else ""
    count = "n" if day_table else "1::BIGINT AS n"
    table = con.sql(f"SELECT occurred_date AS day, {select}, {count}{extra} FROM {source}").to_arrow_table()
    labels, codes = {}, {}
    for name in dims:
        encoded = pc.dictionary_encode(table[name].combine_chunks(), null_encoding="encode")
        labels[name] = tuple(encoded.dictionary.to_pylist())
        codes[name] = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    day = _days(table["day"])
    first, last = _month_span(day)
    rows = Cells(day, _month_slot(day, first, last), table["n"].to_numpy(), codes)
    days = _roll_up(rows, tuple(dims), by_day=True)  # every dimension, per day
    base = ("neighborhood_id", "category")
    extras = [d for d in dims if d not in base]
    by_month = {x: _roll_up(days, (*base, *([x] if x else ()))) for x in ["", *extras]}
    months_seen = tuple(_from_months(m) for m in range(first, last + 1))
    slot_days = np.array([NO_DAY, *(_day(m) for m in months_seen)], dtype=np.int32)
    sizes = {name: len(values) for name, values in labels.items()}
    dense = {
        x: _dense(cells, (*base, *([x] if x else ())), sizes, slot_days) for x, cells in by_month.items()
    }
    units = _units(rows, table["unit"], sizes, slot_days) if extra else None
    fits = all(d is not None for d in dense.values())
    return KindCube(kind, labels, months_seen, by_month, days, units, dense if fits else None)


def _dense(
    cells: Cells, axes: tuple[str, ...], sizes: Mapping[str, int], slot_days: np.ndarray
) -> Dense | None:
    shape = (slot_days.size, *(sizes[a] for a in axes))
    if int(np.prod(shape)) > DENSE_LIMIT:
        return None
    index = np.ravel_multi_index((cells.month, *(cells.codes[a] for a in axes)), shape)
    counts = np.bincount(index, weights=cells.n, minlength=int(np.prod(shape))).astype(np.int64)
    cum = np.concatenate([np.zeros((1, *shape[1:]), np.int64), np.cumsum(counts.reshape(shape), axis=0)])
    return Dense(axes, cum, slot_days)


def _day(day: date) -> int:
    return (day - EPOCH).days


def _days(column: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(column.cast(pa.int32()), NO_DAY).to_numpy().astype(np.int32)


def _months(day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _from_months(months: int) -> date:
    return np.datetime64(months, "M").astype("datetime64[D]").item()


def _month_span(day: np.ndarray) -> tuple[int, int]:
    dated = day[day != NO_DAY]
    if not dated.size:
        return 0, -1
    return int(_months(dated.min(keepdims=True))[0]), int(_months(dated.max(keepdims=True))[0])


def _month_slot(day: np.ndarray, first: int, last: int) -> np.ndarray:
    """0 for no date, else 1 + months after the first month (so slots sort as days do)."""
    slots = _months(np.where(day == NO_DAY, 0, day)) - first + 1
    return np.where(day == NO_DAY, 0, slots).astype(np.int32)


def _roll_up(cells: Cells, keep: tuple[str, ...], *, by_day: bool = False) -> Cells:
    """Cells summed per month (or day) x the kept dimensions, sorted by period."""
    key = (cells.day.astype(np.int64) - NO_DAY) if by_day else cells.month.astype(np.int64)
    sizes = [int(cells.codes[d].max(initial=0)) + 1 for d in keep]
    for d, size in zip(keep, sizes, strict=True):
        key = key * size + cells.codes[d]
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    n = np.bincount(inverse, weights=cells.n, minlength=unique.size).astype(np.int64)
    codes = {}
    for d, size in reversed(list(zip(keep, sizes, strict=True))):
        codes[d] = (unique % size).astype(np.int32)
        unique = unique // size
    month = cells.month[first]
    day = cells.day[first] if by_day else _first_day(cells.day[first])
    return Cells(day, month, n, codes)


def _first_day(day: np.ndarray) -> np.ndarray:
    """The first day of each day's month (NO_DAY stays)."""
    months = _months(np.where(day == NO_DAY, 0, day)).astype("datetime64[M]")
    first = months.astype("datetime64[D]").astype(np.int32)
    return np.where(day == NO_DAY, NO_DAY, first).astype(np.int32)


def _units(rows: Cells, unit: pa.ChunkedArray, sizes: Mapping[str, int], slot_days: np.ndarray) -> Units:
    """Distinct units per cell for units in one day and neighborhood; the rest as rows (ids never null)."""
    encoded = pc.dictionary_encode(unit.combine_chunks())  # nulls stay null: count(DISTINCT) skips them
    named = np.flatnonzero(encoded.indices.is_valid().to_numpy(zero_copy_only=False))
    codes = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    order = named[np.argsort(codes[named], kind="stable")]
    unit_codes = codes[order]
    day, hood, cat = rows.day[order], rows.codes["neighborhood_id"][order], rows.codes["category"][order]
    starts = np.flatnonzero(np.r_[True, unit_codes[1:] != unit_codes[:-1]]) if unit_codes.size else unit_codes
    simple = _same_within(day, starts) & _same_within(hood, starts)
    with_mask = sizes["category"] <= MAX_MASK_CODES
    bits = np.left_shift(np.uint64(1), cat.astype(np.uint64)) if with_mask else np.zeros(cat.size, np.uint64)
    mask = np.bitwise_or.reduceat(bits, starts) if starts.size else bits[:0]
    masks, mask_code = np.unique(mask[simple], return_inverse=True)
    here = starts[simple]
    codes_here = {"neighborhood_id": hood[here], "mask": mask_code.astype(np.int32)}
    month = rows.month[order]
    per_unit = Cells(day[here], month[here], np.ones(here.size, dtype=np.int64), codes_here)
    days = _roll_up(per_unit, ("neighborhood_id", "mask"), by_day=True)
    months = _roll_up(per_unit, ("neighborhood_id", "mask"))
    in_simple = np.repeat(simple, np.diff(np.r_[starts, unit_codes.size]))
    loose = np.flatnonzero(~in_simple)
    loose = loose[np.argsort(day[loose], kind="stable")]
    _, dense = np.unique(unit_codes[loose], return_inverse=True)  # 0..m-1 over the loose units
    rest = {"neighborhood_id": hood[loose], "category": cat[loose], "unit": dense.astype(np.int64)}
    loose_cells = Cells(day[loose], month[loose], np.ones(loose.size, np.int64), rest)
    dense_sizes = {"neighborhood_id": sizes["neighborhood_id"], "mask": max(masks.size, 1)}
    dense = _dense(months, ("neighborhood_id", "mask"), dense_sizes, slot_days)
    return Units(months, days, masks.astype(np.uint64) if with_mask else None, loose_cells, dense)


def _same_within(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (rows sorted by group, `starts` its first rows): True where every value is the same."""
    if not starts.size:
        return np.zeros(0, dtype=bool)
    return np.minimum.reduceat(values, starts) == np.maximum.reduceat(values, starts)


def split_window(
    date_from: date | None, date_to: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """(first and last whole month, as first days; None if there is none) and the partial-month date spans."""
    full_start = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    full_end = (
        date_to if date_to is None or is_month_end(date_to) else date_to.replace(day=1) - timedelta(days=1)
    )
    if full_start is not None and full_end is not None and full_start > full_end:
        return None, [(date_from, date_to)]  # type: ignore[list-item]  # both set when both ends are
    edges = []
    if date_from is not None and full_start is not None and date_from < full_start:
        edges.append((date_from, full_start - timedelta(days=1)))
    if date_to is not None and full_end is not None and date_to > full_end:
        edges.append((full_end + timedelta(days=1), date_to))
    months = (
        full_start.replace(day=1) if full_start else None,
        full_end.replace(day=1) if full_end else None,
    )
    return months, edges


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
