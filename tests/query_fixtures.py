"""Hand-made canonical snapshots for the query tests: a tiny city written through the real store API.

Every row and place here is invented for the tests (three fictional neighborhoods); none is real data.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from store import snapshots
from store.cityindex import CityIndex, read_city_index, reference_dataset_id, write_city_index
from store.schema import NEIGHBORHOOD_SCHEMA, schema_fingerprint, schema_for

CITY = "testville"
TZ = "America/Chicago"
FETCHED_AT = "2026-01-01T06:00:00+00:00"

NEIGHBORHOODS = [
    # id, name, population, black, white, hispanic, asian, other
    ("alder", "Alder Park", 10_000, 5_000, 3_000, 1_000, 500, 500),
    ("birch", "Birch Hill", 2_000, 200, 1_200, 400, 100, 100),
    ("cedar", "Cedar Flats", 500, 100, 100, 100, 100, 100),
]
NAMES = {n[0]: n[1] for n in NEIGHBORHOODS}


def local(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ZoneInfo(TZ))


def row(kind: str, record_id: str, when: datetime, hood: str | None, **values) -> dict:
    """A canonical row of `kind` with every column present (None where not given)."""
    base = dict.fromkeys(schema_for(kind).names)
    when_local = when.astimezone(ZoneInfo(TZ))
    base.update(
        record_id=record_id,
        source_id=f"{CITY}_{kind}",
        occurred_at=when,
        occurred_date=when_local.date(),
        occurred_month=when_local.date().replace(day=1),
        neighborhood_id=hood,
        neighborhood_name=NAMES.get(hood) if hood else None,
        geo_method="point" if hood else "unassigned",
        lat=41.5,
        lon=-87.5,
    )
    if kind == "crime_incident":
        base.update(offense_raw="THEFT", offense_category="property")
    if kind == "complaint":
        base.update(complaint_id=record_id, allegation_id=record_id, finding="pending")
    if kind == "use_of_force":
        base.update(incident_id=record_id, force_type="Physical force")
    base.update(values)
    return base


def publish_rows(
    root: Path, dataset_id: str, kind: str, rows: list[dict], **manifest_fields
) -> snapshots.Snapshot:
    """Write rows as a canonical data.parquet snapshot and publish it."""
    schema = schema_for(kind).arrow_schema(TZ)
    rows = sorted(
        rows, key=lambda r: (r["neighborhood_id"] is None, r["neighborhood_id"] or "", r["occurred_at"])
    )
    table = pa.Table.from_pylist([{**r, "source_id": dataset_id} for r in rows], schema=schema)
    staging = snapshots.new_staging_dir(root, dataset_id)
    pq.write_table(table, staging / "data.parquet")
    dates = [r["occurred_at"] for r in rows]
    manifest = snapshots.Manifest(
        dataset_id=dataset_id,
        kind=kind,
        fetched_at=manifest_fields.pop("fetched_at", FETCHED_AT),
        row_count=len(rows),
        files={"data.parquet": snapshots.sha256_file(staging / "data.parquet")},
        source_updated_at=manifest_fields.pop("source_updated_at", "2025-12-31T00:00:00+00:00"),
        newest_record_at=max(dates).isoformat() if dates else None,
        oldest_record_at=min(dates).isoformat() if dates else None,
        schema_fingerprint=schema_fingerprint(schema),
        city=CITY,
        provenance={
            "title": f"{schema_for(kind).title} (hand-made test data)",
            "publisher": "Testville Police Department (fictional)",
            "landing_page": f"https://data.testville.example/d/{dataset_id}",
            "licence": "CC0 1.0",
            "endpoint": f"https://data.testville.example/resource/{dataset_id}.json",
            "dataset_id": f"abcd-{len(dataset_id):04d}",
        },
        **manifest_fields,
    )
    return snapshots.publish(staging, manifest)


REFERENCE_COLUMNS = ["neighborhood_id", "neighborhood_name", "population", "pop_black", "pop_white"]
REFERENCE_COLUMNS += ["pop_hispanic", "pop_asian", "pop_other"]


def boundaries_geojson() -> str:
    """One unit square per neighborhood, side by side (shapes do not matter to the read side)."""
    features = [
        {
            "type": "Feature",
            "properties": {"neighborhood_id": nid, "neighborhood_name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]],
            },
        }
        for i, (nid, name, *_rest) in enumerate(NEIGHBORHOODS)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})


def publish_reference(root: Path) -> snapshots.Snapshot:
    """The city's neighborhoods.parquet and boundaries.geojson, published as its reference snapshot."""
    dataset_id = reference_dataset_id(CITY)
    rows = [dict(zip(REFERENCE_COLUMNS, n, strict=True)) | {"district": None} for n in NEIGHBORHOODS]
    table = pa.Table.from_pylist(rows, schema=NEIGHBORHOOD_SCHEMA)
    staging = snapshots.new_staging_dir(root, dataset_id)
    pq.write_table(table, staging / "neighborhoods.parquet")
    (staging / "boundaries.geojson").write_text(boundaries_geojson())
    files = ("neighborhoods.parquet", "boundaries.geojson")
    manifest = snapshots.Manifest(
        dataset_id=dataset_id,
        kind="reference",
        fetched_at=FETCHED_AT,
        row_count=table.num_rows,
        files={n: snapshots.sha256_file(staging / n) for n in files},
        city=CITY,
        provenance={"licence": "CC0 1.0"},
    )
    return snapshots.publish(staging, manifest)


def write_city(root: Path, datasets: dict[str, dict[str, list[dict]]]) -> Path:
    """Publish each dataset (kind -> dataset id -> rows), the neighborhoods, and the city index."""
    root = Path(root)
    publish_reference(root)
    for kind, by_id in datasets.items():
        for dataset_id, rows in by_id.items():
            publish_rows(root, dataset_id, kind, rows)
    index = CityIndex(
        city_id=CITY,
        name="Testville (hand-made)",
        time_zone=TZ,
        reference_dataset=reference_dataset_id(CITY),
        datasets={kind: list(by_id) for kind, by_id in datasets.items()},
        licence="CC0 1.0",
    )
    write_city_index(root, index)
    return root


HOODS = ["alder", "alder", "alder", "birch", "birch", "cedar", None]
PEOPLE = {
    "race": ["Black", "Black", "White", "Hispanic", "Asian / Pacific Islander", None, "Unknown"],
    "sex": ["Male", "Male", "Female", None],
    "age": [15, 19, 27, 33, 41, 58, 70, None, 130, -1],
}
CRIME_CATEGORIES = ["violent", "property", "property", "drug", "public order", None, "weird"]


def _when(rng: random.Random) -> datetime:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    return datetime(day.year, day.month, day.day, rng.choice([0, 1, 12, 23]), 30, tzinfo=ZoneInfo(TZ))


def _crime(rng: random.Random, prefix: str, n: int) -> list[dict]:
    return [
        row(
            "crime_incident",
            f"{prefix}{i}",
            _when(rng),
            rng.choice(HOODS),
            offense_category=rng.choice(CRIME_CATEGORIES),
        )
        for i in range(n)
    ]


def _person(rng: random.Random, prefix: str) -> dict:
    return {f"{prefix}_{field}": rng.choice(values) for field, values in PEOPLE.items()}


def _complaints(rng: random.Random, n: int) -> list[dict]:
    """n complaints of 1 to 3 allegations each, sharing the complaint's date and place."""
    out = []
    for i in range(n):
        at, hood = _when(rng), rng.choice(HOODS)
        for j in range(rng.choice([1, 1, 2, 3])):
            category = rng.choice(["Force", "Discourtesy", "Abuse of authority", None])
            finding = rng.choice(["sustained", "not sustained", "exonerated", "pending", None])
            values = {"complaint_id": f"c{i}", "allegation_id": f"al{i}-{j}", "allegation_category": category}
            out.append(
                row(
                    "complaint",
                    f"al{i}-{j}",
                    at,
                    hood,
                    finding=finding,
                    **values,
                    **_person(rng, "complainant"),
                )
            )
    return out


def _force(rng: random.Random, n: int) -> list[dict]:
    """n use-of-force incidents of 1 or 2 subjects each."""
    out = []
    for i in range(n):
        at, hood = _when(rng), rng.choice(HOODS)
        for j in range(rng.choice([1, 1, 2])):
            force_type = rng.choice(["Physical force", "Electrical weapon", "Chemical spray", None])
            values = {"incident_id": f"u{i}", "force_type": force_type, **_person(rng, "subject")}
            out.append(row("use_of_force", f"s{i}-{j}", at, hood, **values))
    return out


def sample_rows(seed: int = 7) -> dict[str, dict[str, list[dict]]]:
    """A small invented city: crime from two sources, complaints with shared ids, use of force; 2020–2022.

    Values include the awkward cases on purpose: no neighborhood, missing categories and people,
    an out-of-vocabulary category, impossible ages, events just before and after local midnight.
    """
    rng = random.Random(seed)
    return {
        "crime_incident": {"t_crime_a": _crime(rng, "a", 160), "t_crime_b": _crime(rng, "b", 60)},
        "complaint": {"t_complaints": _complaints(rng, 70)},
        "use_of_force": {"t_force": _force(rng, 60)},
    }


def read_kind(root: Path, kind: str) -> pd.DataFrame:
    """Every current data.parquet of a kind, read with pyarrow alone (the independent side of the tests)."""
    index = read_city_index(root, CITY)
    frames = [
        pq.read_table(snapshots.current(root, d).file("data.parquet")).to_pandas()
        for d in index.datasets.get(kind, [])
    ]
    return pd.concat(frames, ignore_index=True)
