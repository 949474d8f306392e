"""One adapter per platform, looked up by the catalogue's `platform` value."""

from __future__ import annotations

from importlib import import_module

from loaders.platforms.base import PlatformAdapter

_ADAPTERS = {
    "socrata": ("loaders.platforms.socrata", "SocrataAdapter"),
    "arcgis": ("loaders.platforms.arcgis", "ArcGISAdapter"),
    "ckan": ("loaders.platforms.ckan", "CkanAdapter"),
    "csv": ("loaders.platforms.csvurl", "CsvAdapter"),
    "demo": ("loaders.platforms.demo", "DemoAdapter"),
}


def adapter_for(platform: str) -> PlatformAdapter:
    module, name = _ADAPTERS[platform]
    return getattr(import_module(module), name)()
