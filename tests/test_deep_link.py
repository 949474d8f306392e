"""A shared link opened on a freshly started server shows the whole frame, not a bare page script."""

import pytest

from tests.app_server import running_app, wait_for_script

pytestmark = pytest.mark.browser

NAV_TITLES = {"Overview", "Crime", "Civilian complaints", "Use of force", "Neighborhood brief"}


def test_a_deep_link_is_the_first_visit_to_a_fresh_server(browser, demo_cache):
    """The first request a new server gets is /use-of-force?hood=…: navigation, filters and the page all render."""
    with running_app(demo_cache) as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{url}/use-of-force?hood=Alder+Park")
        wait_for_script(page)
        assert page.locator("h1").first.inner_text() == "Use of force"
        assert page.get_by_text("Page not found").count() == 0
        links = {t.split("\n")[-1] for t in page.locator("[data-testid=stSidebarNavLink]").all_inner_texts()}
        assert links >= NAV_TITLES
        sidebar = page.locator("[data-testid=stSidebar]")
        assert sidebar.get_by_text("Neighborhood", exact=False).count() > 0
        assert "Alder Park" in page.locator(".st-key-headline").first.inner_text()
        assert page.locator("[data-testid=stException]").count() == 0
        # the next visitor to the same server, on another page, gets the frame too
        page.goto(f"{url}/crime")
        wait_for_script(page)
        assert page.locator("h1").first.inner_text() == "Crime"
        page.goto(f"{url}/overview")  # the default page's own path, as people share it
        wait_for_script(page)
        assert "policing at a glance" in page.locator("h1").first.inner_text()
        assert page.get_by_text("Page not found").count() == 0
        page.context.close()
