"""In a real browser, a Spanish link gives the page <html lang="es"> (screen readers pick their voice from it)."""

import pytest

from tests.app_server import wait_for_script

pytestmark = pytest.mark.browser


def test_html_lang_follows_the_link_language(browser, app_url):
    """lang=es: <html lang="es">, Spanish headings, kept across pages; no lang: "en" and the English heading."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{app_url}/crime?lang=es")
    wait_for_script(page)
    page.wait_for_function("() => document.documentElement.lang === 'es'", timeout=20_000)
    assert page.locator("h1").first.inner_text() == "Delitos"
    # another page through the navigation stays Spanish, and its link says so
    page.locator("[data-testid=stSidebarNavLink]", has_text="Uso de la fuerza").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/use-of-force')", timeout=20_000)
    wait_for_script(page)
    page.wait_for_function("() => location.search.includes('lang=es')", timeout=20_000)
    assert page.locator("h1").first.inner_text() == "Uso de la fuerza"
    assert page.evaluate("() => document.documentElement.lang") == "es"
    page.goto(f"{app_url}/crime")
    wait_for_script(page)
    assert page.locator("h1").first.inner_text() == "Crime"
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.context.close()
