"""Cached access to the read side: one DuckDB connection per set of snapshots, small results cached.

The connection lives in `st.cache_resource`, keyed on the snapshot key (the CURRENT pointers), so a
newly published snapshot is picked up on the next page view without a restart, and the old
connection is closed. Only small results are cached, never a whole dataset.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from query import gate, i18n
from query.gate import (
    CityData,
    Replica,
    ReplicaState,
    current_snapshot_key,
    is_object_store,
    list_city_ids,
    open_city,
)
from query.i18n import _
from ui import settings

PIN_PATTERN = re.compile(r"\d{8}(T\d{2,18}Z?)?")
REPO_CACHE = Path(__file__).resolve().parents[1] / "data" / "cache"
REPO_REPLICA = Path(__file__).resolve().parents[1] / "data" / "replica"
DEFAULT_CITY = "demo"
_PINNED = "_snapshot_root"  # session-state key: the local copy this run reads
log = logging.getLogger(__name__)


def _close(city: CityData | None) -> None:
    if city is not None:
        city.con.close()


PIN_PREFIX = "as_of="


@st.cache_resource(max_entries=4, show_spinner=False, on_release=_close)
def _open(root: str, city_id: str, snapshot_key: str) -> CityData | None:
    # A pinned view's key starts with its as_of, so pinned and current views are cached apart.
    as_of = (
        snapshot_key.split("|", 1)[0].removeprefix(PIN_PREFIX)
        if snapshot_key.startswith(PIN_PREFIX)
        else None
    )
    city = open_city(root, city_id, as_of)
    return replace(city, snapshot_key=snapshot_key) if city is not None else None


def _configured() -> str:
    return os.environ.get("DASHBOARD_CACHE") or str(REPO_CACHE)


def cache_root() -> Path:
    """Where the snapshots are: DASHBOARD_CACHE, else data/cache; for s3:// the local copy this run pinned."""
    configured = _configured()
    if not is_object_store(configured):
        return Path(configured)
    pinned_root = st.session_state.get(_PINNED)
    return Path(pinned_root) if pinned_root else _local_root(replica(configured).state())


@st.cache_resource(show_spinner=False)
def replica(url: str) -> Replica:
    """One poller per process: checks CURRENT every DASHBOARD_POLL_SECONDS and keeps a local copy."""
    local = (
        os.environ.get("DASHBOARD_LOCAL_COPY") or REPO_REPLICA / hashlib.sha256(url.encode()).hexdigest()[:12]
    )
    return Replica(url, Path(local), float(os.environ.get("DASHBOARD_POLL_SECONDS") or 30)).start()


def pin_snapshot_root() -> ReplicaState | None:
    """Fix the local copy for this whole run, so no page mixes two snapshots; None for a folder store."""
    configured = _configured()
    if not is_object_store(configured):
        return None
    state = replica(configured).state()
    st.session_state[_PINNED] = str(_local_root(state))
    if state.error:
        log.warning("snapshot store: %s", state.error)  # details for operators, not visitors
    return state


def _local_root(state: ReplicaState) -> Path:
    return state.root or REPO_REPLICA / "none"  # a folder that does not exist lists no cities


def store_notice(state: ReplicaState | None) -> None:
    """Say plainly when this server cannot get new data, and stop when it has none at all."""
    if state is None or not state.error:
        return
    if state.root is None:
        st.error(
            _(
                "The data store cannot be reached and this server has no copy of the data yet. "
                "Please try again in a few minutes."
            ),
            icon=":material/cloud_off:",
        )
        st.stop()
    since = datetime.fromtimestamp(state.switched_at or 0, UTC).strftime("%Y-%m-%d %H:%M UTC")
    st.warning(
        _(
            "New data could not be fetched at the last check; this page shows the copy this server received at {since}."
        ).format(since=since),
        icon=":material/cloud_off:",
    )


def city_ids() -> list[str]:
    return list_city_ids(cache_root())


def default_city(ids: list[str]) -> str:
    return DEFAULT_CITY if DEFAULT_CITY in ids or not ids else ids[0]


def open_current(city_id: str) -> CityData | None:
    """The city's data as of its current snapshots (reading the pointers is a few small file reads),
    or as of the time a pinned link names (`as_of=`)."""
    key = current_snapshot_key(cache_root(), city_id)
    as_of = pinned_as_of()
    return _open(str(cache_root()), city_id, f"{PIN_PREFIX}{as_of}|{key}" if as_of else key)


def pinned_as_of() -> str | None:
    """The link's `as_of`, when it is a snapshot time (digits, a T, digits); anything else is ignored."""
    value = st.query_params.get("as_of") or ""
    return value if PIN_PATTERN.fullmatch(value) else None


# Small results are held by reference (cache_resource), not pickled per view: they are frames a page
# only reads. Entries are capped, and keyed on the snapshot so a new snapshot starts afresh. Every
# one is what the disclosure gate returned for the site's policy. Their words (headlines, notes,
# labels) are in one language, so the language is part of every key and is set while they build.
def page(city_id: str, snapshot_key: str, filters: gate.Filters) -> gate.PublishedPage:
    return _page(city_id, snapshot_key, filters, i18n.language())


@st.cache_resource(ttl="1h", max_entries=512, show_spinner=False)
def _page(city_id: str, snapshot_key: str, filters: gate.Filters, lang: str) -> gate.PublishedPage:
    with i18n.using(lang):
        return gate.page(_open(str(cache_root()), city_id, snapshot_key), filters, settings.SITE)


def brief(city_id: str, snapshot_key: str, hood_id: str, chosen: tuple, asked: tuple = ()) -> gate.Brief:
    """A neighborhood's brief, built once per snapshot, place, dates, programmes asked for and language."""
    return _brief(city_id, snapshot_key, hood_id, chosen, asked, i18n.language())


@st.cache_resource(ttl="1h", max_entries=128, show_spinner=False)
def _brief(
    city_id: str, snapshot_key: str, hood_id: str, chosen: tuple, asked: tuple, lang: str
) -> gate.Brief:
    with i18n.using(lang):
        return gate.neighborhood_brief(
            _open(str(cache_root()), city_id, snapshot_key), hood_id, chosen, settings.SITE, asked
        )


def initiative(city_id: str, snapshot_key: str, chosen: gate.Initiative) -> gate.InitiativeReport:
    """An initiative's comparison, fitted once per snapshot, choice and language (a model per measure)."""
    return _initiative(city_id, snapshot_key, chosen, i18n.language())


@st.cache_resource(ttl="1h", max_entries=64, show_spinner=False)
def _initiative(city_id: str, snapshot_key: str, chosen: gate.Initiative, lang: str) -> gate.InitiativeReport:
    with i18n.using(lang):
        return gate.initiative_report(_open(str(cache_root()), city_id, snapshot_key), chosen)


def map_table(city_id: str, snapshot_key: str, filters: gate.Filters, is_rate: bool) -> gate.PublishedTable:
    return _map_table(city_id, snapshot_key, filters, is_rate, i18n.language())


@st.cache_resource(ttl="1h", max_entries=512, show_spinner=False)
def _map_table(
    city_id: str, snapshot_key: str, filters: gate.Filters, is_rate: bool, lang: str
) -> gate.PublishedTable:
    with i18n.using(lang):
        return gate.map_table(
            _open(str(cache_root()), city_id, snapshot_key), filters, settings.SITE, is_rate
        )


def overview(city_id: str, snapshot_key: str, date_from, date_to):
    return _overview(city_id, snapshot_key, date_from, date_to, i18n.language())


@st.cache_resource(ttl="1h", max_entries=64, show_spinner=False)
def _overview(city_id: str, snapshot_key: str, date_from, date_to, lang: str):
    with i18n.using(lang):
        return gate.overview_tables(
            _open(str(cache_root()), city_id, snapshot_key), date_from, date_to, settings.SITE
        )


def records_view(city_id: str, snapshot_key: str, filters: gate.Filters, limit: int) -> gate.RecordsView:
    return _records_view(city_id, snapshot_key, filters, limit, i18n.language())


@st.cache_resource(ttl="1h", max_entries=64, show_spinner=False)
def _records_view(
    city_id: str, snapshot_key: str, filters: gate.Filters, limit: int, lang: str
) -> gate.RecordsView:
    with i18n.using(lang):
        return gate.records_view(
            _open(str(cache_root()), city_id, snapshot_key), filters, settings.SITE, limit
        )


@st.cache_data(ttl="1h", max_entries=64, show_spinner=False)
def filter_options(city_id: str, snapshot_key: str, kind: str) -> gate.FilterOptions:
    return gate.filter_options(_open(str(cache_root()), city_id, snapshot_key), kind)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def provenance(city_id: str, snapshot_key: str) -> list[gate.SourceProvenance]:
    """Sources of the city's current snapshots; a minute's cache, since a failed refresh changes no snapshot."""
    return gate.source_provenance(_open(str(cache_root()), city_id, snapshot_key))


def voice(
    city_id: str,
    snapshot_key: str,
    hood_id: str | None,
    window: tuple,
    measure: str | None,
    group_type: str | None,
) -> gate.VoiceView | None:
    """The Community voice page's scores for one place, period, measure, group type and language."""
    return _voice(city_id, snapshot_key, hood_id, window, measure, group_type, i18n.language())


@st.cache_resource(ttl="1h", max_entries=128, show_spinner=False)
def _voice(
    city_id: str,
    snapshot_key: str,
    hood_id: str | None,
    window: tuple,
    measure: str | None,
    group_type: str | None,
    lang: str,
) -> gate.VoiceView | None:
    with i18n.using(lang):
        return gate.voice_view(
            _open(str(cache_root()), city_id, snapshot_key), hood_id, window, measure, group_type
        )
