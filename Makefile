# Two set-up commands (see README): `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format translations refresh-demo bench bench-small bench-browser serve-replicas bench-replicas clean

run: $(VENV)/.runtime
	$(VENV)/bin/streamlit run dashboard.py

test: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# Extract every _() string (pybabel extract), update locale/es/LC_MESSAGES/messages.po, and list each
# message still untranslated with its file:line (exits 1 while any is left). See README, "Languages".
translations: $(VENV)/.runtime
	$(PY) scripts/translations.py

refresh-demo: $(VENV)/.runtime
	$(PY) -m loaders refresh --city demo

bench: $(VENV)/.dev
	$(PY) -m bench

bench-small: $(VENV)/.dev
	$(PY) -m bench --rows 1000000 --skip-10m

# Every page in headless Chromium against a bare Streamlit floor (bench/floor_app.py), both widths
bench-browser: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	$(PY) -m bench.browser

# N replicas behind nginx on one s3:// store (a moto S3 server on 127.0.0.1 unless DASHBOARD_CACHE names one)
N ?= 2
serve-replicas: $(VENV)/.dev
	bash scripts/serve-replicas.sh $(N)

bench-replicas: $(VENV)/.dev
	$(PY) -m bench.replicas load --replicas 1 $(N) --publish

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime $@

clean:
	rm -rf $(VENV) data/cache .pytest_cache .ruff_cache
