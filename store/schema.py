"""Canonical schema per kind of record: the contract between loaders/ and query/.

Every snapshot of a kind has exactly these columns, in this order, with these Arrow types.
Timestamps carry the city's zone; `occurred_date` and `occurred_month` are computed at ingest
in that zone so that the read side never has to know about zones to bucket by day or month.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

KINDS = ("crime_incident", "complaint", "use_of_force", "community_sentiment")

# "other_level": a score published for a larger or smaller place than a neighborhood (the whole
# city, an area, a sector); it is kept, but belongs to no neighborhood.
GEO_METHODS = ("point", "source_field", "unassigned", "other_level")
# What a kind's figures are: counts of records (summed, rated per resident, hidden when small), or
# scores a publisher already averaged (shown as published: never summed, rated or re-averaged).
MEASURE_TYPES = ("count", "score")
# Places a survey score can describe, from the whole city down; CITY_LEVEL is the city line.
GEO_LEVELS = ("city", "area", "district", "neighborhood", "sector")
CITY_LEVEL = "city"
ALL_GROUP = "all residents"
# Who a score describes: everyone, or residents of one group of one of these dimensions.
GROUP_TYPES = ("all", "race", "age", "sex", "education", "income")

RACE_VALUES = (
    "Black",
    "White",
    "Hispanic",
    "Asian / Pacific Islander",
    "American Indian / Alaska Native",
    "Other",
    "Unknown",
)
SEX_VALUES = ("Female", "Male", "Other", "Unknown")
OFFENSE_CATEGORIES = ("violent", "property", "drug", "public order", "other")
# "closed without finding": mediated, withdrawn, administratively closed, complainant unavailable
# or uncooperative; the allegation was never decided, so it is neither sustained nor cleared.
FINDINGS = (
    "sustained",
    "not sustained",
    "exonerated",
    "unfounded",
    "closed without finding",
    "pending",
    "other",
)
FORCE_TYPES = (
    "Physical force",
    "Electrical weapon",
    "Chemical spray",
    "Impact weapon",
    "Firearm",
    "Canine",
    "Other",
)
ALLEGATION_CATEGORIES = (
    "Force",
    "Abuse of authority",
    "Discourtesy",
    "Offensive language",
    "Other",
)

# What one record can be, in the plural, for "figures count ..." sentences on every layer.
UNIT_PLURALS = {
    "incident": "incidents",
    "offense": "offenses",
    "subject": "subjects",
    "officer": "officer involvements",
    "allegation": "allegations",
    "complaint": "complaints",
    "place_period": "rows of one place and period",
    "score": "scores",
}

# Most serious first: when several offenses make one incident, or several force types are listed
# for one subject, the incident is filed under the most serious.
SEVERITY: dict[str, tuple[str, ...]] = {
    "offense_category": OFFENSE_CATEGORIES,
    "force_type": (
        "Firearm",
        "Impact weapon",
        "Electrical weapon",
        "Canine",
        "Chemical spray",
        "Physical force",
        "Other",
    ),
}

# Controlled vocabularies the recode step maps onto. Values outside them pass through unchanged
# and are counted in the snapshot manifest.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "race": RACE_VALUES,
    "sex": SEX_VALUES,
    "offense_category": OFFENSE_CATEGORIES,
    "finding": FINDINGS,
    "force_type": FORCE_TYPES,
    "allegation_category": ALLEGATION_CATEGORIES,
}


@dataclass(frozen=True)
class Column:
    name: str
    arrow_type: pa.DataType
    description: str
    is_required: bool = False
    is_public: bool = True
    vocabulary: str | None = None


@dataclass(frozen=True)
class KindSchema:
    kind: str
    title: str
    unit_singular: str
    unit_plural: str
    unit_note: str
    columns: tuple[Column, ...]
    severity_column: str | None = None  # ranked by SEVERITY when rows merge into one unit
    # Units a source of this kind may be published in, once its rows are counted (UNIT_PLURALS).
    accepted_units: tuple[str, ...] = ()
    # The person a record is about, where the publisher identifies them: breakdowns by who then
    # count distinct people, so one complainant with five allegations is one person, not five.
    person_id_column: str | None = None
    # How every layer names and breaks down the kind: defined here once, read everywhere.
    page_title: str = ""  # "Use of force"
    page_path: str = ""  # the page's url path and script: "use-of-force", pages/use-of-force.py
    page_icon: str = ""  # a Material icon name shipped with Streamlit ("back_hand"), no CDN
    category_column: str = ""  # the breakdown by category ("force_type")
    category_words: str = ""  # "force type"
    category_param: str = ""  # its URL parameter ("force")
    person_prefix: str | None = None  # "subject": subject_race, subject_sex, subject_age
    has_findings: bool = False
    group_column: str | None = None  # distinct units counted beside the records ("incident_id")
    group_words: tuple[str, str] | None = None  # ("incident", "incidents")
    # Scores instead of counts (MEASURE_TYPES): every layer that counts, sums or rates reads this
    # and skips or adapts, so a score kind is never summed, rated or suppressed as a count.
    measure_type: str = "count"
    score_column: str | None = None  # "score"
    measure_column: str | None = None  # what was asked: "trust", "safety", ...
    group_type_column: str | None = None  # who the score describes: "race", ...
    group_value_column: str | None = None  # ... and which of them: "Black"
    level_column: str | None = None  # the place the score describes: GEO_LEVELS
    method_column: str | None = None  # the publisher's method note, stated on every chart
    # The gap shown by default where published (group type, first, second).
    default_gap: tuple[str, str, str] | None = None

    @property
    def is_score(self) -> bool:
        return self.measure_type == "score"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def public_names(self) -> list[str]:
        return [c.name for c in self.columns if c.is_public]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.kind} has no column {name!r}")

    def arrow_schema(self, tz: str) -> pa.Schema:
        return pa.schema([pa.field(c.name, _with_zone(c.arrow_type, tz)) for c in self.columns])


def _with_zone(arrow_type: pa.DataType, tz: str) -> pa.DataType:
    if pa.types.is_timestamp(arrow_type):
        return pa.timestamp("us", tz=tz)
    return arrow_type


_TS = pa.timestamp("us", tz="UTC")  # the zone is replaced by the city's in arrow_schema()
_STR = pa.string()

COMMON_COLUMNS: tuple[Column, ...] = (
    Column("record_id", _STR, "Identifier of the record, unique within its source.", True),
    Column("source_id", _STR, "Catalogue id of the feed the record came from.", True),
    Column("occurred_at", _TS, "When the event happened, in the city's time zone.", True),
    Column("occurred_date", pa.date32(), "Local calendar date of occurred_at.", True),
    Column("occurred_month", pa.date32(), "First day of the local month of occurred_at.", True),
    Column("reported_at", _TS, "When the event was reported, if published."),
    Column("neighborhood_id", _STR, "Neighborhood the record was assigned to at ingest."),
    Column("neighborhood_name", _STR, "Name of that neighborhood."),
    Column("district", _STR, "Police district, precinct or beat as published."),
    Column("lat", pa.float64(), "Latitude (WGS84) as published; may be generalised.", False, False),
    Column("lon", pa.float64(), "Longitude (WGS84) as published; may be generalised.", False, False),
    Column(
        "geo_method",
        _STR,
        "How the neighborhood was assigned: point, source_field or unassigned.",
        True,
    ),
)


def _race(prefix: str, who: str) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_race", _STR, f"{who} race/ethnicity, recoded.", vocabulary="race"),
        Column(f"{prefix}_race_raw", _STR, f"{who} race/ethnicity as published."),
        Column(f"{prefix}_sex", _STR, f"{who} sex/gender, recoded.", vocabulary="sex"),
        Column(f"{prefix}_sex_raw", _STR, f"{who} sex/gender as published."),
        Column(f"{prefix}_age", pa.int16(), f"{who} age in years, if published."),
    )


def _person_id(prefix: str) -> Column:
    return Column(
        f"{prefix}_id",
        _STR,
        f"The {prefix}'s identifier, where published; used only to count people, never shown.",
        False,
        False,
    )


CRIME_INCIDENT = KindSchema(
    kind="crime_incident",
    title="Crime incidents",
    unit_singular="incident",
    unit_plural="incidents",
    unit_note="One row per reported incident (the most serious offense where the source lists several).",
    columns=COMMON_COLUMNS
    + (
        Column("offense_raw", _STR, "Offense as published by the source.", True),
        Column(
            "offense_category",
            _STR,
            "Offense grouped into violent, property, drug, public order or other.",
            True,
            vocabulary="offense_category",
        ),
    ),
    severity_column="offense_category",
    accepted_units=("incident",),
    page_title="Crime",
    page_path="crime",
    page_icon="local_police",
    category_column="offense_category",
    category_words="offense category",
    category_param="offense",
)

COMPLAINT = KindSchema(
    kind="complaint",
    title="Civilian complaints",
    unit_singular="allegation",
    unit_plural="allegations",
    unit_note="One row per allegation. A complaint can hold several allegations against "
    "several officers; count distinct complaint_id for complaints.",
    columns=COMMON_COLUMNS
    + (
        Column("complaint_id", _STR, "Complaint identifier (shared by its allegations).", True),
        Column("allegation_id", _STR, "Allegation identifier.", False, False),
        Column("allegation", _STR, "Allegation as published."),
        Column(
            "allegation_category",
            _STR,
            "Allegation grouped (force, abuse of authority, discourtesy, ...).",
            vocabulary="allegation_category",
        ),
        Column("allegation_category_raw", _STR, "Allegation category as published."),
        Column("finding", _STR, "Outcome, recoded.", True, vocabulary="finding"),
        Column("finding_raw", _STR, "Outcome as published."),
        Column("received_at", _TS, "When the complaint was received."),
        Column("closed_at", _TS, "When the complaint was closed, if it is."),
        _person_id("complainant"),
    )
    + _race("complainant", "Complainant")
    + _race("officer", "Officer"),
    accepted_units=("allegation", "complaint"),
    person_id_column="complainant_id",
    page_title="Civilian complaints",
    page_path="complaints",
    page_icon="report",
    category_column="allegation_category",
    category_words="allegation category",
    category_param="allegation",
    person_prefix="complainant",
    has_findings=True,
    group_column="complaint_id",
    group_words=("complaint", "complaints"),
)

USE_OF_FORCE = KindSchema(
    kind="use_of_force",
    title="Use of force",
    unit_singular="subject",
    unit_plural="subjects",
    unit_note="One row per person force was used on; an incident can involve several "
    "subjects. Count distinct incident_id for incidents.",
    columns=COMMON_COLUMNS
    + (
        Column("incident_id", _STR, "Use-of-force incident identifier.", True),
        Column("force_type", _STR, "Most serious force used, recoded.", True, vocabulary="force_type"),
        Column("force_type_raw", _STR, "Force type as published."),
        _person_id("subject"),
    )
    + _race("subject", "Subject")
    + (
        Column("subject_injured", pa.bool_(), "Whether the subject was injured."),
        Column("officer_injured", pa.bool_(), "Whether an officer was injured."),
    ),
    severity_column="force_type",
    # Subjects; or incidents, where a publisher lists no subjects.
    accepted_units=("subject", "incident"),
    person_id_column="subject_id",
    page_title="Use of force",
    page_path="use-of-force",
    page_icon="back_hand",
    category_column="force_type",
    category_words="force type",
    category_param="force",
    person_prefix="subject",
    group_column="incident_id",
    group_words=("incident", "incidents"),
)

_F64 = pa.float64()

COMMUNITY_SENTIMENT = KindSchema(
    kind="community_sentiment",
    title="Community sentiment",
    unit_singular="score",
    unit_plural="scores",
    unit_note="One row per period, place, survey measure and group of residents: an average score "
    "a survey vendor published, on its published scale. Scores are averages, not counts: they are "
    "shown as published and never summed, rated or averaged again here.",
    columns=COMMON_COLUMNS
    + (
        Column(
            "period_end", _TS, "Last day of the period the score covers (occurred_at is its first).", True
        ),
        Column(
            "geo_level",
            _STR,
            "The place the score describes: city, area, district, neighborhood or sector.",
            True,
        ),
        Column("area", _STR, "Area as published (a group of districts), if any."),
        Column("sector", _STR, "Sector as published (part of a district), if any."),
        Column("measure", _STR, "What residents were asked about: trust, safety, listen, respect, ...", True),
        Column(
            "group_type",
            _STR,
            "Which residents the score describes: all, race, age, sex, education or income.",
            True,
        ),
        Column("group_value", _STR, "The group within that type (all residents, Black, female, ...).", True),
        Column("group_value_raw", _STR, "The group as published (e.g. the column name's ending)."),
        Column("score", _F64, "The published average score, on the scale below.", True),
        Column("scale_min", _F64, "Lowest score the published scale allows."),
        Column("scale_max", _F64, "Highest score the published scale allows."),
        Column("method_note", _STR, "The publisher's note on how scores are made (survey, weighting)."),
    ),
    accepted_units=("score",),
    page_title="Community voice",
    page_path="community-voice",
    page_icon="forum",
    measure_type="score",
    score_column="score",
    measure_column="measure",
    group_type_column="group_type",
    group_value_column="group_value",
    level_column="geo_level",
    method_column="method_note",
    default_gap=("race", "Black", "White"),
)

SCHEMAS: dict[str, KindSchema] = {
    s.kind: s for s in (CRIME_INCIDENT, COMPLAINT, USE_OF_FORCE, COMMUNITY_SENTIMENT)
}
# The kinds whose figures are counts of records, and those whose figures are published scores.
COUNT_KINDS = tuple(k for k, s in SCHEMAS.items() if not s.is_score)
SCORE_KINDS = tuple(k for k, s in SCHEMAS.items() if s.is_score)

# Reference data per city, published as a snapshot like any feed.
NEIGHBORHOOD_COLUMNS: tuple[Column, ...] = (
    Column("neighborhood_id", _STR, "Neighborhood identifier.", True),
    Column("neighborhood_name", _STR, "Neighborhood name.", True),
    Column("district", _STR, "Police district the neighborhood lies in, if known."),
    Column("population", pa.int64(), "Resident population.", True),
    Column("pop_black", pa.int64(), "Residents counted as Black (non-Hispanic)."),
    Column("pop_white", pa.int64(), "Residents counted as White (non-Hispanic)."),
    Column("pop_hispanic", pa.int64(), "Residents counted as Hispanic or Latino."),
    Column("pop_asian", pa.int64(), "Residents counted as Asian / Pacific Islander."),
    Column("pop_other", pa.int64(), "All other residents."),
)
NEIGHBORHOOD_SCHEMA = pa.schema([pa.field(c.name, c.arrow_type) for c in NEIGHBORHOOD_COLUMNS])

# Which population column stands beside which recoded race value.
RACE_POPULATION_COLUMNS = {
    "Black": "pop_black",
    "White": "pop_white",
    "Hispanic": "pop_hispanic",
    "Asian / Pacific Islander": "pop_asian",
}


def schema_for(kind: str) -> KindSchema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise KeyError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def schema_fingerprint(schema: pa.Schema) -> str:
    """Short hash of column names and types, so a manifest shows when a schema changed."""
    text = ";".join(f"{f.name}:{f.type}" for f in schema)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
