"""A city's reference data (neighborhood boundaries and population), fetched like any feed.

Published as the snapshot `<city>__reference` with three files: the boundaries as fetched (for
point-in-polygon at ingest), a simplified map file, and `neighborhoods.parquet`.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from loaders.catalog import City
from loaders.errors import FeedError, FeedFormatError
from loaders.geo import NeighborhoodIndex
from loaders.http import HttpClient
from store import snapshots
from store.cityindex import reference_dataset_id
from store.schema import NEIGHBORHOOD_SCHEMA, schema_fingerprint

SOURCE_BOUNDARIES = "boundaries_source.geojson"
MAP_BOUNDARIES = "boundaries.geojson"
NEIGHBORHOODS = "neighborhoods.parquet"
POPULATION_GROUPS = ("pop_black", "pop_white", "pop_hispanic", "pop_asian")


def fetch_bytes(url: str, http: HttpClient) -> bytes:
    if url.startswith("demo://"):
        from loaders.platforms.demo import fetch_reference

        return fetch_reference(url)
    return http.get_bytes(url)


def refresh_reference(city: City, cache_root: Path, http: HttpClient) -> snapshots.Snapshot:
    """Fetch, check and publish the city's boundaries and population."""
    dataset_id = reference_dataset_id(city.city_id)
    boundaries = _fetch_part(city.boundaries_url, http, "boundary file (boundaries_url)", city)
    # Population is optional: without it every rate is hidden with a note, and counts still work.
    population = (
        _fetch_part(city.population_url, http, "population file (population_url)", city)
        if city.population_url
        else None
    )
    try:
        index = NeighborhoodIndex.from_geojson(boundaries, city.boundary_id_field, city.boundary_name_field)
    except (KeyError, ValueError) as exc:
        raise FeedFormatError(
            dataset_id, f"the boundary file cannot be read: {exc}", url=city.boundaries_url
        ) from None
    table = neighborhood_table(city, index, population)
    with snapshots.write_lock(cache_root, dataset_id):
        staging = snapshots.new_staging_dir(cache_root, dataset_id)
        try:
            (staging / SOURCE_BOUNDARIES).write_bytes(boundaries)
            (staging / MAP_BOUNDARIES).write_bytes(index.map_geojson())
            pq.write_table(table, staging / NEIGHBORHOODS)
            manifest = snapshots.Manifest(
                dataset_id=dataset_id,
                kind="reference",
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                row_count=table.num_rows,
                files={
                    n: snapshots.sha256_file(staging / n)
                    for n in (SOURCE_BOUNDARIES, MAP_BOUNDARIES, NEIGHBORHOODS)
                },
                schema_fingerprint=schema_fingerprint(table.schema),
                city=city.city_id,
                is_synthetic=city.is_synthetic,
                stats={"missing_population": table.column("population").null_count},
                provenance={
                    "boundaries_url": city.boundaries_url,
                    "population_url": city.population_url,
                    "licence": city.licence,
                },
            )
            return snapshots.publish(staging, manifest)
        except BaseException:
            snapshots.discard(staging)
            raise


def load_index(snapshot: snapshots.Snapshot, city: City) -> NeighborhoodIndex:
    data = snapshot.file(SOURCE_BOUNDARIES).read_bytes()
    return NeighborhoodIndex.from_geojson(data, city.boundary_id_field, city.boundary_name_field)


def _fetch_part(url: str, http: HttpClient, what: str, city: City) -> bytes:
    try:
        return fetch_bytes(url, http)
    except FeedError as exc:
        raise type(exc)(
            exc.source_id, f"the {what} of {city.city_id} could not be fetched: {exc.detail}", url=exc.url
        ) from None


def neighborhood_table(city: City, index: NeighborhoodIndex, population_csv: bytes | None) -> pa.Table:
    """One row per boundary feature, with population joined on the neighborhood id."""
    by_id = _population_by_id(city, population_csv) if population_csv is not None else {}
    rows = []
    for nid in index.ids:
        found = by_id.get(nid, {})
        total = found.get("population")
        groups = {col: found.get(col) for col in POPULATION_GROUPS}
        known = sum(v for v in groups.values() if v is not None)
        other = max(total - known, 0) if total is not None and known else None
        rows.append(
            {
                "neighborhood_id": nid,
                "neighborhood_name": index.names[nid],
                "district": None,
                "population": total,
                **groups,
                "pop_other": other,
            }
        )
    return pa.Table.from_pylist(rows, schema=NEIGHBORHOOD_SCHEMA)


def _population_by_id(city: City, population_csv: bytes) -> dict[str, dict]:
    pop = pacsv.read_csv(io.BytesIO(population_csv))
    id_field = city.population_id_field
    if id_field not in pop.column_names:
        raise FeedFormatError(f"{city.city_id}__reference", f"the population file has no column {id_field!r}")
    ids = [str(v) for v in pop.column(id_field).to_pylist()]
    fields = {"population": "population", **city.population_fields}
    counts = {
        col: _sum_columns(pop, fields[col]) for col in ("population", *POPULATION_GROUPS) if col in fields
    }
    return {nid: {col: values[i] for col, values in counts.items()} for i, nid in enumerate(ids)}


def _sum_columns(table: pa.Table, names) -> list[int | None]:
    names = [names] if isinstance(names, str) else list(names)
    missing = [n for n in names if n not in table.column_names]
    if missing:
        raise FeedFormatError("reference", f"the population file has no column(s) {', '.join(missing)}")
    total = pc.cast(table.column(names[0]), pa.int64())
    for name in names[1:]:
        total = pc.add(total, pc.cast(table.column(name), pa.int64()))
    return total.to_pylist()
