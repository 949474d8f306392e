"""The neighborhood page: one place's figures beside the whole city's, and its brief as a file."""

from ui.neighborhood_page import render

render()
