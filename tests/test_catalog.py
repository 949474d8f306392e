"""The source catalogue: the shipped file is valid, and a broken one reports every problem at once."""

import subprocess
import sys
from pathlib import Path

import pytest

from loaders.catalog import CatalogError, load_catalog, parse_catalog

REPO = Path(__file__).resolve().parents[1]


def test_shipped_catalogue_is_valid_and_covers_all_three_kinds_per_preset():
    """sources.toml loads; Demo City and Chicago have every kind; the real presets have real endpoints."""
    from store.schema import KINDS

    catalog = load_catalog()
    assert {s.kind for s in catalog.for_city("demo")} == set(KINDS)
    assert {s.kind for s in catalog.for_city("chicago")} == set(KINDS)
    for city in ("nyc", "seattle", "chicago"):
        sources = catalog.for_city(city)
        assert sources and all(
            s.endpoint.startswith("https://") and s.landing_page and s.licence for s in sources
        )


def test_broken_catalogue_lists_every_problem_in_one_error():
    """Unknown kind, platform, city and time zone, and a missing field, are all reported together."""
    raw = {
        "cities": {
            "x": {
                "name": "X",
                "time_zone": "Mars/Olympus",
                "boundaries_url": "u",
                "population_url": "u",
                "boundary_id_field": "id",
            }
        },
        "sources": [
            {
                "id": "a",
                "city": "x",
                "kind": "parking",
                "platform": "socrata",
                "endpoint": "e",
                "title": "t",
                "publisher": "p",
                "landing_page": "l",
                "licence": "c",
                "date_field": "d",
            },
            {
                "id": "b",
                "city": "nowhere",
                "kind": "use_of_force",
                "platform": "fax",
                "endpoint": "e",
                "title": "t",
                "publisher": "p",
                "landing_page": "l",
                "date_field": "d",
                "fields": {"record_id": "id"},
            },
        ],
    }
    with pytest.raises(CatalogError) as caught:
        parse_catalog(raw)
    text = "\n".join(caught.value.problems)
    for expected in (
        "Mars/Olympus",
        "kind 'parking'",
        "platform 'fax'",
        "city 'nowhere'",
        "'licence' is missing",
        "required column 'incident_id'",
    ):
        assert expected in text
    assert len(caught.value.problems) >= 6


def test_check_command_exits_non_zero_on_a_broken_catalogue(tmp_path):
    """`python -m loaders check` prints the problems and exits 2 instead of a traceback."""
    bad = tmp_path / "sources.toml"
    bad.write_text("[[sources]]\nid = 'a'\n")
    result = subprocess.run(
        [sys.executable, "-m", "loaders", "--catalog", str(bad), "check"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "problem(s)" in result.stderr and "Traceback" not in result.stderr
