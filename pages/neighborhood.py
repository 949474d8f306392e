"""The neighborhood page: one place's figures beside the whole city's, and its brief as a file."""

from ui.frame import leave_folder_mode
from ui.neighborhood_page import render

leave_folder_mode()
render()
