"""Two replicas behind nginx on one s3:// store (moto): pages through the proxy, sticky, and a publish reaching both."""

import pytest

from bench import replica_load, replicas


@pytest.fixture
def two_replicas(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_CACHE", raising=False)  # use a moto server of its own
    with (
        replicas.snapshot_store(tmp_path) as store,
        replicas.replicas(store, 2, tmp_path, poll_s=2.0) as servers,
    ):
        with replicas.proxy(servers, tmp_path, replicas._free()) as port:
            yield store, port


@pytest.mark.timeout(300)
def test_pages_through_the_proxy_stay_on_one_replica_and_see_a_new_snapshot(two_replicas):
    """Visitors' pages render through nginx, each stays on its replica, and a publish reaches both replicas."""
    store, port = two_replicas
    load = replica_load.load_run(port, store, visitors=4, views=1)
    assert load.errors == 0, load.first_error
    assert load.views == 4 and load.unsticky == 0
    seen = replica_load.publish_run(port, store, replicas=2, visitors=4)
    assert seen.mixed == 0
    assert len(seen.seen_after_s) == 2 and max(seen.seen_after_s.values()) < replica_load.SEEN_WITHIN_S
