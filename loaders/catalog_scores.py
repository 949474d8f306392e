"""The catalogue's rules for survey scores (kind community_sentiment): how a wide export becomes one
row per score ([sources.unpivot]), which place a row describes ([sources.levels]) and what a score
means ([sources.scores]). Each is a frozen dataclass parsed from one TOML table and said in a
sentence on the data page and in every download's notes, like the counting rules beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loaders.catalog_rules import check_keys, did_you_mean
from store.schema import CITY_LEVEL, GEO_LEVELS, GROUP_TYPES


@dataclass(frozen=True)
class Unpivot:
    """A wide export (one row per place and period, one column per measure and group) read as one
    row per score. `columns` names each measure's column for all residents; `prefixes` starts the
    columns of its groups, which continue with a group type and the group (T_RACE_WHITE)."""

    columns: tuple[tuple[str, str], ...]  # (measure, column of all residents)
    prefixes: tuple[tuple[str, str], ...] = ()  # (measure, prefix of its group columns)
    groups: tuple[tuple[str, str], ...] = ()  # (published word, group type): ("RACE", "race")

    def read(self, column: str) -> tuple[str, str, str] | None:
        """(measure, group type, published group) of a column, or None when it holds no score."""
        for measure, name in self.columns:
            if column == name:
                return measure, "all", ""
        # The longest prefix wins, so T_LISTEN_RACE_WHITE is "listen", not "trust" (T_).
        for measure, prefix in sorted(self.prefixes, key=lambda p: -len(p[1])):
            if column.startswith(prefix):
                rest = column[len(prefix) :]
                for word, group_type in self.groups:
                    if rest.startswith(word + "_") and len(rest) > len(word) + 1:
                        return measure, group_type, rest[len(word) + 1 :]
                return None
        return None

    def describe(self) -> str:
        listed = ", ".join(f"{name} ({measure})" for measure, name in self.columns)
        groups = ", ".join(g for _, g in self.groups)
        more = (
            f"; columns starting {', '.join(p for _, p in self.prefixes)} give the same by {groups}"
            if self.prefixes
            else ""
        )
        return f"Each published row holds several scores, read as one record each: {listed} for all residents{more}."


@dataclass(frozen=True)
class Levels:
    """Which place a row describes, read from which key fields are filled (most specific first)."""

    by_filled: tuple[
        tuple[str, str], ...
    ]  # (level, field): a row is at the first level whose field is filled
    otherwise: str = "city"
    neighborhood: str = "district"  # the level that matches the city's neighborhoods

    def describe(self) -> str:
        steps = "; ".join(f"{field} filled: {level}" for level, field in self.by_filled)
        return (
            f"The place a row describes is read from which fields are filled ({steps}; none: {self.otherwise}). "
            f"Only {self.neighborhood} rows are placed in a neighborhood; the others stand beside them."
        )


@dataclass(frozen=True)
class Scores:
    """What a score means: its published scale and the publisher's method, stated on every chart."""

    scale_min: float = 0.0
    scale_max: float = 100.0
    method_note: str = ""

    def describe(self) -> str:
        note = f" {self.method_note}" if self.method_note else ""
        return (
            f"Scores are averages on the publisher's scale of {self.scale_min:g} to {self.scale_max:g}, shown as "
            f"published; they are never summed, turned into rates or averaged again here.{note}"
        )


UNPIVOT_KEYS = frozenset({"columns", "prefixes", "groups"})
LEVELS_KEYS = frozenset({"by_filled", "otherwise", "neighborhood"})
SCORES_KEYS = frozenset({"scale_min", "scale_max", "method_note"})


def _pairs(value: Any, where: str, key: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        return tuple((str(k), str(v)) for k, v in value.items())
    problems.append(f"{where}: {key} must be a table of names")
    return ()


def parse_unpivot(where: str, body: dict | None, problems: list[str]) -> Unpivot | None:
    if body is None:
        return None
    check_keys(f"{where}: [unpivot]", body, UNPIVOT_KEYS, problems)
    columns = _pairs(body.get("columns"), where, "unpivot.columns", problems)
    if not columns:
        problems.append(f"{where}: unpivot.columns is missing (measure = the column of all residents)")
    groups = _pairs(body.get("groups"), where, "unpivot.groups", problems)
    for word, group_type in groups:
        if group_type not in GROUP_TYPES:
            problems.append(
                f"{where}: unpivot.groups.{word} = {group_type!r} is not one of {', '.join(GROUP_TYPES)}"
                f"{did_you_mean(group_type, GROUP_TYPES)}"
            )
    return Unpivot(columns, _pairs(body.get("prefixes"), where, "unpivot.prefixes", problems), groups)


def parse_levels(where: str, body: dict | None, problems: list[str]) -> Levels | None:
    if body is None:
        return None
    check_keys(f"{where}: [levels]", body, LEVELS_KEYS, problems)
    raw = body.get("by_filled") or []
    ok = isinstance(raw, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in raw
    )
    if not ok or not raw:
        problems.append(
            f'{where}: levels.by_filled must list [level, field] pairs, e.g. [["district", "DISTRICT"]]'
        )
        raw = []
    levels = Levels(
        tuple((a, b) for a, b in raw), body.get("otherwise", CITY_LEVEL), body.get("neighborhood", "district")
    )
    for level in [lv for lv, _ in levels.by_filled] + [levels.otherwise, levels.neighborhood]:
        if level not in GEO_LEVELS:
            problems.append(
                f"{where}: level {level!r} is not one of {', '.join(GEO_LEVELS)}{did_you_mean(level, GEO_LEVELS)}"
            )
    return levels


def parse_scores(where: str, body: dict | None, problems: list[str]) -> Scores | None:
    if body is None:
        return None
    check_keys(f"{where}: [scores]", body, SCORES_KEYS, problems)
    low, high = body.get("scale_min", 0), body.get("scale_max", 100)
    if not all(isinstance(v, int | float) for v in (low, high)) or low >= high:
        problems.append(
            f"{where}: scores.scale_min and scale_max must be numbers, the first below the second"
        )
        low, high = 0, 100
    return Scores(float(low), float(high), str(body.get("method_note", "")))
