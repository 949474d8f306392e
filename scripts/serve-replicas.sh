#!/usr/bin/env bash
# N Streamlit replicas behind nginx on http://127.0.0.1:${PORT:-8500}, all reading one s3:// store.
# With DASHBOARD_CACHE=s3://bucket/prefix and AWS_ENDPOINT_URL (+ keys) set, that store is used;
# otherwise a moto S3 server is started on 127.0.0.1 and Demo City is refreshed into it.
# nginx is installed from Debian (apt-get install nginx-light) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench.replicas serve --replicas "${1:-2}" --port "${PORT:-8500}"
