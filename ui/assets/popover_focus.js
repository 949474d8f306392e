// Keyboard order for the filters' popover (ui/filters.py). Streamlit draws an open popover's body at
// the end of the document, so Tab from its button skipped the dates and places and went on down the
// page. Here Tab from the open button enters the body, Shift+Tab from its first control returns to
// the button, and Tab from its last control goes on to what follows the button. Installed once.
if (!window.__popoverFocus) {
  window.__popoverFocus = true;
  const TABBABLE = 'a[href], button, input, select, summary, textarea, [tabindex]:not([tabindex="-1"])';
  const shown = (el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0;
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
      const button = document.querySelector('[data-testid="stPopoverButton"][aria-expanded="true"]');
      const body = document.querySelector('[data-testid="stPopoverBody"]');
      if (!button || !body) return;
      const inside = [...body.querySelectorAll(TABBABLE)].filter(shown);
      if (!inside.length) return;
      const now = document.activeElement;
      let next = null;
      if (now === button && !event.shiftKey) next = inside[0];
      else if (now === inside[0] && event.shiftKey) next = button;
      else if (now === inside[inside.length - 1] && !event.shiftKey) {
        const page = [...document.querySelectorAll(TABBABLE)].filter((el) => shown(el) && !body.contains(el));
        next = page[page.indexOf(button) + 1] || null;
      }
      if (next) {
        event.preventDefault();
        next.focus();
      }
    },
    true,
  );
}
