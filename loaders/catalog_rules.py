"""The catalogue's counting rules: what one published row is, how records are identified, which rows
are kept, and when a pull is refused. Each rule is a frozen dataclass parsed from one TOML table,
and each can say what it does in a sentence, which the data page and every download's notes print.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from store.schema import SCHEMAS, UNIT_PLURALS, schema_for

ROW_UNITS = tuple(UNIT_PLURALS)
DUPLICATE_POLICIES = ("refuse", "keep_one", "allow")
ROLLUP_KEEPS = ("most_serious", "first")
FILTER_OPS = ("equals", "in", "not_in")


@dataclass(frozen=True)
class Identity:
    """How a record's id is made: the named raw fields joined, or a content hash of them."""

    fields: tuple[str, ...] = ()  # empty: the field mapped to record_id
    is_hash: bool = False
    duplicates: str = "refuse"

    def describe(self, record_field: str | None) -> str:
        names = ", ".join(self.fields) or (record_field or "?")
        if self.fields == ("*",):
            names = "every published column"
        how = f"a content hash (sha256) of {names}" if self.is_hash else f"the field(s) {names}"
        policy = {
            "refuse": "a pull with a repeated id is refused",
            "keep_one": "records repeating an id are dropped after the first and counted",
            "allow": "records repeating an id are all kept (numbered #2, #3, ...)",
        }[self.duplicates]
        return f"A record is identified by {how}; {policy}."


@dataclass(frozen=True)
class Rollup:
    """Several published rows make one counted unit, e.g. offenses grouped into their report."""

    key: tuple[str, ...]  # the fields shared by the rows of one unit (joined when several)
    to: str = "incident"
    keep: str = "most_serious"

    def describe(self, row_unit: str) -> str:
        keep = "the most serious one's values" if self.keep == "most_serious" else "the first one's values"
        shared = " and ".join(self.key)
        return f"Published rows are {UNIT_PLURALS[row_unit]}; rows sharing {shared} count as one {self.to}, keeping {keep}."


@dataclass(frozen=True)
class MultiValue:
    """Cells holding several values joined by a token ("Black | White")."""

    token: str = "|"
    split_rows: tuple[str, ...] = ()  # one row per position: a row becomes one row per subject
    most_serious: tuple[str, ...] = ()  # kept on the row: the most serious of the values

    def describe(self) -> str:
        parts = []
        if self.split_rows:
            parts.append(
                f"cells of {', '.join(self.split_rows)} holding several values joined by "
                f"{self.token!r} are split into one row per position (one per subject)"
            )
        if self.most_serious:
            parts.append(f"{', '.join(self.most_serious)} keeps the most serious of its joined values")
        return ("; ".join(parts) + ".").capitalize() if parts else ""


@dataclass(frozen=True)
class Join:
    """A related table (e.g. incidents) whose fields are joined onto every published row."""

    endpoint: str
    on: str
    fields: tuple[str, ...]
    related_on: str
    dataset_id: str | None = None
    platform: str | None = None  # default: the source's own platform
    title: str = ""

    def describe(self) -> str:
        what = self.title or self.dataset_id or self.endpoint
        return f"{', '.join(self.fields)} come from {what}, joined on {self.on} = {self.related_on}."


@dataclass(frozen=True)
class RowFilter:
    field: str
    op: str  # equals | in | not_in
    values: tuple[str, ...]

    def describe(self) -> str:
        listed = ", ".join(f"“{v}”" for v in self.values)
        verb = {"equals": "is", "in": "is one of", "not_in": "is none of"}[self.op]
        return f"only records whose {self.field} {verb} {listed}"

    @property
    def is_exclusion(self) -> bool:
        return self.op == "not_in"


@dataclass(frozen=True)
class Quality:
    """Gates a pull must pass before it is published; shares are of the rows pulled."""

    max_unmapped_share: float = 0.05  # of a recoded required column (finding, force type, ...)
    max_date_failure_share: float = 0.05
    max_unjoined_share: float = 0.05
    max_unassigned_share: float = 0.2  # records placed in no neighborhood (when geography is set)


def did_you_mean(word: str, choices: tuple[str, ...] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(where: str, body: Any, allowed: frozenset[str], problems: list[str]) -> None:
    """Every key of a table is one we read; a misspelt key would otherwise be silently ignored."""
    if not isinstance(body, dict):
        problems.append(f"{where} must be a table")
        return
    for key in body:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r}{did_you_mean(key, allowed)}")


def _names(value: Any, where: str, key: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    problems.append(f"{where}: {key} must be a field name or a list of field names")
    return ()


IDENTITY_KEYS = frozenset({"fields", "hash", "duplicates"})
ROLLUP_KEYS = frozenset({"key", "to", "keep"})
MULTI_VALUE_KEYS = frozenset({"token", "split_rows", "most_serious"})
JOIN_KEYS = frozenset({"endpoint", "dataset_id", "platform", "on", "related_on", "fields", "title"})
FILTER_KEYS = frozenset({"field", *FILTER_OPS})
QUALITY_KEYS = frozenset(
    {"max_unmapped_share", "max_date_failure_share", "max_unjoined_share", "max_unassigned_share"}
)


def parse_identity(where: str, body: dict, problems: list[str]) -> Identity:
    check_keys(f"{where}: [identity]", body, IDENTITY_KEYS, problems)
    policy = body.get("duplicates", "refuse")
    if policy not in DUPLICATE_POLICIES:
        problems.append(
            f"{where}: identity.duplicates {policy!r} is not one of {', '.join(DUPLICATE_POLICIES)}"
        )
    is_hash = body.get("hash", False)
    fields = _names(body.get("fields"), where, "identity.fields", problems)
    if is_hash and not fields:
        problems.append(f"{where}: identity.hash = true needs identity.fields (the fields to hash)")
    return Identity(fields, bool(is_hash), policy)


def parse_rollup(where: str, body: dict | None, problems: list[str]) -> Rollup | None:
    if body is None:
        return None
    check_keys(f"{where}: [rollup]", body, ROLLUP_KEYS, problems)
    key = _names(body.get("key"), where, "rollup.key", problems)
    if not key:
        problems.append(f"{where}: rollup.key is missing (the field(s) shared by rows of one unit)")
    keep = body.get("keep", "most_serious")
    if keep not in ROLLUP_KEEPS:
        problems.append(f"{where}: rollup.keep {keep!r} is not one of {', '.join(ROLLUP_KEEPS)}")
    to = body.get("to", "incident")
    if to not in ROW_UNITS:
        problems.append(f"{where}: rollup.to {to!r} is not one of {', '.join(ROW_UNITS)}")
    return Rollup(key, to, keep)


def parse_multi_value(where: str, body: dict | None, problems: list[str]) -> MultiValue | None:
    if body is None:
        return None
    check_keys(f"{where}: [multi_value]", body, MULTI_VALUE_KEYS, problems)
    token = body.get("token", "|")
    if not isinstance(token, str) or not token:
        problems.append(f"{where}: multi_value.token must be a non-empty text")
        token = "|"
    split = _names(body.get("split_rows"), where, "multi_value.split_rows", problems)
    serious = _names(body.get("most_serious"), where, "multi_value.most_serious", problems)
    return MultiValue(token, split, serious)


def parse_join(where: str, body: dict | None, problems: list[str]) -> Join | None:
    if body is None:
        return None
    check_keys(f"{where}: [join]", body, JOIN_KEYS, problems)
    for key in ("endpoint", "on", "fields"):
        if not body.get(key):
            problems.append(f"{where}: join.{key} is missing")
    fields = _names(body.get("fields"), where, "join.fields", problems)
    on = str(body.get("on", ""))
    return Join(
        endpoint=str(body.get("endpoint", "")),
        on=on,
        fields=fields,
        related_on=str(body.get("related_on", on)),
        dataset_id=body.get("dataset_id"),
        platform=body.get("platform"),
        title=str(body.get("title", "")),
    )


def parse_filters(where: str, body: Any, problems: list[str]) -> tuple[RowFilter, ...]:
    if body is None:
        return ()
    if not isinstance(body, list):
        problems.append(f"{where}: filters must be an array of tables ([[sources.filters]])")
        return ()
    out = []
    for i, item in enumerate(body):
        here = f"{where}: filters[{i + 1}]"
        check_keys(here, item, FILTER_KEYS, problems)
        if not isinstance(item, dict):
            continue
        ops = [op for op in FILTER_OPS if op in item]
        if not item.get("field") or len(ops) != 1:
            problems.append(f"{here} needs 'field' and exactly one of {', '.join(FILTER_OPS)}")
            continue
        raw = item[ops[0]]
        values = (raw,) if not isinstance(raw, list) else tuple(raw)
        out.append(RowFilter(str(item["field"]), ops[0], tuple(str(v) for v in values)))
    return tuple(out)


def parse_quality(where: str, body: dict, problems: list[str]) -> Quality:
    check_keys(f"{where}: [quality]", body, QUALITY_KEYS, problems)
    values = {}
    for key in QUALITY_KEYS & body.keys():
        value = body[key]
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"{where}: quality.{key} must be a share between 0 and 1")
            continue
        values[key] = float(value)
    return Quality(**values)


def published_unit(
    kind: str, row_unit: str, rollup: Rollup | None, multi: MultiValue | None, unpivot: object = None
) -> str:
    """The unit a snapshot counts, after the source's rules have been applied to its rows."""
    if rollup is not None:
        return rollup.to
    if multi is not None and multi.split_rows and row_unit == "incident":
        return "subject"
    if unpivot:
        return "score"
    return row_unit


def check_unit(where: str, kind: str, row_unit: str, unit: str, problems: list[str]) -> None:
    allowed = schema_for(kind).accepted_units if kind in SCHEMAS else ()
    if not allowed or unit in allowed:
        return
    hint = ""
    if row_unit == "offense":
        hint = ' Declare [sources.rollup] key = "<report number field>" to count offenses as incidents.'
    elif row_unit == "officer":
        hint = ' Declare [sources.rollup] key = "<incident id field>" to count officers\' rows as incidents.'
    problems.append(
        f"{where}: rows are {UNIT_PLURALS.get(row_unit, row_unit)}, but {kind} is counted in "
        f"{' or '.join(UNIT_PLURALS[u] for u in allowed)}.{hint}"
    )
