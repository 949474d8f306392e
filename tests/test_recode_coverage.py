"""Shared recode tables cover the spellings the major U.S. complaint and use-of-force datasets publish.

(a) hand-made spellings per publisher recode to the expected canonical value; (b) every target in
loaders/recodes.toml is in its vocabulary; (c) no two keys collide after recode_key() with
different targets; (d) on the real files staged in ../shared (skipped when absent), under 5% of
the rows of each recoded column stay unmapped.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pytest

from loaders.normalize import NULL_MEANS_UNKNOWN, recode, recode_key, shared_recodes
from store.schema import VOCABULARIES
from tests.shared_data import shared_file

SPELLINGS = Path(__file__).parent / "fixtures" / "recode_spellings_handmade.csv"
RECODED = ("race", "sex", "finding", "force_type", "allegation_category")
MAX_UNMAPPED_SHARE = 0.05


def _recode(vocabulary: str, values: list[str | None]) -> tuple[list[str | None], dict[str, int]]:
    """Recode with the shared tables only, exactly as Normalizer._recode does for a source without
    its own [sources.recode.<column>] entries."""
    tables = shared_recodes()
    recoded, unmapped = recode(
        pa.array(values, pa.string()),
        tables[vocabulary],
        tables.get(f"{vocabulary}_keywords", {}),
        vocabulary in NULL_MEANS_UNKNOWN,
    )
    return recoded.to_pylist(), dict(unmapped)


def _spellings() -> list[tuple[str, str, str, str]]:
    with SPELLINGS.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    return [(r["vocabulary"], r["publisher"], r["published"], r["expected"]) for r in rows]


def _by_vocabulary() -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for vocabulary, publisher, published, expected in _spellings():
        out[vocabulary].append((publisher, published, expected))
    return out


# (a) -------------------------------------------------------------------------------------------


def test_spelling_list_covers_every_recoded_vocabulary_and_is_valid():
    """The hand-made list has spellings for each vocabulary, and every expected value is real."""
    by_vocabulary = _by_vocabulary()
    assert set(by_vocabulary) == set(RECODED)
    for vocabulary, rows in by_vocabulary.items():
        bad = [expected for _, _, expected in rows if expected not in VOCABULARIES[vocabulary]]
        assert not bad, f"{vocabulary}: expected values outside the vocabulary: {bad}"


@pytest.mark.parametrize("vocabulary", RECODED)
def test_published_spellings_recode_to_the_expected_value(vocabulary):
    """Padded, mixed-case, hyphenated and underscored spellings of each publisher's values land on
    the canonical value; a miss is listed with its publisher."""
    rows = _by_vocabulary()[vocabulary]
    recoded, _ = _recode(vocabulary, [published for _, published, _ in rows])
    wrong = [
        f"{publisher}: {published!r} -> {got!r}, expected {expected!r}"
        for (publisher, published, expected), got in zip(rows, recoded)
        if got != expected
    ]
    assert not wrong, "\n".join(wrong)


def test_exact_negative_findings_win_over_their_positive_substrings():
    """'NOT SUSTAINED' contains 'SUSTAINED' and 'UNSUBSTANTIATED' contains 'SUBSTANTIATED': the exact
    table is consulted before any keyword, so the negative spellings never read as sustained."""
    values = [
        "NOT SUSTAINED",
        "Not-Sustained",
        "not_sustained",
        "Unsubstantiated",
        "Not Sustained - Unfounded",
        "Not Sustained - Lawful and Proper",
        "Not Sustained - Training Referral",
        "No Sustained Findings",
    ]
    recoded, unmapped = _recode("finding", values)
    assert "sustained" not in recoded
    assert recoded == [
        "not sustained",
        "not sustained",
        "not sustained",
        "not sustained",
        "unfounded",
        "exonerated",
        "not sustained",
        "not sustained",
    ]
    assert not unmapped


def test_exact_entries_are_looked_up_before_keywords():
    """An exact key wins even when a keyword of another category is a substring of it."""
    keywords = {"sustained": ["SUSTAINED"]}  # the misfire a finding keyword would cause
    recoded, _ = recode(
        pa.array(["Not Sustained", "Sustained (Suspension)"]),
        shared_recodes()["finding"],
        keywords,
        False,
    )
    assert recoded.to_pylist() == ["not sustained", "sustained"]


def test_findings_have_no_substring_keywords():
    """Findings are matched exactly: a substring rule would turn negatives into positives."""
    assert "finding_keywords" not in shared_recodes()


def test_ambiguous_single_letter_race_codes_are_left_to_sources():
    """Letters that mean different races to different publishers are not in the shared table."""
    table = {recode_key(k) for k in shared_recodes()["race"]}
    for code in ("H", "P", "N", "M", "U", "X", "Z", "L", "O", "NA"):
        assert code not in table, f"{code!r} is ambiguous across publishers; map it per source"
    recoded, unmapped = _recode("race", ["H", "P"])
    assert recoded == ["H", "P"] and unmapped == {"H": 1, "P": 1}


def test_blank_and_null_race_and_sex_are_unknown_but_blank_findings_stay_null():
    for vocabulary in ("race", "sex"):
        recoded, unmapped = _recode(vocabulary, [None, "", "   "])
        assert recoded == ["Unknown"] * 3 and not unmapped
    recoded, unmapped = _recode("finding", [None, ""])
    assert recoded == [None, None] and not unmapped


# (b) -------------------------------------------------------------------------------------------


def test_every_target_in_recodes_toml_is_in_its_vocabulary():
    """A typo on a right-hand side would publish a new category; every target must be canonical."""
    tables = shared_recodes()
    problems = []
    for name, table in tables.items():
        if name.endswith("_keywords"):
            vocabulary = name.removesuffix("_keywords")
            targets = list(table)  # keyword tables map category -> list of substrings
        else:
            vocabulary = name
            targets = list(table.values())
        assert vocabulary in VOCABULARIES, f"[{name}] names no vocabulary in store/schema.py"
        problems += [f"[{name}] {t!r}" for t in targets if t not in VOCABULARIES[vocabulary]]
    assert not problems, "targets outside their vocabulary:\n" + "\n".join(problems)


def test_every_recoded_vocabulary_has_a_shared_table():
    assert set(VOCABULARIES) <= set(shared_recodes())


# (c) -------------------------------------------------------------------------------------------


def test_no_key_collides_after_normalisation_with_a_different_target():
    """Two spellings that recode_key() makes equal must agree, or the table's order would decide."""
    conflicts = []
    for name, table in shared_recodes().items():
        if name.endswith("_keywords"):
            continue
        seen: dict[str, tuple[str, str]] = {}
        for key, target in table.items():
            norm = recode_key(str(key))
            if norm in seen and seen[norm][1] != target:
                conflicts.append(f"[{name}] {seen[norm][0]!r} -> {seen[norm][1]!r} vs {key!r} -> {target!r}")
            seen.setdefault(norm, (key, target))
    assert not conflicts, "\n".join(conflicts)


def test_keys_are_written_in_matching_form():
    """Keys are written as recode_key() leaves them (the one exception: "-" for the empty key), so
    a reader of recodes.toml sees exactly what is matched."""
    odd = [
        f"[{name}] {key!r}"
        for name, table in shared_recodes().items()
        if not name.endswith("_keywords")
        for key in table
        if key != recode_key(key) and key != "-"
    ]
    assert not odd, "write these keys in recode_key() form:\n" + "\n".join(odd)


# (d) -------------------------------------------------------------------------------------------

# Real files in ../shared/data and, per file, each column the dashboard recodes and its vocabulary.
REAL_COLUMNS = {
    "nyc/NYPD_Use_of_Force_Incidents.csv": {"ForceType": "force_type"},
    "nyc/NYPD_Use_of_Force__Subjects.csv": {"Subject Race": "race", "Subject Gender": "sex"},
    "nyc/NYPD_Use_of_Force__Members_of_Service.csv": {
        "ForceType": "force_type",
        "Race": "race",
        "Member Gender": "sex",
    },
    "nyc/ccrb_allegations_derived_no_dates.csv": {
        "fado_type": "allegation_category",
        "Substantiated": "finding",
        "complainant_ethnicity": "race",
        "complainant_gender": "sex",
        "mos_ethnicity": "race",
        "mos_gender": "sex",
    },
    "seattle/Use_Of_Force.csv": {
        "Incident_Type": "force_type",
        "Subject_Race": "race",
        "Subject_Gender": "sex",
    },
}
REAL_CASES = [(f, c, v) for f, columns in REAL_COLUMNS.items() for c, v in columns.items()]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("relative", "column", "vocabulary"), REAL_CASES, ids=[f"{f}:{c}" for f, c, _ in REAL_CASES]
)
def test_real_file_column_is_mapped(relative, column, vocabulary):
    """Under 5% of the rows of each recoded column of the real exports stay unmapped; the coverage
    reached is printed (pytest -s) so it can be reported."""
    path = shared_file(relative)
    table = pv.read_csv(
        path,
        convert_options=pv.ConvertOptions(include_columns=[column], column_types={column: pa.string()}),
    )
    values = table.column(column).combine_chunks()
    recoded, unmapped = recode(
        values,
        shared_recodes()[vocabulary],
        shared_recodes().get(f"{vocabulary}_keywords", {}),
        vocabulary in NULL_MEANS_UNKNOWN,
    )
    rows = len(values)
    unmapped_rows = sum(unmapped.values())
    share = unmapped_rows / rows
    print(
        f"\n{relative} [{column}] -> {vocabulary}: {rows:,} rows, "
        f"{1 - share:.2%} mapped, {unmapped_rows:,} unmapped {dict(unmapped.most_common(5))}"
    )
    outside = {v for v in recoded.to_pylist() if v is not None} - set(VOCABULARIES[vocabulary])
    assert outside == set(unmapped), "only unmapped values may fall outside the vocabulary"
    assert share < MAX_UNMAPPED_SHARE, f"{share:.1%} unmapped: {unmapped.most_common(10)}"
