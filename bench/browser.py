"""Speed a person feels: every page in real Chromium, against a bare Streamlit floor measured in the same run.

    python -m bench.browser                 # every page at 1400×1000 and 390×844 (about 50 minutes)
    python -m bench.browser --changes 10   # the same with 10 filter changes per page (about 35 minutes)
    python -m bench.browser --before-dir /tmp/old-checkout   # that commit measured in the same run

Per page and viewport, in a fresh browser context per visit: the time from navigation to the last
chart drawn (the last change to any plotly chart's DOM; on a page without charts, to the main area
or the sidebar, where a person sees the filters drawn), and in one warm session the time from a
"From" date typed into the filter to every chart redrawn (p50 over `--changes` dates). The floor is `bench/floor_app.py`: the same number and kinds of
charts on the same snapshots, nothing else. Visits to the app and to the floor alternate, so a busy
moment on the shared machine costs both. Also recorded, to trace where the time goes: when the
script finished, how many charts were drawn and how many bytes the websocket brought.
Results (absolute figures, ratios, load average) go to bench/out/browser/. Exit 1 when a page is
slower than 1.1× its floor; 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "browser"
PAGES = ("overview", "crime", "complaints", "use-of-force", "neighborhood", "data", "about")
CHART_PAGES = ("overview", "crime", "complaints", "use-of-force", "neighborhood")
TARGET = 1.1
QUIET_MS = 1000  # no chart changed for this long after the script finished: drawing is over
QUIET_WARM_MS = 600  # the same in a warm session, where nothing is left to load
# A phone as a resident has one: a narrow touch screen and a mobile browser's user agent.
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)
VIEWPORTS = {"desktop": (1400, 1000), "phone": (390, 844)}

# Records, per animation-free DOM change, when a chart or the page (main area or sidebar) last
# changed, and whether the script has run since the mark was reset; performance.now() counts from
# navigation start.
OBSERVER = """
window.__bench = {chart: 0, main: 0, ran: false, done: 0};
new MutationObserver((records) => {
  const now = performance.now();
  for (const r of records) {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (!el) continue;
    if (r.attributeName === 'data-test-script-state') {
      const state = el.getAttribute('data-test-script-state');
      if (state === 'running') window.__bench.ran = true;
      if (state === 'notRunning' && window.__bench.ran) window.__bench.done = now;
      continue;
    }
    if (el.closest('.js-plotly-plot') || (el.querySelector && el.querySelector('.js-plotly-plot'))) {
      window.__bench.chart = now;
    }
    if (el.closest('[data-testid="stMain"], [data-testid="stSidebar"]')) window.__bench.main = now;
  }
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
SETTLED = """(quiet) => {
  const b = window.__bench;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!b || !b.done || !app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;  // a lazy element still loading
  return performance.now() - Math.max(b.chart, b.main, b.done) > quiet;
}"""


@dataclass(frozen=True)
class Options:
    visits: int = 7
    changes: int = 20
    pages: tuple[str, ...] = PAGES
    viewports: tuple[str, ...] = ("desktop", "phone")
    label: str = "now"
    before_dir: Path | None = None


@dataclass
class Visit:
    last_drawn_ms: float
    script_done_ms: float
    charts: int
    ws_kb: float


@dataclass
class Row:
    """One page at one viewport: visits and filter changes per app ("app", "floor", maybe "before")."""

    page: str
    viewport: str
    visits: dict[str, list[Visit]] = field(default_factory=dict)
    changes_ms: dict[str, list[float]] = field(default_factory=dict)


def _p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@contextmanager
def _server(script: Path, cwd: Path, cache: Path, log: Path) -> Iterator[str]:
    from bench.app import running_server, wait_healthy

    with running_server(
        cache, log, {"server.fileWatcherType": "none"}, script=str(script), cwd=cwd
    ) as server:
        wait_healthy(server)
        yield f"http://127.0.0.1:{server.port}"


def _context(browser, viewport: str):
    width, height = VIEWPORTS[viewport]
    phone = viewport == "phone"
    extra = {"is_mobile": True, "has_touch": True, "user_agent": PHONE_UA} if phone else {}
    context = browser.new_context(viewport={"width": width, "height": height}, **extra)
    context.add_init_script(OBSERVER)
    return context


class Unsettled(Exception):
    """A page that never settled: its screenshot and marks are kept in bench/out/browser/."""


def _settle(page, quiet_ms: int = QUIET_MS) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(SETTLED, arg=quiet_ms, timeout=60_000, polling=100)
    except PlaywrightTimeout:
        shot = OUT / f"unsettled-{time.strftime('%H%M%S')}.png"
        page.screenshot(path=shot, full_page=True)
        marks = page.evaluate("() => window.__bench")
        raise Unsettled(f"{page.url} never settled (marks {marks}); screenshot {shot.name}") from None
    return page.evaluate(
        "() => ({...window.__bench, charts: document.querySelectorAll('.js-plotly-plot').length})"
    )


def visit(browser, url: str, viewport: str) -> Visit:
    """One first visit in a fresh context: navigation to the last chart drawn."""
    context = _context(browser, viewport)
    page = context.new_page()
    received = [0]
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda data: received.__setitem__(0, received[0] + len(data))),
    )
    try:
        page.goto(url, wait_until="commit")
        marks = _settle(page)
    finally:
        context.close()
    drawn = marks["chart"] if marks["charts"] else max(marks["main"], marks["done"])
    return Visit(round(drawn), round(marks["done"]), marks["charts"], round(received[0] / 1024, 1))


def filter_changes(browser, url: str, viewport: str, count: int) -> list[float]:
    """In one warm session: milliseconds from a day picked in the "From" calendar (by its keys) to every chart redrawn."""
    context = _context(browser, viewport)
    try:
        page = context.new_page()
        page.goto(url)
        _settle(page)
        return [_one_change(page) for _ in range(count)]
    finally:
        context.close()


def _one_change(page) -> float:
    # The calendar's own keys: open it, go back a month, pick that day. (Where the filters wait behind
    # a button or in the closed sidebar a person would open that first; it is not part of the timing.)
    calendar = page.locator('[data-testid="stDateInputCalendarButton"]').first
    if not calendar.is_visible():
        page.locator('[data-testid="stMain"] [data-testid="stPopoverButton"]').first.click()
        calendar.wait_for(timeout=10_000)
    calendar.focus()
    page.keyboard.press("Enter")
    page.locator("[role=dialog] [role=grid]").first.wait_for(timeout=10_000)
    page.keyboard.press("PageUp")
    start = page.evaluate(
        "() => { window.__bench.ran = false; window.__bench.done = 0; return performance.now(); }"
    )
    page.keyboard.press("Enter")
    marks = _settle(page, QUIET_WARM_MS)
    return round(max(marks["chart"], marks["done"]) - start)


def _url(base: str, page: str) -> str:
    """The page's url path, the same in the app and the floor; the overview is the site's root."""
    return f"{base}/{'' if page == 'overview' else page}"


def run(options: Options, cache: Path) -> list[Row]:
    from playwright.sync_api import sync_playwright

    from tests.app_server import CHROMIUM, CHROMIUM_ARGS

    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    apps = {"app": (REPO / "dashboard.py", REPO), "floor": (REPO / "bench" / "floor_app.py", REPO)}
    if options.before_dir:
        apps["before"] = (options.before_dir / "dashboard.py", options.before_dir)
    with ExitStack() as stack:
        bases = {
            name: stack.enter_context(_server(script, cwd, cache, OUT / f"{name}.log"))
            for name, (script, cwd) in apps.items()
        }
        browser = stack.enter_context(sync_playwright()).chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        for base in bases.values():  # the first view of each server pays its imports: not a visitor's
            visit(browser, base, "desktop")
        for viewport in options.viewports:
            for page in options.pages:
                row = Row(page, viewport, {n: [] for n in bases}, {n: [] for n in bases})
                for _ in range(options.visits):  # interleaved: a busy moment costs every app alike
                    for name, base in bases.items():
                        row.visits[name].append(_twice(visit, browser, _url(base, page), viewport))
                if page in CHART_PAGES and options.changes:
                    for name, base in bases.items():
                        row.changes_ms[name] = _twice(
                            filter_changes, browser, _url(base, page), viewport, options.changes
                        )
                print(_line(row), flush=True)
                rows.append(row)
        browser.close()
    return rows


def _twice(measure, *args):
    """One more try for a visit that never settled, so one lost moment does not end an hour's run;
    a second failure ends it (something is wrong with the page, and the screenshot shows what)."""
    try:
        return measure(*args)
    except Unsettled as exc:
        print(f"bench.browser: {exc}; measuring it again", flush=True)
        return measure(*args)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _figures(row: Row, app: str = "app") -> dict:
    visits, floor = row.visits.get(app, []), row.visits["floor"]
    load, load_floor = _p50([v.last_drawn_ms for v in visits]), _p50([v.last_drawn_ms for v in floor])
    change, change_floor = _p50(row.changes_ms.get(app, [])), _p50(row.changes_ms["floor"])
    return {
        "load": load,
        "load_floor": load_floor,
        "load_ratio": _ratio(load, load_floor),
        "change": change,
        "change_floor": change_floor,
        "change_ratio": _ratio(change, change_floor),
        "script": _p50([v.script_done_ms for v in visits]),
        "charts": (visits[0].charts if visits else 0, floor[0].charts if floor else 0),
        "ws_kb": (_p50([v.ws_kb for v in visits]), _p50([v.ws_kb for v in floor])),
    }


def _s(ms: float | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f} s"


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}×"


def _line(row: Row) -> str:
    parts = []
    for app in [a for a in ("before", "app") if a in row.visits]:
        f = _figures(row, app)
        parts.append(
            f"{app}: load {_s(f['load'])} / floor {_s(f['load_floor'])} = {_x(f['load_ratio'])}, "
            f"change {_s(f['change'])} / {_s(f['change_floor'])} = {_x(f['change_ratio'])}, "
            f"charts {f['charts'][0]}/{f['charts'][1]}, ws {f['ws_kb'][0]}/{f['ws_kb'][1]} KB"
        )
    return f"{row.page:13} {row.viewport:8} " + " | ".join(parts)


def is_met(row: Row, app: str = "app") -> bool:
    f = _figures(row, app)
    return all(r is None or r <= TARGET for r in (f["load_ratio"], f["change_ratio"]))


def report(rows: list[Row], options: Options, loads: tuple[float, float]) -> str:
    head = (
        f"# Browser benchmark ({options.label})\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average {loads[0]:.2f} before, {loads[1]:.2f} after; {options.visits} fresh visits per page "
        f"(p50), {options.changes} filter changes (p50); target every ratio ≤ {TARGET}×. "
        '"before" is the checkout given with --before-dir, measured in the same run.\n\n'
        "| page | viewport | app | first visit | floor | ratio | filter change | floor | ratio "
        "| script done | charts app/floor | websocket KB app/floor | met |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = []
    for row in rows:
        for app in [a for a in ("before", "app") if a in row.visits]:
            f = _figures(row, app)
            body.append(
                f"| {row.page} | {row.viewport} | {'now' if app == 'app' else app} | {_s(f['load'])} "
                f"| {_s(f['load_floor'])} | {_x(f['load_ratio'])} | {_s(f['change'])} | {_s(f['change_floor'])} "
                f"| {_x(f['change_ratio'])} | {_s(f['script'])} | {f['charts'][0]}/{f['charts'][1]} "
                f"| {f['ws_kb'][0]}/{f['ws_kb'][1]} | {'yes' if is_met(row, app) else 'NO'} |"
            )
    return head + "\n".join(body) + "\n"


def _demo_cache() -> Path:
    from loaders.bootstrap import ensure_demo

    root = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    outcomes = ensure_demo(root)
    if not all(o.status == "ok" for o in outcomes):
        raise RuntimeError("Demo City could not be built")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n")[0])
    # Seven: the p50 of three fresh visits moved by a tenth between runs of the same code here.
    parser.add_argument("--visits", type=int, default=7, help="fresh visits per page and viewport")
    parser.add_argument("--changes", type=int, default=20, help="filter changes in the warm session")
    parser.add_argument("--page", action="append", choices=PAGES, help="only these pages (repeatable)")
    parser.add_argument("--viewport", action="append", choices=tuple(VIEWPORTS), help="only these")
    parser.add_argument("--label", default="now", help="names the results file (before, after)")
    parser.add_argument("--before-dir", type=Path, help="an older checkout, measured beside this one")
    args = parser.parse_args(argv)
    options = Options(
        args.visits,
        args.changes,
        tuple(args.page or PAGES),
        tuple(args.viewport or VIEWPORTS),
        args.label,
        args.before_dir.resolve() if args.before_dir else None,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))  # stop the servers it started
    before = os.getloadavg()[0]
    print(f"bench.browser: load average before the run {before:.2f} (fair only on an idle machine)")
    try:
        rows = run(options, _demo_cache())
    except Exception as exc:  # the reason is printed; the exit code says it did not run
        print(f"bench.browser could not run: {exc}", file=sys.stderr)
        return 2
    text = report(rows, options, (before, os.getloadavg()[0]))
    (OUT / f"results-{options.label}.md").write_text(text)
    (OUT / f"results-{options.label}.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    print(text)
    return 0 if all(is_met(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
