"""Hand-made exports in the shapes real police portals publish, for Oakvale, a hand-made city.

Nothing here comes from a real file. Each export has a flaw real ones have: complaint allegations
with no unique column (blank ids, whole rows repeated, ids padded with spaces) and internal
complaints mixed in; use of force one row per incident with subjects and force types joined in one
cell ("Black | White"); crime one row per offense, several offenses per report; a subjects table
with no date or place of its own, joined to its incidents table. Oakvale publishes no population.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

DISTRICTS = ("N", "S")
FINDINGS = ("Sustained", "NOT SUSTAINED", "Not-Sustained", " Exonerated ", "Unfounded", "Mediated", "Pending")
RACES = ("Black", "White", "Hispanic", "Asian", "Unknown")
FORCES = ("Physical Force", "Taser", "OC Spray", "Firearm")
OFFENSES = ("THEFT", "ASSAULT", "BURGLARY", "ROBBERY", "DRUG POSSESSION")

BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": code, "label": label},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for code, label, ring in (
            ("N", "Northside", [[-90.0, 41.0], [-89.0, 41.0], [-89.0, 42.0], [-90.0, 42.0], [-90.0, 41.0]]),
            ("S", "Southside", [[-90.0, 40.0], [-89.0, 40.0], [-89.0, 41.0], [-90.0, 41.0], [-90.0, 40.0]]),
        )
    ],
}


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _day(rng: np.random.Generator) -> str:
    year, month, day = rng.integers(2021, 2024), rng.integers(1, 13), rng.integers(1, 29)
    return f"{month:02d}/{day:02d}/{year}"


def complaints_csv(n_complaints: int = 300, seed: int = 1) -> bytes:
    """Allegation rows: no id column of their own; 8% repeated whole; a third internal complaints."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_complaints):
        number = f"C{c:05d}" + (" " if c % 7 == 0 else "")  # some ids carry a trailing space
        kind = "Internal" if rng.random() < 0.33 else "Civilian"
        district, received = (" N" if rng.random() < 0.5 else "S"), _day(rng)
        for _ in range(rng.integers(1, 4)):
            rows.append(
                [
                    number,
                    kind,
                    district,
                    received,
                    str(rng.choice(["Force", "Discourtesy", "Search"])),
                    f"B{rng.integers(100, 999)}",
                    str(rng.choice(FINDINGS)),
                    str(rng.choice(RACES)),
                    str(rng.choice(RACES)),
                ]
            )
    rows += [list(rows[i]) for i in rng.choice(len(rows), len(rows) // 12, replace=False)]
    rng.shuffle(rows)
    header = [
        "Complaint No",
        "Complaint Type",
        "District",
        "Date Received",
        "Allegation",
        "Officer Badge",
        "Finding",
        "Complainant Race",
        "Officer Race",
    ]
    return _csv(header, rows)


def force_incidents_csv(n: int = 400, seed: int = 2) -> bytes:
    """One row per incident; several subjects' race and sex joined by ' | ', force types too."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        subjects = int(rng.choice([1, 1, 1, 2, 3]))
        races = " | ".join(str(rng.choice(RACES)) for _ in range(subjects))
        sexes = " | ".join(str(rng.choice(["Male", "Female"])) for _ in range(subjects))
        forces = " | ".join(sorted({str(rng.choice(FORCES)) for _ in range(rng.integers(1, 3))}))
        rows.append([f"UOF-{i:05d}", _day(rng), str(rng.choice(DISTRICTS)), forces, races, sexes])
    return _csv(["Incident Number", "Date", "District", "Force Used", "Subject Race", "Subject Sex"], rows)


def offenses_csv(n_reports: int = 500, seed: int = 3) -> bytes:
    """One row per offense with its own id; a report (several offenses) is the incident."""
    rng = np.random.default_rng(seed)
    rows, offense_id = [], 0
    for r in range(n_reports):
        when, district = _day(rng), str(rng.choice(DISTRICTS))
        lat = 41.5 if district == "N" else 40.5
        for _ in range(rng.integers(1, 4)):
            offense_id += 1
            rows.append(
                [f"R{r:05d}", f"O{offense_id:06d}", when, str(rng.choice(OFFENSES)), district, lat, -89.5]
            )
    return _csv(["Report Number", "Offense ID", "Offense Date", "Offense", "District", "Lat", "Lon"], rows)


def force_subject_tables(n: int = 300, seed: int = 4) -> tuple[bytes, bytes]:
    """An incidents table (date, district, force) and a subjects table keyed only by incident."""
    rng = np.random.default_rng(seed)
    incidents, subjects = [], []
    for i in range(n):
        key = f"T{i:05d}"
        incidents.append([key, _day(rng), str(rng.choice(DISTRICTS)), str(rng.choice(FORCES))])
        for _ in range(rng.integers(0, 3)):  # some incidents list no subject
            subjects.append(
                [key, str(rng.choice(RACES)), str(rng.choice(["Male", "Female"])), rng.integers(16, 70)]
            )
    return (
        _csv(["Incident Key", "Occurred", "Pct", "Force Type"], incidents),
        _csv(["Incident Key", "Race", "Gender", "Age"], subjects),
    )


def boundaries_json() -> bytes:
    return json.dumps(BOUNDARIES).encode()


CITY = """
[cities.oakvale]
name = "Oakvale"
time_zone = "America/Chicago"
boundaries_url = "{base}/files/oakvale.geojson"
boundary_id_field = "code"
boundary_name_field = "label"
licence = "hand-made test data"
"""

COMMON = """
city = "oakvale"
platform = "csv"
publisher = "Oakvale (hand-made)"
landing_page = "{base}/"
licence = "CC0"
title = "{title}"
"""

ENTRIES = {
    "oak_complaints": """
[[sources]]
id = "oak_complaints"
kind = "complaint"
endpoint = "{base}/files/complaints.csv"
row_unit = "allegation"
date_field = "Date Received"
date_format = "%m/%d/%Y"{common}
[sources.fields]
complaint_id = "Complaint No"
allegation = "Allegation"
finding_raw = "Finding"
district = "District"
complainant_race_raw = "Complainant Race"
officer_race_raw = "Officer Race"
[sources.identity]
fields = ["Complaint No", "Allegation", "Officer Badge", "Finding", "Date Received"]
hash = true
duplicates = "keep_one"
[[sources.filters]]
field = "Complaint Type"
equals = "Civilian"
[sources.recode.finding]
"MEDIATED" = "closed without finding"
[sources.geography]
method = "source_field"
district_field = "District"
""",
    "oak_force": """
[[sources]]
id = "oak_force"
kind = "use_of_force"
endpoint = "{base}/files/force.csv"
row_unit = "incident"
date_field = "Date"
date_format = "%m/%d/%Y"{common}
[sources.fields]
record_id = "Incident Number"
incident_id = "Incident Number"
force_type_raw = "Force Used"
subject_race_raw = "Subject Race"
subject_sex_raw = "Subject Sex"
[sources.multi_value]
token = "|"
split_rows = ["Subject Race", "Subject Sex"]
most_serious = ["Force Used"]
[sources.geography]
method = "source_field"
district_field = "District"
""",
    "oak_crime": """
[[sources]]
id = "oak_crime"
kind = "crime_incident"
endpoint = "{base}/files/offenses.csv"
row_unit = "offense"
date_field = "Offense Date"
date_format = "%m/%d/%Y"{common}
[sources.fields]
record_id = "Offense ID"
offense_raw = "Offense"
district = "District"
[sources.rollup]
key = "Report Number"
keep = "most_serious"
[sources.geography]
method = "point"
lat = "Lat"
lon = "Lon"
district_field = "District"
""",
    "oak_force_subjects": """
[[sources]]
id = "oak_force_subjects"
kind = "use_of_force"
endpoint = "{base}/files/subjects.csv"
row_unit = "subject"
date_field = "Occurred"
date_format = "%m/%d/%Y"{common}
[sources.fields]
incident_id = "Incident Key"
force_type_raw = "Force Type"
subject_race_raw = "Race"
subject_sex_raw = "Gender"
subject_age = "Age"
[sources.identity]
fields = ["Incident Key", "Race", "Gender", "Age"]
duplicates = "allow"
[sources.join]
endpoint = "{base}/files/incidents.csv"
title = "Oakvale use-of-force incidents"
on = "Incident Key"
fields = ["Occurred", "Pct", "Force Type"]
[sources.geography]
method = "source_field"
district_field = "Pct"
""",
}


def serve(server, tmp_path, *source_ids: str, files: dict[str, bytes] | None = None):
    """Serve Oakvale's files and write a catalogue with the chosen entries; returns the catalogue."""
    from loaders.catalog import load_catalog

    incidents, subjects = force_subject_tables()
    bodies = {
        "oakvale.geojson": boundaries_json(),
        "complaints.csv": complaints_csv(),
        "force.csv": force_incidents_csv(),
        "offenses.csv": offenses_csv(),
        "incidents.csv": incidents,
        "subjects.csv": subjects,
    } | (files or {})
    for name, body in bodies.items():
        server.add_file(name, body)
    base = server.base_url
    text = CITY.format(base=base)
    for sid in source_ids:
        common = COMMON.format(base=base, title=f"{sid} (hand-made)")
        text += ENTRIES[sid].replace("{common}", common.rstrip("\n")).replace("{base}", base)
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return load_catalog(path), bodies
