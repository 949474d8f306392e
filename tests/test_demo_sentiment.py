"""Demo City's synthetic resident survey: deterministic, labelled synthetic, shaped like a real export."""

import pyarrow.compute as pc

from loaders.catalog import load_catalog
from loaders.demo_city import DEMO_SEED, raw_feed
from loaders.demo_sentiment import LATER_MEASURES_FROM, MONTHS


def test_survey_feed_is_the_same_for_the_same_seed_and_differs_for_another():
    """One seed, one set of scores; another seed, other scores."""
    first = raw_feed("community_sentiment", DEMO_SEED)
    assert first.equals(raw_feed("community_sentiment", DEMO_SEED))
    assert not first.column("TRUST").equals(raw_feed("community_sentiment", 5).column("TRUST"))


def test_survey_feed_has_neighborhood_district_and_city_rows_each_month():
    """30 neighborhoods, 6 districts and the city each month for 7 years; later questions start blank."""
    feed = raw_feed("community_sentiment")
    assert feed.num_rows == (30 + 6 + 1) * MONTHS
    city_rows = pc.and_(pc.is_null(feed.column("precinct")), pc.is_null(feed.column("district")))
    assert pc.sum(city_rows).as_py() == MONTHS
    listen = feed.column("LISTEN")
    assert listen.null_count == (30 + 6 + 1) * LATER_MEASURES_FROM
    scores = pc.cast(feed.column("TRUST"), "double")
    assert pc.min(scores).as_py() >= 0 and pc.max(scores).as_py() <= 100


def test_survey_source_is_labelled_synthetic_everywhere():
    """The catalogue entry is synthetic and its method note says no survey was run."""
    source = load_catalog().source("demo_sentiment")
    assert source.is_synthetic and "synthetic" in source.title.lower()
    assert "no survey was run" in source.scores.method_note
