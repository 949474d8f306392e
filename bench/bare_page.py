"""A bare Streamlit page: what Streamlit itself costs per start and per view, the app's yardstick in `make bench`."""

import streamlit as st

st.markdown("Bare page")
st.markdown(f"Asked for: {', '.join(f'{k}={v}' for k, v in st.query_params.to_dict().items())}")
