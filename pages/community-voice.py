"""The Community voice page: residents' trust and safety scores beside the records for the same place."""

from ui.frame import leave_folder_mode
from ui.voice_page import render

leave_folder_mode()
render()
