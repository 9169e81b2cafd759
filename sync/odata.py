"""Read an OData data document once, keeping each row's verbatim JSON text beside its decoded value.

A page of ``Submissions`` is ``{"value":[{row},{row},…],"@odata.context":…,"@odata.nextLink":…}``. The raw layer
keeps every version *as the server sent it* (reliability.md §4), so instead of decoding the page and encoding
every row again, this scanner walks the document with the C decoder of :mod:`json` (``raw_decode``) and
records where each row starts and ends: one pass, and the stored text is the server's own.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from sync.errors import UpstreamMalformed

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(slots=True)
class ParsedDocument:
    """An OData document: its ``value`` rows (decoded and verbatim) and every other member."""

    rows: list[Any] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    members: dict[str, Any] = field(default_factory=dict)
    has_value: bool = False  # a ``value`` array was present
    #: The rows prepared for the loader (a :class:`warehouse.prepare.PreparedPage`), when a page worker made
    #: them; ``rows`` then holds one prepared record per row instead of the decoded row.
    prepared: Any = None


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def _expect(text: str, pos: int, char: str, what: str) -> int:
    pos = _skip(text, pos)
    if text[pos : pos + 1] != char:
        raise UpstreamMalformed(f"{what}: expected {char!r} at character {pos}")
    return pos + 1


def parse_document(
    raw: bytes | str,
    *,
    keep_texts: bool = True,
    on_row: Callable[[Any], Any] | None = None,
    on_row_text: Callable[[Any, str], Any] | None = None,
) -> ParsedDocument:
    """Decode an OData document, keeping the text of each ``value`` row.

    :param keep_texts: record each row's verbatim text (``texts[i]`` belongs to ``rows[i]``).
    :param on_row: transform each row as it is decoded (e.g. keep only its ``__id``), so a long id list never
        holds a dict per row.
    :param on_row_text: the same with the row's verbatim text as second argument (``texts`` stays empty), so
        a page can be prepared row by row without holding every decoded row.
    :raises UpstreamMalformed: when the body is not one complete JSON object (a cut body, a wrong shape).
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise UpstreamMalformed(f"the document is not UTF-8: {exc}") from None
    doc = ParsedDocument()
    what = "OData document"
    try:
        pos = _expect(text, 0, "{", what)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == "}":
            pos += 1
        else:
            while True:
                key, pos = _DECODER.raw_decode(text, _skip(text, pos))
                if not isinstance(key, str):
                    raise UpstreamMalformed(f"{what}: a member name is not a string")
                pos = _expect(text, pos, ":", what)
                pos = _skip(text, pos)
                if key == "value" and text[pos : pos + 1] == "[":
                    pos = _rows(text, pos + 1, doc, keep_texts, on_row, on_row_text)
                else:
                    doc.members[key], pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                char = text[pos : pos + 1]
                pos += 1
                if char == "}":
                    break
                if char != ",":
                    raise UpstreamMalformed(f"{what}: expected ',' or '}}' at character {pos - 1}")
        if _skip(text, pos) != len(text):
            raise UpstreamMalformed(f"{what}: extra data after the document at character {pos}")
    except json.JSONDecodeError as exc:
        raise UpstreamMalformed(f"{what} does not parse: {exc}") from None
    return doc


def _rows(
    text: str,
    pos: int,
    doc: ParsedDocument,
    keep: bool,
    on_row: Callable[[Any], Any] | None,
    on_row_text: Callable[[Any, str], Any] | None,
) -> int:
    decode = _DECODER.raw_decode
    rows, texts = doc.rows, doc.texts
    pos = _skip(text, pos)
    doc.has_value = True
    if text[pos : pos + 1] == "]":
        return pos + 1
    while True:
        start = pos
        row, pos = decode(text, pos)
        if on_row_text is not None:
            rows.append(on_row_text(row, text[start:pos]))
            del row
        else:
            rows.append(row if on_row is None else on_row(row))
            if keep:
                texts.append(text[start:pos])
        if text[pos : pos + 1] == ",":  # the common case: rows back to back
            pos += 1
            if text[pos : pos + 1] not in ("{", "[", '"'):
                pos = _skip(text, pos)
            continue
        pos = _skip(text, pos)
        char = text[pos : pos + 1]
        pos += 1
        if char == "]":
            return pos
        if char != ",":
            raise UpstreamMalformed(f"OData document: expected ',' or ']' at character {pos - 1}")
        pos = _skip(text, pos)


_NEXT_LINK = b'"@odata.nextLink"'
_LINK_VALUE = re.compile(rb'[ \t\n\r]*:[ \t\n\r]*"([^"\\]*)"')


def peek_next_link(raw: bytes) -> str | None:
    """A page's ``@odata.nextLink`` read from its last bytes, without decoding it (None if not found there).

    Central writes the link after the rows, so the next page can be requested while this one is still being
    decoded elsewhere. Only a guess: the caller fetches early with it, and uses that page only if the decoded
    document names the same link.
    """
    at = raw.rfind(_NEXT_LINK, max(0, len(raw) - 4096))
    if at <= 0 or raw[at - 1 : at] == b"\\":
        return None
    match = _LINK_VALUE.match(raw, at + len(_NEXT_LINK))
    if match is None:
        return None
    try:
        return match.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None


_ID = re.compile(rb'\{"__id":"([^"\\]*)","__system":\{"deletedAt":(null|"[^"\\]*")\}\}')


def parse_id_list(raw: bytes) -> tuple[bytes, bytes, int, int] | None:
    """The rows of a ``$select=__id,__system/deletedAt`` document: (live ids, deleted ids, counts), each id list
    newline-joined UTF-8 bytes; None for anything unusual (see :class:`IdListScanner`)."""
    scanner = IdListScanner()
    scanner.feed(raw)
    counts = scanner.finish()
    if counts is None:
        return None
    return scanner.live.getvalue(), scanner.deleted.getvalue(), *counts  # type: ignore[attr-defined]


#: Bytes a scanner may hold back waiting for a row to complete (a row is ~90 bytes; more means no row is coming).
_MAX_PENDING = 64 * 1024


class IdListScanner:
    """Scans an id list as its bytes arrive (:meth:`feed` each chunk, then :meth:`finish`).

    A long form's id list is the largest document a run reads (250,000 ids: ~20 MB); scanning the bytes as they
    come never holds the document, nor a dict, a str or an object per id: only the two joined lists grow. The
    document must be whole and plain: it starts with ``{``, ``"value":[`` comes before the first row, the rows
    follow one another separated by commas, the array closes after the last, and what follows parses as JSON
    members. Anything else (an escaped character in an id, another layout, a cut body) makes :meth:`finish`
    return None: decode the document in full instead.

    The ids go, newline-separated, to ``live`` and ``deleted`` (in memory by default; a caller may pass files,
    so that not even the ids of a large form stay in memory).
    """

    def __init__(self, live: IO[bytes] | None = None, deleted: IO[bytes] | None = None) -> None:
        self.live: IO[bytes] = live if live is not None else io.BytesIO()
        self.deleted: IO[bytes] = deleted if deleted is not None else io.BytesIO()
        self._counts = [0, 0]
        self._pending = b""
        self._in_array = False
        self._need_comma = False
        self._failed = False

    def feed(self, chunk: bytes) -> None:
        """Scan the next bytes of the document."""
        if self._failed:
            return
        data = self._pending + chunk if self._pending else chunk
        pos = 0
        if not self._in_array:
            first = _ID.search(data)
            if first is None:
                self._hold(data, 0)
                return
            head = data[: first.start()].strip()
            if not head.startswith(b"{") or not head.replace(b" ", b"").endswith(b'"value":['):
                self._failed = True
                return
            self._in_array = True
            pos = first.start()
        match = _ID.match
        while True:
            if self._need_comma:
                if data[pos : pos + 1] != b",":
                    break  # the end of the array, or more to come
                pos += 1
                self._need_comma = False
            row = match(data, pos)
            if row is None:
                break
            is_deleted = row.group(2) != b"null"
            out = self.deleted if is_deleted else self.live
            if self._counts[is_deleted]:
                out.write(b"\n")
            out.write(row.group(1))
            self._counts[is_deleted] += 1
            pos = row.end()
            self._need_comma = True
        self._hold(data, pos)

    def _hold(self, data: bytes, pos: int) -> None:
        self._pending = data[pos:]
        # what waits is part of a row or the document's end: a few bytes unless the layout is not the usual one
        if len(self._pending) > _MAX_PENDING and not self._pending.lstrip().startswith(b"]"):
            self._failed = True
            self._pending = b""

    def finish(self) -> tuple[int, int] | None:
        """(live count, deleted count) once the ids are all written, or None if the document was not a plain id
        list."""
        if self._failed or not self._in_array or not self._need_comma:
            return None
        tail = self._pending.strip()
        if not tail.startswith(b"]"):
            return None
        rest = tail[1:].strip()
        try:
            json.loads(b'{"value":0}' if rest == b"}" else b'{"value":0' + rest)
        except ValueError:
            return None
        return self._counts[0], self._counts[1]
