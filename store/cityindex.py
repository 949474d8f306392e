"""Per-city index: which datasets make up a city, so readers never list folders to find them.

<root>/_cities/<city_id>.json     (rewritten atomically by the refresh after it publishes)
<root>/_cities/index.json         (the list of city ids, same rules)
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

INDEX_DIR = "_cities"


@dataclass(frozen=True)
class CityIndex:
    city_id: str
    name: str
    time_zone: str
    reference_dataset: (
        str  # dataset id of the neighborhoods snapshot (neighborhoods.parquet + boundaries.geojson)
    )
    datasets: dict[str, list[str]] = field(default_factory=dict)  # kind -> dataset ids
    neighborhood_label: str = "Neighborhood"
    licence: str = ""
    is_synthetic: bool = False
    # Programmes the deployment names for "Did it make a difference?": title, start (ISO date),
    # neighborhoods (ids or names, as the catalogue gave them), note.
    initiatives: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CityIndex:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def reference_dataset_id(city_id: str) -> str:
    return f"{city_id}__reference"


def write_city_index(root: Path, index: CityIndex) -> None:
    folder = Path(root) / INDEX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / f"{index.city_id}.json", index.to_json())
    known = set(list_city_ids(root)) | {index.city_id}
    _atomic_write(folder / "index.json", json.dumps(sorted(known)))


def read_city_index(root: Path, city_id: str) -> CityIndex | None:
    try:
        return CityIndex.from_json((Path(root) / INDEX_DIR / f"{city_id}.json").read_text())
    except FileNotFoundError:
        return None


def list_city_ids(root: Path) -> list[str]:
    try:
        return json.loads((Path(root) / INDEX_DIR / "index.json").read_text())
    except FileNotFoundError:
        return []


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
