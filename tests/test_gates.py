"""Each data-quality gate refuses the publish its fault would spoil, names the fix, and keeps the last good snapshot."""

import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from loaders.catalog import CatalogError, load_catalog, parse_catalog
from loaders.refresh import RefreshOptions, refresh
from store import snapshots
from tests import real_shapes
from tests.feedserver import make_table
from tests.local_city import serve_city, source_entry, write_catalog

REPO = Path(__file__).resolve().parents[1]


def _refresh(catalog, tmp_path, **kw):
    return refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache", **kw))


def _oak(tmp_path, feed_server, source_id, files=None, edit=None):
    catalog, bodies = real_shapes.serve(feed_server, tmp_path, source_id, files=files)
    if edit:
        catalog.path.write_text(edit(catalog.path.read_text()))
        catalog = load_catalog(catalog.path)
    return catalog, bodies


def _current_name(tmp_path, sid):
    snap = snapshots.current(tmp_path / "cache", sid)
    return snap.name if snap else None


def test_repeated_ids_are_refused_with_examples_and_the_key_to_change(tmp_path, feed_server):
    """Allegation rows with no unique id: the refusal names ids and [sources.identity], not --full."""
    catalog, _ = _oak(
        tmp_path,
        feed_server,
        "oak_complaints",
        edit=lambda t: t.replace(
            'hash = true\nduplicates = "keep_one"', 'hash = true\nduplicates = "refuse"'
        ),
    )
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed"
    assert "repeat a record id (for example '" in outcome.message
    assert 'duplicates = "keep_one"' in outcome.message and "[sources.identity]" in outcome.message
    assert "--full" not in outcome.message
    assert _current_name(tmp_path, "oak_complaints") is None


def test_ids_differing_only_by_a_trailing_space_are_the_same_record(tmp_path, feed_server):
    """'C00007 ' and 'C00007' are one id: with refuse they are reported, with allow both are kept."""
    body = b"Incident Number,Date,District,Force Used,Subject Race,Subject Sex\r\n"
    body += b"UOF-1 ,01/02/2022,N,Taser,Black,Male\r\nUOF-1,01/03/2022,N,Firearm,White,Male\r\n"
    catalog, _ = _oak(tmp_path, feed_server, "oak_force", files={"force.csv": body})
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed" and "'UOF-1#1'" in outcome.message


def test_a_renamed_mapped_column_is_refused_and_the_last_snapshot_stays(tmp_path, feed_server):
    """After the publisher renames 'Finding', the pull is refused by name; yesterday's snapshot is served."""
    catalog, bodies = _oak(tmp_path, feed_server, "oak_complaints")
    [first] = _refresh(catalog, tmp_path)
    assert first.status == "ok", first.message
    good = _current_name(tmp_path, "oak_complaints")
    renamed = bodies["complaints.csv"].replace(b"Finding", b"Disposition", 1)
    feed_server.add_file("complaints.csv", renamed)
    [second] = _refresh(catalog, tmp_path)
    assert second.status == "failed" and "Finding" in second.message and "[fields]" in second.message
    assert _current_name(tmp_path, "oak_complaints") == good
    attempt = snapshots.read_attempt(tmp_path / "cache", "oak_complaints")
    assert attempt.status == "failed" and "Finding" in attempt.error


@pytest.mark.parametrize("platform", ["socrata", "arcgis", "ckan"])
def test_a_required_column_renamed_on_an_api_platform_is_refused(tmp_path, feed_server, platform):
    """A required mapped field that vanished from every row is refused on every API platform."""
    serve_city(feed_server)
    table = make_table(600, seed=5)
    feed_server.add_dataset("force", table)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_force", "use_of_force", platform, "force")
    )
    [first] = _refresh(catalog, tmp_path)
    assert first.status == "ok", first.message
    good = _current_name(tmp_path, "t_force")
    feed_server.add_dataset(
        "force", table.rename_columns(["type" if c == "category" else c for c in table.column_names])
    )
    [second] = _refresh(catalog, tmp_path, is_full=True)
    assert second.status == "failed" and "'category'" in second.message, second.message
    assert _current_name(tmp_path, "t_force") == good


def test_impossible_dates_are_not_rolled_over_and_too_many_refuse(tmp_path, feed_server):
    """02/30/2023 never becomes March 2; when such dates pass the threshold the pull is refused."""
    rows = "".join(f"R{i},O{i},02/30/2023,THEFT,N,41.5,-89.5\r\n" for i in range(10))
    rows += "".join(f"R{i + 10},O{i + 10},02/28/2023,THEFT,N,41.5,-89.5\r\n" for i in range(90))
    body = b"Report Number,Offense ID,Offense Date,Offense,District,Lat,Lon\r\n" + rows.encode()
    catalog, _ = _oak(tmp_path, feed_server, "oak_crime", files={"offenses.csv": body})
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed"
    assert "10.0% of rows have no usable date" in outcome.message and "'02/30/2023'" in outcome.message
    assert "date_format" in outcome.message


def test_unmapped_findings_above_the_threshold_refuse_with_the_values(tmp_path, feed_server):
    """A finding vocabulary nobody recoded is listed back with counts instead of published as categories."""
    body = real_shapes.complaints_csv().replace(b"Unfounded", b"Disposition Code 7")
    catalog, _ = _oak(tmp_path, feed_server, "oak_complaints", files={"complaints.csv": body})
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed"
    assert "of finding values match no recode: 'Disposition Code 7'" in outcome.message
    assert "[sources.recode.finding]" in outcome.message


def test_a_filter_that_keeps_nothing_is_refused(tmp_path, feed_server):
    """A filter value misspelt in the catalogue ('Civillian') refuses instead of publishing zero."""
    catalog, _ = _oak(
        tmp_path,
        feed_server,
        "oak_complaints",
        edit=lambda t: t.replace('equals = "Civilian"', 'equals = "Civillian"'),
    )
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed" and "kept none of the" in outcome.message


def test_literal_text_null_stays_text_in_raw_columns(tmp_path, feed_server):
    """A finding published as the text 'N/A' stays 'N/A' in finding_raw rather than becoming empty."""
    body = real_shapes.complaints_csv().replace(b"Pending", b"N/A", 3)
    catalog, _ = _oak(tmp_path, feed_server, "oak_complaints", files={"complaints.csv": body})
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "ok", outcome.message
    snap = snapshots.current(tmp_path / "cache", "oak_complaints")
    raw = pq.read_table(snap.file("data.parquet"), columns=["finding_raw"]).column("finding_raw")
    assert pc.sum(pc.equal(raw, "N/A")).as_py() >= 1


def test_a_zero_change_incremental_keeps_its_watermark(tmp_path, feed_server):
    """An incremental pull that finds nothing new still remembers where it was, so the next is incremental too."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(800, seed=2))
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    _refresh(catalog, tmp_path)
    [quiet] = _refresh(catalog, tmp_path)
    assert quiet.status == "ok" and quiet.mode == "incremental" and quiet.pulled == 0, quiet.message
    [again] = _refresh(catalog, tmp_path)
    assert again.mode == "incremental" and again.pulled == 0


def test_a_full_pull_reports_rows_deleted_upstream(tmp_path, feed_server):
    """--full after the publisher deleted 30 records says 30 removed."""
    serve_city(feed_server)
    table = make_table(900, seed=4)
    feed_server.add_dataset("crime", table)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    _refresh(catalog, tmp_path)
    feed_server.add_dataset("crime", table.slice(30))
    [full] = _refresh(catalog, tmp_path, is_full=True)
    assert full.status == "ok" and full.removed_rows == 30 and full.rows == 870


def test_misspelt_catalogue_keys_are_errors_with_a_suggestion():
    """'crosswalks' and 'duplicate' are not silently ignored: each is named with what was meant."""
    raw = {
        "cities": {
            "x": {
                "name": "X",
                "time_zone": "UTC",
                "boundaries_url": "u",
                "boundary_id_field": "id",
                "populaton_url": "p",
            }
        },
        "sources": [
            {
                "id": "a",
                "city": "x",
                "kind": "crime_incident",
                "platform": "csv",
                "endpoint": "e",
                "title": "t",
                "publisher": "p",
                "landing_page": "l",
                "licence": "c",
                "date_field": "d",
                "fields": {"record_id": "id", "offense_raw": "o"},
                "geography": {"method": "source_field", "district_field": "d", "crosswalks": {"1": "A"}},
                "identity": {"duplicate": "keep_one"},
                "row_unit": "offense",
            },
        ],
    }
    with pytest.raises(CatalogError) as caught:
        parse_catalog(raw)
    text = "\n".join(caught.value.problems)
    assert "unknown key 'crosswalks' (did you mean 'crosswalk'?)" in text
    assert "unknown key 'duplicate' (did you mean 'duplicates'?)" in text
    assert "unknown key 'populaton_url' (did you mean 'population_url'?)" in text
    assert "rows are offenses" in text and "[sources.rollup]" in text


def test_placement_gate_refuses_when_nothing_lands_in_a_neighborhood(tmp_path, feed_server):
    """Districts that match no boundary (a wrong crosswalk) refuse instead of publishing 100% unassigned."""
    body = real_shapes.force_incidents_csv().replace(b",N,", b",North,").replace(b",S,", b",South,")
    catalog, _ = _oak(tmp_path, feed_server, "oak_force", files={"force.csv": body})
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "failed" and "placed in no neighborhood" in outcome.message


def test_probe_reports_fields_samples_unit_and_unmapped_values(tmp_path, feed_server):
    """`check --probe` shows a new entry's writer what is missing, what a row counts and what no recode knows."""
    body = (
        real_shapes.complaints_csv()
        .replace(b"Unfounded", b"Disposition Code 7")
        .replace(b"Allegation", b"Charge", 1)
    )
    catalog, _ = _oak(tmp_path, feed_server, "oak_complaints", files={"complaints.csv": body})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "loaders",
            "--catalog",
            str(catalog.path),
            "check",
            "--probe",
            "oak_complaints",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MISSING  'Allegation'" in out and "ok       'Finding'" in out
    assert "One published row is one allegation" in out and "Complaint Type" in out
    assert "'Disposition Code 7'" in out and "parse as '%m/%d/%Y'" in out
    assert snapshots.current(tmp_path / "cache", "oak_complaints") is None


def test_allow_keeps_identical_subjects_as_separate_numbered_records(tmp_path, feed_server):
    """Two subjects of one incident alike in every field both count, the second numbered #2."""
    incidents = (
        b"Incident Key,Occurred,Pct,Force Type\r\nT1,03/04/2022,N,Taser\r\nT2,03/05/2022,S,Firearm\r\n"
    )
    subjects = (
        b"Incident Key,Race,Gender,Age\r\nT1,Black,Male,28\r\nT1,Black,Male,28\r\nT2,White,Female,40\r\n"
    )
    catalog, _ = _oak(
        tmp_path,
        feed_server,
        "oak_force_subjects",
        files={"incidents.csv": incidents, "subjects.csv": subjects},
    )
    [outcome] = _refresh(catalog, tmp_path)
    assert outcome.status == "ok" and outcome.rows == 3, outcome.message
    snap = snapshots.current(tmp_path / "cache", "oak_force_subjects")
    ids = pq.read_table(snap.file("data.parquet"), columns=["record_id"]).column("record_id").to_pylist()
    assert sorted(ids) == ["T1|Black|Male|28", "T1|Black|Male|28#2", "T2|White|Female|40"]
    assert snap.manifest.stats["identity"]["repeated_rows"] == 1


def test_refresh_summary_lists_values_no_recode_knows(tmp_path, feed_server):
    """A few unknown findings publish (under the threshold) and the refresh summary names them."""
    body = real_shapes.complaints_csv().replace(b"Pending", b"Held For Review", 2)
    catalog, _ = _oak(tmp_path, feed_server, "oak_complaints", files={"complaints.csv": body})
    cmd = [sys.executable, "-m", "loaders", "--catalog", str(catalog.path), "--cache", str(tmp_path / "c")]
    result = subprocess.run([*cmd, "refresh"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Values no recode table knows:" in result.stdout
    assert "finding: 'Held For Review' (" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
