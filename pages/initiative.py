"""Did it make a difference? A programme's neighborhoods before and after, against the rest of the city."""

from ui import initiative_page
from ui.frame import leave_folder_mode

leave_folder_mode()
initiative_page.render()
