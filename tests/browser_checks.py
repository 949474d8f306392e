"""What the browser tests look at: axe-core in the page, a phone's context, tap targets, screenshots.

axe-core comes from PyPI (`axe-playwright-python` bundles axe.min.js, pinned in requirements-dev.txt)
and is put into the page by Playwright, so no other origin is contacted.
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python

AXE_JS = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # git-ignored; named in the README
PAGES = (
    "",
    "crime",
    "complaints",
    "use-of-force",
    "community-voice",
    "neighborhood",
    "initiative",
    "data",
    "about",
)  # "": the overview
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
# A phone as a resident has one: a narrow touch screen and a mobile browser's user agent.
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)


def new_context(browser, viewport: str, **extra):
    """A fresh context on a desktop screen, or on a phone (touch, mobile user agent)."""
    if viewport == "phone":
        return browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, user_agent=PHONE_UA, **extra
        )
    return browser.new_context(viewport=DESKTOP, **extra)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} × {v['nodes'][0]['target']} {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# Everything a finger can press outside the (closed) sidebar, with its size. Exempt (WCAG 2.5.8):
# inline links in a sentence; a skip link, 1 px until focused; an input whose label or select box
# is what the finger presses (that box is measured instead).
SMALL_TARGETS = """() => {
  const pressable = 'button, a[href], input:not([type=hidden]), select, summary, [role=button], '
    + '[role=combobox], [role=checkbox], [role=switch], [role=tab], [data-baseweb="select"] > div, '
    + '[data-testid="stToggle"] label, [data-testid="stCheckbox"] label';
  const small = [];
  for (const el of document.querySelectorAll(pressable)) {
    if (el.closest('[data-testid="stSidebar"]') || el.closest('[aria-hidden="true"]')) continue;
    if (el.closest('[data-testid="stDataFrame"]')) continue;  // the grid's hidden accessibility copy
    if (el.tagName === 'A' && el.closest('p, li') && !el.closest('[data-testid="stPageLink"]')) continue;
    if (el.tagName === 'INPUT' && el.closest('label, [data-baseweb="select"], [data-testid="stMultiSelect"], [data-testid="stSelectbox"]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.height < 43.5 || box.width < 43.5) {
      small.push(`${el.tagName} ${el.getAttribute('data-testid') || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def small_tap_targets(page) -> list[str]:
    """Pressable elements smaller than 44 × 44 CSS pixels."""
    return page.evaluate(SMALL_TARGETS)


FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  return {ring, label: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 100) || el.getAttribute('data-testid'),
          html: el.outerHTML.slice(0, 300), style: [s.outlineStyle, s.outlineWidth, s.boxShadow, el.matches(':focus-visible')]};
}"""


def focused(page) -> dict | None:
    """The focused element's label and whether a focus indicator is drawn on it."""
    return page.evaluate(FOCUS_RING)


def choose_first_category(page) -> None:
    """Open "More filters" in the sidebar and pick the first category it offers, as a visitor would."""
    page.locator("[data-testid=stSidebar] [data-testid=stPopoverButton]").first.click()
    page.locator("[data-testid=stPopoverBody] [data-testid=stMultiSelect]").first.click()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
