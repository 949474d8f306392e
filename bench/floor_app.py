"""The floor of `python -m bench.browser`: a bare Streamlit app drawing each page's charts, nothing else.

For every page of the dashboard, at the same url path (`/crime`, ...), it draws the same number
and kinds of plotly charts from the same snapshots (the usual pattern: pandas frames held by
`st.cache_data`, grouped per view), with a "From" date at the top of every page that redraws every
chart, where and as the dashboard's does. It has no disclosure gate, no captions, no tables and no
styling: what Streamlit and plotly alone cost.
The map is the dashboard's own boundaries, so the browser draws the same shapes.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

SOURCES = {"crime": "demo_crime", "complaints": "demo_complaints", "use_of_force": "demo_use_of_force"}
CATEGORY = {"crime": "offense_category", "complaints": "allegation_category", "use_of_force": "force_type"}
PERSON = {"complaints": "complainant", "use_of_force": "subject"}
KIND_OF_PAGE = {"crime": "crime", "complaints": "complaints", "use-of-force": "use_of_force"}


def _snapshot(source_id: str) -> Path:
    root = Path(os.environ["DASHBOARD_CACHE"]) / source_id
    return root / (root / "CURRENT").read_text().strip()


@st.cache_data
def frame(kind: str) -> pd.DataFrame:
    return pd.read_parquet(_snapshot(SOURCES[kind]) / "data.parquet")


@st.cache_data
def boundaries() -> dict:
    return json.loads((_snapshot("demo__reference") / "boundaries.geojson").read_text())


def line(df: pd.DataFrame) -> go.Figure:
    months = df.groupby("occurred_month").size()
    return go.Figure(go.Scatter(x=months.index, y=months.values, mode="lines+markers"))


def bars(df: pd.DataFrame, column: str) -> go.Figure:
    counts = df[column].value_counts().sort_values()
    return go.Figure(go.Bar(x=counts.values, y=counts.index.astype(str), orientation="h"))


def ranked(df: pd.DataFrame) -> go.Figure:
    counts = df["neighborhood_name"].value_counts().head(15).sort_values()
    return go.Figure(go.Bar(x=counts.values, y=counts.index.astype(str), orientation="h"))


def choropleth(df: pd.DataFrame) -> go.Figure:
    counts = df["neighborhood_id"].value_counts()
    area = go.Choroplethmap(
        geojson=boundaries(),
        locations=counts.index,
        z=counts.values,
        featureidkey="properties.neighborhood_id",
    )
    centre = {"lon": float(frame("crime")["lon"].median()), "lat": float(frame("crime")["lat"].median())}
    return go.Figure(area, layout={"map": {"style": "white-bg", "center": centre, "zoom": 10}})


def compare(df: pd.DataFrame, column: str) -> go.Figure:
    share = df[column].value_counts(normalize=True).sort_values()
    residents = pd.Series(1 / len(share), index=share.index)
    return go.Figure(
        [
            go.Bar(x=share.values, y=share.index.astype(str), orientation="h"),
            go.Bar(x=residents.values, y=residents.index.astype(str), orientation="h"),
        ],
        layout={"barmode": "group"},
    )


def kind_charts(kind: str, df: pd.DataFrame) -> None:
    st.plotly_chart(line(df))
    st.plotly_chart(bars(df, CATEGORY[kind]))
    if kind == "complaints":
        st.plotly_chart(bars(df, "finding"))
    st.plotly_chart(choropleth(df))
    st.plotly_chart(ranked(df))
    if kind in PERSON:
        who = PERSON[kind]
        st.plotly_chart(compare(df, f"{who}_race"))
        st.plotly_chart(bars(df, f"{who}_sex"))
        st.plotly_chart(bars(df, f"{who}_age"))


def since(kind: str, start: date) -> pd.DataFrame:
    df = frame(kind)
    return df[df["occurred_date"] >= start]


def draw(page: str, start: date) -> None:
    st.title(page)
    if page == "overview":
        for kind in SOURCES:
            st.plotly_chart(line(since(kind, start)))
    elif page in KIND_OF_PAGE:
        kind_charts(KIND_OF_PAGE[page], since(KIND_OF_PAGE[page], start))
    elif page == "neighborhood":
        for kind in SOURCES:
            df = since(kind, start)
            df = df[df["neighborhood_id"] == df["neighborhood_id"].iloc[0]]
            st.plotly_chart(line(df))
            st.plotly_chart(bars(df, CATEGORY[kind]))
            if kind == "use_of_force":
                st.plotly_chart(compare(df, "subject_race"))
    else:
        st.markdown("A bare text page.")


def _page(name: str) -> st.Page:
    # At the dashboard's own url path: a deep link costs a Streamlit app one more round of start-up
    # requests than the site's root (its first guess of the server's base path is the page's path).
    return st.Page(
        lambda: draw(name, start),
        title=name,
        url_path="home" if name == "overview" else name,
        default=name == "overview",
    )


PAGES = ("overview", *KIND_OF_PAGE, "neighborhood", "data", "about")
navigation = st.navigation([_page(name) for name in PAGES], position="hidden")
# Above the page, as the dashboard's filters are (a phone reaches them without opening the sidebar).
start = st.date_input("From", value=date(2024, 1, 1), format="YYYY-MM-DD")
navigation.run()
