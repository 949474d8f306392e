"""Where the real data staged for study lives, and a skip when it is absent (a clone without ../shared)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (../shared is not beside this clone)")
    return path


def cassette_bodies(relative: str) -> list[tuple[str, int, bytes]]:
    """(uri, status, body) of each interaction of a vcrpy cassette, bodies un-gzipped."""
    import gzip

    import yaml

    doc = yaml.safe_load(shared_file(relative).read_text())
    out = []
    for item in doc["interactions"]:
        body = item["response"]["body"]["string"]
        if isinstance(body, bytes) and body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        out.append(
            (
                item["request"]["uri"],
                item["response"]["status"]["code"],
                body if isinstance(body, bytes) else body.encode(),
            )
        )
    return out
