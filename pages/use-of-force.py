"""The use of force page: trends, categories, map, demographics and records for the chosen filters."""

from ui.frame import leave_folder_mode
from ui.kind_page import render

leave_folder_mode()
render("use_of_force")
