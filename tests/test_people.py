"""Where a source names the person a record is about, breakdowns by who count people, not records."""

import pandas as pd

from loaders.catalog import load_catalog
from loaders.refresh import RefreshOptions, refresh
from query import gate, open_city
from tests import real_shapes

SITE = gate.SitePolicy()
HEADER = "Complaint No,Complaint Type,District,Date Received,Allegation,Officer Badge,Finding,Complainant Race,Officer Race,Complainant ID"


def _body(with_ids: bool) -> bytes:
    """One Asian complainant with five allegations; eight White complainants with one each (hand-made)."""
    rows = [
        f"C1,Civilian,N,03/0{i + 1}/2022,Force,B{i},Sustained,Asian,White,{'P1' if with_ids else ''}"
        for i in range(5)
    ]
    rows += [
        f"C{i + 2},Civilian,N,04/0{i + 1}/2022,Force,B9,Unfounded,White,White,{f'P{i + 2}' if with_ids else ''}"
        for i in range(8)
    ]
    rows.append(
        f"C99,Civilian,S,01/05/2023,Force,B9,Unfounded,White,White,{'P99' if with_ids else ''}"
    )  # 2022 is over
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _by_race(tmp_path, feed_server, with_ids: bool):
    catalog, _ = real_shapes.serve(
        feed_server, tmp_path, "oak_complaints", files={"complaints.csv": _body(with_ids)}
    )
    text = catalog.path.read_text().replace(
        'officer_race_raw = "Officer Race"',
        'officer_race_raw = "Officer Race"\ncomplainant_id = "Complainant ID"',
    )
    catalog.path.write_text(text)
    [outcome] = refresh(load_catalog(catalog.path), RefreshOptions(cache_root=tmp_path / "cache"))
    assert outcome.status == "ok", outcome.message
    city = open_city(tmp_path / "cache", "oakvale")
    page = gate.page(city, gate.Filters.make("complaint", neighborhood_ids=["N"]), SITE)
    return page.by_race.frame.set_index("group"), page.notes


def test_one_complainant_with_five_allegations_is_one_person(tmp_path, feed_server):
    """With complainant ids, the Asian cell counts 1 person and is hidden; the notes say people are counted."""
    race, notes = _by_race(tmp_path, feed_server, with_ids=True)
    asian = race.loc["Asian / Pacific Islander"]
    assert pd.isna(asian["count"]) and "fewer than 5" in asian["reason"]
    assert any("count people" in n for n in notes)


def test_without_ids_the_rule_counts_records_and_says_so(tmp_path, feed_server):
    """Without ids the same five allegations are five records, shown, and the notes say records are counted."""
    race, notes = _by_race(tmp_path, feed_server, with_ids=False)
    assert race.loc["Asian / Pacific Islander", "count"] == 5
    assert any("not people" in n for n in notes)
