"""Neighborhood assignment: the grid shortcut gives exactly what point-in-polygon gives."""

import numpy as np
import shapely

from loaders.demo_city import boundaries_geojson
from loaders.geo import NeighborhoodIndex


def test_grid_lookup_matches_exact_point_in_polygon():
    """Random points, points on shared edges and vertices, and points outside get the exact answer."""
    index = NeighborhoodIndex.from_geojson(boundaries_geojson(20191), "neighborhood_id", "neighborhood_name")
    rng = np.random.default_rng(5)
    lon = rng.uniform(-89.95, -89.45, 200_000)
    lat = rng.uniform(41.15, 41.55, 200_000)
    vertices = shapely.get_coordinates(index.polygons)
    lon = np.concatenate([lon, vertices[:, 0], [np.nan]])
    lat = np.concatenate([lat, vertices[:, 1], [41.3]])
    exact = index._exact(lon, lat)
    expected = np.append(index.ids, None)[exact]
    assert (index.assign_points(lon, lat) == expected).all()
    assert (expected != None).sum() > 100_000  # noqa: E711  (most points fall inside the city)
