"""Neighborhood assignment, once at ingest: points in polygons, else a district crosswalk."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import shapely

# Points are first looked up in a grid laid over the boundaries; only points in cells that a boundary
# crosses go through exact point-in-polygon. 256 x 256 cells keep that share to a few percent.
GRID_CELLS = 256
AMBIGUOUS = -2
OUTSIDE = -1

# Boundaries are simplified for the map to about 15 m: enough for a neighborhood choropleth,
# and it keeps the payload a phone downloads small.
MAP_SIMPLIFY_DEGREES = 0.00015


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    dx: float
    dy: float
    owner: np.ndarray  # (row, column) -> polygon index, OUTSIDE or AMBIGUOUS


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
        return np.append(self.ids, None)[self.owners(lon, lat)]  # OUTSIDE (-1) takes the None

    def owners(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Polygon index per point (OUTSIDE where the point lies in none or is missing)."""
        owner = np.full(len(lon), OUTSIDE, dtype=np.int64)
        has_point = ~(np.isnan(lon) | np.isnan(lat))
        grid = self._grid
        ix = np.floor((lon - grid.x0) / grid.dx)
        iy = np.floor((lat - grid.y0) / grid.dy)
        inside = has_point & (ix >= 0) & (ix < GRID_CELLS) & (iy >= 0) & (iy < GRID_CELLS)
        cells = grid.owner[iy[inside].astype(np.int64), ix[inside].astype(np.int64)]
        owner[inside] = cells
        exact = np.flatnonzero(owner == AMBIGUOUS)
        owner[exact] = self._exact(lon[exact], lat[exact])
        return owner

    def _exact(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Polygon index per point by exact point-in-polygon (OUTSIDE where none)."""
        owner = np.full(len(lon), OUTSIDE, dtype=np.int64)
        if len(lon) == 0:
            return owner
        point_i, poly_i = self.tree.query(shapely.points(lon, lat), predicate="intersects")
        # A point on a shared edge matches two polygons; keep the first so each record counts once.
        first = np.unique(point_i, return_index=True)[1]
        owner[point_i[first]] = poly_i[first]
        return owner

    def prepare_in_background(self) -> None:
        """Build the lookup grid on a thread of its own, while the first feed downloads."""
        threading.Thread(target=lambda: self._grid, name="neighborhood-grid", daemon=True).start()

    @cached_property
    def _grid(self) -> _Grid:
        """Which polygon owns each grid cell wholly, or AMBIGUOUS where a boundary may cross it.

        A cell is owned when its four corners fall in the same polygon and no polygon vertex lies
        inside it: a straight edge that crossed the cell would put two corners on different sides.
        """
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        pad = 1e-9 * max(1.0, x1 - x0, y1 - y0)  # so points on the outer edge still fall in the grid
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        dx, dy = (x1 - x0) / GRID_CELLS, (y1 - y0) / GRID_CELLS
        xs, ys = np.meshgrid(x0 + dx * np.arange(GRID_CELLS + 1), y0 + dy * np.arange(GRID_CELLS + 1))
        corners = self._exact(xs.ravel(), ys.ravel()).reshape(xs.shape)
        owner = corners[:-1, :-1].copy()
        same = (owner == corners[1:, :-1]) & (owner == corners[:-1, 1:]) & (owner == corners[1:, 1:])
        owner[~same] = AMBIGUOUS
        vertices = shapely.get_coordinates(self.polygons)
        vx = np.floor((vertices[:, 0] - x0) / dx).astype(np.int64)
        vy = np.floor((vertices[:, 1] - y0) / dy).astype(np.int64)
        for shift_y in (-1, 0, 1):  # the neighbours too, for vertices that sit on a grid line
            for shift_x in (-1, 0, 1):
                owner[np.clip(vy + shift_y, 0, GRID_CELLS - 1), np.clip(vx + shift_x, 0, GRID_CELLS - 1)] = (
                    AMBIGUOUS
                )
        return _Grid(x0, y0, dx, dy, owner)

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


METHODS = pa.array(["point", "source_field", "unassigned"])


def assign_neighborhoods(
    index: NeighborhoodIndex,
    lon: pa.Array,
    lat: pa.Array,
    district: pa.Array | None,
    crosswalk: Mapping[str, str],
) -> tuple[pa.Array, pa.Array]:
    """(neighborhood_id, geo_method) per row: by point when it falls inside, else by district field."""
    owner = index.owners(_floats(lon), _floats(lat))
    method = np.where(owner >= 0, 0, 2)
    if district is not None:
        by_field = _crosswalk(district, crosswalk, index)
        use_field = (owner < 0) & (by_field >= 0)
        owner = np.where(use_field, by_field, owner)
        method[use_field] = 1
    ids = pa.array(index.ids.tolist(), pa.string())
    hood = pc.take(ids, pa.array(owner, pa.int64(), mask=owner < 0))
    return hood, pc.take(METHODS, pa.array(method))


def _crosswalk(district: pa.Array, crosswalk: Mapping[str, str], index: NeighborhoodIndex) -> np.ndarray:
    """Polygon index per row from its district code (OUTSIDE where the code maps to no neighborhood)."""
    position = {nid: i for i, nid in enumerate(index.ids)}
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(pc.cast(district, pa.string())))
    encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
    lookup = [position.get(crosswalk.get(v, v), OUTSIDE) for v in encoded.dictionary.to_pylist()]
    lookup.append(OUTSIDE)
    codes = pc.fill_null(encoded.indices, len(lookup) - 1).to_numpy(zero_copy_only=False)
    return np.array(lookup, dtype=np.int64)[codes]


def _floats(values: pa.Array | None) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
