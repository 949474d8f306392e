"""Overview: city-wide figures per kind for the chosen period, monthly trends, highest rates, freshness."""

from ui import overview

overview.render()
