"""Build the embedded demo city on first start, so a fresh clone shows data with no network.

Only `demo` sources are ever built here: a visitor's page view must never reach an upstream feed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from loaders.catalog import Catalog, load_catalog
from store import snapshots
from store.cityindex import read_city_index

if TYPE_CHECKING:
    from loaders.refresh import SourceOutcome

DEMO_CITY = "demo"


def ensure_demo(cache_root: Path | str, catalog: Catalog | None = None) -> list[SourceOutcome]:
    """Refresh the demo city when any of its snapshots is missing; return what was done."""
    catalog = catalog or load_catalog()
    root = Path(cache_root)
    sources = [s for s in catalog.for_city(DEMO_CITY) if s.platform == "demo"]
    is_complete = read_city_index(root, DEMO_CITY) is not None and all(
        snapshots.current(root, s.source_id) is not None for s in sources
    )
    if is_complete:
        return []
    # Only a first start builds anything; the loader stack (requests, shapely) stays out of the
    # web server's start-up otherwise.
    from loaders.refresh import RefreshOptions, refresh

    return refresh(catalog, RefreshOptions(cache_root=root), source_ids=[s.source_id for s in sources])
