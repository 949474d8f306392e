"""No page makes the visitor's browser ask any other origin for anything (fonts, icons, tiles, scripts)."""

from urllib.parse import urlsplit

import pytest

from tests.app_server import wait_for_script
from tests.browser_checks import PAGES  # every page; "" is the overview

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_requests_only_its_own_origin(browser, app_url, viewport):
    """Every request of every page, at 1280 and 390 px wide, goes to the app's own origin (or is inline data)."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    own = urlsplit(app_url).netloc
    seen: list[str] = []
    context.on("request", lambda request: seen.append(request.url))
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(f"{app_url}/{path}")
            wait_for_script(page)
            page.mouse.wheel(0, 4000)  # draw what sits below the fold (the map, the records)
            page.wait_for_timeout(1500)
    finally:
        context.close()
    assert len(seen) > len(PAGES)  # the recorder saw the pages' own requests
    elsewhere = sorted(
        {u for u in seen if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own}
    )
    assert elsewhere == []
