"""About & methodology: how each figure is counted, how places are assigned, what is hidden and why."""

from ui import about_page

about_page.render()
