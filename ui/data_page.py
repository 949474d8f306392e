"""The Data & downloads page: provenance per source, the data dictionary, and the downloads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

import query
from query.db import CityData
from query.quality import unit_plural
from store.schema import schema_for
from ui import session, settings, widgets
from ui.filters import Selection
from ui.quality import render_quality


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title("Data & downloads")
    if city is None:
        st.info("No data has been published yet.")
        return
    widgets.synthetic_notice(city)
    st.markdown("Every figure on this site comes from the sources below, as fetched at the time shown.")
    for source in session.provenance(city.city_id, city.snapshot_key):
        _source_card(city, selection, source)
    st.header("Data dictionary")
    for kind in city.kinds_with_data():
        schema = schema_for(kind)
        with st.expander(f"{schema.title}: counted in {schema.unit_plural}"):
            st.caption(schema.unit_note)
            dictionary = query.data_dictionary(kind)
            st.dataframe(dictionary, hide_index=True, width="stretch")
            st.download_button(
                "Download the dictionary (CSV)",
                data=query.to_csv_bytes(dictionary),
                file_name=f"{kind}_data_dictionary.csv",
                mime="text/csv",
                on_click="ignore",
                key=f"dictionary_{kind}",
            )


def _source_card(city: CityData, selection: Selection, source: query.SourceProvenance) -> None:
    st.subheader(source.title)
    facts = {
        "Publisher": source.publisher,
        "Dataset": source.landing_page,
        "Dataset id": source.source_dataset_id or source.dataset_id,
        "Licence": source.licence,
        "Source updated": _when(source.source_updated_at, city.time_zone),
        "Fetched": _when(source.fetched_at, city.time_zone),
        "Newest record": _when(source.newest_record_at, city.time_zone),
        "Records": f"{source.row_count:,} {unit_plural(source.manifest, source.kind)}",
        "Status": "last refresh failed; showing the last good copy"
        if source.last_attempt and source.last_attempt.status == "failed"
        else source.status,
        "Snapshot": source.snapshot_id,
    }
    st.dataframe(
        pd.DataFrame({"": list(facts), "Value": list(facts.values())}), hide_index=True, width="stretch"
    )
    render_quality(source)
    filters = selection.filters(source.kind)
    described = widgets.md_escape(filters.describe(city.neighborhood_names))
    refusal = query.export_refusal(city, filters, settings.EXPORTS)
    if refusal:
        st.info(refusal)
        return
    st.download_button(
        f"Download records: {described} (CSV + notes)",
        data=lambda: query.records_bundle(city, filters, settings.EXPORTS).data,
        file_name=query.bundle_name(city, filters, "records"),
        mime="application/zip",
        on_click="ignore",
        key=f"records_{source.dataset_id}",
        icon=":material/download:",
    )


def _when(moment, time_zone: str) -> str:
    """A moment in the city's own zone, labelled with that zone (CST, EDT), not a bare 'UTC'."""
    if not moment:
        return "not published"
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"
