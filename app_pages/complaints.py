"""The complaint page: trends, categories, map, demographics and records for the chosen filters."""

from ui.kind_page import render

render("complaint")
