"""A hand-made test city served by the local feed server: two neighborhoods split at lon -87.68."""

from __future__ import annotations

import json
from pathlib import Path

from loaders.catalog import Catalog, load_catalog
from tests.feedserver import FeedServer

BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "W", "label": "Westside"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-88.5, 41.0], [-87.68, 41.0], [-87.68, 42.7], [-88.5, 42.7], [-88.5, 41.0]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"code": "E", "label": "Eastside"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-87.68, 41.0], [-86.9, 41.0], [-86.9, 42.7], [-87.68, 42.7], [-87.68, 41.0]]
                ],
            },
        },
    ],
}
POPULATION = b"code,people\nW,40000\nE,60000\n"

CITY = """
[cities.testville]
name = "Testville"
time_zone = "America/Chicago"
boundaries_url = "{base}/files/boundaries.geojson"
population_url = "{base}/files/population.csv"
boundary_id_field = "code"
boundary_name_field = "label"
population_id_field = "code"
licence = "hand-made test data"
[cities.testville.population_fields]
population = "people"
"""

SOURCE = """
[[sources]]
id = "{sid}"
city = "testville"
kind = "{kind}"
platform = "{platform}"
endpoint = "{endpoint}"
dataset_id = "{dataset}"
title = "Test feed {sid}"
publisher = "Testville PD (hand-made)"
landing_page = "{base}/"
licence = "CC0"
date_field = "occurred"
page_size = {page_size}
{extra}
[sources.fields]
record_id = "id"
{fields}
[sources.geography]
method = "point"
lat = "{lat}"
lon = "{lon}"
{recode}
"""

KIND_FIELDS = {
    "crime_incident": 'offense_raw = "category"',
    "complaint": 'complaint_id = "id"\nfinding_raw = "category"',
    "use_of_force": 'incident_id = "id"\nforce_type_raw = "category"',
}


# The feed server's categories are crime words; as findings and force types they need a recode.
_CATEGORIES = ("THEFT", "BATTERY", "CRIMINAL DAMAGE", "ASSAULT", "BURGLARY", "ROBBERY")
KIND_RECODES = {
    "crime_incident": "",
    "complaint": "[sources.recode.finding]\n"
    + "\n".join(f'"{c}" = "{f}"' for c, f in zip(_CATEGORIES, ("sustained", "not sustained") * 3)),
    "use_of_force": "[sources.recode.force_type]\n"
    + "\n".join(f'"{c}" = "{f}"' for c, f in zip(_CATEGORIES, ("Physical force", "Firearm") * 3)),
}


def serve_city(server: FeedServer) -> None:
    server.add_file(
        "boundaries.geojson", json.dumps(BOUNDARIES).encode(), content_type="application/geo+json"
    )
    server.add_file("population.csv", POPULATION)


def source_entry(
    server: FeedServer,
    sid: str,
    kind: str,
    platform: str,
    dataset: str,
    page_size: int = 1000,
    extra: str = "",
) -> str:
    endpoint = {
        "socrata": server.socrata_domain(),
        "ckan": server.ckan_site(),
        "arcgis": server.arcgis_layer_url(dataset),
        "csv": f"{server.base_url}/files/{dataset}",
    }[platform]
    lat, lon = ("__geometry_y", "__geometry_x") if platform == "arcgis" else ("lat", "lon")
    return SOURCE.format(
        sid=sid,
        kind=kind,
        platform=platform,
        endpoint=endpoint,
        dataset=dataset,
        base=server.base_url,
        page_size=page_size,
        extra=extra,
        fields=KIND_FIELDS[kind],
        recode=KIND_RECODES[kind],
        lat=lat,
        lon=lon,
    )


def write_catalog(tmp_path: Path, server: FeedServer, *entries: str) -> Catalog:
    path = tmp_path / "sources.toml"
    path.write_text(CITY.format(base=server.base_url) + "".join(entries))
    return load_catalog(path)
