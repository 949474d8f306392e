"""The public-site settings in .streamlit/config.toml, and the app code that relies on them."""

import ast
import base64
import hashlib
import re
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


def test_the_readme_gives_the_content_security_policy_hash_of_every_inline_script():
    """A site run under the README's CSP blocks an inline script whose hash it does not list: each
    script the pages carry has its sha256 there."""
    from ui import widgets

    readme = (ROOT / "README.md").read_text()
    scripts = re.findall(r"<script>(.*?)</script>", widgets.PAGE_SCRIPTS, re.S)
    assert len(scripts) == 2
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in readme, f"README.md lacks the hash of {body[:60]!r}…"


# Three st.html calls are allowed, all in ui/widgets.py: constant scripts that copy the page's
# language onto <html lang> (the code comes from query.i18n.LANGUAGES, never from the link;
# tests/test_i18n.py checks) and give Tab a way into the filter panels, the site's constant
# stylesheet (CSS only), and the short tables
# (every value escaped; tests/test_hostile_city.py checks that only table markup comes out).
HTML_ALLOWED = ("widgets.py", ("page_language", "short_table"))


def _allowed_lines(path: Path, tree: ast.AST) -> set[int]:
    if path.name != HTML_ALLOWED[0]:
        return set()
    return {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in HTML_ALLOWED[1]
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def _is_the_stylesheet(path: Path, node: ast.Call) -> bool:
    """ui/widgets.py's st.html call handing over the constant stylesheet file and nothing else."""
    arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
    return path.name == "widgets.py" and isinstance(arg, ast.Name) and arg.id == "STYLESHEET"


def test_no_page_offers_an_upload_or_raw_html():
    """No module calls st.file_uploader, st.html or Markdown with unsafe_allow_html, but the fixed
    <html lang> script, the constant stylesheet and the escaped short tables."""
    found = []
    for path in [*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"]:
        tree = ast.parse(path.read_text())
        allowed = _allowed_lines(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "html" and (node.lineno in allowed or _is_the_stylesheet(path, node)):
                    continue
                if node.func.attr in ("file_uploader", "html", "camera_input", "audio_input"):
                    found.append(f"{path.name}:{node.lineno} {node.func.attr}")
                if any(k.arg == "unsafe_allow_html" for k in node.keywords):
                    found.append(f"{path.name}:{node.lineno} unsafe_allow_html")
    assert found == []
    assert "<" not in (ROOT / "ui" / "assets" / "site.css").read_text()  # no tag can ride in with the CSS
