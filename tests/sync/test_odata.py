"""The OData page scanner: rows decoded once, each with its verbatim text; cut or odd documents refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import UpstreamMalformed
from sync.odata import parse_document, peek_next_link


def test_parse_document__page__rows_texts_and_members() -> None:
    raw = '{ "value" : [ {"a": 1} ,{"b":[1, {"c":"}"}]}\n], "@odata.nextLink":"n", "@odata.count": 2 }'
    doc = parse_document(raw.encode())
    assert doc.rows == [{"a": 1}, {"b": [1, {"c": "}"}]}]
    assert doc.texts == ['{"a": 1}', '{"b":[1, {"c":"}"}]}']
    assert doc.members == {"@odata.nextLink": "n", "@odata.count": 2} and doc.has_value


@pytest.mark.parametrize(
    "raw",
    [b'{"value":[{"a":1},{"b"', b'{"value":[{"a":1}]', b"<html>", b'{"value":[]}x', b"\xff\xfe", b""],
)
def test_parse_document__cut_or_not_json__malformed(raw: bytes) -> None:
    with pytest.raises(UpstreamMalformed):
        parse_document(raw)


def test_parse_document__no_value_member__has_value_false() -> None:
    assert not parse_document(b'{"@odata.context":"x"}').has_value


@given(
    st.lists(
        st.dictionaries(st.text(max_size=4), st.none() | st.integers() | st.text(max_size=6), max_size=4)
    )
)
def test_parse_document__any_rows__same_as_json_and_texts_decode_to_rows(rows: list[dict]) -> None:
    raw = json.dumps({"@odata.context": "c", "value": rows, "@odata.nextLink": None})
    doc = parse_document(raw)
    assert doc.rows == rows
    assert [json.loads(t) for t in doc.texts] == rows


def test_parse_id_list__whole_document__ids_without_a_dict_per_row() -> None:
    from sync.odata import parse_id_list

    row = '{{"__id":"{}","__system":{{"deletedAt":{}}}}}'
    rows = ",".join(
        [
            row.format("uuid:a", "null"),
            row.format("uuid:b", '"2026-11-28T01:52:03.397Z"'),
            row.format("c", "null"),
        ]
    )
    assert parse_id_list(f'{{"value":[{rows}],"@odata.context":"x"}}'.encode()) == (
        b"uuid:a\nc",
        b"uuid:b",
        2,
        1,
    )
    only = row.format("a", "null")
    assert parse_id_list(f'{{"@odata.context":"x","value":[{only}]}}'.encode()) == (b"a", b"", 1, 0)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"value":[{"__id":"a","__system":{"deletedAt":null}}],"@odata.context":"x',  # cut in the footer
        b'{"value":[{"__id":"a","__system":{"deletedAt":null}}',  # cut after a row
        b'{"value":[{"__id":"a","__system":{"deletedAt":null}}]',  # cut before the end
        b'{"value":[{"__id":"a\\"b","__system":{"deletedAt":null}}]}',  # an escape: decoded in full instead
        b'{"value":[{"__id":"a"}]}',  # another shape
        b'{"value":[]}',
    ],
)
def test_parse_id_list__cut_or_unusual__none_so_the_full_decoder_decides(raw: bytes) -> None:
    from sync.odata import parse_id_list

    assert parse_id_list(raw) is None


def _id_doc(n: int, deleted_every: int = 3) -> bytes:
    row = '{{"__id":"uuid:{:04d}","__system":{{"deletedAt":{}}}}}'
    rows = ",".join(
        row.format(i, '"2026-11-28T01:52:03.397Z"' if i % deleted_every == 0 else "null") for i in range(n)
    )
    return f'{{"@odata.context":"x","value":[{rows}],"@odata.nextLink":null}}'.encode()


def test_id_list_scanner__fed_in_chunks_split_anywhere__same_as_whole() -> None:
    from sync.odata import IdListScanner, parse_id_list

    raw = _id_doc(7)
    whole = parse_id_list(raw)
    assert whole is not None and whole[2:] == (4, 3)
    for size in (1, 2, 3, 5, 17, 64):
        scanner = IdListScanner()
        for i in range(0, len(raw), size):
            scanner.feed(raw[i : i + size])
        assert _scanned(scanner) == whole, size
    for cut in range(1, len(raw)):  # every split into two chunks
        scanner = IdListScanner()
        scanner.feed(raw[:cut])
        scanner.feed(raw[cut:])
        assert _scanned(scanner) == whole, cut


def _scanned(scanner):  # type: ignore[no-untyped-def]
    counts = scanner.finish()
    return None if counts is None else (scanner.live.getvalue(), scanner.deleted.getvalue(), *counts)


def test_id_list_scanner__cut_or_foreign_content__none_and_what_it_holds_stays_small() -> None:
    from sync.odata import IdListScanner

    raw = _id_doc(50)
    for cut in (len(raw) // 2, len(raw) - 3):
        scanner = IdListScanner()
        scanner.feed(raw[:cut])
        assert scanner.finish() is None
    odd = raw.replace(b',{"__id":"uuid:0010"', b',{"__id":"uuid:0010","x":1', 1)  # a row of another shape
    scanner = IdListScanner()
    scanner.feed(odd)
    assert scanner.finish() is None
    scanner = IdListScanner()  # a huge non-row: refused, not buffered
    scanner.feed(b'{"value":[{"__id":"a","__system":{"deletedAt":null}},{"__id":"' + b"x" * 100_000)
    scanner.feed(b"x" * 100_000)
    assert len(scanner._pending) == 0 and scanner.finish() is None


# --- the next link, read off a page's last bytes (to request the next page early) -------------------------------

LINKED = b'{"value":[{"__id":"a","t":"\\"@odata.nextLink\\":\\"x\\""}],"@odata.nextLink":"http://c/v1/S?$skiptoken=01e"}'


def test_peek_next_link__at_the_end__read_without_decoding() -> None:
    assert peek_next_link(LINKED) == "http://c/v1/S?$skiptoken=01e"
    assert peek_next_link(LINKED.replace(b'":"http', b'" :\n "http')) == "http://c/v1/S?$skiptoken=01e"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"value":[]}',  # the last page
        LINKED[:-20],  # cut inside the link
        b'{"value":[{"t":"\\"@odata.nextLink\\":\\"x\\""}]}',  # only as text inside a value
        b'{"value":[],"@odata.nextLink":"http:\\/\\/c\\/v1"}',  # escaped: left to the full decoding
    ],
)
def test_peek_next_link__no_plain_link_at_the_end__none(raw: bytes) -> None:
    assert peek_next_link(raw) is None
