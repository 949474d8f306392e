"""Neighborhood assignment, once at ingest: points in polygons, else a district crosswalk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import shapely

# Boundaries are simplified for the map to about 15 m: enough for a neighborhood choropleth,
# and it keeps the payload a phone downloads small.
MAP_SIMPLIFY_DEGREES = 0.00015


@dataclass(frozen=True)
class NeighborhoodIndex:
    ids: np.ndarray  # object array of neighborhood ids, parallel to polygons
    names: Mapping[str, str]
    polygons: np.ndarray  # shapely geometries
    tree: shapely.STRtree
    properties: tuple[dict, ...] = ()  # each feature's properties, for crosswalks by a boundary field

    @classmethod
    def from_geojson(cls, geojson: bytes | dict, id_field: str, name_field: str | None) -> NeighborhoodIndex:
        doc = orjson.loads(geojson) if isinstance(geojson, bytes | str) else geojson
        features = [f for f in doc.get("features", []) if f.get("geometry")]
        if not features:
            raise ValueError("the boundary file has no features with a geometry")
        ids = [str(f["properties"][id_field]) for f in features]
        names = {
            i: str(f["properties"].get(name_field) or i) if name_field else i for i, f in zip(ids, features)
        }
        polygons = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in features])
        polygons = shapely.make_valid(polygons)
        props = tuple(dict(f.get("properties") or {}) for f in features)
        return cls(np.array(ids, dtype=object), names, polygons, shapely.STRtree(polygons), props)

    def crosswalk_from(self, field: str) -> dict[str, str]:
        """District code -> neighborhood id, read from a property the boundary file carries."""
        return {str(p[field]): nid for nid, p in zip(self.ids, self.properties) if p.get(field) is not None}

    def assign_points(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Neighborhood id per point (None where the point lies in none or is missing)."""
        result = np.full(len(lon), None, dtype=object)
        has_point = ~(np.isnan(lon) | np.isnan(lat))
        idx = np.flatnonzero(has_point)
        if len(idx) == 0:
            return result
        points = shapely.points(lon[idx], lat[idx])
        point_i, poly_i = self.tree.query(points, predicate="intersects")
        # A point on a shared edge matches two polygons; keep the first so each record counts once.
        first = np.unique(point_i, return_index=True)[1]
        result[idx[point_i[first]]] = self.ids[poly_i[first]]
        return result

    def map_geojson(self) -> bytes:
        """Simplified boundaries with only id and name properties, for the choropleth."""
        simple = shapely.simplify(self.polygons, MAP_SIMPLIFY_DEGREES, preserve_topology=True)
        features = [
            {
                "type": "Feature",
                "id": nid,
                "properties": {"neighborhood_id": nid, "neighborhood_name": self.names[nid]},
                "geometry": orjson.loads(shapely.to_geojson(geom)),
            }
            for nid, geom in zip(self.ids, simple)
        ]
        return orjson.dumps({"type": "FeatureCollection", "features": features})


def assign_neighborhoods(
    index: NeighborhoodIndex,
    lon: pa.Array,
    lat: pa.Array,
    district: pa.Array | None,
    crosswalk: Mapping[str, str],
) -> tuple[pa.Array, pa.Array]:
    """(neighborhood_id, geo_method) per row: by point when it falls inside, else by district field."""
    by_point = index.assign_points(_floats(lon), _floats(lat))
    methods = np.where(by_point != None, "point", "unassigned").astype(object)  # noqa: E711
    if district is not None:
        by_field = _crosswalk(district, crosswalk, set(index.ids))
        use_field = (by_point == None) & (by_field != None)  # noqa: E711
        by_point = np.where(use_field, by_field, by_point)
        methods[use_field] = "source_field"
    return pa.array(by_point, pa.string()), pa.array(methods, pa.string())


def _crosswalk(district: pa.Array, crosswalk: Mapping[str, str], known: set[str]) -> np.ndarray:
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(pc.cast(district, pa.string())))
    encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
    lookup = [crosswalk.get(v, v if v in known else None) for v in encoded.dictionary.to_pylist()]
    lookup.append(None)
    codes = pc.fill_null(encoded.indices, len(lookup) - 1).to_numpy(zero_copy_only=False)
    return np.array(lookup, dtype=object)[codes]


def _floats(values: pa.Array | None) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
