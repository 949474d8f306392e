"""Typed refresh errors. Each names the source, the URL (token removed) and what to do next."""

from __future__ import annotations


class FeedError(Exception):
    """A source could not be refreshed. The last good snapshot stays published."""

    next_step = "Run the refresh again later; the last good snapshot is still being served."

    def __init__(self, source_id: str, message: str, *, url: str | None = None, next_step: str | None = None):
        self.source_id = source_id
        self.url = url
        self.detail = message
        if next_step:
            self.next_step = next_step
        where = f" ({url})" if url else ""
        super().__init__(f"{source_id}: {message}{where}. {self.next_step}")


class FeedConfigError(FeedError):
    """The catalogue entry or the request is wrong; retrying will not help."""

    next_step = "Check this source's entry in loaders/sources.toml against the portal's API page."


class FeedUnavailableError(FeedError):
    """The server did not answer usefully after every retry (timeouts, 429, 5xx, maintenance pages)."""

    next_step = "The portal may be down or throttling us; open the URL in a browser, then retry later."


class FeedFormatError(FeedError):
    """The server answered, but not with what the platform's protocol promises."""

    next_step = "The portal may have changed its API or this dataset's columns; compare with the catalogue."


class FeedIncompleteError(FeedError):
    """The pull did not get every row the source says it has, or looks suspicious."""

    next_step = "Nothing was published. Retry; if it persists run the refresh with --full."


class FeedAuthError(FeedConfigError):
    """The portal refused our credentials or wants a token."""

    next_step = "Set the app token in the environment variable the catalogue names, then retry."


class FeedQualityError(FeedError):
    """The pull arrived whole, but publishing it would publish wrong numbers."""

    next_step = "Nothing was published; the last good snapshot is still served."


class FeedEncodingError(FeedFormatError):
    """The body does not decode as the text encoding we chose for it (BOM, HTTP charset or catalogue)."""

    next_step = (
        "Find the file's real encoding and set encoding = \"...\" in this source's entry of "
        "loaders/sources.toml."
    )
