"""What a visitor selected, as one frozen value, and its renderings: words, DuckDB SQL, the source's own query.

Column names in SQL come only from the tables in this module (an allowlist keyed by kind); every
selected value travels as a bound parameter, never as SQL text. Calendar arithmetic and a period in
words are in query.periods; the pieces of the source's own query text in query.source_where.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from query.i18n import _, ngettext, term
from query.periods import is_month_end, is_month_start, months_earlier, period_words, year_earlier
from query.periods import latest_months as latest_months  # re-exported: callers import it from here
from query.periods import per_year_factor as per_year_factor  # re-exported, the same
from query.source_where import arcgis_date, in_list, soql_date, source_field
from store.schema import SCHEMAS, schema_for

NOT_RECORDED = "Not recorded"  # label of a missing category or finding, in tables and in filters
UNKNOWN = "Unknown"  # label of a missing race, sex or age
UNASSIGNED = "Unassigned"  # label of records with no neighborhood

# (label, lowest age, highest age) inclusive; anything else, including no age, is "Unknown".
AGE_BAND_LIMITS: tuple[tuple[str, int, int], ...] = (
    ("Under 18", 0, 17),
    ("18–24", 18, 24),
    ("25–34", 25, 34),
    ("35–44", 35, 44),
    ("45–54", 45, 54),
    ("55–64", 55, 64),
    ("65+", 65, 120),
)
AGE_BANDS: tuple[str, ...] = (*(band for band, _, _ in AGE_BAND_LIMITS), UNKNOWN)

# Read from the kinds' one definition in store/schema.py, under the names the read side uses.
CATEGORY_COLUMN = {k: s.category_column for k, s in SCHEMAS.items()}
CATEGORY_WORDS = {k: s.category_words for k, s in SCHEMAS.items()}
PERSON_PREFIX = {k: s.person_prefix for k, s in SCHEMAS.items() if s.person_prefix}
FINDING_KINDS = frozenset(k for k, s in SCHEMAS.items() if s.has_findings)
UNIT_COLUMN = {k: s.group_column for k, s in SCHEMAS.items() if s.group_column}  # distinct units counted
UNIT_WORDS = {k: s.group_words for k, s in SCHEMAS.items() if s.group_words}


def age_band(age: float | None) -> str:
    """The band an age falls in, by the same rule as the SQL in `age_band_sql`."""
    if age is None or age != age:  # None or NaN
        return UNKNOWN
    for band, low, high in AGE_BAND_LIMITS:
        if low <= age <= high:
            return band
    return UNKNOWN


def age_band_sql(column: str) -> str:
    """SQL CASE giving the age band of an age column (the column name must come from the allowlist)."""
    whens = " ".join(
        f"WHEN {column} BETWEEN {low} AND {high} THEN '{band}'" for band, low, high in AGE_BAND_LIMITS
    )
    return f"(CASE {whens} ELSE '{UNKNOWN}' END)"


def person_columns(kind: str) -> dict[str, str] | None:
    """race/sex/age -> the kind's column for the person a record is about, or None (crime)."""
    prefix = PERSON_PREFIX.get(kind)
    if prefix is None:
        return None
    return {"race": f"{prefix}_race", "sex": f"{prefix}_sex", "age": f"{prefix}_age"}


def _clean(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    return tuple(sorted({str(v) for v in values if v is not None and str(v) != ""}))


@dataclass(frozen=True)
class Filters:
    """One selection: a kind, an inclusive date window and value lists (empty = everything)."""

    kind: str
    date_from: date | None = None
    date_to: date | None = None
    neighborhood_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    races: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        kind: str,
        date_from: date | None = None,
        date_to: date | None = None,
        *,
        neighborhood_ids: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        findings: Iterable[str] | None = None,
        races: Iterable[str] | None = None,
        sexes: Iterable[str] | None = None,
        age_bands: Iterable[str] | None = None,
    ) -> Filters:
        """Normalised filters: values sorted and deduplicated, the kind and age bands checked."""
        schema_for(kind)  # raises on an unknown kind
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        bands = _clean(age_bands)
        unknown = [b for b in bands if b not in AGE_BANDS]
        if unknown:
            raise ValueError(f"unknown age band(s) {unknown}; expected some of {', '.join(AGE_BANDS)}")
        return cls(
            kind=kind,
            date_from=date_from,
            date_to=date_to,
            neighborhood_ids=_clean(neighborhood_ids),
            categories=_clean(categories),
            findings=_clean(findings),
            races=_clean(races),
            sexes=_clean(sexes),
            age_bands=tuple(b for b in AGE_BANDS if b in bands),
        )

    # -- what applies ---------------------------------------------------------------------------

    @property
    def has_person_columns(self) -> bool:
        return self.kind in PERSON_PREFIX

    @property
    def has_person_filter(self) -> bool:
        """True when a race, sex or age filter narrows this kind (so every count is a demographic cell)."""
        return self.has_person_columns and bool(self.races or self.sexes or self.age_bands)

    @property
    def ignored(self) -> tuple[str, ...]:
        """Sentences naming selections this kind cannot honour; they are left out of every query."""
        notes = []
        if not self.has_person_columns and (self.races or self.sexes or self.age_bands):
            notes.append(
                _(
                    "Only complaint and use-of-force records describe a person, so race, sex and age filters "
                    "are ignored here."
                )
            )
        if self.kind not in FINDING_KINDS and self.findings:
            notes.append(_("Only civilian complaints have findings, so the finding filter is ignored here."))
        return tuple(notes)

    def effective(self) -> Filters:
        """These filters without the selections the kind cannot honour."""
        out = self
        if not self.has_person_columns:
            out = replace(out, races=(), sexes=(), age_bands=())
        if self.kind not in FINDING_KINDS:
            out = replace(out, findings=())
        return out

    def with_dates(self, date_from: date | None, date_to: date | None) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)

    def previous_period(self) -> Filters | None:
        """The window of the same length ending the day before this one starts; None if open-ended.

        Whole calendar months give the same number of whole months before (Jul–Dec -> Jan–Jun);
        any other window gives the same number of days.
        """
        if self.date_from is None or self.date_to is None:
            return None
        end = self.date_from - timedelta(days=1)
        if is_month_start(self.date_from) and is_month_end(self.date_to):
            months = (
                (self.date_to.year - self.date_from.year) * 12 + self.date_to.month - self.date_from.month + 1
            )
            return self.with_dates(months_earlier(self.date_from, months), end)
        days = (self.date_to - self.date_from).days + 1
        return self.with_dates(end - timedelta(days=days - 1), end)

    def year_before(self) -> Filters | None:
        """The same calendar window one year earlier (29 February becomes 28 February)."""
        if self.date_from is None or self.date_to is None:
            return None
        return self.with_dates(year_earlier(self.date_from), year_earlier(self.date_to))

    # -- words ----------------------------------------------------------------------------------

    def area_label(self, neighborhood_names: Mapping[str, str], max_listed: int = 3) -> str:
        """'Alder Park', 'Alder Park and Birch Hill', '5 neighborhoods' or 'all neighborhoods'."""
        return area_words(self.neighborhood_ids, neighborhood_names, max_listed)

    def period_label(self) -> str:
        """'Jan 2021 – Jun 2022', '3 Jan 2021 – 15 Jun 2022', 'from Jan 2021' or 'all dates'."""
        return period_words(self.date_from, self.date_to)

    def describe(self, neighborhood_names: Mapping[str, str], max_listed: int | None = 3) -> str:
        """Plain English, e.g. 'Use of force in Alder Park, Jan 2021 – Jun 2022, subject race Black'."""
        eff = self.effective()
        listed = max_listed if max_listed is not None else len(eff.neighborhood_ids) + 1
        parts = [
            _("{kind} in {area}").format(
                kind=term(schema_for(self.kind).title), area=eff.area_label(neighborhood_names, listed)
            ),
            eff.period_label(),
        ]
        parts.extend(eff.choice_words())
        text = ", ".join(parts)
        if self.ignored:
            text += " (" + " ".join(self.ignored) + ")"
        return text

    def choice_words(self) -> list[str]:
        """The category, finding and who chosen, e.g. ['offense category violent', 'subject race Black']."""
        parts = []
        vocabulary = schema_for(self.kind).category_column
        if self.categories:
            chosen = _join_words([term(v, vocabulary) for v in self.categories], _("or"))
            parts.append(f"{term(CATEGORY_WORDS[self.kind])} {chosen}")
        if self.findings:
            chosen = _join_words([term(v, "finding") for v in self.findings], _("or"))
            parts.append(_("finding {values}").format(values=chosen))
        who = PERSON_PREFIX.get(self.kind)
        for words, vocabulary, values in (
            (_("{who} race {values}"), "race", self.races),
            (_("{who} sex {values}"), "sex", self.sexes),
            (_("{who} age {values}"), "age", self.age_bands),
        ):
            if who and values:
                chosen = _join_words([term(v, vocabulary) for v in values], _("or"))
                parts.append(words.format(who=term(who), values=chosen))
        return parts

    # -- DuckDB ---------------------------------------------------------------------------------

    def to_sql(self, *, include_dates: bool = True) -> tuple[str, dict[str, object]]:
        """A WHERE condition over the kind's canonical columns, with `$name` parameters, and its values."""
        eff = self.effective()
        clauses: list[str] = []
        params: dict[str, object] = {}
        if include_dates and eff.date_from is not None:
            clauses.append("occurred_date >= $date_from")
            params["date_from"] = eff.date_from
        if include_dates and eff.date_to is not None:
            clauses.append("occurred_date <= $date_to")
            params["date_to"] = eff.date_to
        for name, expression, values in eff._value_filters():
            clauses.append(f"{expression} = ANY(${name})")
            params[name] = list(values)
        return (" AND ".join(clauses) or "TRUE"), params

    def _value_filters(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(parameter name, SQL expression from the allowlist, selected values) per active list filter."""
        out = []
        if self.neighborhood_ids:
            out.append(("neighborhood_ids", "neighborhood_id", self.neighborhood_ids))
        if self.categories:
            out.append(
                ("categories", f"coalesce({CATEGORY_COLUMN[self.kind]}, '{NOT_RECORDED}')", self.categories)
            )
        if self.findings and self.kind in FINDING_KINDS:
            out.append(("findings", f"coalesce(finding, '{NOT_RECORDED}')", self.findings))
        person = person_columns(self.kind)
        if person:
            if self.races:
                out.append(("races", f"coalesce({person['race']}, '{UNKNOWN}')", self.races))
            if self.sexes:
                out.append(("sexes", f"coalesce({person['sex']}, '{UNKNOWN}')", self.sexes))
            if self.age_bands:
                out.append(("age_bands", age_band_sql(person["age"]), self.age_bands))
        return out

    # -- the source's own query ("check this at the source") --------------------------------------

    def to_soql(self, field_map: Mapping[str, str]) -> str | None:
        """A Socrata `$where` for these filters, or None when one of them cannot be said in the source's terms.

        `field_map` maps canonical columns (occurred_at, neighborhood_id, offense_category, ...) to source
        fields; list only columns whose values the source publishes exactly as we store them. An empty
        string means no condition.
        """
        return self._source_where(field_map, soql_date, "")

    def to_arcgis_where(self, field_map: Mapping[str, str], time_zone: str = "UTC") -> str | None:
        """An ArcGIS REST `where` for these filters (same rules as `to_soql`); '1=1' when there is none.

        ArcGIS compares dates as UTC instants, so a local day starts at local midnight in UTC terms.
        """
        return self._source_where(field_map, lambda day: arcgis_date(day, time_zone), "1=1")

    def _source_where(self, field_map: Mapping[str, str], date_literal, empty: str) -> str | None:
        eff = self.effective()
        clauses = []
        if eff.date_from is not None or eff.date_to is not None:
            field = source_field(field_map, "occurred_at")
            if field is None:
                return None
            if eff.date_from is not None:
                clauses.append(f"{field} >= {date_literal(eff.date_from)}")
            if eff.date_to is not None:
                clauses.append(f"{field} < {date_literal(eff.date_to + timedelta(days=1))}")
        person = person_columns(self.kind) or {}
        columns = {
            "neighborhood_ids": ("neighborhood_id", None),
            "categories": (CATEGORY_COLUMN[self.kind], NOT_RECORDED),
            "findings": ("finding", NOT_RECORDED),
            "races": (person.get("race"), UNKNOWN),
            "sexes": (person.get("sex"), UNKNOWN),
        }
        for attr, (column, null_label) in columns.items():
            values = getattr(eff, attr)
            if not values:
                continue
            field = source_field(field_map, column)
            if field is None:
                return None
            clauses.append(in_list(field, values, null_label))
        if eff.age_bands:
            field = source_field(field_map, person.get("age"))
            if field is None:
                return None
            clauses.append("(" + " OR ".join(_age_condition(field, b) for b in eff.age_bands) + ")")
        return " AND ".join(clauses) or empty


def _age_condition(field: str, band: str) -> str:
    for label, low, high in AGE_BAND_LIMITS:
        if label == band:
            return f"({field} >= {low} AND {field} <= {high})"
    return f"({field} IS NULL OR {field} < 0 OR {field} > {AGE_BAND_LIMITS[-1][2]})"


def area_words(ids: Iterable[str], neighborhood_names: Mapping[str, str], max_listed: int = 3) -> str:
    """'Alder Park', 'Alder Park and Birch Hill', '5 neighborhoods' or 'all neighborhoods'."""
    names = sorted(neighborhood_names.get(i, i) for i in ids)
    if not names:
        return _("all neighborhoods")
    if len(names) > max_listed:
        return ngettext("{n} neighborhood", "{n} neighborhoods", len(names)).format(n=len(names))
    return _join_words(names, _("and"))


def _join_words(values: Iterable[str], conjunction: str) -> str:
    items = list(values)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
