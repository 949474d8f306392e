"""Per-kind columns of the synthetic benchmark rows: raw values drawn with Demo City's proportions, then
recoded by the loaders' own recode tables, so canonical values match what a real refresh would store."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders import demo_tables as t
from loaders.normalize import NULL_MEANS_UNKNOWN, recode, shared_recodes
from store.schema import COMMON_COLUMNS, schema_for

ID_PREFIX = {"crime_incident": "BC", "use_of_force": "BF", "complaint": "BK"}
SUBJECT_SHARES_SAME_INCIDENT = 0.16  # chance a subject belongs to the incident of the row before
ALLEGATION_SHARES_SAME_COMPLAINT = 0.45  # about 1.8 allegations per complaint
# Dispositions: a quarter substantiated, a tenth still pending (Demo City's proportions, roughly).
FINDINGS = {
    **{k: 0.25 * v for k, v in t.SUBSTANTIATED_DISPOSITIONS.items()},
    **{k: 0.65 * v for k, v in t.OTHER_DISPOSITIONS.items()},
    t.PENDING_DISPOSITION: 0.10,
}


def dataset_id(kind: str) -> str:
    return f"bench_{kind}"


def numbered(prefix: str, first: int, n: int) -> pa.Array:
    """prefix + zero-padded numbers first .. first+n-1 (unique ids, 9 digits)."""
    digits = pa.array(np.arange(first, first + n)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=9, padding="0"), "")


def repeat(value: str | None, n: int) -> pa.Array:
    """n copies of one string (or n nulls), without a Python object per row."""
    if value is None:
        return pa.nulls(n, pa.string())
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))


def kind_columns(kind: str, n: int, first: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    """The columns after the common ones, in schema order (`first`: number of the first row); a
    column the benchmark does not draw (a person id) is empty, as in a feed that publishes none."""
    made = _drawn_columns(kind, n, first, rng)
    later = schema_for(kind).columns[len(COMMON_COLUMNS) :]
    return {c.name: made[c.name] if c.name in made else pa.nulls(n, c.arrow_type) for c in later}


def _drawn_columns(kind: str, n: int, first: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    if kind == "crime_incident":
        raw, category = _drawn("offense_category", t.OFFENSES, n, rng)
        return {"offense_raw": raw, "offense_category": category}
    if kind == "use_of_force":
        return _use_of_force(n, first, rng)
    if kind == "complaint":
        return _complaints(n, first, rng)
    raise ValueError(f"the benchmark does not generate {kind!r}")


def _use_of_force(n: int, first: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    new_incident = rng.random(n) >= SUBJECT_SHARES_SAME_INCIDENT
    if n:
        new_incident[0] = True
    incident = np.cumsum(new_incident) - 1  # 0-based incident per row, consecutive rows share it
    number = pc.utf8_lpad(pa.array(first + incident).cast(pa.string()), width=9, padding="0")
    force_raw, force = _drawn("force_type", t.FORCE_TYPES, n, rng)
    race_raw, race = _drawn("race", t.SUBJECT_RACES, n, rng)
    sex_raw, sex = _drawn("sex", t.SUBJECT_GENDERS, n, rng)
    ages = _ages(n, rng)
    return {
        "incident_id": pc.binary_join_element_wise("BFI", number, ""),
        "force_type": force,
        "force_type_raw": force_raw,
        "subject_race": race,
        "subject_race_raw": race_raw,
        "subject_sex": sex,
        "subject_sex_raw": sex_raw,
        "subject_age": ages,
        "subject_injured": pa.array(rng.random(n) < t.SUBJECT_INJURED_SHARE),
        "officer_injured": pa.array(rng.random(n) < t.OFFICER_INJURED_SHARE),
    }


def _complaints(n: int, first: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    """Allegations, several per complaint (consecutive rows), with complainant and officer columns."""
    new_complaint = rng.random(n) >= ALLEGATION_SHARES_SAME_COMPLAINT
    if n:
        new_complaint[0] = True
    complaint = np.cumsum(new_complaint) - 1
    number = pc.utf8_lpad(pa.array(first + complaint).cast(pa.string()), width=9, padding="0")
    category_raw, category = _drawn(
        "allegation_category", {k.upper(): v for k, v in t.FADO_TYPES.items()}, n, rng
    )
    allegations = {a: c for by_type in t.ALLEGATIONS.values() for a, c in by_type.items()}
    allegation, _ = _drawn("allegation", allegations, n, rng)
    finding_raw, finding = _drawn("finding", FINDINGS, n, rng)
    race_raw, race = _drawn("race", t.COMPLAINANT_ETHNICITIES, n, rng)
    sex_raw, sex = _drawn("sex", t.COMPLAINANT_GENDERS, n, rng)
    officer_race_raw, officer_race = _drawn("race", t.MOS_ETHNICITIES, n, rng)
    officer_sex_raw, officer_sex = _drawn("sex", t.MOS_GENDERS, n, rng)
    never = pa.nulls(n, pa.timestamp("us", tz="UTC"))
    return {
        "complaint_id": pc.binary_join_element_wise("BKC", number, ""),
        "allegation_id": numbered("BKA", first, n),
        "allegation": allegation,
        "allegation_category": category,
        "allegation_category_raw": category_raw,
        "finding": finding,
        "finding_raw": finding_raw,
        "received_at": never,
        "closed_at": never,
        "complainant_race": race,
        "complainant_race_raw": race_raw,
        "complainant_sex": sex,
        "complainant_sex_raw": sex_raw,
        "complainant_age": _ages(n, rng, t.COMPLAINANT_AGES, t.COMPLAINANT_AGE_BLANK_SHARE),
        "officer_race": officer_race,
        "officer_race_raw": officer_race_raw,
        "officer_sex": officer_sex,
        "officer_sex_raw": officer_sex_raw,
        "officer_age": _ages(n, rng, t.MOS_AGES, 0.0),
    }


def _drawn(vocabulary: str, weights: dict, n: int, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """(raw, recoded) values drawn with the table's weights."""
    raw_values, recoded_values = _recoded(vocabulary, tuple(weights))
    shares = np.array(list(weights.values()), dtype=float)
    which = pa.array(rng.choice(len(weights), n, p=shares / shares.sum()))
    return raw_values.take(which), recoded_values.take(which)


@cache
def _recoded(vocabulary: str, raw: tuple[str, ...]) -> tuple[pa.Array, pa.Array]:
    table = shared_recodes().get(vocabulary, {})
    keywords = shared_recodes().get(f"{vocabulary}_keywords", {})
    values = pa.array(raw, pa.string())
    recoded, _ = recode(values, table, keywords, vocabulary in NULL_MEANS_UNKNOWN)
    return values, recoded


def _ages(
    n: int, rng: np.random.Generator, table=t.SUBJECT_AGES, blank_share: float = t.SUBJECT_AGE_BLANK_SHARE
) -> pa.Array:
    buckets = np.array(table)
    pick = rng.choice(len(buckets), n, p=buckets[:, 2] / buckets[:, 2].sum())
    ages = rng.integers(buckets[pick, 0], buckets[pick, 1])
    return pa.array(ages, pa.int16(), mask=rng.random(n) < blank_share)
