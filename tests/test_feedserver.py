"""The local feed server speaks each platform's protocol the way real portals do (hand-made data)."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import requests

from tests.feedserver import DatasetSettings, Fault, make_table


def soql(server, name, **params):
    answer = requests.get(f"{server.socrata_domain()}/resource/{name}.json", params=params, timeout=10)
    answer.raise_for_status()
    return answer


def get_json(url: str, params: dict) -> dict:
    return requests.get(url, params=params, timeout=10).json()


def test_socrata_page_is_strings_and_follows_limit_offset_and_id_order(feed_server):
    """A SODA page holds only strings, leaves nulls out and is the $offset/$limit slice of the :id order."""
    table = make_table(50, ties=5)
    feed_server.add_dataset("abcd-1234", table)
    answer = soql(feed_server, "abcd-1234", **{"$order": ":id", "$limit": 20, "$offset": 10})
    rows = answer.json()
    assert [r["id"] for r in rows] == sorted(table["id"].to_pylist())[10:30]
    assert all(isinstance(v, str) for r in rows for v in r.values())
    assert rows[0]["occurred"].endswith(".000") and "\n," in answer.text
    everything = soql(feed_server, "abcd-1234", **{"$limit": 50}).json()
    assert sum("lat" not in r for r in everything) == table["lat"].null_count > 0


def test_paging_on_a_tied_order_loses_rows_unless_it_ends_with_id(feed_server):
    """Ties come back in a new order on every request: only an order ending in :id pages cleanly."""
    feed_server.add_dataset("tied", make_table(100, ties=100))
    for order, expect_whole in (("occurred", False), ("occurred, :id", True)):
        pages = [
            soql(feed_server, "tied", **{"$order": order, "$limit": 10, "$offset": o})
            for o in range(0, 99, 10)
        ]
        seen = [r["id"] for page in pages for r in page.json()]
        assert len(seen) == 100 and (len(set(seen)) == 100) is expect_whole


def test_socrata_count_is_a_string_and_respects_where(feed_server):
    """count(*) answers [{"count": "N"}] for the same $where a pull would use."""
    table = make_table(300)
    feed_server.add_dataset("c", table)
    where = "occurred >= '2022-01-01T00:00:00' AND :updated_at < '2023-03-01T00:00:00.000'"
    since = pc.greater_equal(table["occurred"], pa.scalar(datetime(2022, 1, 1)))
    until = pc.less(table["updated_at"], pa.scalar(datetime(2023, 3, 1, tzinfo=UTC)))
    expected = pc.sum(pc.and_(since, until))
    assert 0 < expected.as_py() < 300
    answer = soql(feed_server, "c", **{"$select": "count(*)", "$where": where}).json()
    assert answer == [{"count": str(expected)}]


def test_socrata_unknown_column_is_a_400_with_an_error_code(feed_server):
    """A $where on a column the dataset lacks fails the way a renamed column does on a real portal."""
    feed_server.add_dataset("c", make_table(5))
    answer = requests.get(f"{feed_server.base_url}/resource/c.json", params={"$where": "gone > '2020-01-01'"})
    assert answer.status_code == 400 and answer.json()["errorCode"] == "query.soql.no-such-column"


def test_arcgis_caps_pages_and_flags_only_while_rows_remain(feed_server):
    """Pages never exceed maxRecordCount; exceededTransferLimit is set while rows remain, then absent."""
    feed_server.add_dataset("layer", make_table(100), settings=DatasetSettings(arcgis_max_record_count=40))
    url = feed_server.arcgis_layer_url("layer") + "/query"
    base = {"f": "json", "outFields": "*", "orderByFields": "OBJECTID", "resultRecordCount": 999}
    first = requests.post(url, data=base | {"resultOffset": 0}, timeout=10).json()
    last = get_json(url, base | {"resultOffset": 80})
    assert len(first["features"]) == 40 and first["exceededTransferLimit"] is True
    assert len(last["features"]) == 20 and "exceededTransferLimit" not in last
    assert [f["attributes"]["OBJECTID"] for f in last["features"]] == list(range(81, 101))
    assert isinstance(first["features"][0]["attributes"]["occurred"], int)  # epoch milliseconds


def test_arcgis_short_pages_still_say_more_rows_remain(feed_server):
    """A server serving half of what is asked keeps flagging exceededTransferLimit: a short page is no end."""
    feed_server.add_dataset("short", make_table(30), settings=DatasetSettings(arcgis_short_pages=True))
    params = {"f": "json", "outFields": "id", "resultOffset": 0, "resultRecordCount": 10}
    page = get_json(feed_server.arcgis_layer_url("short") + "/query", params)
    assert len(page["features"]) == 5 and page["exceededTransferLimit"] is True


def test_ckan_clamps_limit_silently_and_always_links_next(feed_server):
    """CKAN returns at most rows_max records without an error, and `_links.next` even past the end."""
    feed_server.add_dataset("res", make_table(100), settings=DatasetSettings(ckan_rows_max=30))
    url = f"{feed_server.ckan_site()}/api/3/action/datastore_search"
    answer = get_json(url, {"resource_id": "res", "limit": 1000, "sort": "_id asc"})
    first, past = (
        answer["result"],
        get_json(url, {"resource_id": "res", "offset": 200, "limit": 10})["result"],
    )
    assert (
        answer["success"] and len(first["records"]) == 30 and first["limit"] == 30 and first["total"] == 100
    )
    assert "offset=30" in first["_links"]["next"]
    assert past["records"] == [] and "offset=210" in past["_links"]["next"]


def test_faults_fire_the_given_number_of_times_and_are_recorded(feed_server):
    """An injected 429 answers exactly `times` matching requests; all of them are recorded with headers."""
    feed_server.add_dataset("f", make_table(3))
    feed_server.inject("/resource/f", Fault.rate_limited(retry_after_s=2), times=2)
    url = f"{feed_server.base_url}/resource/f.json"
    answers = [requests.get(url, headers={"X-App-Token": "t0ken"}, timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200] and answers[0].headers["Retry-After"] == "2"
    assert [r.fault for r in feed_server.requests] == ["rate_limited", "rate_limited", None]
    assert all(r.headers["X-App-Token"] == "t0ken" for r in feed_server.requests)


def test_truncated_body_makes_requests_raise(feed_server):
    """A body cut short of its Content-Length is an error for the client, never a silently short page."""
    url = feed_server.add_file("big.csv", b"a,b\n" + b"1,2\n" * 1000)
    feed_server.inject("big.csv", Fault.truncated())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).content.count(b"\n") == 1001


def test_file_etag_match_answers_304(feed_server):
    """A file fetched again with its ETag comes back 304 with no body."""
    url = feed_server.add_file("x.csv", b"a\n1\n")
    etag = requests.get(url, timeout=10).headers["ETag"]
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
