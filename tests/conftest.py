"""Shared pytest fixtures."""

import pytest

from tests.feedserver import FeedServer


@pytest.fixture
def feed_server():
    """A running FeedServer on 127.0.0.1 with no datasets yet; a crash inside it fails the test."""
    with FeedServer() as server:
        yield server
        assert not server.server_errors, server.server_errors[0]


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory):
    """Demo City built once through the real pipeline into a private snapshot folder."""
    from loaders.bootstrap import ensure_demo

    root = tmp_path_factory.mktemp("demo-cache")
    outcomes = ensure_demo(root)
    assert all(o.status == "ok" for o in outcomes), [o.message for o in outcomes]
    return root


@pytest.fixture(scope="session")
def moto_server():
    """moto's standalone S3 server on a free port of 127.0.0.1, for the whole test session."""
    from tests.s3server import MotoServer

    with MotoServer() as server:
        yield server


@pytest.fixture
def s3_store(moto_server, monkeypatch, request):
    """An empty bucket of its own on the moto server, and the AWS variables pointing at it."""
    for key, value in moto_server.environment().items():
        monkeypatch.setenv(key, value)
    bucket = "t-" + request.node.name.replace("_", "-").lower()[:50].strip("-")
    moto_server.create_bucket(bucket)
    return f"s3://{bucket}/snapshots"


@pytest.fixture(scope="module")
def app_url(demo_cache):
    """Demo City served by a real `streamlit run` on 127.0.0.1, for the browser tests."""
    from tests.app_server import running_app

    with running_app(demo_cache) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright (skipped, or failing under CI, when missing)."""
    from playwright.sync_api import sync_playwright

    from tests.app_server import CHROMIUM_ARGS, chromium_or_skip

    executable = chromium_or_skip()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
