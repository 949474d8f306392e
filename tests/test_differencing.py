"""Two published views one filter step apart never reveal a count from 1 to k-1 by subtraction (property tests)."""

from datetime import date, timedelta
from itertools import combinations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from query import snap
from query.disclosure import DisclosurePolicy, suppress
from query.filters import Filters

HOODS = ("a", "b", "c", "d")
COVERAGE = (date(2019, 3, 4), date(2025, 2, 10))


@st.composite
def linked_counts(draw):
    """A city table and one neighborhood's table of the same groups (the neighborhood's counts within the city's)."""
    groups = draw(st.integers(2, 7))
    k = draw(st.integers(2, 11))
    hood = draw(st.lists(st.integers(0, 3 * k), min_size=groups, max_size=groups))
    rest = draw(st.lists(st.integers(0, 3 * k), min_size=groups, max_size=groups))
    return np.array(hood) + np.array(rest), np.array(hood), k


def _sums_known(hidden: np.ndarray) -> list[frozenset[int]]:
    """Every set of groups whose sum one table gives away: its visible cells, plus its hidden cells only all together.

    (The knowns of a table are its visible cells and its total; a set's sum follows from them
    exactly when the set holds either none or all of the hidden cells.)
    """
    n = len(hidden)
    out = []
    for size in range(1, n + 1):
        for chosen in combinations(range(n), size):
            inside = hidden[list(chosen)].sum()
            if inside in (0, hidden.sum()):
                out.append(frozenset(chosen))
    return out


def _published(city, hood, k):
    policy = DisclosurePolicy(threshold=k)
    frame = pd.DataFrame({"group": [f"g{i}" for i in range(len(city))], "count": city})
    city_hidden = suppress(frame, policy)["is_suppressed"].to_numpy()
    hood_hidden = snap.linked_hidden(city, hood, city_hidden, k)
    return city_hidden, hood_hidden


@settings(max_examples=400, deadline=None)
@given(linked_counts())
def test_no_small_count_follows_from_a_city_table_and_a_neighborhood_table(data):
    """Over every set of groups: no sum either table gives away, and no city-minus-neighborhood, is 1..k-1."""
    city, hood, k = data
    city_hidden, hood_hidden = _published(city, hood, k)
    everything = frozenset(range(len(city)))
    city_sets, hood_sets = set(_sums_known(city_hidden)), set(_sums_known(hood_hidden))
    # A whole table's sum is its record total (published as a count of records, not of people by
    # group); every other sum that either table, or the two together, give away must be 0 or >= k.
    derived = [city[list(g)].sum() for g in city_sets if g != everything]
    derived += [hood[list(g)].sum() for g in hood_sets if g != everything]
    derived += [(city - hood)[list(g)].sum() for g in city_sets & hood_sets if g != everything]
    assert not [n for n in derived if 0 < n < k], (city, hood, k, city_hidden, hood_hidden)


def _one_step(draw, places=HOODS, first=date(2019, 1, 1), last=date(2025, 6, 1)) -> tuple[Filters, Filters]:
    """A selection and the same selection with one filter moved one step (a day, a neighborhood, a value)."""
    start = draw(st.dates(first, last))
    end = start + timedelta(days=draw(st.integers(0, 900)))
    hoods = tuple(draw(st.lists(st.sampled_from(places), max_size=2, unique=True)))
    base = Filters.make("complaint", start, end, neighborhood_ids=hoods)
    step = draw(st.sampled_from(["start", "end", "hood", "category", "race"]))
    if step == "start":
        other = Filters.make("complaint", start + timedelta(days=1), end, neighborhood_ids=hoods)
    elif step == "end":
        other = Filters.make("complaint", start, end + timedelta(days=1), neighborhood_ids=hoods)
    elif step == "hood":
        extra = draw(st.sampled_from(places))
        changed = tuple(h for h in hoods if h != extra) if extra in hoods else (*hoods, extra)
        other = Filters.make("complaint", start, end, neighborhood_ids=changed)
    elif step == "category":
        other = Filters.make("complaint", start, end, neighborhood_ids=hoods, categories=("Force",))
    else:
        other = Filters.make("complaint", start, end, neighborhood_ids=hoods, races=("White",))
    return base, other


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_views_one_step_apart_snap_to_the_same_table_or_a_city_and_neighborhood_pair(data):
    """One filter step gives the same fixed table, a disjoint year, or the city and one neighborhood of one year."""
    first, second = _one_step(data.draw)
    a, b = snap.snap_key(first, COVERAGE), snap.snap_key(second, COVERAGE)
    assert a.year is None or a.year < COVERAGE[1].year  # only finished years are published
    if a == b or a.year != b.year:
        return
    assert {a.neighborhood_id, b.neighborhood_id} & {None}, (first, second, a, b)


def test_published_race_tables_of_views_one_step_apart_hold_no_small_difference(tmp_path):
    """On a random city, {A, B} then {B} and a start moved by a day: the published race tables give nothing away."""
    from query import gate
    from tests.query_fixtures import CITY, sample_rows, write_city

    root = write_city(tmp_path, sample_rows(seed=11))
    city, site = gate.open_city(root, CITY), gate.SitePolicy(disclosure=DisclosurePolicy(threshold=5))
    pairs = [
        (("alder", "birch"), ("birch",), date(2021, 1, 1), date(2021, 1, 1)),
        (("alder",), (), date(2021, 2, 3), date(2021, 2, 4)),
        (("cedar",), ("cedar",), date(2021, 3, 1), date(2021, 3, 2)),
    ]
    for hoods_a, hoods_b, start_a, start_b in pairs:
        tables = [
            gate.page(city, Filters.make("complaint", start, date(2021, 12, 31), neighborhood_ids=h), site)
            for h, start in ((hoods_a, start_a), (hoods_b, start_b))
        ]
        frames = [t.by_race.frame for t in tables]
        if frames[0].equals(frames[1]):
            continue
        assert {t.demographic_scope.endswith("the whole city") for t in tables} == {True, False}
        city_frame, hood_frame = sorted(frames, key=lambda f: f["count"].fillna(0).sum(), reverse=True)
        city_hidden, hood_hidden = (f["is_suppressed"].to_numpy() for f in (city_frame, hood_frame))
        assert not (city_frame["count"].between(1, 4)).any() and not (hood_frame["count"].between(1, 4)).any()
        # The two tables' visible cells of a group, where both show it, never differ by 1..4.
        both = ~city_hidden & ~hood_hidden
        rest = (city_frame["count"] - hood_frame["count"])[both]
        assert not rest.between(1, 4).any(), (hoods_a, hoods_b, rest)


RACES = ("Black", "White", "Hispanic", "Asian / Pacific Islander", "Other")


@st.composite
def complaint_rows(draw):
    """5 to 60 complaints in 2022-2024 over the three test neighborhoods, a few races (small counts are common)."""
    from tests.query_fixtures import local, row

    n = draw(st.integers(5, 60))
    days = draw(st.lists(st.integers(0, 3 * 365 - 1), min_size=n, max_size=n))
    hoods = draw(st.lists(st.sampled_from(["alder", "birch", "cedar"]), min_size=n, max_size=n))
    races = draw(st.lists(st.sampled_from(RACES), min_size=n, max_size=n))
    rows = []
    for i, (day, hood, race) in enumerate(zip(days, hoods, races, strict=True)):
        when = date(2022, 1, 1) + timedelta(days=day)
        rows.append(
            row("complaint", f"c{i}", local(when.year, when.month, when.day), hood, complainant_race=race)
        )
    rows.append(row("complaint", "last", local(2025, 1, 15), "alder", complainant_race="Black"))
    return rows


def _true_race_counts(rows, year: int, hood) -> np.ndarray:
    """The real counts by race (the table's group order) for one year and area, from the generated rows."""
    from store.schema import VOCABULARIES

    picked = [
        r["complainant_race"]
        for r in rows
        if r["occurred_date"].year == year and (hood is None or r["neighborhood_id"] == hood)
    ]
    return np.array([picked.count(g) for g in VOCABULARIES["race"]])


@settings(max_examples=15, deadline=None)
@given(rows=complaint_rows(), k=st.integers(2, 8), data=st.data())
def test_two_published_pages_one_step_apart_give_no_small_count_away(tmp_path_factory, rows, k, data):
    """Random complaints, random pairs of views one step apart, through the gate: nothing 1..k-1 can be derived."""
    from query import gate
    from tests.query_fixtures import CITY, write_city

    root = write_city(tmp_path_factory.mktemp("e2e"), {"complaint": {"t": rows}})
    city, site = gate.open_city(root, CITY), gate.SitePolicy(disclosure=DisclosurePolicy(threshold=k))
    first, second = _one_step(data.draw, ("alder", "birch", "cedar"), date(2022, 1, 1), date(2024, 12, 31))
    coverage = city.coverage["complaint"]
    pages = [gate.page(city, f, site) for f in (first, second)]
    keys = [snap.snap_key(f, coverage) for f in (first, second)]
    if keys[0].year is None or keys[0].year != keys[1].year:
        return
    tables = []
    for key, page in zip(keys, pages, strict=True):
        frame = page.by_race.frame
        truth = _true_race_counts(rows, key.year, key.neighborhood_id)
        shown = frame["count"].to_numpy(dtype="float64", na_value=np.nan)
        assert np.array_equal(shown[~frame["is_suppressed"]], truth[~frame["is_suppressed"]])  # honest
        tables.append((truth, frame["is_suppressed"].to_numpy()))
    derived = []
    for truth, hidden in tables:
        derived += [truth[list(g)].sum() for g in _sums_known(hidden) if len(g) < len(truth)]
    (a, hidden_a), (b, hidden_b) = tables
    common = set(_sums_known(hidden_a)) & set(_sums_known(hidden_b))
    derived += [abs(int((a - b)[list(g)].sum())) for g in common if len(g) < len(a)]
    assert not [n for n in derived if 0 < n < k], (keys, k)
