""" "Check this figure at the source": the publisher's own API asked for the same count.

Built from the same `Filters` as the figure. Only what the source publishes exactly as we store it
can be asked for there: the date window, and neighborhoods when every record in them was placed by
its published district code. Recoded categories, points placed in neighborhoods here, and rows we
filtered, split, joined or merged cannot; then the check says so in one sentence instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from query.db import CityData
from query.filters import Filters
from query.i18n import _
from store.snapshots import Snapshot

CHECKABLE_PLATFORMS = ("socrata", "arcgis")


@dataclass(frozen=True)
class SourceCheck:
    source_title: str
    url: str | None  # the publisher's count query, or None when the figure cannot be asked there
    explanation: str  # what the link asks, or why there is none


def source_checks(city: CityData, filters: Filters) -> list[SourceCheck]:
    """One check per source of the figure's kind."""
    return [_check(city, snap, filters) for snap in city.snapshots.get(filters.kind, ())]


def _check(city: CityData, snap: Snapshot, filters: Filters) -> SourceCheck:
    p = snap.manifest.provenance or {}
    title = str(p.get("title") or snap.dataset_id)
    platform = p.get("platform")
    if platform not in CHECKABLE_PLATFORMS:
        return SourceCheck(
            title,
            None,
            _(
                "The publisher offers this as a file with no count query; "
                "the matching records download lets you count them yourself."
            ),
        )
    if p.get("is_reshaped"):
        return SourceCheck(
            title,
            None,
            _(
                "This figure counts records after rules applied here (see the data "
                "page), so the publisher's count of its rows differs; download the matching records."
            ),
        )
    eff = filters.effective()
    if eff.categories or eff.findings or eff.races or eff.sexes or eff.age_bands:
        return SourceCheck(
            title,
            None,
            _(
                "Categories, findings and people's groups are recoded here from the "
                "published values, so the source cannot be asked for them; download the matching records."
            ),
        )
    codes = _district_codes(city, snap, eff.neighborhood_ids) if eff.neighborhood_ids else ()
    if codes is None:
        return SourceCheck(
            title,
            None,
            _(
                "Neighborhoods are assigned here from each record's location, which "
                "the publisher does not do; download the matching records."
            ),
        )
    district = p.get("district_field") if codes else None
    # The same Filters object renders the date window in the publisher's terms; neighborhoods
    # become the district codes they were assigned from.
    dates_only = replace(eff, neighborhood_ids=())
    field_map = {"occurred_at": str(p.get("date_field") or "")}
    if platform == "socrata":
        url = socrata_count_url(
            str(p.get("endpoint")), str(p.get("dataset_id")), dates_only.to_soql(field_map), district, codes
        )
    else:
        where = dates_only.to_arcgis_where(field_map, str(p.get("time_zone") or city.time_zone))
        url = arcgis_count_url(str(p.get("endpoint")), where, district, codes)
    if url is None:
        return SourceCheck(
            title,
            None,
            _("The source's date field cannot be named in a query; download the matching records."),
        )
    return SourceCheck(
        title,
        url,
        _("Asks the publisher's API to count the same records: {selection}.").format(
            selection=eff.describe(city.neighborhood_names)
        ),
    )


def _district_codes(city: CityData, snap: Snapshot, hoods: tuple[str, ...]) -> tuple[str, ...] | None:
    """The published district codes of these neighborhoods, if every record in them was placed by code."""
    rows = city.query(
        f"SELECT DISTINCT district, geo_method FROM {snap.manifest.kind} "
        "WHERE source_id = $source AND list_contains($hoods, neighborhood_id)",
        {"source": snap.dataset_id, "hoods": list(hoods)},
    )
    if rows.empty:
        return ()
    if (rows["geo_method"] != "source_field").any() or rows["district"].isna().any():
        return None
    return tuple(sorted(rows["district"]))


def socrata_count_url(
    endpoint: str, dataset_id: str, where: str | None, district: str | None, codes: tuple[str, ...]
) -> str | None:
    """SODA `$select=count(*)` with the `$where`, plus the district codes when there are some."""
    if where is None:
        return None
    clauses = [c for c in (where, _in(district, codes) if district and codes else "") if c]
    params = {"$select": "count(*)"} | ({"$where": " AND ".join(clauses)} if clauses else {})
    return f"{endpoint.rstrip('/')}/resource/{dataset_id}.json?{urlencode(params)}"


def arcgis_count_url(
    endpoint: str, where: str | None, district: str | None, codes: tuple[str, ...]
) -> str | None:
    """ArcGIS `returnCountOnly=true` with the `where`, plus the district codes when there are some."""
    if where is None:
        return None
    clauses = [c for c in (where, _in(district, codes) if district and codes else "") if c and c != "1=1"]
    params = {"where": " AND ".join(clauses) or "1=1", "returnCountOnly": "true", "f": "json"}
    return f"{endpoint.rstrip('/')}/query?{urlencode(params)}"


def _in(field: str, codes) -> str:
    return f"{field} IN ({', '.join(_quote(c) for c in codes)})"


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def snapshot_query(filters: Filters) -> str:
    """The count as one SQL statement over the kind's snapshot view, values written in, for readers
    who want to run it themselves on the records download (DuckDB reads the CSV or Parquet)."""
    condition, params = filters.to_sql()
    for name, value in sorted(params.items(), key=lambda kv: -len(kv[0])):
        condition = condition.replace(f"${name}", _literal(value))
    return f"SELECT count(*) FROM {filters.kind} WHERE {condition}"


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return _quote(str(value))
