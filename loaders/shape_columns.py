"""Names of the working columns that carry a row's id, rollup key, severity and position from the
shaping step through normalize to finalize. None of them reaches a published snapshot."""

RECORD_ID = "__record_id"
ROLLUP_KEY = "__rollup_key"
SEVERITY_RANK = "__severity"
POSITION = "__position"
WORKING_COLUMNS = (ROLLUP_KEY, SEVERITY_RANK, POSITION)
# A wide survey export read as one row per score ([sources.unpivot], [sources.levels]).
LEVEL = "__level"
MEASURE = "__measure"
GROUP_TYPE = "__group_type"
GROUP_RAW = "__group_raw"
SCORE = "__score"
