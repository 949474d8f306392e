"""Row-level reads: the public columns of the records behind a set of filters, newest first."""

from __future__ import annotations

import pandas as pd

from query.db import CityData
from query.filters import Filters
from store.schema import schema_for

MAX_PAGE_ROWS = 10_000  # a table page; bulk reads go through export_records and its own cap


def public_columns(kind: str) -> list[str]:
    """Columns the schema marks public (never coordinates or internal ids), in canonical order."""
    return schema_for(kind).public_names


def count_records(city: CityData, filters: Filters) -> int:
    """How many records match, without reading them."""
    where, params = filters.to_sql()
    return int(city.query(f"SELECT count(*) AS n FROM {filters.kind} WHERE {where}", params)["n"].iloc[0])


def records(city: CityData, filters: Filters, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """One page of matching records, public columns only, newest first (timestamps in the city's zone)."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    return read_records(city, filters, min(limit, MAX_PAGE_ROWS), offset)


def read_records(city: CityData, filters: Filters, limit: int, offset: int = 0) -> pd.DataFrame:
    """Matching records without the page cap (callers bound `limit` themselves)."""
    kind = filters.kind
    columns = public_columns(kind)
    where, params = filters.to_sql()
    params = {**params, "row_limit": int(limit), "row_offset": int(offset)}
    sql = (
        f"SELECT {', '.join(columns)} FROM {kind} WHERE {where} "
        "ORDER BY occurred_at DESC, record_id DESC LIMIT $row_limit OFFSET $row_offset"
    )
    df = city.query(sql, params)
    for column in df.columns:
        if isinstance(df[column].dtype, pd.DatetimeTZDtype):
            df[column] = df[column].dt.tz_convert(city.time_zone)
    return df
