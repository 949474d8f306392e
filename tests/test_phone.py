"""A resident on a phone (390 × 844, touch, a mobile browser): filters on screen, the map on request."""

import pytest

from tests.app_server import wait_for_script
from tests.browser_checks import PHONE, new_context

pytestmark = pytest.mark.browser
SCROLLED = "() => window.scrollY + [...document.querySelectorAll('*')].reduce((a, e) => a + e.scrollTop, 0)"


def _drag_up(touch, x: float, y: float) -> None:
    """A finger put down at (x, y) and moved 250 px up, through the browser's own touch input."""
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        point = {"x": x, "y": y - 25 * step}
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _drawn(page) -> None:
    wait_for_script(page, timeout_ms=90_000)  # a first visit on a busy 2-core machine can be slow
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=90_000)


def test_on_a_phone_the_filters_are_on_screen_and_the_map_waits_to_be_asked_for(browser, app_url):
    """The dates and neighborhoods are one tap away on the first screen with the sidebar closed; the
    map is drawn only when asked for, and a finger dragging over it scrolls the page instead of the map."""
    context = new_context(browser, "phone")
    page = context.new_page()
    page.goto(f"{app_url}/crime")
    _drawn(page)
    assert page.locator("[data-testid=stExpandSidebarButton]").is_visible(), "the sidebar starts closed"
    button = page.locator("[data-testid=stMain] .st-key-place_and_dates").get_by_role("button")
    box = button.first.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] / 4, "the filters' button"
    button.first.tap()
    panel = page.get_by_role("dialog", name="Dates and places")
    for field in ("From", "To", "Neighborhoods"):
        box = panel.get_by_label(field, exact=True).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], field
    page.keyboard.press("Escape")
    the_map = page.locator(".js-plotly-plot").filter(has=page.locator("canvas"))
    assert the_map.count() == 0, "a phone gets the map only when it asks"
    page.get_by_text("Show the map").click()
    _drawn(page)
    the_map.first.wait_for(timeout=30_000)
    the_map.first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = the_map.first.bounding_box()
    before = page.evaluate(SCROLLED)
    _drag_up(context.new_cdp_session(page), box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(500)
    assert page.evaluate(SCROLLED) > before + 100, "the drag over the map should have scrolled the page"
    context.close()
