"""Which text encoding a downloaded CSV body is in, proven over the whole file before it is parsed.

The order of evidence is: the catalogue's `encoding` key (an explicit override, nothing else is
tried), then a byte-order mark, then the HTTP charset, else utf-8. A BOM that contradicts the
header is believed only if the whole body decodes under it; otherwise the header's charset is
tried (exports that glue a utf-8 BOM onto cp1252 text exist). Whatever is chosen is checked over
every byte with an incremental decoder, because pyarrow's reader only checks the columns it
converts and a non-utf-8 transcoder would fail mid-ingest with an untyped UnicodeDecodeError.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from loaders.errors import FeedConfigError, FeedEncodingError

CHUNK_BYTES = 8 << 20
# utf-32 BOMs are left out: no portal has been seen to send utf-32, and its LE BOM starts like utf-16's.
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SUGGESTIONS = ("utf-8", "cp1252")  # latin-1 is left out: it decodes anything, so it proves nothing


@dataclass(frozen=True)
class Encoding:
    name: str  # Python codec name, as pyarrow's ReadOptions wants it
    origin: str  # where the choice came from, for error messages
    skip_bytes: int = 0  # a BOM that is not this encoding's own, to skip when reading the header


def choose_encoding(
    path: Path, content_type: str, catalogue: str | None, source_id: str, url: str
) -> Encoding:
    """The first candidate that decodes the whole file; a typed error naming each one tried if none does."""
    bom, bom_name = _bom(path)
    candidates = _candidates(bom_name, content_type, catalogue, source_id)
    tried = []
    for name, origin in candidates:
        bad = first_bad_byte(path, name)
        if bad is None:
            skip = len(bom) if bom and name != bom_name else 0
            return Encoding(name, origin, skip)
        tried.append((name, origin, bad))
    raise _undecodable(path, tried, source_id, url)


def header_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def first_bad_byte(path: Path, encoding: str) -> int | None:
    """The offset of the first byte that does not decode as `encoding`, or None when all of them do."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            pending = len(decoder.getstate()[0])  # bytes of a character cut at the last chunk's end
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(chunk)
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset - pending + exc.start
    return None


def _candidates(bom_name, content_type, catalogue, source_id) -> list[tuple[str, str]]:
    if catalogue:
        name = _codec(catalogue)
        if name is None:
            raise FeedConfigError(
                source_id,
                f"encoding = {catalogue!r} in the catalogue is not a text encoding Python knows",
                next_step='Use a standard name such as "utf-8", "cp1252" or "utf-16" in loaders/sources.toml.',
            )
        return [(name, "the catalogue key `encoding`")]
    candidates = [(bom_name, "the byte-order mark")] if bom_name else []
    charset = header_charset(content_type)
    name = _codec(charset) if charset else None
    if name is not None:
        candidates.append((name, f"the HTTP Content-Type header ({charset})"))
    else:  # no charset, or one Python does not know: the web's default
        origin = f"the default (the header's charset {charset!r} is unknown)" if charset else "the default"
        candidates.append(("utf-8", origin))
    unique: dict[str, str] = {}
    for name, origin in candidates:  # a BOM and a header that agree are one attempt, not two
        unique.setdefault(name, origin)
    return list(unique.items())


def _bom(path: Path) -> tuple[bytes, str | None]:
    with path.open("rb") as fh:
        head = fh.read(4)
    for bom, name in BOMS:
        if head.startswith(bom):
            return bom, name
    return b"", None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _undecodable(
    path: Path, tried: list[tuple[str, str, int]], source_id: str, url: str
) -> FeedEncodingError:
    name, _, offset = tried[-1]
    with path.open("rb") as fh:
        fh.seek(offset)
        byte = fh.read(1)
    attempts = "; ".join(f"{n} from {o} fails at byte {b:,}" for n, o, b in tried)
    fits = next(
        (s for s in SUGGESTIONS if s not in {t[0] for t in tried} and first_bad_byte(path, s) is None), None
    )
    value = fits or "..."
    hint = f" ({fits} decodes the whole file)" if fits else ""
    return FeedEncodingError(
        source_id,
        f"byte {offset:,} (0x{byte.hex().upper()}) is not valid {name} text; tried {attempts}",
        url=url,
        next_step=(
            f'Set encoding = "{value}" in this source\'s entry of loaders/sources.toml{hint}, '
            "or ask the publisher which encoding the file uses."
        ),
    )
