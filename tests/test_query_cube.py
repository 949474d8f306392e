"""The numpy cubes (query/cube.py) give exactly what the SQL scan of the rows gives, on random selections.

The city is hand-made and invented (tests/query_fixtures.py's three fictional neighborhoods). Units are
made awkward on purpose: complaints whose allegations fall on different days or in different
neighborhoods, several categories in one complaint, rows without a complaint id, and rows without a date.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from query import cube, cube_answer, frames, plan
from query.db import open_city
from query.filters import NOT_RECORDED, Filters
from tests.query_fixtures import CITY, TZ, row, sample_rows, write_city

HOODS = ["alder", "birch", "cedar", None]
CATEGORIES = {
    "complaint": ["Force", "Discourtesy", "Abuse of authority", None, "odd value"],
    "use_of_force": ["Physical force", "Electrical weapon", "Chemical spray", None],
}
UNIT = {"complaint": "complaint_id", "use_of_force": "incident_id"}
CATEGORY = {"complaint": "allegation_category", "use_of_force": "force_type"}
FIRST = date(2021, 1, 1)


def _awkward_rows(kind: str, rng: random.Random, units: int) -> list[dict]:
    """Units of 1 to 4 rows; a third spread over two days or two neighborhoods; a few without an id or date."""
    out = []
    for i in range(units):
        day, hood = FIRST + timedelta(days=rng.randrange(400)), rng.choice(HOODS)
        for j in range(rng.choice([1, 1, 2, 3, 4])):
            if j and rng.random() < 0.33:  # the next row of the same unit a day or a place apart
                day, hood = day + timedelta(days=rng.choice([1, 31])), rng.choice(HOODS)
            at = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(TZ))
            values = {UNIT[kind]: None if rng.random() < 0.05 else f"u{i}"}
            values[CATEGORY[kind]] = rng.choice(CATEGORIES[kind])
            if rng.random() < 0.03:
                values |= {"occurred_date": None, "occurred_month": None}
            out.append(row(kind, f"{kind}-{i}-{j}", at, hood, **values))
    return out


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    rng = random.Random(11)
    datasets = {k: v for k, v in sample_rows().items() if k == "crime_incident"}
    datasets |= {kind: {f"t_{kind}": _awkward_rows(kind, rng, 150)} for kind in UNIT}
    return open_city(write_city(tmp_path_factory.mktemp("cube"), datasets), CITY)


def _same(found: dict) -> dict:
    """Counts as comparable values: (value, n) pairs sorted, zero cells dropped."""
    out = {}
    for name, part in found.items():
        pairs = zip(part.get("value", [None] * len(part["n"])), part["n"], strict=True)
        out[name] = sorted((str(v), int(n)) for v, n in pairs if int(n))
    return out


DAYS = st.one_of(st.none(), st.integers(-40, 480).map(lambda d: FIRST + timedelta(days=d)))


@st.composite
def selections(draw, kind: str):
    low, high = draw(DAYS), draw(DAYS)
    hoods = draw(st.lists(st.sampled_from(["alder", "birch", "cedar", "gone"]), max_size=3))
    labels = [
        NOT_RECORDED if c is None else c for c in CATEGORIES.get(kind, ["violent", "property", "weird"])
    ]
    chosen = draw(st.lists(st.sampled_from([*labels, NOT_RECORDED]), max_size=3))
    return Filters.make(kind, low, high, neighborhood_ids=hoods, categories=chosen)


def _cells_only(made: cube.KindCube) -> cube.KindCube:
    """The same cubes without their dense month arrays (what a city too large for them uses)."""
    units = made.units and replace(made.units, dense=None)
    return replace(made, dense=None, units=units)


@pytest.mark.parametrize("layout", ["dense", "cells"])
@pytest.mark.parametrize("kind", ["complaint", "use_of_force", "crime_incident"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cube_counts_equal_the_row_scan(city, kind, layout, data):
    """Every breakdown, the total and the distinct complaints or incidents match count(DISTINCT) over the rows."""
    f = data.draw(selections(kind))
    made = city.cubes.get(kind)
    assert made is not None and made.dense is not None
    made = made if layout == "dense" else _cells_only(made)
    scanned = plan.sql_grouped_counts(city, f)
    assert _same(cube_answer.answer(made, f)) == _same(scanned)
    mapped = {"neighborhood_id": cube_answer.by_neighborhood(made, f)}
    assert _same(mapped) == _same({"neighborhood_id": scanned["neighborhood_id"]})
    windows = [(f.date_from, f.date_to), (None, None), (date(2021, 2, 3), date(2021, 5, 31))]
    assert cube_answer.window_totals(made, f, windows) == plan.sql_window_counts(city, f, windows)


def test_awkward_units_are_really_there(city):
    """The fixture holds units over several days or places, so the exact per-row count is exercised."""
    units = city.cubes.get("complaint").units
    assert units.loose.n.size > 0 and units.days.n.sum() > 0


def test_person_and_finding_filters_fall_back_to_the_rows(city):
    """A race or finding filter is not answered from the cubes (the page still gets exact counts)."""
    made = city.cubes.get("complaint")
    assert cube_answer.answer(made, Filters.make("complaint", races=["Black"])) is None
    assert cube_answer.answer(made, Filters.make("complaint", findings=["sustained"])) is None
    sustained = Filters.make("complaint", findings=["sustained"])
    assert _same(plan.grouped_counts(city, sustained)) == _same(plan.sql_grouped_counts(city, sustained))


@pytest.mark.parametrize(
    "values",
    [["a", None, "b"], [None, None], [], ["only"], [1, "mixed"]],
)
def test_frames_match_what_pandas_builds(values):
    """A frame built in one step has the same values and dtypes as pd.DataFrame({...}) gives."""
    counts = np.arange(len(values), dtype=np.int64)
    fast = frames.frame(
        {"name": frames.text(values), "count": frames.nullable_ints(counts), "ok": counts > 0}
    )
    usual = pd.DataFrame({"name": values, "count": pd.array(counts, dtype="Int64"), "ok": counts > 0})
    pd.testing.assert_frame_equal(fast, usual)
