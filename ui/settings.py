"""Per-deployment settings, read from the environment once at start-up (no secrets here)."""

from __future__ import annotations

import os

from query.gate import SCHEMAS, ExportPolicy, SitePolicy
from query.gate import DisclosurePolicy as _DisclosurePolicy


def _kinds(variable: str, default: str) -> set[str]:
    return {k.strip() for k in os.environ.get(variable, default).split(",") if k.strip() in SCHEMAS}


# Everything a deployment decides about what may leave the site, in one value the gate applies:
# cells below DASHBOARD_SMALL_CELL in breakdowns by who are hidden (with companions where a total
# would reveal them); which kinds may leave row by row; and whether race, sex and age may leave in
# rows at all (off unless DASHBOARD_DEMOGRAPHIC_ROWS=1).
SITE = SitePolicy(
    disclosure=_DisclosurePolicy(
        threshold=int(os.environ.get("DASHBOARD_SMALL_CELL", "5")),
        is_complementary=os.environ.get("DASHBOARD_COMPLEMENTARY", "1") != "0",
    ),
    exports=ExportPolicy(
        is_row_level_enabled={k: True for k in _kinds("DASHBOARD_ROW_EXPORTS", ",".join(SCHEMAS))},
        max_rows=int(os.environ.get("DASHBOARD_EXPORT_MAX_ROWS", "200000")),
    ),
    is_demographic_rows_enabled=os.environ.get("DASHBOARD_DEMOGRAPHIC_ROWS", "0") == "1",
)
TABLE_PREVIEW_ROWS = 500
# The same policy under the names bench/ reads (it times the aggregates without the UI).
DISCLOSURE = SITE.disclosure
EXPORTS = SITE.exports
