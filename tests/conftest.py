"""Shared pytest fixtures."""

import pytest

from tests.feedserver import FeedServer


@pytest.fixture
def feed_server():
    """A running FeedServer on 127.0.0.1 with no datasets yet; a crash inside it fails the test."""
    with FeedServer() as server:
        yield server
        assert not server.server_errors, server.server_errors[0]
