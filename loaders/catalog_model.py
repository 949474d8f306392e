"""The catalogue's frozen dataclasses: Catalog, City, Source (with its counting rules) and Geography."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from loaders.catalog_rules import Identity, Join, MultiValue, Quality, Rollup, RowFilter
from loaders.catalog_scores import Levels, Scores, Unpivot

DEFAULT_CATALOG = Path(__file__).with_name("sources.toml")


@dataclass(frozen=True)
class Geography:
    method: str  # point | source_field | none
    lat_field: str | None = None
    lon_field: str | None = None
    district_field: str | None = None
    boundary_field: str | None = None  # boundary property holding the same codes as district_field
    crosswalk: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class City:
    city_id: str
    name: str
    time_zone: str
    boundaries_url: str
    boundary_id_field: str
    population_url: str | None = None  # without one, rates are hidden with a note
    boundary_name_field: str | None = None
    population_id_field: str = "neighborhood_id"
    population_fields: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    neighborhood_label: str = "Neighborhood"
    licence: str = ""
    is_synthetic: bool = False
    initiatives: tuple[MappingProxyType, ...] = ()  # title, start, neighborhoods, note


@dataclass(frozen=True)
class Source:
    source_id: str
    city: str
    kind: str
    platform: str
    endpoint: str
    title: str
    publisher: str
    landing_page: str
    licence: str
    date_field: str
    fields: MappingProxyType  # canonical column -> raw column
    geography: Geography
    date_format: str = "auto"
    updated_at_field: str | None = None
    recodes: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    token_env: str | None = None
    page_size: int = 50_000
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    dataset_id: str | None = None
    is_synthetic: bool = False
    encoding: str | None = None  # text encoding of a CSV body; overrides the BOM and the HTTP charset
    row_unit: str = ""  # what one published row is; see catalog_rules.ROW_UNITS
    unit: str = ""  # what the snapshot counts once the rules below are applied
    identity: Identity = field(default_factory=Identity)
    rollup: Rollup | None = None
    multi_value: MultiValue | None = None
    join: Join | None = None
    filters: tuple[RowFilter, ...] = ()
    quality: Quality = field(default_factory=Quality)
    verified: bool | None = None  # None: not stated
    verified_note: str = ""
    unpivot: Unpivot | None = None  # a wide export read as one row per score
    levels: Levels | None = None  # the place a row describes, from which key fields are filled
    scores: Scores | None = None  # the published scale and method of a score kind

    def fields_read(self) -> dict[str, str]:
        """Every published field this entry reads from the main table -> what it is read for."""
        wanted: dict[str, str] = {self.date_field: "occurred_at"} if self.date_field else {}
        wanted |= {raw: canonical for canonical, raw in self.fields.items()}
        geo = self.geography
        for raw, role in ((geo.lat_field, "lat"), (geo.lon_field, "lon"), (geo.district_field, "district")):
            if raw:
                wanted.setdefault(raw, role)
        wanted |= {raw: "identity" for raw in self.identity.fields if raw != "*"}
        if self.rollup:
            wanted |= {raw: "rollup key" for raw in self.rollup.key if raw not in wanted}
        wanted |= {rule.field: "row filter" for rule in self.filters}
        if self.multi_value:
            wanted |= {raw: "multi-value split" for raw in self.multi_value.split_rows}
        if self.levels:
            wanted |= {raw: "level" for _, raw in self.levels.by_filled if raw not in wanted}
        if self.unpivot:
            wanted |= {raw: "score" for _, raw in self.unpivot.columns if raw not in wanted}
        joined = set(self.join.fields) - {self.join.on} if self.join else set()
        # ArcGIS geometry arrives outside the attributes, under names of our own (platforms/base.py).
        ours = {"__geometry_x", "__geometry_y"}
        return {raw: role for raw, role in wanted.items() if raw not in joined | ours}

    def reads_column(self, name: str) -> bool:
        """Whether a published column found in the header is read although no key names it: every
        column with identity fields = ["*"], and every score column an [unpivot] rule recognises."""
        return self.identity.fields == ("*",) or bool(self.unpivot and self.unpivot.read(name))

    @property
    def is_reshaped(self) -> bool:
        """Whether rows were filtered, split, joined, merged or dropped here, so that the
        publisher's own count of its rows is not the count we publish."""
        multi = self.multi_value
        return bool(
            self.filters
            or self.rollup
            or self.join
            or (multi and multi.split_rows)
            or self.unpivot
            or self.identity.duplicates != "refuse"
        )

    def rules_in_words(self) -> list[str]:
        """Every counting rule of this source as a sentence, for the data page and download notes."""
        words = [f"One published row is one {self.row_unit}; figures count {self.unit}s."]
        words.append(self.identity.describe(self.fields.get("record_id")))
        if self.rollup:
            words.append(self.rollup.describe(self.row_unit))
        if self.multi_value and self.multi_value.describe():
            words.append(self.multi_value.describe())
        if self.join:
            words.append(self.join.describe())
        if self.filters:
            words.append("Kept at ingest: " + "; ".join(f.describe() for f in self.filters) + ".")
        words += [rule.describe() for rule in (self.unpivot, self.levels, self.scores) if rule]
        return words


@dataclass(frozen=True)
class Catalog:
    cities: MappingProxyType
    sources: tuple[Source, ...]
    path: Path = DEFAULT_CATALOG

    def source(self, source_id: str) -> Source:
        for src in self.sources:
            if src.source_id == source_id:
                return src
        raise KeyError(f"no source {source_id!r} in {self.path}")

    def for_city(self, city_id: str) -> list[Source]:
        return [s for s in self.sources if s.city == city_id]
