"""Data & downloads: every source's provenance, the data dictionary, and downloads."""

from ui import data_page

data_page.render()
