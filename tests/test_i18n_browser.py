"""In a real browser, a Spanish link gives the page <html lang="es"> (screen readers pick their voice from it)."""

import pytest

from tests.app_server import wait_for_script
from tests.browser_checks import choose_first_category

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


def test_the_language_link_opens_the_same_view_in_the_other_language(browser, app_url):
    """ "Ver en español" keeps the page and its choices (rates, in the link, in Spanish words) and turns it
    Spanish; and back."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{app_url}/crime?measure=Per+1%2C000+residents")
    wait_for_script(page)
    page.get_by_role("link", name="Ver en español").click()
    page.wait_for_function("() => location.search.includes('lang=es')", timeout=20_000)
    wait_for_script(page)
    page.wait_for_function("() => document.documentElement.lang === 'es'", timeout=20_000)
    assert page.locator("h1").first.inner_text() == "Delitos"
    assert "measure=" in page.evaluate("() => location.search")
    checked = page.locator("[data-testid=stButtonGroup] button[aria-checked=true]").all_inner_texts()
    assert "Por cada 1.000 residentes" in checked  # the rates chosen before, now worded in Spanish
    # the Spanish page's own link keeps them, in its words, through another filter's change
    choose_first_category(page)
    page.wait_for_function("() => location.search.includes('offense=')", timeout=20_000)
    wait_for_script(page)
    assert "measure=Por+cada+1.000+residentes" in page.evaluate("() => location.search")
    page.get_by_role("link", name="View in English").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=20_000)
    wait_for_script(page)
    assert page.locator("h1").first.inner_text() == "Crime"
    search = page.evaluate("() => location.search")
    assert "measure=Per+1%2C000+residents" in search and "offense=" in search and "lang" not in search
    page.context.close()
