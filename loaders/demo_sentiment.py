"""Demo City's resident survey (SYNTHETIC): a wide monthly export of trust and safety scores.

Shaped like a real vendor's export (one row per place and month, one column per measure and group
of residents, the place read from which key is filled), so the demo exercises the catalogue's
[sources.unpivot] and [sources.levels] rules. Every score is invented; no survey was run. The
city and district rows are population-weighted means of the neighborhood rows, as a vendor's
weighting would give; that arithmetic happens here, in the generator, never in the app.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from loaders.demo_tables import PLANTED_INITIATIVE

FIRST_MONTH = np.datetime64("2019-01", "M")
MONTHS = 84  # 2019-01 .. 2025-12, like the other demo feeds
# Listening and respect questions join the survey two years in (as in Chicago's real export).
LATER_MEASURES_FROM = 24
MEASURES = {"TRUST": ("T_", 58.0), "SAFETY": ("S_", 62.0), "LISTEN": ("L_", 55.0), "RESPECT": ("R_", 60.0)}
# Offsets from the all-residents score per group (invented: a gap by race, small ones by sex and age).
GROUPS = {
    "RACE_BLACK": -7.0,
    "RACE_WHITE": 5.0,
    "RACE_HISPANIC": -1.5,
    "SEX_FEMALE": -0.8,
    "SEX_MALE": 0.8,
    "AGE_UNDER_35": -3.0,
    "AGE_35_TO_64": 0.5,
    "AGE_65_PLUS": 3.5,
}


def sentiment_feed(
    ids: tuple[str, ...],
    precincts: tuple[str, ...],
    districts: tuple[str, ...],
    population: np.ndarray,
    crime_rate: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    """The raw wide export: neighborhood rows, then district rows, then the city row, per month."""
    n = len(ids)
    months = np.arange(MONTHS)
    # A neighborhood's level follows its crime rate (lower where crime is higher), with a slow drift.
    level = -6.0 * np.log(crime_rate) + rng.normal(0, 3, n)
    drift = rng.normal(0, 1.5, n)[:, None] * months[None, :] / 12
    season = 1.5 * np.cos(2 * np.pi * (months % 12 - 6) / 12)[None, :]
    district_names = sorted(set(districts))
    members = np.array([[d == name for d in districts] for name in district_names], dtype=float)
    weights = np.vstack([members * population, population[None, :]])  # districts, then the city
    weights /= weights.sum(axis=1, keepdims=True)
    columns: dict[str, np.ndarray] = {}
    for measure, (prefix, base) in MEASURES.items():
        shared = base + level[:, None] + drift + season + rng.normal(0, 1.2, (n, MONTHS))
        if measure == "TRUST":
            shared = shared + _planted_trust(ids)
        blank = np.zeros(MONTHS, bool) if measure in ("TRUST", "SAFETY") else months < LATER_MEASURES_FROM
        columns[measure] = _with_aggregates(shared, weights, blank)
        for group, offset in GROUPS.items():
            noisy = shared + offset + rng.normal(0, 2.0, (n, MONTHS))
            columns[prefix + group] = _with_aggregates(noisy, weights, blank)
    return _table(ids, precincts, districts, district_names, columns)


def _planted_trust(ids: tuple[str, ...]) -> np.ndarray:
    """Points added to trust where and from when the planted initiative acts (loaders/demo_tables.py)."""
    plant = PLANTED_INITIATIVE
    start = np.datetime64(plant["start"][:7], "M")
    after = (FIRST_MONTH + np.arange(MONTHS)) >= start
    rows = np.isin(np.array(ids), plant["neighborhood_ids"])
    return np.outer(rows, after) * plant["trust_points"]


def _with_aggregates(hoods: np.ndarray, weights: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Neighborhood rows, then each district's and the city's weighted mean; clipped to the scale."""
    scores = np.clip(np.vstack([hoods, weights @ hoods]), 0, 100)
    scores[:, blank] = np.nan
    return scores


def _table(ids, precincts, districts, district_names, columns: dict[str, np.ndarray]) -> pa.Table:
    places = len(ids) + len(district_names) + 1
    starts = FIRST_MONTH + np.arange(MONTHS)
    start_text = np.datetime_as_string(starts.astype("datetime64[D]"))
    end_text = np.datetime_as_string((starts + 1).astype("datetime64[D]") - 1)
    precinct = [*precincts, *([None] * (len(district_names) + 1))]
    district = [*districts, *district_names, None]
    # One row per place and month, months outermost, as a portal export lists them.
    out: dict[str, pa.Array] = {
        "period_start": pa.array(np.repeat(start_text, places).tolist(), pa.string()),
        "period_end": pa.array(np.repeat(end_text, places).tolist(), pa.string()),
        "district": pa.array(district * MONTHS, pa.string()),
        "precinct": pa.array(precinct * MONTHS, pa.string()),
    }
    for name, scores in columns.items():
        flat = scores.T.ravel()  # month-major, matching the rows above
        text = np.char.mod("%.2f", np.nan_to_num(flat))
        out[name] = pa.array(text.tolist(), pa.string(), mask=np.isnan(flat))
    return pa.table(out)
