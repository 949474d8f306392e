"""The source catalogue: `sources.toml` read into frozen dataclasses and validated as a whole.

Per-city knowledge lives in the TOML file, never in code. Loading reports every problem at once,
so a data engineer fixes the file in one pass instead of one error per run. This module reads and
checks; the dataclasses it fills are in loaders.catalog_model (importable from here as before).
"""

from __future__ import annotations

import tomllib
import zoneinfo
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from loaders.catalog_model import DEFAULT_CATALOG, Catalog, City, Geography, Source
from loaders.catalog_rules import (
    ROW_UNITS,
    check_keys,
    check_unit,
    parse_filters,
    parse_identity,
    parse_join,
    parse_multi_value,
    parse_quality,
    parse_rollup,
    published_unit,
)
from loaders.catalog_scores import Scores, parse_levels, parse_scores, parse_unpivot
from store.schema import KINDS, schema_for

PLATFORMS = ("socrata", "arcgis", "ckan", "csv", "demo")
GEO_KINDS = ("point", "source_field", "none")
DERIVED_COLUMNS = frozenset(
    {"source_id", "occurred_date", "occurred_month", "neighborhood_id", "neighborhood_name", "geo_method"}
)


class CatalogError(Exception):
    """The catalogue has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[str], path: Path | str = "sources.toml"):
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} has {len(problems)} problem(s):\n{listing}")


def load_catalog(path: Path | str = DEFAULT_CATALOG) -> Catalog:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError([f"cannot read the file: {exc}"], path) from None
    return parse_catalog(raw, path)


def parse_catalog(raw: dict[str, Any], path: Path | str = "sources.toml") -> Catalog:
    problems: list[str] = []
    cities = {cid: _city(cid, body, problems) for cid, body in raw.get("cities", {}).items()}
    sources = [_source(i, body, cities, problems) for i, body in enumerate(raw.get("sources", []))]
    ids = [s.source_id for s in sources if s]
    problems += [f"source id {d!r} is used twice" for d in sorted({i for i in ids if ids.count(i) > 1})]
    if not sources:
        problems.append("no [[sources]] entries")
    if problems:
        raise CatalogError(problems, path)
    return Catalog(MappingProxyType(cities), tuple(sources), Path(path))


def _need(body: dict, key: str, where: str, problems: list[str]) -> Any:
    value = body.get(key)
    if value in (None, ""):
        problems.append(f"{where}: '{key}' is missing")
    return value


def _city(city_id: str, body: dict, problems: list[str]) -> City:
    where = f"city {city_id!r}"
    check_keys(where, body, CITY_KEYS, problems)
    keys = ("name", "time_zone", "boundaries_url", "boundary_id_field")
    values = {k: _need(body, k, where, problems) for k in keys}
    tz = values["time_zone"]
    if tz:
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where}: time_zone {tz!r} is not an IANA zone name")
    return City(
        city_id=city_id,
        **values,
        population_url=body.get("population_url") or None,
        boundary_name_field=body.get("boundary_name_field"),
        population_id_field=body.get("population_id_field", "neighborhood_id"),
        population_fields=MappingProxyType(dict(body.get("population_fields", {}))),
        neighborhood_label=body.get("neighborhood_label", "Neighborhood"),
        licence=body.get("licence", ""),
        is_synthetic=bool(body.get("is_synthetic", False)),
        initiatives=tuple(
            _initiative(where, i, item, problems) for i, item in enumerate(body.get("initiatives", []))
        ),
    )


INITIATIVE_KEYS = frozenset({"title", "start", "neighborhoods", "note"})


def _initiative(where: str, number: int, body: dict, problems: list[str]) -> MappingProxyType:
    """One `[[cities.<id>.initiatives]]` entry, checked: a title, an ISO start date, neighborhoods."""
    here = f"{where} initiative {number + 1}"
    check_keys(here, body, INITIATIVE_KEYS, problems)
    for key in ("title", "start", "neighborhoods"):
        _need(body, key, here, problems)
    start = body.get("start")
    try:
        date.fromisoformat(str(start)) if start else None
    except ValueError:
        problems.append(f"{here}: start {start!r} is not a date like 2023-07-01")
    hoods = body.get("neighborhoods", [])
    if not isinstance(hoods, list) or not all(isinstance(h, str) for h in hoods):
        problems.append(f"{here}: neighborhoods must be a list of neighborhood ids or names")
    return MappingProxyType({k: body[k] for k in INITIATIVE_KEYS if k in body} | {"start": str(start)})


CITY_KEYS = frozenset(
    {
        "name",
        "time_zone",
        "boundaries_url",
        "population_url",
        "boundary_id_field",
        "boundary_name_field",
        "population_id_field",
        "population_fields",
        "neighborhood_label",
        "licence",
        "is_synthetic",
        "initiatives",
    }
)
SOURCE_KEYS = frozenset(
    {
        "id",
        "city",
        "kind",
        "platform",
        "endpoint",
        "dataset_id",
        "title",
        "publisher",
        "landing_page",
        "licence",
        "date_field",
        "date_format",
        "updated_at_field",
        "fields",
        "recode",
        "geography",
        "token_env",
        "page_size",
        "options",
        "is_synthetic",
        "encoding",
        "row_unit",
        "identity",
        "rollup",
        "multi_value",
        "join",
        "filters",
        "quality",
        "verified",
        "verified_note",
        "unpivot",
        "levels",
        "scores",
    }
)
GEOGRAPHY_KEYS = frozenset({"method", "lat", "lon", "district_field", "boundary_field", "crosswalk"})
# Platform options: Socrata `format` (csv | json), ArcGIS `where` and `out_sr`, CKAN `sort_key`,
# and `date_formats` (canonical column -> format) for any platform.
OPTION_KEYS = frozenset({"format", "where", "out_sr", "sort_key", "date_formats"})


def _source(index: int, body: dict, cities: dict, problems: list[str]) -> Source | None:
    sid = body.get("id") or f"#{index + 1}"
    where = f"source {sid!r}"
    check_keys(where, body, SOURCE_KEYS, problems)
    keys = ("id", "city", "kind", "platform", "endpoint", "title", "publisher", "landing_page", "licence")
    values = {k: _need(body, k, where, problems) for k in keys + ("date_field",)}
    if values["city"] and values["city"] not in cities:
        problems.append(f"{where}: city {values['city']!r} is not defined under [cities]")
    if values["platform"] and values["platform"] not in PLATFORMS:
        problems.append(f"{where}: platform {values['platform']!r} is not one of {', '.join(PLATFORMS)}")
    fields = dict(body.get("fields", {}))
    kind = values["kind"]
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    else:
        _check_fields(where, kind, fields, body, problems)
    check_keys(f"{where}: [options]", body.get("options", {}), OPTION_KEYS, problems)
    page_size = body.get("page_size", 50_000)
    if not isinstance(page_size, int) or page_size < 1:
        problems.append(f"{where}: page_size must be a positive whole number")
    return Source(
        source_id=sid,
        city=values["city"],
        kind=kind,
        platform=values["platform"],
        endpoint=values["endpoint"],
        title=values["title"],
        publisher=values["publisher"],
        landing_page=values["landing_page"],
        licence=values["licence"],
        date_field=values["date_field"],
        fields=MappingProxyType(fields),
        geography=_geography(where, body.get("geography", {}), problems),
        date_format=body.get("date_format", "auto"),
        updated_at_field=body.get("updated_at_field"),
        recodes=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in body.get("recode", {}).items()}),
        token_env=body.get("token_env"),
        page_size=page_size,
        options=MappingProxyType(dict(body.get("options", {}))),
        dataset_id=body.get("dataset_id"),
        is_synthetic=bool(body.get("is_synthetic", False)),
        encoding=body.get("encoding"),
        **_rules(where, kind, body, problems),
    )


def _rules(where: str, kind: str, body: dict, problems: list[str]) -> dict[str, Any]:
    """The counting rules of a source (catalog_rules), checked against its kind's units."""
    default_unit = schema_for(kind).unit_singular if kind in KINDS else "incident"
    row_unit = body.get("row_unit", default_unit)
    if row_unit not in ROW_UNITS:
        problems.append(f"{where}: row_unit {row_unit!r} is not one of {', '.join(ROW_UNITS)}")
    rollup = parse_rollup(where, body.get("rollup"), problems)
    multi = parse_multi_value(where, body.get("multi_value"), problems)
    unpivot = parse_unpivot(where, body.get("unpivot"), problems)
    unit = published_unit(kind, row_unit, rollup, multi, unpivot)
    if kind in KINDS and row_unit in ROW_UNITS:
        check_unit(where, kind, row_unit, unit, problems)
    verified = body.get("verified")
    if verified is not None and not isinstance(verified, bool):
        problems.append(f"{where}: verified must be true or false")
    if verified is False and not body.get("verified_note"):
        problems.append(f"{where}: verified = false needs verified_note saying why")
    return {
        "row_unit": row_unit,
        "unit": unit,
        "identity": parse_identity(where, body.get("identity", {}), problems),
        "rollup": rollup,
        "multi_value": multi,
        "join": parse_join(where, body.get("join"), problems),
        "filters": parse_filters(where, body.get("filters"), problems),
        "quality": parse_quality(where, body.get("quality", {}), problems),
        "verified": verified,
        "verified_note": str(body.get("verified_note", "")),
        "unpivot": unpivot,
        "levels": parse_levels(where, body.get("levels"), problems),
        "scores": _scores(where, kind, body, problems),
    }


def _scores(where: str, kind: str, body: dict, problems: list[str]) -> Scores | None:
    """A score kind must say its scale: a chart of averages without one cannot be read."""
    scores = parse_scores(where, body.get("scores"), problems)
    if kind in KINDS and schema_for(kind).is_score and scores is None:
        problems.append(
            f"{where}: a {kind} source needs [sources.scores] (scale_min, scale_max, method_note)"
        )
    return scores


def _check_fields(where: str, kind: str, fields: dict, body: dict, problems: list[str]) -> None:
    schema = schema_for(kind)
    for name in fields:
        if name not in schema.names or name in DERIVED_COLUMNS:
            problems.append(f"{where}: fields.{name} is not a column of {kind} that a source can fill")
    for col in schema.columns:
        if col.is_required and col.name not in DERIVED_COLUMNS and col.name not in fields:
            if col.name == "occurred_at" and body.get("date_field"):
                continue
            if col.name == "record_id" and (body.get("identity") or {}).get("fields"):
                continue
            if (col.vocabulary and col.name + "_raw" in fields) or _derived_from_raw(col.name, fields):
                continue
            if _shaped(col.name, body):
                continue
            problems.append(f"{where}: required column {col.name!r} has no entry under [fields]")
    for name in body.get("recode", {}):
        if name not in schema.names or not schema.column(name).vocabulary:
            problems.append(f"{where}: recode.{name} is not a recoded column of {kind}")


# Columns of a score kind that the catalogue's reshaping tables fill, rather than a published field.
SHAPED_BY = {
    "geo_level": "levels",
    "measure": "unpivot",
    "group_type": "unpivot",
    "group_value": "unpivot",
    "score": "unpivot",
}


def _shaped(name: str, body: dict) -> bool:
    return name in SHAPED_BY and bool(body.get(SHAPED_BY[name]))


def _derived_from_raw(name: str, fields: dict) -> bool:
    # offense_category is recoded from offense_raw; force_type from force_type_raw; and so on.
    sources = {"offense_category": "offense_raw", "finding": "finding_raw", "force_type": "force_type_raw"}
    return sources.get(name) in fields


def _geography(where: str, body: dict, problems: list[str]) -> Geography:
    check_keys(f"{where}: [geography]", body, GEOGRAPHY_KEYS, problems)
    method = body.get("method", "none")
    if method not in GEO_KINDS:
        problems.append(f"{where}: geography.method {method!r} is not one of {', '.join(GEO_KINDS)}")
    if method == "point" and not (body.get("lat") and body.get("lon")):
        problems.append(f"{where}: geography.method 'point' needs 'lat' and 'lon' fields")
    if method == "source_field" and not body.get("district_field"):
        problems.append(f"{where}: geography.method 'source_field' needs 'district_field'")
    return Geography(
        method=method,
        lat_field=body.get("lat"),
        lon_field=body.get("lon"),
        district_field=body.get("district_field"),
        boundary_field=body.get("boundary_field"),
        crosswalk=MappingProxyType({str(k): str(v) for k, v in body.get("crosswalk", {}).items()}),
    )
