"""Figures people quote: each kind's default period is its own latest 12 complete months; no partial window is compared."""

from datetime import date, timedelta

from loaders.refresh import RefreshOptions, refresh
from query import Filters, key_figures, open_city, page_aggregates
from query.aggregates import city_overview
from query.filters import latest_months
from tests.feedserver import make_table
from tests.local_city import serve_city, source_entry, write_catalog


def _lagging_city(tmp_path, feed_server):
    """Crime runs four years from 2020; use of force stops seven months earlier (a feed that lags)."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(3000, seed=1, start="2020-01-01"))
    feed_server.add_dataset("force", make_table(1500, seed=2, start="2019-06-01"))
    catalog = write_catalog(
        tmp_path,
        feed_server,
        source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime"),
        source_entry(feed_server, "t_force", "use_of_force", "socrata", "force"),
    )
    outcomes = refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache"))
    assert all(o.status == "ok" for o in outcomes), [o.message for o in outcomes]
    return open_city(tmp_path / "cache", "testville")


def test_a_lagging_feed_gets_its_own_latest_full_year(tmp_path, feed_server):
    """With no dates chosen, use of force is compared over its own last 12 complete months, not crime's."""
    city = _lagging_city(tmp_path, feed_server)
    overview = {k.kind: k for k in city_overview(city, None, None).kinds}
    for kind in ("crime_incident", "use_of_force"):
        start, _ = latest_months(city.coverage[kind][1])
        figures = overview[kind].key_figures
        assert figures.previous_window[1] == start - timedelta(days=1), kind
        assert not figures.is_partial and figures.change_vs_year_before_pct is not None
    assert city.coverage["use_of_force"][1] < city.coverage["crime_incident"][1] - timedelta(days=150)


def test_a_window_past_the_data_shows_no_change(tmp_path, feed_server):
    """Crime's window applied to the lagging feed is partial: no '-46% vs a year before' from missing months."""
    city = _lagging_city(tmp_path, feed_server)
    start, end = latest_months(city.coverage["crime_incident"][1])
    figures = key_figures(city, Filters.make("use_of_force", start, end))
    assert figures.is_partial
    assert figures.change_vs_year_before_pct is None and figures.change_vs_previous_pct is None
    assert figures.count is not None and end > date(2023, 1, 1)


def test_a_partial_month_is_marked_in_the_trend(tmp_path, feed_server):
    """A window from mid-March marks March partial; the whole months after it are not."""
    city = _lagging_city(tmp_path, feed_server)
    trend = page_aggregates(city, Filters.make("crime_incident", date(2021, 3, 15), date(2021, 6, 30))).trend
    assert dict(zip(trend["month"], trend["is_partial_month"], strict=True)) == {
        date(2021, 3, 1): True,
        date(2021, 4, 1): False,
        date(2021, 5, 1): False,
        date(2021, 6, 1): False,
    }
