"""`python -m loaders refresh [SOURCE ...] [--city C] [--full]` and `python -m loaders check [--probe SOURCE]`."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from loaders.catalog import DEFAULT_CATALOG, CatalogError, load_catalog
from loaders.errors import FeedError
from loaders.parallel import local_root, refresh_all
from loaders.probe import probe
from loaders.refresh import RefreshOptions, SourceOutcome
from store import DEFAULT_CACHE_ROOT
from store.objectstore import is_object_store


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check":
        print(f"{args.catalog}: {len(catalog.sources)} sources in {len(catalog.cities)} cities, no problems")
        return _probe(catalog, args.probe) if args.probe else 0
    options = RefreshOptions(
        cache_root=local_root(args.cache),
        is_full=args.full,
        page_size=args.page_size,
        is_drop_allowed=args.allow_drop,
    )
    try:
        store_url = args.cache if is_object_store(args.cache) else None
        outcomes = refresh_all(
            catalog, options, args.sources, args.city, _ProgressLine(), jobs=args.jobs, store_url=store_url
        )
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(summary_table(outcomes))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loaders", description=__doc__)
    parser.add_argument(
        "--catalog", default=str(DEFAULT_CATALOG), help="catalogue file (default: %(default)s)"
    )
    parser.add_argument(
        "--cache",
        default=DEFAULT_CACHE_ROOT,
        help="snapshot folder or s3://bucket/prefix (default: %(default)s)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log details, with tracebacks of unexpected errors"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the catalogue and report every problem")
    check.add_argument(
        "--probe", metavar="SOURCE", help="also fetch one small page of SOURCE and report what it holds"
    )
    run = sub.add_parser("refresh", help="pull sources and publish snapshots")
    run.add_argument("sources", nargs="*", help="source ids (default: every source)")
    run.add_argument("--city", action="append", default=[], help="every source of this city (repeatable)")
    run.add_argument("--full", action="store_true", help="full pull and reconciliation (sees deletions)")
    run.add_argument("--page-size", type=int, default=None, help="override the catalogue's page size")
    run.add_argument("--allow-drop", action="store_true", help="publish even if the row count fell sharply")
    run.add_argument("--jobs", type=int, default=1, help="sources refreshed at once, one process each")
    return parser


def _probe(catalog, source_id: str) -> int:
    try:
        print(probe(catalog, source_id))
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except FeedError as exc:
        print(f"probe failed: {exc}", file=sys.stderr)
        return 1
    return 0


class _ProgressLine:
    """Progress on stderr, at most twice a second, so a long pull shows it is alive."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, source_id: str, pages: int, rows: int, seconds: float) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        rate = rows / seconds if seconds else 0
        print(f"  {source_id}: {pages:,} pages, {rows:,} rows, {rate:,.0f} rows/s", file=sys.stderr)


def summary_table(outcomes: list[SourceOutcome]) -> str:
    header = ("source", "status", "mode", "rows", "pulled", "new", "removed", "seconds", "rows/s")
    lines = [header] + [
        (
            o.source_id,
            o.status,
            o.mode,
            f"{o.rows:,}",
            f"{o.pulled:,}",
            f"{o.new_rows:,}",
            f"{o.removed_rows:,}",
            f"{o.duration_s:.1f}",
            f"{o.rows_per_s:,.0f}",
        )
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in lines]
    problems = [f"! {o.message}" for o in outcomes if o.status == "failed"]
    unmapped = [
        f"  {o.source_id} shows as published (no recode): {line}" for o in outcomes for line in o.unmapped
    ]
    return "\n".join(text + problems + (["", "Values no recode table knows:", *unmapped] if unmapped else []))


if __name__ == "__main__":
    sys.exit(main())
