"""The use of force page: trends, categories, map, demographics and records for the chosen filters."""

from ui.kind_page import render

render("use_of_force")
