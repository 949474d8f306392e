"""The real app in headless Chromium: map clicks filter, links reopen views, downloads match the page."""

import csv
import io
import re
import zipfile

import pytest

from tests.app_server import wait_for_script
from tests.browser_checks import choose_first_category

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield context.new_page()
    context.close()


def _headline(page) -> str:
    return page.locator(".st-key-headline strong").first.inner_text()


def _figure(text: str) -> int:
    return int(re.search(r": ([\d,]+) ", text).group(1).replace(",", ""))


def test_map_click_filters_and_the_copied_link_reopens_the_view(page, browser, app_url):
    """Clicking a neighborhood on the map filters to it; the URL then reopens the same view in a new tab."""
    page.goto(f"{app_url}/crime?from=2024-01-01&to=2024-12-31")
    wait_for_script(page)
    before = _headline(page)
    the_map = page.locator(".js-plotly-plot").filter(has=page.locator(".maplibregl-canvas, canvas")).first
    the_map.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the map finish drawing before clicking it
    box = the_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => window.location.search.includes('hood=')", timeout=20_000)
    wait_for_script(page)
    after = _headline(page)
    assert after != before and "all neighborhoods" not in after
    link = page.url
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(link)
    wait_for_script(fresh)
    assert _headline(fresh) == after
    fresh.context.close()


def test_a_links_dates_and_places_stay_in_the_link_while_their_panel_is_closed(page, app_url):
    """The dates and places behind the closed button stay in the address bar through another filter's
    change and a move to another page, and that page shows them."""
    page.goto(f"{app_url}/crime?hood=Alder+Park&from=2021-01-01&to=2022-06-30")
    wait_for_script(page)
    choose_first_category(page)
    page.wait_for_function("() => location.search.includes('offense=')", timeout=20_000)
    wait_for_script(page)
    assert "hood=Alder" in page.url and "from=2021-01-01" in page.url
    page.locator("[data-testid=stSidebarNav] a", has_text="Civilian complaints").click()
    page.wait_for_url(re.compile(r"/complaints\?"), timeout=20_000)
    wait_for_script(page)
    assert "hood=Alder" in page.url and "from=2021-01-01" in page.url and "to=2022-06-30" in page.url
    assert "Alder Park, Jan 2021 – Jun 2022" in _headline(page)


def test_downloaded_records_match_the_figure_on_the_page(page, app_url):
    """The records download opens as clean CSV whose row count equals the headline figure."""
    page.goto(f"{app_url}/use-of-force?hood=Alder+Park&from=2021-01-01&to=2022-06-30")
    wait_for_script(page)
    shown = _figure(_headline(page))
    with page.expect_download(timeout=30_000) as download_info:
        page.get_by_role("button", name=re.compile("Download these records")).click()
    path = download_info.value.path()
    name = download_info.value.suggested_filename
    assert name.startswith("use_of_force_alder-park_2021-01-01_2022-06-30_snapshot-") and name.endswith(
        ".zip"
    )
    with zipfile.ZipFile(path) as bundle:
        csv_name = next(n for n in bundle.namelist() if n.endswith(".csv"))
        notes = bundle.read("README.txt").decode()
        rows = list(csv.reader(io.StringIO(bundle.read(csv_name).decode("utf-8-sig"), newline="")))
    assert len(rows) - 1 == shown
    assert "Alder Park" in notes and "subjects" in notes
    assert "lat" not in rows[0] and "record_id" in rows[0]


def test_phone_width_page_fits_without_sideways_scrolling(browser, app_url):
    """On a 390-pixel-wide phone the page fits the screen, leads with the headline figure, and no mode bar covers a chart."""
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(f"{app_url}/complaints")
    wait_for_script(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
    assert "allegations" in _headline(phone)
    phone.locator(".js-plotly-plot").first.wait_for(timeout=20_000)
    assert phone.locator(".modebar").count() == 0, "a plotly mode bar would sit over the chart"
    phone.context.close()


def test_how_a_figure_was_counted_opens_on_demand_with_its_query_and_pinned_link(page, app_url):
    """The counting section is filled when opened: the snapshot query and a link with as_of appear."""
    page.goto(f"{app_url}/crime?from=2024-01-01&to=2024-12-31")
    wait_for_script(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=20_000)  # lazy parts of the page are in
    assert page.locator('[data-testid="stCode"]').count() == 0, "its code blocks load before anyone asks"
    page.get_by_text("How this figure was counted").first.click()
    query = page.locator("pre code").first
    query.wait_for(timeout=20_000)
    assert "SELECT" in query.inner_text()
    assert "as_of=" in page.locator("pre code").nth(1).inner_text()


def test_a_chart_table_opens_on_demand_and_downloads_under_a_telling_name(page, app_url):
    """Opening a chart's table shows its numbers and a download named after kind, area and dates."""
    page.goto(f"{app_url}/crime?from=2024-01-01&to=2024-12-31")
    wait_for_script(page)
    page.get_by_text("Show the numbers as a table").first.click()
    button = page.get_by_role("button", name=re.compile("Download this table"))
    button.first.wait_for(timeout=20_000)
    with page.expect_download(timeout=30_000) as download_info:
        button.first.click()
    name = download_info.value.suggested_filename
    assert name.startswith("crime_incident_all-neighborhoods_2024-01-01_2024-12-31_snapshot-"), name
    with zipfile.ZipFile(download_info.value.path()) as bundle:
        rows = list(csv.reader(io.StringIO(bundle.read(name.replace(".zip", ".csv")).decode("utf-8-sig"))))
    assert rows[0][:2] == ["month", "count"] and len(rows) == 13
