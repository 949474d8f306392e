"""About & methodology: how each figure is counted, how places are assigned, what is hidden and why."""

from ui import about_page
from ui.frame import leave_folder_mode

leave_folder_mode()
about_page.render()
