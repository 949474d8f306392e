"""Small result frames built in one step, with the dtypes pandas' own constructor would give them.

A page view builds about a dozen small frames. pandas 3 spends most of that time inserting columns
one by one (each insert rebuilds the column index), so these helpers take finished arrays and make
the frame once. tests/test_query_frames.py checks they equal what `pd.DataFrame({...})` gives.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray, IntegerArray

STRING = pd.Series(["x"]).dtype  # pandas' default text dtype (missing values read NaN)
EMPTY = pd.DataFrame({"x": []})["x"].dtype  # what the constructor makes of an empty list


@lru_cache(maxsize=256)
def _columns(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(names))  # an Index is immutable, so frames may share one


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame from column arrays (numpy arrays or pandas extension arrays, all one length)."""
    arrays = list(columns.values())
    rows = len(arrays[0]) if arrays else 0
    return pd.DataFrame._from_arrays(
        arrays, columns=_columns(tuple(columns)), index=pd.RangeIndex(rows), verify_integrity=False
    )


def text(values: list) -> object:
    """A column of text and None as the constructor infers it: str where any value is text, else object."""
    if not values:
        return np.array([], dtype=EMPTY)
    if any(isinstance(v, str) for v in values):
        if all(v is None or isinstance(v, str) for v in values):
            return ArrowStringArray(_arrow_text(tuple(values)), dtype=STRING)
        return pd.Series(values).array
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@lru_cache(maxsize=4096)
def _arrow_text(values: tuple) -> pa.ChunkedArray:
    """Arrow text of a tuple of values; names and labels recur on every view, and Arrow arrays are immutable."""
    return pa.chunked_array([pa.array(values, pa.large_string())])


def objects(values: list) -> np.ndarray:
    """Values kept as Python objects (dates), as the constructor keeps them."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def nullable_ints(values: np.ndarray, missing: np.ndarray | None = None) -> IntegerArray:
    """An Int64 column; `missing` marks NA cells."""
    data = np.asarray(values, dtype=np.int64).copy()
    mask = np.zeros(data.size, dtype=bool) if missing is None else np.asarray(missing, dtype=bool).copy()
    data[mask] = 0
    return IntegerArray(data, mask)


def optional_ints(values: list) -> IntegerArray:
    """An Int64 column from Python ints and None (pd.array(values, dtype="Int64"))."""
    missing = np.array([v is None or v != v for v in values], dtype=bool)
    data = np.array([0 if m else int(v) for v, m in zip(values, missing, strict=True)], dtype=np.int64)
    return IntegerArray(data, missing)


def column_array(series: pd.Series) -> object:
    """A copy of a column's values, for a new frame that must not share memory with the old one."""
    values = series.array
    if isinstance(series.dtype, np.dtype):
        return series.to_numpy(copy=True)
    return values.copy()
