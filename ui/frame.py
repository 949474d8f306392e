"""The page frame: make every page run inside the entry point's navigation and filters.

Streamlit still honours its first multipage design, a `pages/` folder beside the entry point: until
`st.navigation` has been called once in a process, the first visit runs the script named by the
URL on its own, without the entry point (no navigation, no filters). A deep link to a freshly
started server would show a broken page, and every later visit would stay in that mode. So the
entry point and every page first leave that mode and, if they were run in it, run again as the
frame meant them to (upstream: streamlit/streamlit#9624; `tests/test_deep_link.py` proves it).
Each script is named exactly as its url path (pages/use-of-force.py for /use-of-force), so that
folder mode finds the page asked for instead of flashing "Page not found" before the rerun.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.commands.execution_control import _force_yield_point
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    ScriptRunContext,
    get_script_run_ctx,
)


def leave_folder_mode() -> None:
    """Run again through `st.navigation` if Streamlit ran this script in `pages/` folder mode."""
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    if ctx is None or ctx.script_requests is None:
        return
    # `st.rerun()` would keep the page folder mode chose. The page asked for (its hash, else its
    # name in the URL: "use-of-force", not a file) is resolved again among the entry point's pages.
    ctx.script_requests.request_rerun(
        RerunData(
            query_string=ctx.query_string,
            page_script_hash=ctx.pages_manager.intended_page_script_hash or "",
            # the run is abandoned before any widget is drawn: its widget values go with it
            widget_states=WidgetStates(widgets=ctx.session_state.get_widget_states()),
            page_name=ctx.pages_manager.intended_page_name or _folder_page_name(ctx),
            context_info=ctx.context_info,
        )
    )
    _force_yield_point()


def _folder_page_name(ctx: ScriptRunContext) -> str:
    """The url path of the script folder mode chose (pages/use-of-force.py is "use-of-force")."""
    page = ctx.pages_manager.get_pages().get(ctx.page_script_hash) or {}
    script = Path(str(page.get("script_path") or ""))
    return script.stem.replace("_", "-") if script.parent.name == "pages" else ""
