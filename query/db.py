"""One city's published snapshots behind a locked-down, in-memory DuckDB connection.

A view per kind reads every current snapshot of that kind (a kind may have several sources). Kinds
with no distinct unit to count (crime incidents) also get two small in-memory cubes (counts per
month and per day, by neighborhood and category), so that a filter change at 10M rows reads
thousands of rows instead of millions. Once the views exist, DuckDB may open only those Parquet
files: no other file, no network, no extensions, and the configuration is locked so no later
statement can undo it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from query import cube
from query.filters import CATEGORY_COLUMN, FINDING_KINDS, UNIT_COLUMN, person_columns
from query.quality import unit_plural
from store.cityindex import CityIndex, read_city_index
from store.schema import COUNT_KINDS, KINDS, NEIGHBORHOOD_SCHEMA, SCORE_KINDS, schema_for
from store.snapshots import POINTER_NAME, Snapshot, SnapshotError, current, dataset_dir, pinned

DATA_FILE = "data.parquet"
NEIGHBORHOODS_FILE = "neighborhoods.parquet"
BOUNDARIES_FILE = "boundaries.geojson"
DUCKDB_THREADS = 1
_PANDAS_TYPES = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


class CubeShelf:
    """query.cube's arrays per kind, built on the kind's first view and kept while the city is open,
    so a cold start pays only for the page it shows. Thread-safe: sessions share an open city."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kinds: frozenset[str], cube_kinds: frozenset[str]):
        self._con, self._kinds, self._cube_kinds = con, kinds, cube_kinds
        self._made: dict[str, cube.KindCube | None] = {}
        self._lock = threading.Lock()

    def get(self, kind: str) -> cube.KindCube | None:
        """The kind's cubes, or None (no data, or months that disagree with dates: the rows answer)."""
        made = self._made.get(kind, _UNBUILT)
        if made is not _UNBUILT:
            return made
        with self._lock:
            if kind not in self._made:
                self._made[kind] = self._build(kind)
            return self._made[kind]

    def _build(self, kind: str) -> cube.KindCube | None:
        if kind not in self._kinds:
            return None
        cur = self._con.cursor()
        try:  # a kind with a DuckDB day cube is read from it: far fewer rows
            return cube.build(cur, kind, f"cubeday_{kind}" if kind in self._cube_kinds else None)
        finally:
            cur.close()


_UNBUILT = object()


@dataclass(frozen=True, eq=False)
class CityData:
    """Everything the read side knows about one city, opened once per set of snapshots."""

    city_id: str
    index: CityIndex
    con: duckdb.DuckDBPyConnection
    snapshots: Mapping[str, tuple[Snapshot, ...]]  # kind -> current snapshots of that kind
    reference: Snapshot | None
    neighborhoods: pd.DataFrame  # NEIGHBORHOOD_SCHEMA columns, one row per neighborhood
    neighborhood_names: Mapping[str, str]
    boundaries: dict | None  # parsed GeoJSON FeatureCollection
    snapshot_key: str  # changes whenever any CURRENT pointer of the city moves
    coverage: Mapping[str, tuple[date, date]] = field(default_factory=dict)  # kind -> first, last date
    cube_kinds: frozenset[str] = frozenset()
    cubes: CubeShelf | None = None  # query.cube's arrays per kind, made on a kind's first view
    problems: tuple[str, ...] = ()  # datasets listed in the index that could not be opened
    as_of: str | None = None  # the pinned time a link asked for, or None for current data
    expired_pins: tuple[str, ...] = ()  # datasets whose pinned snapshot is kept no longer (opened current)

    @property
    def name(self) -> str:
        return self.index.name

    @property
    def time_zone(self) -> str:
        return self.index.time_zone

    def has_data(self, kind: str) -> bool:
        return bool(self.snapshots.get(kind))

    @property
    def pin(self) -> str:
        """The `as_of` that reopens exactly these snapshots later: the newest one's full time (to the
        microsecond, so a snapshot published the same second after it is not taken instead)."""
        if self.as_of:
            return self.as_of
        names = [s.name for snaps in self.snapshots.values() for s in snaps]
        names += [self.reference.name] if self.reference else []
        return max(names).rstrip("Z") if names else ""

    def unit_plural(self, kind: str) -> str:
        """What one record of this kind counts here ("subjects", or "incidents" where a source lists
        no subjects), from the sources' manifests; "records" if the city's sources disagree."""
        units = {unit_plural(s.manifest, kind) for s in self.snapshots.get(kind, ())}
        if len(units) == 1:
            return units.pop()
        return "records" if units else schema_for(kind).unit_plural

    def kinds_with_data(self) -> tuple[str, ...]:
        """Kinds counted in records (crime, complaints, force) that this city publishes."""
        return tuple(k for k in COUNT_KINDS if self.has_data(k))

    def score_kinds_with_data(self) -> tuple[str, ...]:
        """Kinds of published scores (community sentiment) that this city publishes."""
        return tuple(k for k in SCORE_KINDS if self.has_data(k))

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
        """Run one statement on a private cursor (connections are not thread-safe) and return a frame."""
        cur = self.con.cursor()
        try:
            table = cur.sql(sql, params=dict(params) if params else None).to_arrow_table()
        finally:
            cur.close()
        # nullable integers and booleans stay integers and booleans; dates become datetime.date
        return table.to_pandas(types_mapper=_PANDAS_TYPES.get)


def open_city(cache_root: Path | str, city_id: str, as_of: str | None = None) -> CityData | None:
    """Open a city's current snapshots, or None when the city has never been refreshed.

    With `as_of` (a snapshot time such as 20261101T0415, from a pinned link), each dataset opens at
    the newest snapshot kept from then; one that is kept no longer opens current, and says so.
    """
    root = Path(cache_root)
    index = read_city_index(root, city_id)
    if index is None:
        return None
    expired: list[str] = []
    resolve = _resolver(root, as_of, expired)
    snaps, problems = _current_snapshots(root, index, resolve)
    reference = _reference_snapshot(root, index, problems, resolve)
    neighborhoods = _read_neighborhoods(reference)
    con = duckdb.connect(config={"threads": DUCKDB_THREADS})
    try:
        data_files = _create_views(con, snaps)
        _create_neighborhoods(con, neighborhoods)
        cube_kinds = _create_cubes(con, snaps)
        coverage = _coverage(con, snaps, cube_kinds)
        _lock_down(con, data_files)
    except BaseException:
        con.close()
        raise
    names = dict(zip(neighborhoods["neighborhood_id"], neighborhoods["neighborhood_name"], strict=True))
    return CityData(
        city_id=city_id,
        index=index,
        con=con,
        snapshots=MappingProxyType({k: tuple(v) for k, v in snaps.items()}),
        reference=reference,
        neighborhoods=neighborhoods,
        neighborhood_names=MappingProxyType(names),
        boundaries=_read_boundaries(reference),
        snapshot_key=(f"as_of={as_of}|" if as_of else "")
        + _key([*(s for v in snaps.values() for s in v), *([reference] if reference else [])]),
        coverage=MappingProxyType(coverage),
        cube_kinds=frozenset(cube_kinds),
        cubes=CubeShelf(con, frozenset(snaps), frozenset(cube_kinds)),
        problems=tuple(problems),
        as_of=as_of,
        expired_pins=tuple(expired),
    )


def _resolver(root: Path, as_of: str | None, expired: list[str]):
    def resolve(dataset_id: str) -> Snapshot | None:
        if as_of is None:
            return current(root, dataset_id)
        snap = pinned(root, dataset_id, as_of)
        if snap is None:
            expired.append(dataset_id)
            return current(root, dataset_id)
        return snap

    return resolve


def current_snapshot_key(cache_root: Path | str, city_id: str) -> str:
    """The snapshot key `open_city` would give now, from the CURRENT pointers alone (no manifests)."""
    root = Path(cache_root)
    index = read_city_index(root, city_id)
    if index is None:
        return ""
    ids = [d for kind in KINDS for d in index.datasets.get(kind, [])] + [index.reference_dataset]
    parts = []
    for dataset_id in ids:
        try:
            name = (dataset_dir(root, dataset_id) / POINTER_NAME).read_text().strip()
        except (FileNotFoundError, SnapshotError):
            continue
        parts.append(f"{dataset_id}/{name}")
    return "|".join(sorted(parts))


def _key(snapshots: list[Snapshot]) -> str:
    return "|".join(sorted(s.snapshot_id for s in snapshots))


def _current_snapshots(root: Path, index: CityIndex, resolve) -> tuple[dict[str, list[Snapshot]], list[str]]:
    snaps: dict[str, list[Snapshot]] = {}
    problems: list[str] = []
    for kind in KINDS:
        for dataset_id in index.datasets.get(kind, []):
            try:
                snap = resolve(dataset_id)
            except SnapshotError as exc:
                problems.append(str(exc))
                continue
            if snap is None or not snap.file(DATA_FILE).is_file():
                problems.append(f"{dataset_id}: no published data file")
                continue
            snaps.setdefault(kind, []).append(snap)
    return snaps, problems


def _reference_snapshot(root: Path, index: CityIndex, problems: list[str], resolve) -> Snapshot | None:
    try:
        snap = resolve(index.reference_dataset)
    except SnapshotError as exc:
        problems.append(str(exc))
        return None
    if snap is None:
        problems.append(f"{index.reference_dataset}: no neighborhoods published")
    return snap


def _read_neighborhoods(reference: Snapshot | None) -> pd.DataFrame:
    path = reference.file(NEIGHBORHOODS_FILE) if reference else None
    if path is None or not path.is_file():
        table = NEIGHBORHOOD_SCHEMA.empty_table()
    else:
        table = pq.read_table(path).select(NEIGHBORHOOD_SCHEMA.names).cast(NEIGHBORHOOD_SCHEMA)
    return table.to_pandas().sort_values("neighborhood_name", kind="stable").reset_index(drop=True)


def _read_boundaries(reference: Snapshot | None) -> dict | None:
    path = reference.file(BOUNDARIES_FILE) if reference else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_SQL_TYPES = {
    "string": "VARCHAR",
    "int16": "SMALLINT",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
}


def _view_columns(kind: str, paths: list[str]) -> str:
    """The kind's columns in canonical order; a column added to the schema after a snapshot was
    written reads as empty there, so older snapshots (and pinned ones) still open."""
    present = set().union(*(pq.read_schema(p).names for p in paths))
    out = []
    for col in schema_for(kind).columns:
        if col.name in present:
            out.append(col.name)
        else:
            out.append(f"CAST(NULL AS {_SQL_TYPES.get(str(col.arrow_type), 'VARCHAR')}) AS {col.name}")
    return ", ".join(out)


def _create_views(con: duckdb.DuckDBPyConnection, snaps: Mapping[str, list[Snapshot]]) -> list[str]:
    """One view per kind (empty but typed when the kind has no data); returns the files the views read."""
    files: list[str] = []
    for kind in KINDS:
        paths = [str(s.file(DATA_FILE).resolve()) for s in snaps.get(kind, [])]
        if paths:
            columns = _view_columns(kind, paths)
            listing = ", ".join(_sql_string(p) for p in paths)
            con.execute(
                f"CREATE VIEW {kind} AS SELECT {columns} FROM read_parquet([{listing}], union_by_name = true)"
            )
            files += paths
        else:
            columns = ", ".join(schema_for(kind).names)
            empty = schema_for(kind).arrow_schema("UTC").empty_table()
            con.register("_empty", empty)
            con.execute(f"CREATE TABLE _empty_{kind} AS SELECT * FROM _empty")
            con.unregister("_empty")
            con.execute(f"CREATE VIEW {kind} AS SELECT {columns} FROM _empty_{kind}")
    return files


def _create_neighborhoods(con: duckdb.DuckDBPyConnection, neighborhoods: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(neighborhoods, schema=NEIGHBORHOOD_SCHEMA, preserve_index=False)
    con.register("_neighborhoods", table)
    con.execute("CREATE TABLE neighborhoods AS SELECT * FROM _neighborhoods")
    con.unregister("_neighborhoods")


def cube_dimensions(kind: str) -> list[str]:
    """Columns a kind's cube keeps (besides occurred_month and neighborhood_id)."""
    dims = [CATEGORY_COLUMN[kind]]
    if kind in FINDING_KINDS:
        dims.append("finding")
    person = person_columns(kind)
    if person:
        dims += [person["race"], person["sex"], person["age"]]
    return dims


def _create_cubes(con: duckdb.DuckDBPyConnection, snaps: Mapping[str, list[Snapshot]]) -> list[str]:
    """Counts per day and per month x neighborhood x dimensions, for kinds whose totals need no distinct count.

    The day cube is sorted by date, so DuckDB's zone maps skip to the partial months a window starts
    or ends in; the month cube answers whole months from a few thousand rows.
    """
    made = []
    for kind in KINDS:
        if kind in UNIT_COLUMN or not snaps.get(kind) or schema_for(kind).is_score:
            continue  # scores are never counted  # a distinct count of complaints or incidents needs the rows themselves
        dims = ", ".join(["neighborhood_id", *cube_dimensions(kind)])
        con.execute(
            f"CREATE TABLE cubeday_{kind} AS SELECT occurred_date, occurred_month, {dims}, count(*) AS n "
            f"FROM {kind} GROUP BY ALL ORDER BY occurred_date, {dims}"
        )
        con.execute(
            f"CREATE TABLE cube_{kind} AS SELECT occurred_month, {dims}, sum(n)::BIGINT AS n "
            f"FROM cubeday_{kind} GROUP BY ALL ORDER BY occurred_month, {dims}"
        )
        made.append(kind)
    return made


def _coverage(
    con: duckdb.DuckDBPyConnection, snaps: Mapping[str, list[Snapshot]], cube_kinds: list[str]
) -> dict[str, tuple[date, date]]:
    """First and last local date with a record, per kind: the span a comparison may trust (a kind
    with a day cube reads it there: the same dates, a few thousand rows instead of every row)."""
    out = {}
    for kind in snaps:
        table = f"cubeday_{kind}" if kind in cube_kinds else kind
        first, last = con.sql(f"SELECT min(occurred_date), max(occurred_date) FROM {table}").fetchall()[0]
        if first is not None:
            out[kind] = (first, last)
    return out


def _lock_down(con: duckdb.DuckDBPyConnection, data_files: list[str]) -> None:
    """Allow reading only our snapshot files, then lock the configuration for good."""
    allowed = "[" + ", ".join(_sql_string(p) for p in data_files) + "]"
    for statement in (
        "SET parquet_metadata_cache = true",
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET allow_community_extensions = false",
        f"SET allowed_paths = {allowed}",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ):
        con.execute(statement)
