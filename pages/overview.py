"""Overview: city-wide figures per kind for the chosen period, monthly trends, highest rates, freshness."""

from ui import overview
from ui.frame import leave_folder_mode

leave_folder_mode()
overview.render()
