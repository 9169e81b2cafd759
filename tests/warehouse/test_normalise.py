"""The compiled normaliser: typed rows from a submission, every odd value flagged, never an exception."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.formtables import SourceField, build_form_tables, plan_columns
from warehouse.normalise import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    child_row_id,
    compile_extractor,
    root_head,
    typed_rows,
)

FIELDS = [
    SourceField("/nama", "nama", "string"),
    SourceField("/umur", "umur", "int"),
    SourceField("/berat", "berat", "decimal"),
    SourceField("/tanggal", "tanggal", "date"),
    SourceField("/start", "start", "dateTime"),
    SourceField("/lokasi", "lokasi", "geopoint"),
    SourceField("/bantuan", "bantuan", "string", select_multiple=True),
    SourceField("/rumah", "rumah", "structure"),
    SourceField("/rumah/alamat", "alamat", "string"),
    SourceField("/anggota", "anggota", "repeat"),
    SourceField("/anggota/nama_anggota", "nama_anggota", "string"),
    SourceField("/anggota/umur_anggota", "umur_anggota", "int"),
    SourceField("/anggota/pendidikan", "pendidikan", "repeat"),
    SourceField("/anggota/pendidikan/jenjang", "jenjang", "string"),
]
TABLES = build_form_tables("central", "uji", plan_columns("central", "uji", FIELDS, [])[0])
SYSTEM = {
    "submissionDate": "2026-11-28T01:00:00.000Z",
    "reviewState": None,
    "submitterId": 5,
    "formVersion": "1",
}


def rows_of(row: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], list[Any]]:
    return typed_rows(TABLES, "uuid:1", row, SYSTEM)


def test_typed_rows__groups_repeats_nested__positional_ids_and_values() -> None:
    row = {
        "nama": "Siti",
        "umur": 41,
        "berat": 55,
        "tanggal": "2026-11-26",
        "start": "2026-11-26T08:19:00.000+07:00",
        "lokasi": {"type": "Point", "coordinates": [106.8, -6.2, 12], "properties": {"accuracy": 4.5}},
        "bantuan": "pkh bpnt",
        "rumah": {"alamat": "Kp. Baru"},
        "anggota": [
            {"nama_anggota": "A", "umur_anggota": 9, "pendidikan": [{"jenjang": "sd"}, {"jenjang": "smp"}]},
            {"nama_anggota": "B", "umur_anggota": None},
        ],
    }
    out, problems = rows_of(row)
    assert problems == []
    root = out[""][0]
    assert (root["_id"], root["_submitter_id"], root["nama"], root["umur"], root["berat"]) == (
        "uuid:1",
        "5",
        "Siti",
        41,
        55.0,
    )
    assert root["tanggal"] == date(2026, 11, 26) and root["alamat"] == "Kp. Baru"
    assert (root["lokasi_lat"], root["lokasi_lon"], root["lokasi_alt"], root["lokasi_acc"]) == (
        -6.2,
        106.8,
        12.0,
        4.5,
    )
    members = out["/anggota"]
    assert [(m["_position"], m["nama_anggota"], m["_parent_id"]) for m in members] == [
        (1, "A", "uuid:1"),
        (2, "B", "uuid:1"),
    ]
    assert members[0]["_id"] == "uuid:1/anggota[1]" == child_row_id("uuid:1", "anggota", 1)
    schooling = out["/anggota/pendidikan"]
    assert [(s["_id"], s["_submission_id"], s["jenjang"]) for s in schooling] == [
        ("uuid:1/anggota[1]/pendidikan[1]", "uuid:1", "sd"),
        ("uuid:1/anggota[1]/pendidikan[2]", "uuid:1", "smp"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("umur", "tiga puluh", "TYPE_MISMATCH"),
        ("umur", 30.7, "TYPE_MISMATCH"),
        ("umur", True, "TYPE_MISMATCH"),
        ("umur", 10**20, "TYPE_MISMATCH"),
        ("berat", "berat", "TYPE_MISMATCH"),
        ("tanggal", "2026-02-30", "TYPE_MISMATCH"),
        ("tanggal", "kemarin", "TYPE_MISMATCH"),
        ("lokasi", "di rumah", "GPS_UNPARSEABLE"),
        ("lokasi", {"type": "Point", "coordinates": [True, 1]}, "GPS_UNPARSEABLE"),
        ("nama", "x" * (MAX_TEXT + 5), "VALUE_TOO_LONG"),
        ("start", "2026-11-26T08:19:00.000+07:00" + "Z" * 20, "VALUE_TOO_LONG"),
        ("nama", "a\x00b", "ENCODING_REPAIRED"),
    ],
)
def test_typed_rows__value_that_does_not_fit__null_or_cut_and_one_problem(
    field: str, value: Any, rule: str
) -> None:
    out, problems = rows_of({field: value})
    assert [p.rule for p in problems] == [rule]
    assert problems[0].field == f"/{field}"
    if rule == "VALUE_TOO_LONG":
        assert len(out[""][0][field]) == (MAX_SHORT_TEXT if field == "start" else MAX_TEXT)
    elif rule == "ENCODING_REPAIRED":
        assert out[""][0][field] == "ab"
    elif field != "lokasi":
        assert out[""][0][field] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-6.2 106.8 10 5", (-6.2, 106.8, 10.0, 5.0)),
        ("POINT (106.8 -6.2 10)", (-6.2, 106.8, 10.0, None)),
        ({"type": "Point", "coordinates": [106.8, -6.2]}, (-6.2, 106.8, None, None)),
    ],
)
def test_typed_rows__geopoint_forms__all_read(value: Any, expected: tuple[Any, ...]) -> None:
    out, problems = rows_of({"lokasi": value})
    root = out[""][0]
    assert (root["lokasi_lat"], root["lokasi_lon"], root["lokasi_alt"], root["lokasi_acc"]) == expected
    assert problems == []


def test_typed_rows__repeat_not_a_list_and_items_not_objects__flagged_positions_kept() -> None:
    out, problems = rows_of({"anggota": "tidak ada"})
    assert out["/anggota"] == [] and [p.rule for p in problems] == ["TYPE_MISMATCH"]
    out, problems = rows_of({"anggota": [None, {"nama_anggota": "B"}]})
    assert [(m["_position"], m["nama_anggota"]) for m in out["/anggota"]] == [(2, "B")]


def test_compile_extractor__sqlite_dates__checked_text() -> None:
    extractor = compile_extractor(TABLES, dates_as_text=True)
    outs: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in TABLES.tables}
    problems: list[Any] = []
    extractor.extract({"tanggal": "2026-11-26T10:00:00Z"}, root_head("uuid:1", None, {}), outs, problems)
    values = dict(zip(extractor.columns[""], outs[""][0], strict=True))
    assert values["tanggal"] == "2026-11-26" and problems == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["nama", "umur", "berat", "tanggal", "start", "lokasi", "bantuan", "rumah", "anggota", "x"]
        ),
        JSON,
    )
)
def test_typed_rows__any_json__never_raises_values_fit_their_columns(row: dict[str, Any]) -> None:
    """B21 in miniature: whatever the values, no exception, and every typed value fits its column."""
    for dates_as_text in (False, True):
        extractor = compile_extractor(TABLES, dates_as_text=dates_as_text)
        outs: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in TABLES.tables}
        extractor.extract(row, root_head("uuid:1", None, {}), outs, [])
        for rp, trows in outs.items():
            spec = {c.column: c.type for c in TABLES.tables[rp].columns}
            for trow in trows:
                for column, value in zip(extractor.columns[rp], trow, strict=True):
                    _fits(spec.get(column) or spec.get(column.rsplit("_", 1)[0]) or "string", value)


def _fits(kind: str, value: Any) -> None:
    if value is None:
        return
    if kind == "int":
        assert type(value) is int and -(2**63) <= value < 2**63
    elif kind == "decimal":
        assert (type(value) is float and math.isfinite(value)) or (
            type(value) is int and -(2**63) <= value < 2**63
        )
    elif kind == "geopoint":
        assert type(value) is float and math.isfinite(value)
    elif kind == "date":
        assert isinstance(value, date | str)
    else:
        assert isinstance(value, str | int) and (not isinstance(value, str) or "\x00" not in value)
        if isinstance(value, str):
            value.encode("utf-8")
            assert len(value) <= MAX_TEXT
