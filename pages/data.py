"""Data & downloads: every source's provenance, the data dictionary, and downloads."""

from ui import data_page
from ui.frame import leave_folder_mode

leave_folder_mode()
data_page.render()
