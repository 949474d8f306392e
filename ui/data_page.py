"""The Data & downloads page: provenance per source, the data dictionary, and the downloads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from query import gate, i18n
from query.gate import CityData, schema_for
from query.i18n import _
from ui import session, settings, widgets
from ui.filters import Selection
from ui.quality import render_quality


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(_("Data & downloads"), anchor=False)
    if city is None:
        st.info(_("No data has been published yet."))
        return
    widgets.synthetic_notice(city)
    st.markdown(_("Every figure on this site comes from the sources below, as fetched at the time shown."))
    for source in session.provenance(city.city_id, city.snapshot_key):
        _source_card(city, selection, source)
    st.header(_("Data dictionary"), anchor=False)
    for kind in (*city.kinds_with_data(), *city.score_kinds_with_data()):
        schema = schema_for(kind)
        label = _("{kind}: counted in {unit}").format(
            kind=i18n.term(schema.title), unit=i18n.term(schema.unit_plural)
        )
        # Built only when opened, as every expander on this page: most visitors open one or none.
        dictionary = st.expander(label, key=f"dictionary_{kind}_open", on_change="rerun")
        if dictionary.open:
            with dictionary:
                st.caption(i18n.term(schema.unit_note))
                widgets.short_table(gate.dictionary_table(kind))
                widgets.download(
                    _("Download the dictionary (CSV)"), gate.dictionary_file(kind), key=f"dictionary_{kind}"
                )


def _source_card(city: CityData, selection: Selection, source: gate.SourceProvenance) -> None:
    st.header(widgets.md_escape(source.title), anchor=False)
    facts = {
        _("Publisher"): source.publisher,
        _("Dataset"): source.landing_page,
        _("Dataset id"): source.source_dataset_id or source.dataset_id,
        _("Licence"): source.licence,
        _("Source updated"): _when(source.source_updated_at, city.time_zone),
        _("Fetched"): _when(source.fetched_at, city.time_zone),
        _("Newest record"): _when(source.newest_record_at, city.time_zone),
        _(
            "Records"
        ): f"{i18n.number(source.row_count)} {i18n.term(gate.unit_plural(source.manifest, source.kind))}",
        _("Status"): _("last refresh failed; showing the last good copy")
        if source.last_attempt and source.last_attempt.status == "failed"
        else _("ok")
        if source.status == "ok"
        else source.status,
        _("Snapshot"): source.snapshot_id,
    }
    frame = pd.DataFrame({"": list(facts), _("Value"): list(facts.values())})
    widgets.short_table(gate.plain_table(frame, "source"))
    render_quality(source, key=f"quality_{source.dataset_id}")
    filters = selection.filters(source.kind)
    described = filters.describe(city.neighborhood_names)
    refusal = gate.records_refusal(city, filters, settings.SITE)
    if refusal:
        st.info(refusal)
        return
    widgets.download_later(
        _("Download records: {selection} (CSV + notes)").format(selection=described),
        lambda: gate.records_file(city, filters, settings.SITE),
        gate.records_file_name(city, filters),
        key=f"records_{source.dataset_id}",
    )


def _when(moment, time_zone: str) -> str:
    """A moment in the city's own zone, labelled with that zone (CST, EDT), not a bare 'UTC'."""
    if not moment:
        return _("not published")
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{i18n.moment_words(local)} {local.tzname()}"
