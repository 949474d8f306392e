"""Exports in real shapes load by catalogue entries alone, and the pages' counts equal pandas on the raw files."""

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from loaders.refresh import RefreshOptions, refresh
from query import Filters, open_city, page_aggregates
from store import snapshots
from tests import real_shapes
from tests.page_tables import open_every_expander, short_table_rows

YEARS = (2021, 2022, 2023)
APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _refresh(tmp_path, feed_server, *source_ids, files=None):
    catalog, bodies = real_shapes.serve(feed_server, tmp_path, *source_ids, files=files)
    outcomes = refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache"))
    return outcomes, bodies


def _raw(body: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)


def _page_counts(tmp_path, kind: str) -> dict[tuple[str, int], int]:
    """Per district and year, the count the kind page's neighborhood chart shows."""
    city = open_city(tmp_path / "cache", "oakvale")
    counts = {}
    for year in YEARS:
        page = page_aggregates(city, Filters.make(kind, date(year, 1, 1), date(year, 12, 31)))
        for row in page.by_neighborhood.itertuples():
            if row.neighborhood_id is not None and row.count:
                counts[(row.neighborhood_id, year)] = int(row.count)
    return counts


def _pandas_counts(frame: pd.DataFrame, district: str, when: str) -> dict[tuple[str, int], int]:
    years = pd.to_datetime(frame[when], format="%m/%d/%Y").dt.year
    grouped = frame.assign(year=years, d=frame[district].str.strip()).groupby(["d", "year"]).size()
    return {(d, int(y)): int(n) for (d, y), n in grouped.items() if y in YEARS}


def test_allegations_without_an_id_count_once_each_and_only_civilian_ones(tmp_path, feed_server):
    """Whole-row copies are dropped and counted, internal complaints left out, ids hashed."""
    [outcome], bodies = _refresh(tmp_path, feed_server, "oak_complaints")
    assert outcome.status == "ok", outcome.message
    raw = _raw(bodies["complaints.csv"])
    civilian = raw[raw["Complaint Type"] == "Civilian"]
    key = ["Complaint No", "Allegation", "Officer Badge", "Finding", "Date Received"]
    unique = civilian.assign(**{k: civilian[k].str.strip() for k in key}).drop_duplicates(key)
    assert _page_counts(tmp_path, "complaint") == _pandas_counts(unique, "District", "Date Received")
    manifest = snapshots.current(tmp_path / "cache", "oak_complaints").manifest
    assert manifest.stats["identity"]["repeated_rows"] == len(civilian) - len(unique)
    assert manifest.stats["quality"]["filtered_out"] == len(raw) - len(civilian)
    assert any("Complaint Type" in rule and "Civilian" in rule for rule in manifest.provenance["rules"])


def test_joined_subject_cells_become_one_row_per_subject(tmp_path, feed_server):
    """'Black | White' is two subjects, each with their own race; the force is the most serious listed."""
    [outcome], bodies = _refresh(tmp_path, feed_server, "oak_force")
    assert outcome.status == "ok", outcome.message
    raw = _raw(bodies["force.csv"])
    per_subject = raw.loc[raw.index.repeat(raw["Subject Race"].str.count(r"\|") + 1)]
    assert _page_counts(tmp_path, "use_of_force") == _pandas_counts(per_subject, "District", "Date")
    table = pq.read_table(snapshots.current(tmp_path / "cache", "oak_force").file("data.parquet")).to_pandas()
    assert set(table["subject_race"]) <= {"Black", "White", "Hispanic", "Asian / Pacific Islander", "Unknown"}
    assert not table["force_type"].str.contains("|", regex=False).any()
    both = raw["Force Used"].str.contains("Firearm") & raw["Force Used"].str.contains("|", regex=False)
    firearm_ids = set(raw.loc[both, "Incident Number"])
    assert set(table.loc[table["incident_id"].isin(firearm_ids), "force_type"]) == {"Firearm"}
    assert table["incident_id"].nunique() == len(raw)


def test_offense_rows_count_as_incidents_by_report_number(tmp_path, feed_server):
    """Several offenses of one report are one incident, filed under its most serious offense."""
    [outcome], bodies = _refresh(tmp_path, feed_server, "oak_crime")
    assert outcome.status == "ok", outcome.message
    raw = _raw(bodies["offenses.csv"])
    reports = raw.drop_duplicates("Report Number")
    assert _page_counts(tmp_path, "crime_incident") == _pandas_counts(reports, "District", "Offense Date")
    table = pq.read_table(snapshots.current(tmp_path / "cache", "oak_crime").file("data.parquet")).to_pandas()
    violent = set(raw.loc[raw["Offense"].isin(["ASSAULT", "ROBBERY"]), "Report Number"])
    assert set(table.loc[table["record_id"].isin(violent), "offense_category"]) == {"violent"}
    assert outcome.rows == len(reports) and outcome.pulled == len(raw)


def test_subjects_table_takes_date_and_place_from_its_incidents_table(tmp_path, feed_server):
    """A subjects file with no date of its own is assembled with its incidents by the declared join."""
    [outcome], bodies = _refresh(tmp_path, feed_server, "oak_force_subjects")
    assert outcome.status == "ok", outcome.message
    incidents, subjects = _raw(bodies["incidents.csv"]), _raw(bodies["subjects.csv"])
    joined = subjects.merge(incidents, on="Incident Key", how="left")
    assert _page_counts(tmp_path, "use_of_force") == _pandas_counts(joined, "Pct", "Occurred")


def test_a_city_without_population_still_shows_counts_and_no_rates(tmp_path, feed_server):
    """With no population file every count works and no rate is computed from nothing."""
    [outcome], _ = _refresh(tmp_path, feed_server, "oak_crime")
    assert outcome.status == "ok", outcome.message
    city = open_city(tmp_path / "cache", "oakvale")
    page = page_aggregates(city, Filters.make("crime_incident", date(2021, 1, 1), date(2023, 12, 31)))
    assert page.totals.records and page.by_neighborhood["rate_per_1000"].isna().all()


@pytest.mark.parametrize("source_id", ["oak_complaints", "oak_force", "oak_crime", "oak_force_subjects"])
def test_each_source_states_its_unit_and_rules(tmp_path, feed_server, source_id):
    """The manifest says what one row is, what is counted, and every rule applied, in words."""
    [outcome], _ = _refresh(tmp_path, feed_server, source_id)
    assert outcome.status == "ok", outcome.message
    provenance = snapshots.current(tmp_path / "cache", source_id).manifest.provenance
    assert provenance["unit"] in ("allegation", "subject", "incident")
    assert provenance["rules"][0].startswith(f"One published row is one {provenance['row_unit']}")


def test_data_page_tells_readers_the_unit_rules_and_quality(tmp_path, feed_server, monkeypatch):
    """The data page lists each source's counting rules, its gate figures and the values no recode knew."""
    outcomes, _ = _refresh(tmp_path, feed_server, "oak_complaints", "oak_force")
    assert all(o.status == "ok" for o in outcomes), [o.message for o in outcomes]
    monkeypatch.setenv("DASHBOARD_CACHE", str(tmp_path / "cache"))
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params["city"] = "oakvale"
    app.run()
    app.switch_page("pages/data.py").run()
    open_every_expander(app)  # each source's account is built when a reader opens it
    assert not app.exception, [e.message for e in app.exception]
    texts = " ".join([m.value for m in app.markdown] + [c.value for c in app.caption])
    assert "Complaint Type is “Civilian”" in texts and "content hash" in texts
    assert "of records have no usable date" in texts and "have no neighborhood" in texts
    assert "dropped as copies" in texts and "records come from cells listing several people" in texts
    rows = short_table_rows(app)  # each source's facts, as a short table
    assert next(row for row in rows if row[0] == "Records")[1].endswith("allegations")
    assert any("CST" in cell or "CDT" in cell for row in rows for cell in row)


def test_rates_asked_for_in_a_city_without_population_show_counts_with_a_note(
    tmp_path, feed_server, monkeypatch
):
    """A link asking for rates in Oakvale gets counts and a plain note that there is no population."""
    [outcome], _ = _refresh(tmp_path, feed_server, "oak_crime")
    assert outcome.status == "ok", outcome.message
    monkeypatch.setenv("DASHBOARD_CACHE", str(tmp_path / "cache"))
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params["city"] = "oakvale"
    app.query_params["measure"] = "Per 1,000 residents"
    app.run()
    app.switch_page("pages/crime.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("publishes no population" in i.value for i in app.info)
