"""The Frictionless Data Package that travels in every download: the CSV's fields, its sources
and their licences, so a reader's tools know what each column is without reading the notes."""

from __future__ import annotations

import csv
import io

from query.db import CityData
from query.filters import Filters
from query.i18n import canonical_header
from query.provenance import source_provenance


def data_package(city: CityData, filters: Filters, csv_name: str, csv_bytes: bytes, what: str) -> dict:
    """The same package format for every download: the CSV's fields, the sources and their licences."""
    header = next(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig").split("\r\n", 1)[0])), [])
    sources = [s for s in source_provenance(city) if s.kind == filters.kind]
    return {
        "profile": "data-package",
        "name": csv_name.removesuffix(".csv").lower().replace("_", "-"),
        "title": f"{city.name}: {what}, {filters.describe(city.neighborhood_names)}",
        "licenses": [{"name": "other", "title": t} for t in dict.fromkeys(s.licence for s in sources) if t],
        "sources": [{"title": s.title, "path": s.landing_page} for s in sources],
        "resources": [
            {
                "name": "data",
                "path": csv_name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8-sig",
                "schema": {"fields": [{"name": n, "type": _field_type(n)} for n in header]},
            }
        ],
    }


def _field_type(header: str) -> str:
    name = canonical_header(header)
    if name in ("count", "population") or name.endswith(("_count", "_age")):
        return "integer"
    if name.startswith(("share", "rate")) or name.endswith(("_share", "_per_1000")) or name in ("lat", "lon"):
        return "number"
    return "string"  # dates and flags too: published as text, as the notes say
