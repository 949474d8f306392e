"""The app as a web replica of an s3:// store (moto on 127.0.0.1): serves the store, and says so when cut off."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from loaders.catalog import load_catalog
from loaders.parallel import refresh_all
from loaders.refresh import RefreshOptions
from store import snapshots
from store.replica import Replica

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _published(url, work):
    refresh_all(load_catalog(), RefreshOptions(cache_root=work), [], ["demo"], store_url=url)
    return snapshots.current(work, "demo_crime").manifest.row_count


def _crime_page(monkeypatch, url, local):
    monkeypatch.setenv("DASHBOARD_CACHE", url)
    monkeypatch.setenv("DASHBOARD_LOCAL_COPY", str(local))
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    if not app.error:
        app.switch_page("pages/crime.py").run()
    return app


def _captions(app) -> str:
    return " ".join(c.value for c in app.caption)


def test_a_replica_serves_the_city_published_to_the_store(s3_store, tmp_path, monkeypatch):
    """The crime page on an s3:// store shows Demo City's record count, with no store warning."""
    rows = _published(s3_store, tmp_path / "work")
    app = _crime_page(monkeypatch, s3_store, tmp_path / "replica")
    assert not app.exception and not app.warning and not app.error
    assert f"{rows:,} records" in _captions(app)


def test_a_replica_cut_off_from_the_store_keeps_its_copy_with_a_banner(s3_store, tmp_path, monkeypatch):
    """Restarted while the store is down, the replica shows its last copy and says it is not the newest."""
    rows = _published(s3_store, tmp_path / "work")
    Replica(s3_store, tmp_path / "replica").check()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    app = _crime_page(monkeypatch, s3_store, tmp_path / "replica")
    assert not app.exception
    assert any("could not be fetched" in w.value for w in app.warning)
    assert f"{rows:,} records" in _captions(app)


def test_a_replica_with_no_copy_and_no_store_says_so(s3_store, tmp_path, monkeypatch):
    """A new replica that cannot reach the store shows a clear message instead of an empty or broken page."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    app = _crime_page(monkeypatch, s3_store, tmp_path / "replica")
    assert not app.exception
    assert "cannot be reached" in app.error[0].value
