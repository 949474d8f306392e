"""The public-site settings in .streamlit/config.toml, and the app code that relies on them."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_config_is_set_for_a_public_site():
    """XSRF on, no error details, viewer toolbar, uploads at the minimum, no file watching or reruns on save."""
    server, client = CONFIG["server"], CONFIG["client"]
    assert server["enableXsrfProtection"] is True and server.get("enableCORS", True) is True
    assert client["showErrorDetails"] in ("none", False)
    assert client["toolbarMode"] == "viewer"
    assert server["maxUploadSize"] <= 1
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False
    assert server.get("enableStaticServing", False) is False
    assert CONFIG["browser"]["gatherUsageStats"] is False


# The one st.html: a constant script that copies the page's language onto <html lang> (the
# language code comes from query.i18n.LANGUAGES, never from the link; tests/test_i18n.py checks).
HTML_ALLOWED = ("widgets.py", "page_language")


def _allowed_lines(path: Path, tree: ast.AST) -> set[int]:
    if path.name != HTML_ALLOWED[0]:
        return set()
    return {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == HTML_ALLOWED[1]
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def test_no_page_offers_an_upload_or_raw_html():
    """No module calls st.file_uploader, st.html (but the fixed <html lang> script) or Markdown with unsafe_allow_html."""
    found = []
    for path in [*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"]:
        tree = ast.parse(path.read_text())
        allowed = _allowed_lines(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "html" and node.lineno in allowed:
                    continue
                if node.func.attr in ("file_uploader", "html", "camera_input", "audio_input"):
                    found.append(f"{path.name}:{node.lineno} {node.func.attr}")
                if any(k.arg == "unsafe_allow_html" for k in node.keywords):
                    found.append(f"{path.name}:{node.lineno} unsafe_allow_html")
    assert found == []
