"""`python -m loaders refresh --jobs N`: several sources at once, each published as the serial run would."""

from loaders.__main__ import main
from store import snapshots
from store.cityindex import read_city_index


def test_jobs_2_refreshes_every_demo_source_into_a_folder(tmp_path, capsys):
    """Every demo source refreshed by two processes is current and listed in the city index."""
    assert main(["--cache", str(tmp_path), "refresh", "--city", "demo", "--jobs", "2"]) == 0
    index = read_city_index(tmp_path, "demo")
    ids = [d for ids in index.datasets.values() for d in ids]
    assert sorted(ids) == ["demo_complaints", "demo_crime", "demo_sentiment", "demo_use_of_force"]
    assert all(snapshots.current(tmp_path, d) is not None for d in ids)
    assert "demo_crime" in capsys.readouterr().out


def test_an_s3_store_is_refreshed_from_the_command_line(s3_store, tmp_path, monkeypatch):
    """`--cache s3://…` publishes to the bucket, lists the city, and records the outcome there."""
    from store import objectstore as obj

    monkeypatch.chdir(tmp_path)  # the working copy goes under ./data/work
    assert main(["--cache", s3_store, "refresh", "demo_crime"]) == 0
    store = obj.ObjectStore.from_url(s3_store)
    assert obj.read_pointer(store, "demo_crime") is not None
    assert obj.read_text(store, "_cities", "index.json") == '["demo"]'
    assert '"status": "ok"' in obj.read_text(store, "demo_crime", "LAST_ATTEMPT.json")


def test_a_refresh_while_another_holds_the_lease_fails_and_leaves_current(
    s3_store, tmp_path, monkeypatch, capsys
):
    """A second refresh of a source (say, on another machine) is refused, says why, and CURRENT stays put."""
    from store import objectstore as obj

    monkeypatch.chdir(tmp_path)
    assert main(["--cache", s3_store, "refresh", "demo_crime"]) == 0
    store = obj.ObjectStore.from_url(s3_store)
    before = obj.read_pointer(store, "demo_crime")
    with obj.lease(store, "demo_crime"):  # the first refresh, still running
        assert main(["--cache", s3_store, "refresh", "demo_crime", "--full"]) == 1
    assert "another refresh is running" in capsys.readouterr().out
    assert obj.read_pointer(store, "demo_crime") == before
    assert '"status": "failed"' in obj.read_text(store, "demo_crime", "LAST_ATTEMPT.json")
