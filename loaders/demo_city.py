"""Demo City (synthetic): a fictional city whose raw feeds look like a real portal's exports.

Everything is generated from one seed, so the same seed gives the same bytes. The `demo` adapter
serves these raw tables through the real pipeline (normalize, neighborhoods, snapshots), which is
why the columns carry raw names and raw values ("OC Spray", "BLACK") rather than canonical ones.
No row of any real file is used; proportions come from demo_tables.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from loaders import demo_tables as t

DEMO_SEED = 20191
CITY_NAME = "Demo City (synthetic)"
# The synthetic "source last updated" time: after the last report (2025-12-31 + up to 5 days).
SOURCE_UPDATED_AT = datetime(2026, 1, 7, 6, 0, tzinfo=UTC)
KINDS = ("crime_incident", "complaint", "use_of_force")  # the event feeds
FEEDS = (*KINDS, "community_sentiment")  # ... and the resident survey (loaders/demo_sentiment.py)

FIRST_YEAR = 2019
FIRST_DAY = np.datetime64(f"{FIRST_YEAR}-01-01", "D")
LAST_DAY = np.datetime64("2025-12-31", "D")
N_DAYS = int((LAST_DAY - FIRST_DAY).astype(np.int64)) + 1
DAY_S = 86_400
ROWS, COLS = 6, 5  # grid rows are the police districts D1 (north) .. D6
WEST, EAST, SOUTH, NORTH = -89.9, -89.5, 41.2, 41.5
# Jitter as a share of a cell: vertices by up to 0.15 keep every cell convex; edge midpoints bent by up
# to 0.08 keep each polygon simple. Both are shared by neighbouring cells, so the tiling stays exact.
VERTEX_JITTER, MIDPOINT_JITTER = 0.15, 0.08
DECIMALS = 6  # coordinates are published to ~0.1 m
EXPECTED_EVENTS = {"crime_incident": 150_000, "complaint": 2_000, "use_of_force": 6_500}
SUMMER_PEAK = {"crime_incident": 0.22, "complaint": 0.08, "use_of_force": 0.12}
NULL_POINT_SHARE = {"crime_incident": 0.02, "use_of_force": 0.10}
_STREAMS = {"city": 0, "crime_incident": 1, "complaint": 2, "use_of_force": 3, "community_sentiment": 4}
STANDARD_OFFSET_S = 6 * 3600  # local standard time -> UTC; only used to stamp updated_at after the report


@dataclass(frozen=True)
class DemoCity:
    """The fixed geography and demography of one seed's city (30 neighborhoods)."""

    seed: int
    ids: tuple[str, ...]
    names: tuple[str, ...]
    districts: tuple[str, ...]
    precincts: tuple[str, ...]
    rings: tuple[np.ndarray, ...]  # closed exterior ring per neighborhood, (k, 2) lon/lat, counter-clockwise
    population: np.ndarray  # int64 per neighborhood
    race_counts: np.ndarray  # (30, 5) int64: black, white, hispanic, asian, other
    crime_rate: np.ndarray  # relative rate per resident; a few hot spots
    trend: np.ndarray  # yearly log-change of the rate per neighborhood

    @cached_property
    def polygons(self) -> np.ndarray:
        polygons = shapely.polygons(list(self.rings))
        shapely.prepare(polygons)
        return polygons


def _rng(seed: int, stream: str) -> np.random.Generator:
    # One independent stream per part, so generating one feed never depends on generating another.
    return np.random.default_rng([seed, _STREAMS[stream]])


@functools.lru_cache(maxsize=4)
def demo_city(seed: int = DEMO_SEED) -> DemoCity:
    """The neighborhoods, population and rates of the demo city for `seed`."""
    rng = _rng(seed, "city")
    rings = _grid_rings(rng)
    n = ROWS * COLS
    population = np.round(np.exp(rng.uniform(np.log(4_000), np.log(60_000), n))).astype(np.int64)
    # Neighborhoods differ in make-up: Dirichlet shares around a city-wide mix, then whole people.
    city_mix = np.array([0.28, 0.38, 0.22, 0.08, 0.04])
    shares = 0.3 * city_mix + 0.7 * rng.dirichlet(city_mix * 3, n)
    race_counts = rng.multinomial(population, shares).astype(np.int64)
    crime_rate = rng.lognormal(0.0, 0.3, n)
    crime_rate[rng.choice(n, 3, replace=False)] *= 2.5  # hot spots
    return DemoCity(
        seed=seed,
        ids=tuple(f"N{i + 1:02d}" for i in range(n)),
        names=t.NEIGHBORHOOD_NAMES[:n],
        districts=tuple(f"D{i // COLS + 1}" for i in range(n)),
        precincts=tuple(f"P{i + 1:02d}" for i in range(n)),
        rings=rings,
        population=population,
        race_counts=race_counts,
        crime_rate=crime_rate,
        trend=rng.normal(-0.01, 0.025, n),
    )


def _grid_rings(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Rings of a jittered ROWS x COLS grid whose cells share every vertex and bent edge midpoint."""
    dlon, dlat = (EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS
    shape = (ROWS + 1, COLS + 1)
    jx, jy = rng.uniform(-VERTEX_JITTER, VERTEX_JITTER, (2, *shape))
    jx[:, [0, -1]] = 0.0  # the outer edges stay straight: west/east vertices slide only north-south
    jy[[0, -1], :] = 0.0
    r, c = np.indices(shape)
    vx, vy = WEST + (c + jx) * dlon, NORTH - (r + jy) * dlat
    # Midpoints of west-east edges (bent north-south) and of north-south edges (bent west-east).
    bend_h = rng.uniform(-MIDPOINT_JITTER, MIDPOINT_JITTER, (ROWS + 1, COLS)) * dlat
    bend_h[[0, -1], :] = 0.0
    bend_v = rng.uniform(-MIDPOINT_JITTER, MIDPOINT_JITTER, (ROWS, COLS + 1)) * dlon
    bend_v[:, [0, -1]] = 0.0
    hx, hy = (vx[:, :-1] + vx[:, 1:]) / 2, (vy[:, :-1] + vy[:, 1:]) / 2 + bend_h
    wx, wy = (vx[:-1, :] + vx[1:, :]) / 2 + bend_v, (vy[:-1, :] + vy[1:, :]) / 2
    vx, vy, hx, hy, wx, wy = (np.round(a, DECIMALS) for a in (vx, vy, hx, hy, wx, wy))
    rings = []
    for row in range(ROWS):
        for col in range(COLS):
            # NW, west mid, SW, south mid, SE, east mid, NE, north mid: counter-clockwise.
            ring = [
                (vx[row, col], vy[row, col]),
                (wx[row, col], wy[row, col]),
                (vx[row + 1, col], vy[row + 1, col]),
                (hx[row + 1, col], hy[row + 1, col]),
                (vx[row + 1, col + 1], vy[row + 1, col + 1]),
                (wx[row, col + 1], wy[row, col + 1]),
                (vx[row, col + 1], vy[row, col + 1]),
                (hx[row, col], hy[row, col]),
                (vx[row, col], vy[row, col]),
            ]
            rings.append(np.array(ring))
    return tuple(rings)


def raw_feed(kind: str, seed: int = DEMO_SEED) -> pa.Table:
    """The raw export of one synthetic feed (every column a string), cached per (kind, seed)."""
    if kind not in FEEDS:
        raise ValueError(f"unknown demo feed {kind!r}; expected one of {', '.join(FEEDS)}")
    if seed < 0:
        raise ValueError(f"the demo seed must not be negative, not {seed}")
    return _raw_feed(kind, int(seed))


@functools.lru_cache(maxsize=8)
def _raw_feed(kind: str, seed: int) -> pa.Table:
    if kind == "community_sentiment":  # a survey, not events: its own module
        from loaders.demo_sentiment import sentiment_feed

        city = demo_city(seed)
        return sentiment_feed(
            city.ids, city.precincts, city.districts, city.population, city.crime_rate, _rng(seed, kind)
        )
    builders = {"crime_incident": _crime, "complaint": _complaints, "use_of_force": _use_of_force}
    return builders[kind](demo_city(seed), _rng(seed, kind))


@functools.lru_cache(maxsize=4)
def boundaries_geojson(seed: int = DEMO_SEED) -> bytes:
    """Neighborhood polygons as a GeoJSON FeatureCollection, marked synthetic."""
    city = demo_city(seed)
    features = [
        {
            "type": "Feature",
            "properties": {
                "neighborhood_id": nid,
                "neighborhood_name": name,
                "district": district,
                "precinct": precinct,
                "synthetic": True,
            },
            "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]},
        }
        for nid, name, district, precinct, ring in zip(
            city.ids, city.names, city.districts, city.precincts, city.rings
        )
    ]
    return orjson.dumps({"type": "FeatureCollection", "name": CITY_NAME, "features": features})


@functools.lru_cache(maxsize=4)
def population_csv(seed: int = DEMO_SEED) -> bytes:
    """Population and race breakdown per neighborhood as CSV."""
    city = demo_city(seed)
    lines = ["neighborhood_id,population,pop_black,pop_white,pop_hispanic,pop_asian,pop_other"]
    for nid, total, counts in zip(city.ids, city.population, city.race_counts):
        lines.append(",".join([nid, str(total), *(str(v) for v in counts)]))
    return ("\n".join(lines) + "\n").encode()


# --- the three feeds -----------------------------------------------------------------------------


def _crime(city: DemoCity, rng: np.random.Generator) -> pa.Table:
    hood, day = _events(rng, "crime_incident", city.population * city.crime_rate, city.trend, city.ids)
    n = len(hood)
    hour = rng.choice(24, n, p=_shares(t.CRIME_HOURS))
    occurred = _epoch_s(day) + hour * 3600 + rng.integers(0, 3600, n)
    reported = occurred + np.minimum(rng.exponential(0.6 * DAY_S, n), 5 * DAY_S).astype(np.int64)
    order = np.argsort(reported, kind="stable")  # the feed lists incidents as they were reported
    hood, occurred, reported = hood[order], occurred[order], reported[order]
    lon, lat = _points(city, rng, hood, NULL_POINT_SHARE["crime_incident"])
    # Most records are last touched within days of the report; a few are amended much later.
    lag = np.where(rng.random(n) < 0.05, rng.uniform(0, 730 * DAY_S, n), rng.exponential(2 * DAY_S, n))
    updated = np.minimum(reported + STANDARD_OFFSET_S + lag.astype(np.int64), SOURCE_UPDATED_AT.timestamp())
    return pa.table(
        {
            "incident_number": _numbered("C", np.arange(1, n + 1), 7),
            "offense_description": _pick(rng, t.OFFENSES, n),
            "occurred_on": _format(occurred, "iso"),
            "reported_on": _format(reported, "iso"),
            "precinct": _codes(city.precincts, hood),
            "latitude": lat,
            "longitude": lon,
            "updated_at": _format(updated.astype(np.int64), "utc"),
        }
    )


def _complaints(city: DemoCity, rng: np.random.Generator) -> pa.Table:
    hood, day = _events(rng, "complaint", city.population * city.crime_rate**0.7, city.trend, city.ids)
    m = len(hood)
    received = np.minimum(day + rng.exponential(12, m).astype(np.int64), N_DAYS - 1)
    order = np.argsort(received, kind="stable")
    hood, day, received = hood[order], day[order], received[order]
    closed = received + 20 + rng.gamma(2.0, 110, m).astype(np.int64)
    is_pending = closed >= N_DAYS  # still open when the data end
    which, number = _expand(1 + rng.poisson(1.5, m))  # 2.5 allegations per complaint on average
    n = len(which)
    year = pc.cast(pa.array(FIRST_YEAR + _years(received)), pa.string())
    complaint_no = pc.take(
        pc.binary_join_element_wise(year, _numbered("", np.arange(1, m + 1), 5), ""), which
    )
    fado = rng.choice(len(t.FADO_TYPES), n, p=_shares(t.FADO_TYPES.values()))
    fado_names = list(t.FADO_TYPES)
    return pa.table(
        {
            "complaint_number": complaint_no,
            "allegation_number": pc.binary_join_element_wise(complaint_no, _numbered("", number, 1), "-"),
            "allegation": _allegations(rng, fado, fado_names),
            "fado_type": pc.take(pa.array(fado_names), pa.array(fado)),
            "disposition": _dispositions(rng, fado, fado_names, is_pending[which]),
            "incident_date": pc.take(_format(_epoch_s(day), "mdy"), which),
            "received_date": pc.take(_format(_epoch_s(received), "mdy"), which),
            "closed_date": pc.take(_format(_epoch_s(closed), "mdy", mask=is_pending), which),
            "precinct": _codes(city.precincts, hood[which]),
            "complainant_ethnicity": pc.take(_pick(rng, t.COMPLAINANT_ETHNICITIES, m), which),
            "complainant_gender": pc.take(_pick(rng, t.COMPLAINANT_GENDERS, m), which),
            "complainant_age": pc.take(
                _ages(rng, t.COMPLAINANT_AGES, t.COMPLAINANT_AGE_BLANK_SHARE, m), which
            ),
            "mos_ethnicity": _pick(rng, t.MOS_ETHNICITIES, n),
            "mos_gender": _pick(rng, t.MOS_GENDERS, n),
            "mos_age": _ages(rng, t.MOS_AGES, 0.0, n),
        }
    )


def _use_of_force(city: DemoCity, rng: np.random.Generator) -> pa.Table:
    hood, day = _events(
        rng, "use_of_force", city.population * city.crime_rate**1.3, city.trend + 0.02, city.ids
    )
    order = np.argsort(day, kind="stable")
    hood, day = hood[order], day[order]
    m = len(hood)
    lon, lat = _points(city, rng, hood, NULL_POINT_SHARE["use_of_force"])
    year = pc.cast(pa.array(FIRST_YEAR + _years(day)), pa.string())
    tri = pc.binary_join_element_wise(year, _numbered("", np.arange(1, m + 1), 9), "")
    which, number = _expand(
        1 + rng.choice(len(t.SUBJECTS_PER_INCIDENT), m, p=_shares(t.SUBJECTS_PER_INCIDENT.values()))
    )
    n = len(which)
    officer_injured = _yes_no(rng.random(m) < t.OFFICER_INJURED_SHARE)
    subject_tri = pc.take(tri, which)
    return pa.table(
        {
            "tri_incident_number": subject_tri,
            "subject_id": pc.binary_join_element_wise(subject_tri, _numbered("", number, 1), "-"),
            "force_type": pc.take(_pick(rng, t.FORCE_TYPES, m), which),
            "occurrence_date": pc.take(_format(_epoch_s(day), "mdy"), which),
            "incident_pct": _codes(city.precincts, hood[which]),
            "subject_race": _pick(rng, t.SUBJECT_RACES, n),
            "subject_gender": _pick(rng, t.SUBJECT_GENDERS, n),
            "subject_age": _ages(rng, t.SUBJECT_AGES, t.SUBJECT_AGE_BLANK_SHARE, n),
            "subject_injured": _yes_no(rng.random(n) < t.SUBJECT_INJURED_SHARE),
            "officer_injured": pc.take(officer_injured, which),
            "latitude": pc.take(lat, which),
            "longitude": pc.take(lon, which),
        }
    )


# --- building blocks -----------------------------------------------------------------------------


def _events(
    rng: np.random.Generator, kind: str, weight: np.ndarray, trend: np.ndarray, ids: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(neighborhood index, day index) per event: Poisson counts per neighborhood-day."""
    days = np.arange(N_DAYS)
    dates = FIRST_DAY + days
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
    season = 1 + SUMMER_PEAK[kind] * np.cos(2 * np.pi * (day_of_year - 196) / 365.25)  # peak mid-July
    rate = weight[:, None] * season[None, :] * np.exp(trend[:, None] * days[None, :] / 365.25)
    rate = rate * (EXPECTED_EVENTS[kind] / rate.sum())
    counts = rng.poisson(rate * _planted_effect(kind, ids, dates))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    return cell // N_DAYS, cell % N_DAYS


def _planted_effect(kind: str, ids: tuple[str, ...], dates: np.ndarray) -> np.ndarray:
    """The rate multiplier per neighborhood and day: 1, except where the planted initiative acts."""
    plant = t.PLANTED_INITIATIVE
    effect = np.ones((len(ids), len(dates)))
    if kind == plant["kind"]:
        rows = [ids.index(i) for i in plant["neighborhood_ids"]]
        after = dates >= np.datetime64(plant["start"], "D")
        effect[np.ix_(rows, np.flatnonzero(after))] = plant["rate_ratio"]
    return effect


def _points(city: DemoCity, rng: np.random.Generator, hood: np.ndarray, null_share: float):
    """(longitude, latitude) strings strictly inside each row's polygon, some blank; rounded first."""
    n = len(hood)
    bounds = shapely.bounds(city.polygons)
    centre = shapely.get_coordinates(shapely.centroid(city.polygons))
    spread = np.array([(EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS]) * 0.15
    lon, lat = np.empty(n), np.empty(n)
    todo = np.arange(n)
    while todo.size:
        b, h = bounds[hood[todo]], hood[todo]
        # Two in five points gather round the neighborhood's centre, the rest spread evenly.
        is_cluster = rng.random(todo.size) < 0.4
        x = np.where(is_cluster, rng.normal(centre[h, 0], spread[0]), rng.uniform(b[:, 0], b[:, 2]))
        y = np.where(is_cluster, rng.normal(centre[h, 1], spread[1]), rng.uniform(b[:, 1], b[:, 3]))
        x, y = np.round(x, DECIMALS), np.round(y, DECIMALS)
        inside = shapely.contains_xy(city.polygons[h], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    blank = rng.random(n) < null_share
    return (pa.array(v, mask=blank).cast(pa.string()) for v in (lon, lat))


def _expand(per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of `per` rows each: the group of every row and its 1-based number within the group."""
    which = np.repeat(np.arange(len(per)), per)
    return which, np.arange(len(which)) - np.repeat(np.cumsum(per) - per, per) + 1


def _shares(weights) -> np.ndarray:
    w = np.asarray(list(weights), dtype=float)
    return w / w.sum()


def _pick(rng: np.random.Generator, table: dict, n: int) -> pa.Array:
    """n values drawn with the table's weights; a None key gives a null."""
    index = rng.choice(len(table), n, p=_shares(table.values()))
    return pc.take(pa.array(list(table), pa.string()), pa.array(index))


def _ages(rng: np.random.Generator, buckets, blank_share: float, n: int) -> pa.Array:
    low, high, count = np.array(buckets).T
    bucket = rng.choice(len(buckets), n, p=_shares(count))
    ages = rng.integers(low[bucket], high[bucket])
    return pa.array(ages, mask=rng.random(n) < blank_share).cast(pa.string())


def _allegations(rng: np.random.Generator, fado: np.ndarray, fado_names: list[str]) -> pa.Array:
    text = np.empty(len(fado), dtype=object)
    for i, name in enumerate(fado_names):
        rows = np.flatnonzero(fado == i)
        table = t.ALLEGATIONS[name]
        choice = rng.choice(len(table), len(rows), p=_shares(table.values()))
        text[rows] = np.array(list(table), dtype=object)[choice]
    return pa.array(text, pa.string())


def _dispositions(rng: np.random.Generator, fado: np.ndarray, fado_names: list[str], is_pending) -> pa.Array:
    n = len(fado)
    chance = np.array([t.SUBSTANTIATED_SHARE[name] for name in fado_names])[fado]
    is_substantiated = rng.random(n) < chance
    substantiated = _pick(rng, t.SUBSTANTIATED_DISPOSITIONS, n)
    other = _pick(rng, t.OTHER_DISPOSITIONS, n)
    closed = pc.if_else(pa.array(is_substantiated), substantiated, other)
    return pc.if_else(pa.array(is_pending), pa.scalar(t.PENDING_DISPOSITION), closed)


def _epoch_s(day: np.ndarray) -> np.ndarray:
    return (FIRST_DAY - np.datetime64("1970-01-01", "D")).astype(np.int64) * DAY_S + day * DAY_S


def _years(day: np.ndarray) -> np.ndarray:
    """Years since 2019 of day indices."""
    return ((FIRST_DAY + day).astype("datetime64[Y]") - FIRST_DAY.astype("datetime64[Y]")).astype(np.int64)


def _format(seconds: np.ndarray, style: str, mask: np.ndarray | None = None) -> pa.Array:
    """Epoch seconds as text: "iso" 2019-01-31T13:05:00.000, "utc" 2019-01-31T13:05:00Z, "mdy" 01/31/2019."""
    stamps = pa.array(np.asarray(seconds, dtype=np.int64), pa.int64(), mask=mask).cast(pa.timestamp("s"))
    text = pc.cast(stamps, pa.string())  # "2019-01-31 13:05:00"; far faster than strftime
    if style == "mdy":
        part = functools.partial(pc.utf8_slice_codeunits, text)
        return pc.binary_join_element_wise(part(5, 7), part(8, 10), part(0, 4), "/")
    joined = pc.replace_substring(text, " ", "T")
    return pc.binary_join_element_wise(joined, ".000" if style == "iso" else "Z", "")


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "") if prefix else digits


def _codes(codes: tuple[str, ...], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(codes, pa.string()), pa.array(index))


def _yes_no(flags: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(flags), "Y", "N")
