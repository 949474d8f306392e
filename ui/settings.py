"""Per-deployment settings, read from the environment once at start-up (no secrets here)."""

from __future__ import annotations

import os

from query import DisclosurePolicy, ExportPolicy
from store.schema import KINDS


def _kinds(variable: str, default: str) -> set[str]:
    return {k.strip() for k in os.environ.get(variable, default).split(",") if k.strip() in KINDS}


# Cells below this count in breakdowns by person demographics are hidden ("<5"), with a second
# cell hidden where one alone could be worked out from the total.
DISCLOSURE = DisclosurePolicy(
    threshold=int(os.environ.get("DASHBOARD_SMALL_CELL", "5")),
    is_complementary=os.environ.get("DASHBOARD_COMPLEMENTARY", "1") != "0",
)
# Which kinds may be downloaded row by row, and the largest download offered.
EXPORTS = ExportPolicy(
    is_row_level_enabled={k: True for k in _kinds("DASHBOARD_ROW_EXPORTS", ",".join(KINDS))},
    max_rows=int(os.environ.get("DASHBOARD_EXPORT_MAX_ROWS", "200000")),
)
TABLE_PREVIEW_ROWS = 500
