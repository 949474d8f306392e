"""Answering one view from query.cube's arrays: whole months from the dense month arrays (one
subtraction per breakdown) or the month cells, partial months from the day cells.

`answer` and `window_totals` return None for a selection the cubes cannot count exactly (a finding,
race, sex or age filter); query.plan then scans the rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from query.cube import EPOCH, LAST_DAY, NO_DAY, Cells, Dense, KindCube, split_window
from query.filters import NOT_RECORDED, Filters

Found = dict[str, object]  # {"value": [...], "n": int64 array}, as query.plan returns them
Spans = tuple[tuple[int, int] | None, list[tuple[int, int]]]
BASE = ("neighborhood_id", "category")


def answer(cube: KindCube, filters: Filters) -> dict[str, Found] | None:
    """Every breakdown of `filters` (plan.grouped_counts's shape), or None if the cubes cannot say it exactly."""
    eff = filters.effective()
    if not _answerable(cube, eff):
        return None
    keep = _keepers(cube, eff)
    spans = _spans(eff.date_from, eff.date_to)
    edges = _selected(cube.days, spans[1], keep)
    months = _month_parts(cube, spans[0], keep)
    base = months[""]
    total = _total(base) + sum(int(w.sum()) for _, _, w in edges)
    out: dict[str, Found] = {"()": {"n": np.array([total], np.int64)}}
    out["month"] = _trend(cube, spans[0], keep, edges)
    for name in BASE:
        out[name] = _breakdown(cube.labels[name], name, base, edges)
    for name in cube.extras:
        out[name] = _breakdown(cube.labels[name], name, months[name], edges)
    units = [] if cube.units is None else [_unit_count(cube, eff, spans, keep)]
    out["units"] = {"n": np.array(units, np.int64)}
    return out


def by_neighborhood(cube: KindCube, filters: Filters) -> Found | None:
    """Only the by-neighborhood counts of `filters` (the map's), or None as for `answer`."""
    eff = filters.effective()
    if not _answerable(cube, eff):
        return None
    keep = _keepers(cube, eff)
    month_span, edge_spans = _spans(eff.date_from, eff.date_to)
    base = _month_parts(cube, month_span, keep, only_base=True)[""]
    edges = _selected(cube.days, edge_spans, keep)
    return _breakdown(cube.labels["neighborhood_id"], "neighborhood_id", base, edges)


def window_totals(
    cube: KindCube, filters: Filters, windows: list[tuple[date | None, date | None]]
) -> list[int] | None:
    """Records matching `filters` (dates aside) in each window, or None as for `answer`."""
    eff = filters.effective()
    if not _answerable(cube, eff):
        return None
    keep = _keepers(cube, eff)
    out = []
    for low, high in windows:
        month_span, edge_spans = _spans(low, high)
        whole = _total(_month_parts(cube, month_span, keep, only_base=True)[""])
        out.append(whole + sum(int(w.sum()) for _, _, w in _selected(cube.days, edge_spans, keep)))
    return out


def _answerable(cube: KindCube, eff: Filters) -> bool:
    if eff.findings or eff.races or eff.sexes or eff.age_bands:
        return False  # counts under these would need a cell per combination: the rows answer them
    return not (eff.categories and cube.units is not None and cube.units.masks is None)


def _keepers(cube: KindCube, eff: Filters) -> dict[str, np.ndarray]:
    """Dimension -> which codes a list filter keeps (SQL's coalesce(value, label) = ANY(selected))."""
    out = {}
    if eff.neighborhood_ids:
        out["neighborhood_id"] = _lookup(cube.labels["neighborhood_id"], eff.neighborhood_ids, None)
    if eff.categories:
        out["category"] = _lookup(cube.labels["category"], eff.categories, NOT_RECORDED)
    return out


def _lookup(labels: tuple, selected: tuple[str, ...], null_label: str | None) -> np.ndarray:
    chosen = set(selected)
    return np.array([(null_label if v is None else v) in chosen for v in labels], dtype=bool)


def _spans(low: date | None, high: date | None) -> Spans:
    """(day bounds of the whole months, day bounds of the partial months), as split_window splits them."""
    months, edges = split_window(low, high)
    undated = low is None and high is None  # records without a date count only when no bound is set
    month_span = None if months is None else _bounds(*months, undated)
    return month_span, [_bounds(a, b, False) for a, b in edges]


def _bounds(low: date | None, high: date | None, undated: bool) -> tuple[int, int]:
    first = (low - EPOCH).days if low is not None else (NO_DAY if undated else NO_DAY + 1)
    return first, (high - EPOCH).days if high is not None else LAST_DAY


# A month part is either ("dense", axes, array over those axes) or ("cells", [(cells, slice, weights)]).


def _month_parts(cube: KindCube, span, keep: dict[str, np.ndarray], only_base: bool = False) -> dict:
    names = [""] if only_base else ["", *cube.extras]
    if cube.dense is not None:
        return {x: ("dense", cube.dense[x].axes, _dense_part(cube.dense[x], span, keep)) for x in names}
    return {x: ("cells", _selected(cube.by_month[x], [span] if span else [], keep)) for x in names}


def _dense_part(dense: Dense, span, keep: dict[str, np.ndarray]) -> np.ndarray:
    start, stop = dense.slots(*span) if span else (0, 0)
    return _masked(dense.cum[stop] - dense.cum[start], dense.axes, keep)


def _masked(
    part: np.ndarray, axes: tuple[str, ...], keep: dict[str, np.ndarray], offset: int = 0
) -> np.ndarray:
    """`part` with the codes a filter drops zeroed (axes[i] is array axis i + offset)."""
    for i, name in enumerate(axes):
        if name in keep:
            shape = [1] * part.ndim
            shape[i + offset] = -1
            part = part * keep[name].reshape(shape)
    return part


def _selected(cells: Cells, spans: list[tuple[int, int]], keep: dict[str, np.ndarray]) -> list:
    """(cells, slice, kept counts) for each day span."""
    out = []
    for span in spans:
        where = cells.between(*span)
        weights = cells.n[where]
        for name, lookup in keep.items():
            weights = weights * lookup[cells.codes[name][where]]
        out.append((cells, where, weights))
    return out


def _total(part) -> int:
    if part[0] == "dense":
        return int(part[2].sum())
    return sum(int(w.sum()) for _, _, w in part[1])


def _breakdown(labels: tuple, name: str, part, edges: list) -> Found:
    counts = np.zeros(len(labels), dtype=np.int64)
    if part[0] == "dense":
        axes, values = part[1], part[2]
        counts += values.sum(axis=tuple(i for i, a in enumerate(axes) if a != name))
        cells = edges
    else:
        cells = [*part[1], *edges]
    for group, where, weights in cells:
        counts += np.bincount(group.codes[name][where], weights=weights, minlength=len(labels)).astype(
            np.int64
        )
    present = np.flatnonzero(counts)
    return {"value": [labels[i] for i in present], "n": counts[present]}


def _trend(cube: KindCube, span, keep: dict[str, np.ndarray], edges: list) -> Found:
    counts = np.zeros(len(cube.months_seen) + 1, dtype=np.int64)
    cells = list(edges)
    if cube.dense is not None:
        dense = cube.dense[""]
        start, stop = dense.slots(*span) if span else (0, 0)
        if stop > start:
            per_slot = np.diff(dense.cum[start : stop + 1], axis=0)
            counts[start:stop] += _masked(per_slot, dense.axes, keep, offset=1).sum(axis=(1, 2))
    else:
        cells += _selected(cube.by_month[""], [span] if span else [], keep)
    for group, where, weights in cells:
        counts += np.bincount(group.month[where], weights=weights, minlength=counts.size).astype(np.int64)
    present = np.flatnonzero(counts)  # slot 0 holds records without a date: month None, as in SQL
    values = [None if i == 0 else cube.months_seen[i - 1] for i in present]
    return {"value": values, "n": counts[present]}


def _unit_count(cube: KindCube, eff: Filters, spans: Spans, keep: dict[str, np.ndarray]) -> int:
    """Distinct units among the selected rows: simple units add across cells, loose ones are counted."""
    units = cube.units
    unit_keep = {"neighborhood_id": keep["neighborhood_id"]} if "neighborhood_id" in keep else {}
    if "category" in keep:  # a unit is kept when any of its rows' categories is chosen
        bits = np.bitwise_or.reduce(
            np.left_shift(np.uint64(1), np.flatnonzero(keep["category"]).astype(np.uint64)),
            initial=np.uint64(0),
        )
        unit_keep["mask"] = (units.masks & bits) != 0
    month_span, edge_spans = spans
    if units.dense is not None:
        total = int(_dense_part(units.dense, month_span, unit_keep).sum())
    else:
        total = sum(
            int(w.sum()) for _, _, w in _selected(units.months, [month_span] if month_span else [], unit_keep)
        )
    total += sum(int(w.sum()) for _, _, w in _selected(units.days, edge_spans, unit_keep))
    loose = units.loose
    where = loose.between(*_bounds(eff.date_from, eff.date_to, eff.date_from is None and eff.date_to is None))
    ok = np.ones(where.stop - where.start, dtype=bool)
    for name, lookup in keep.items():
        ok &= lookup[loose.codes[name][where]]
    seen = np.zeros(int(loose.codes["unit"].max(initial=-1)) + 1, dtype=bool)
    seen[loose.codes["unit"][where][ok]] = True
    return total + int(np.count_nonzero(seen))
