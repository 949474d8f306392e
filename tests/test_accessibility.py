"""Accessibility in headless Chromium: axe-core on every page at both widths in both languages, and a
keyboard-only journey through the filters, a chart's table and its download."""

import re

import pytest

from tests.app_server import wait_for_script
from tests.browser_checks import (
    PAGES,
    SCREENSHOTS,
    focused,
    new_context,
    serious_violations,
    small_tap_targets,
)

pytestmark = pytest.mark.browser
KEPT = {"": "overview", "crime": "crime", "neighborhood": "neighborhood"}  # screenshots at 390 px


def _drawn(page) -> None:
    """The script has finished and every lazily loaded element (charts, tables) is on the page."""
    wait_for_script(page, timeout_ms=90_000)  # a first visit on a busy 2-core machine can be slow
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=90_000)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_page_has_a_serious_accessibility_violation(browser, app_url, viewport, lang):
    """axe-core finds no serious or critical violation on any page; on a phone nothing scrolls sideways
    and every control is at least 44 px to tap (screenshots kept in tests/screenshots/)."""
    context = new_context(browser, viewport)
    page = context.new_page()
    found, wide, small = {}, {}, {}
    for path in PAGES:
        name = path or "overview"
        page.goto(f"{app_url}/{path}?lang={lang}")
        _drawn(page)
        found[name] = serious_violations(page)
        if viewport == "phone":
            wide[name] = page.evaluate("document.documentElement.scrollWidth")
            small[name] = small_tap_targets(page)
            if path in KEPT:
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(path=SCREENSHOTS / f"{KEPT[path]}-{lang}-390.png", full_page=True)
        where = "[data-testid=stMain] " if viewport == "phone" else ""  # a phone's sidebar is closed
        for number, panel in enumerate(page.locator(f"{where}[data-testid=stPopoverButton]").all()):
            opened = f"{name}, filter panel {number + 1} open"  # each panel opened is checked too
            panel.click()
            page.locator("[data-testid=stPopoverBody] [data-testid=stWidgetLabel]").first.wait_for()
            found[opened] = serious_violations(page)
            if viewport == "phone":
                small[opened] = small_tap_targets(page)
            page.keyboard.press("Escape")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
    assert {k: w for k, w in wide.items() if w > 392} == {}
    assert {k: v for k, v in small.items() if v} == {}


def _tab_to(page, wanted, limit: int = 80) -> dict:
    """Press Tab until the focused element's label matches `wanted`, checking on the way that every
    element reached shows a focus indicator; returns the element reached."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now and now["label"])
        if now is None:
            continue
        assert now["ring"], f"no visible focus indicator on {now['html']} {now['style']}"
        if re.search(wanted, now["label"] or ""):
            return now
    raise AssertionError(f"Tab never reached {wanted!r}; it went through {seen}")


def test_a_keyboard_alone_changes_every_filter_opens_a_table_and_downloads(browser, app_url):
    """With the keyboard only, a visitor opens the dates and places, changes the dates and neighborhood,
    opens a chart's table and downloads it, seeing where the focus is at every step."""
    context = new_context(browser, "desktop", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{app_url}/crime?from=2024-02-01&to=2024-12-31")
    _drawn(page)
    _tab_to(page, r"Dates and places\W*(expand_\w+)?$")  # the button, not the page around it
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Dates and places")
    panel.get_by_role("button", name="Choose date").first.wait_for()  # its widgets load when it opens
    _tab_to(page, "^Choose date$", limit=6)  # Tab goes into the open panel: "From" is first
    page.keyboard.press("Enter")
    page.locator("[role=dialog] [role=grid]").first.wait_for()
    page.keyboard.press("PageUp")  # a month earlier
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('from=2024-01-01')", timeout=20_000)
    _drawn(page)
    _tab_to(page, "Neighborhoods")
    page.keyboard.type("Alder")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('hood=Alder')", timeout=20_000)
    page.keyboard.press("Escape")
    _drawn(page)
    _tab_to(page, "Show the numbers as a table")
    page.keyboard.press("Enter")
    _drawn(page)
    page.get_by_role("button", name=re.compile("Download this table")).first.wait_for()
    _tab_to(page, "Download this table")
    with page.expect_download(timeout=30_000) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("crime_incident_alder-park_2024-01-01_2024-12-31")
    context.close()
