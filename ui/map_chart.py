"""The neighborhood map: a choropleth on a white background (no basemap tiles, so it works offline).

Apart from ui/charts.py for its size; it uses the same palette, label escaping and plain-dict Chart.
"""

from __future__ import annotations

import math

from query import gate, i18n
from query.i18n import _
from ui.charts import FONT, SEQUENTIAL, Chart, _frame, _text, escape


def choropleth(
    geojson: dict, published: gate.PublishedTable, *, value: str, value_label: str, height: int = 420
) -> Chart:
    """Neighborhood map with no basemap tiles (white background), so it works offline.

    Neighborhoods whose value is hidden or has no population are drawn grey in a trace of their
    own and say why on hover; they are never coloured as a zero.
    """
    df = _frame(published)
    geojson = _shapes_only(geojson)
    lon, lat, zoom = _view(geojson)
    known = df[df[value].notna()]
    unknown = df[df[value].isna()]
    hover = "%{customdata[0]}: %{customdata[1]} " + _text(value_label) + "<extra></extra>"
    area = {
        "type": "choroplethmap",
        "geojson": geojson,
        "locations": list(known["neighborhood_id"]),
        "featureidkey": "properties.neighborhood_id",
        "z": list(known[value]),
        "colorscale": SEQUENTIAL,
        "marker": {"line": {"width": 0.8, "color": "#555"}, "opacity": 0.85},
        "customdata": list(zip(escape(known["neighborhood_name"]), escape(known["display"]))),
        "hovertemplate": hover,
        "colorbar": {"title": {"text": _text(value_label), "side": "right"}, "thickness": 12},
    }
    grey = {
        "type": "choroplethmap",
        "geojson": geojson,
        "locations": list(unknown["neighborhood_id"]),
        "featureidkey": "properties.neighborhood_id",
        "z": [0] * len(unknown),
        "colorscale": [[0, "#d9d9d9"], [1, "#d9d9d9"]],
        "showscale": False,
        "marker": {"line": {"width": 0.8, "color": "#555"}, "opacity": 0.85},
        "customdata": list(zip(escape(unknown["neighborhood_name"]), escape(unknown["display"]))),
        "hovertemplate": "%{customdata[0]}: %{customdata[1]}<extra></extra>",
        "name": _("not shown"),
    }
    layout = {
        "map": {"style": "white-bg", "center": {"lon": lon, "lat": lat}, "zoom": zoom},
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "font": FONT,
        "separators": i18n.plotly_separators(),
    }
    return Chart([area, grey] if len(unknown) else [area], layout)


def _shapes_only(geojson: dict) -> dict:
    """The boundaries with only the id each feature is matched on: the feed's other properties (names
    included) never travel to the browser, where nothing should read them."""
    features = [
        {
            "type": "Feature",
            "properties": {"neighborhood_id": (f.get("properties") or {}).get("neighborhood_id")},
            "geometry": f.get("geometry"),
        }
        for f in geojson.get("features", [])
    ]
    return {"type": "FeatureCollection", "features": features}


def _view(geojson: dict) -> tuple[float, float, float]:
    lons, lats = [], []
    for feature in geojson.get("features", []):
        for lon, lat in _coordinates(feature.get("geometry") or {}):
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return 0.0, 0.0, 1.0
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.6, 1e-6)
    zoom = max(1.0, min(15.0, math.log2(360 / span) - 0.6))
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2, zoom


def _coordinates(geometry: dict):
    coords = geometry.get("coordinates", [])
    kind = geometry.get("type")
    rings = (
        coords
        if kind == "Polygon"
        else [r for poly in coords for r in poly]
        if kind == "MultiPolygon"
        else []
    )
    for ring in rings:
        yield from ((pt[0], pt[1]) for pt in ring)
