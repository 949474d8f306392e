"""What the filter widgets may offer for a kind: the values present in the data, in a stable order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from query import plan
from query.db import CityData
from query.filters import (
    AGE_BANDS,
    CATEGORY_COLUMN,
    CATEGORY_WORDS,
    FINDING_KINDS,
    NOT_RECORDED,
    PERSON_PREFIX,
    UNKNOWN,
    Filters,
)
from store.schema import VOCABULARIES, schema_for


@dataclass(frozen=True)
class FilterOptions:
    kind: str
    title: str  # "Use of force"
    neighborhoods: tuple[tuple[str, str], ...]  # (id, name), by name
    categories: tuple[str, ...]
    category_label: str  # "force type"
    findings: tuple[str, ...]  # empty unless the kind has findings
    races: tuple[str, ...]  # empty for kinds that describe no person
    sexes: tuple[str, ...]
    age_bands: tuple[str, ...]
    person_label: str | None  # "subject", "complainant" or None
    first_date: date | None  # the span of the data, for the date picker's bounds
    last_date: date | None


def filter_options(city: CityData, kind: str) -> FilterOptions:
    """Vocabulary values first, then any other value found in the data; 'Not recorded' where values are missing."""
    found = plan.grouped_counts(city, Filters.make(kind)) if city.has_data(kind) else {}
    vocabulary = schema_for(kind).column(CATEGORY_COLUMN[kind]).vocabulary
    has_person = kind in PERSON_PREFIX
    coverage = city.coverage.get(kind)
    return FilterOptions(
        kind=kind,
        title=schema_for(kind).title,
        neighborhoods=tuple(
            zip(city.neighborhoods["neighborhood_id"], city.neighborhoods["neighborhood_name"], strict=True)
        ),
        categories=_values(found.get("category"), VOCABULARIES.get(vocabulary or "", ()), NOT_RECORDED),
        category_label=CATEGORY_WORDS[kind],
        findings=_values(found.get("finding"), VOCABULARIES["finding"], NOT_RECORDED)
        if kind in FINDING_KINDS
        else (),
        races=_values(found.get("race"), VOCABULARIES["race"], UNKNOWN) if has_person else (),
        sexes=_values(found.get("sex"), VOCABULARIES["sex"], UNKNOWN) if has_person else (),
        age_bands=AGE_BANDS if has_person else (),
        person_label=PERSON_PREFIX.get(kind),
        first_date=coverage[0] if coverage else None,
        last_date=coverage[1] if coverage else None,
    )


def _values(found: pd.DataFrame | None, vocabulary: tuple[str, ...], null_label: str) -> tuple[str, ...]:
    present = set()
    if found is not None:
        present = {
            null_label if pd.isna(v) else str(v) for v, n in zip(found["value"], found["n"], strict=True) if n
        }
    extras = sorted(present - set(vocabulary) - {null_label})
    tail = [null_label] if null_label in present and null_label not in vocabulary else []
    return (*vocabulary, *extras, *tail)
