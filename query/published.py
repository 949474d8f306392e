"""What the gate issues: SitePolicy, PublishedTable and the one token that makes it, and the policy's words.

query.gate re-exports all of it; only the gate's modules (this one, query.gate, query.gate_files and
query.gate_scores) hold the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from query import frames, snap
from query.db import CityData
from query.disclosure import DEFAULT_POLICY, SUPPRESSED_LABEL, DisclosurePolicy, suppressed_label
from query.export import ExportPolicy
from query.filters import PERSON_PREFIX
from query.i18n import _, number, term
from store.schema import schema_for

# Only the gate's modules can make a PublishedTable (ui/ checks the type); query.gate, gate_files and
# gate_scores import the token, nothing else does.
_ISSUED_HERE = object()


@dataclass(frozen=True)
class SitePolicy:
    """Everything a deployment decides about what may leave: cells, rows, and demographic columns in rows."""

    disclosure: DisclosurePolicy = DEFAULT_POLICY
    exports: ExportPolicy = field(default_factory=ExportPolicy)
    is_demographic_rows_enabled: bool = False


@dataclass(frozen=True, eq=False)
class PublishedTable:
    """A frame that passed the gate: counts NA where hidden, `reason` in words for each hidden cell."""

    frame: pd.DataFrame
    what: str  # "monthly", "by race": the file name part and the notes' "Contents"
    issued_by: object = field(repr=False, default=None)

    def __post_init__(self) -> None:
        if self.issued_by is not _ISSUED_HERE:
            raise TypeError("a PublishedTable is made only by query.gate")

    def renamed(self, columns: dict[str, str]) -> PublishedTable:
        """Some of the columns, renamed for display (the values are the ones the gate issued)."""
        return PublishedTable(self.frame[list(columns)].rename(columns=columns), self.what, _ISSUED_HERE)


def _issue(frame: pd.DataFrame, what: str, policy: DisclosurePolicy) -> PublishedTable:
    """A copy of `frame` with each hidden cell's reason in words, built in one step (query.frames).

    Frames below the gate (some cached across visitors) say "suppressed" and "1,234" in English;
    what leaves is in the reader's language.
    """
    if frame.empty or "reason" not in frame.columns:  # rare: the plain way
        out = frame.copy()
        if "reason" in out.columns:
            out["reason"] = [policy.reason_words(r) if isinstance(r, str) else "" for r in out["reason"]]
        if "label" in out.columns and "count" in out.columns:
            out["label"] = _labels(out["label"].tolist(), out["count"].tolist())
        return PublishedTable(out.reset_index(drop=True), what, _ISSUED_HERE)
    columns = {name: frames.column_array(values) for name, values in frame.items()}
    words = [policy.reason_words(r) if isinstance(r, str) else "" for r in frame["reason"].tolist()]
    columns["reason"] = frames.text(words)
    if "label" in frame.columns and "count" in frame.columns:
        columns["label"] = frames.text(_labels(frame["label"].tolist(), frame["count"].tolist()))
    return PublishedTable(frames.frame(columns), what, _ISSUED_HERE)


def _labels(labels: list, counts: list) -> list:
    return [
        suppressed_label() if text == SUPPRESSED_LABEL else number(n) if pd.notna(n) else text
        for text, n in zip(labels, counts, strict=True)
    ]


def plain_table(frame: pd.DataFrame, what: str) -> PublishedTable:
    """Facts that count no people (source provenance, the data dictionary), issued for display as they are."""
    return PublishedTable(frame.reset_index(drop=True), what, _ISSUED_HERE)


def count_text(count: int | None, site: SitePolicy) -> str:
    """A headline count as visitors read it: the number, or the reason it is not shown."""
    if count is None:
        return f"{suppressed_label()} ({site.disclosure.reason_words('small')})"
    return number(count)


def subset(table: PublishedTable, rows) -> PublishedTable:
    """Some rows of a published table (e.g. the top 15 for a ranking): still a published table."""
    if not isinstance(table, PublishedTable):
        raise TypeError("subset takes a PublishedTable")
    return PublishedTable(table.frame.loc[rows].reset_index(drop=True), table.what, _ISSUED_HERE)


def counting_rules(kind: str, city: CityData | None = None) -> tuple[str, ...]:
    """What the threshold counts, said plainly in every note: people where the source identifies
    them (a complainant or subject id), else records, since one person can be several records."""
    if kind not in PERSON_PREFIX:
        return ()
    units, who = term(schema_for(kind).unit_plural), term(PERSON_PREFIX[kind])
    if city is not None and snap.identifies_people(city, kind):
        return (
            _(
                "Breakdowns by who count people, not {units}: the source publishes a {who} id, "
                "so one {who} with several {units} is one person (records without an id count "
                "once each), and the threshold applies to people."
            ).format(units=units, who=who),
        )
    return (
        _(
            "The threshold counts {units}, not people: the source publishes no {who} id, so one "
            "{who} with several {units} counts several times."
        ).format(units=units, who=who),
    )
