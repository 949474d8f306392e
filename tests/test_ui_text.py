"""Text from feeds is inert where Streamlit renders Markdown."""

from streamlit.testing.v1 import AppTest


def _render(text: str):
    at = AppTest.from_string(
        f"import streamlit as st\nfrom ui.widgets import md_escape\nst.markdown(md_escape({text!r}))"
    )
    at.run()
    return at.markdown[0].value


def test_link_image_and_math_in_a_neighborhood_name_stay_literal():
    """A name like '[x](http://evil)' or '$x$' is escaped so it cannot become a link, image or formula."""
    hostile = "![p](http://t.example/px) [click](http://evil.example) $x^2$ *bold* <b>"
    escaped = _render(hostile)
    assert "](" not in escaped.replace("\\](", "") and "$x" not in escaped.replace("\\$x", "")
    assert escaped.replace("\\", "") == hostile, "only escapes were added; the words are unchanged"
