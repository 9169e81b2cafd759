"""Rendering of submission data to Central's OData JSON, the union schema and the XForm field list."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulators.central import CentralStore
from simulators.central.edmx import metadata_xml, service_document
from simulators.central.render import Emitter, Schema, SubmissionXml, render
from simulators.central.textfmt import express_etag, js_number_text, parse_timestamp_literal
from simulators.central.xform import merged_fields, parse_xform, sanitize_odata_identifier
from tests.simulators.conftest import ENTITY_MD, FIXTURES, SAMPLE_MD, xform

IID = "uuid:11111111-2222-4333-8444-555555555555"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture
def schema() -> Schema:
    return Schema(parse_xform(xform(SAMPLE_MD)).fields)


def full_data() -> dict:
    return {
        "start": datetime(2026, 11, 26, 8, 19, tzinfo=timezone(timedelta(hours=7))),
        "tanggal": "2026-11-26",
        "nama": "Siti Aminah",
        "umur": "42",
        "berat": 55.5,
        "bantuan": ["pkh", "bpnt"],
        "sekolah": "ya",
        "lokasi": "-6.1 106.8 12.0 5.0",
        "foto": "rumah_01.jpg",
        "dua_kali": 84,
        "rumah": {"alamat": "Jl. Raya 1", "kamar": [{"nama_kamar": "depan"}, {"nama_kamar": "belakang"}]},
        "anggota": [
            {
                "nama_anggota": "Siti",
                "umur_anggota": 42,
                "pendidikan": [{"jenjang": "SD"}, {"jenjang": "SMP"}],
            },
            {"nama_anggota": "Budi", "umur_anggota": 7},
        ],
        "unknown_field": "ignored, as Central ignores unknown XML elements",
    }


def test_render__typed_values__follow_central_odata_rules(schema: Schema) -> None:
    """Should give JSON numbers for int/decimal, strings for calculate/select, GeoJSON for geopoints, in form order."""
    r = render(schema, IID, full_data())
    root = json.loads("{" + r.head_plain + "}")
    assert list(root) == ["start", "tanggal", "nama", "umur", "berat", "bantuan", "sekolah", "lokasi", "foto",
                          "dua_kali", "rumah", "meta"]  # fmt: skip
    assert root["start"] == "2026-11-26T08:19:00.000+07:00"
    assert root["umur"] == 42 and root["berat"] == 55.5
    assert root["bantuan"] == "pkh bpnt" and root["dua_kali"] == "84"
    assert root["lokasi"] == {
        "type": "Point",
        "coordinates": [106.8, -6.1, 12],
        "properties": {"accuracy": 5},
    }
    assert root["foto"] == "rumah_01.jpg"
    assert root["meta"] == {"instanceID": IID}
    assert r.attachments_expected == 1


def test_render__empty_and_missing__are_null_never_empty_strings(schema: Schema) -> None:
    """Should render empty strings, None and missing fields as null and keep every key."""
    r = render(schema, IID, {"nama": "", "umur": None})
    root = json.loads("{" + r.head_plain + "}")
    assert root["nama"] is None and root["umur"] is None and root["lokasi"] is None
    assert root["rumah"] == {"alamat": None}
    assert r.tail_plain == "" and r.tables == {}


def test_render__repeat_ids__are_central_sha1_of_the_position_path(schema: Schema) -> None:
    """Should give repeat rows Central's positional SHA-1 ids and the parent keys of their tables."""
    r = render(schema, IID, full_data())
    kamar = [json.loads(t) for t in r.tables["Submissions.rumah.kamar"]]
    assert [k["__id"] for k in kamar] == [sha1(f"Submissions#{IID}%%rumah#%%kamar#{i}") for i in (0, 1)]
    assert all(k["__Submissions-id"] == IID for k in kamar)
    anggota = [json.loads(t) for t in r.tables["Submissions.anggota"]]
    first = sha1(f"Submissions#{IID}%%anggota#0")
    assert anggota[0]["__id"] == first
    assert anggota[0]["pendidikan@odata.navigationLink"] == (
        f"Submissions('uuid%3A11111111-2222-4333-8444-555555555555')/anggota('{first}')/pendidikan"
    )
    assert "pendidikan@odata.navigationLink" not in anggota[1]  # no instances, no link
    pendidikan = [json.loads(t) for t in r.tables["Submissions.anggota.pendidikan"]]
    assert [p["__id"] for p in pendidikan] == [
        sha1(f"Submissions#{IID}%%anggota#0%%pendidikan#{i}") for i in (0, 1)
    ]
    assert all(p["__Submissions-anggota-id"] == first for p in pendidikan)


def test_render__links_and_expansion__placed_where_central_puts_them(schema: Schema) -> None:
    """Should put a group's repeat link inside the group and root repeats after the root fields."""
    r = render(schema, IID, full_data())
    plain = json.loads("{" + r.head_plain + "}")
    assert (
        plain["rumah"]["kamar@odata.navigationLink"]
        == "Submissions('uuid%3A11111111-2222-4333-8444-555555555555')/rumah/kamar"
    )
    assert "kamar" not in plain["rumah"]
    expanded = json.loads("{" + r.head_exp + "," + r.tail_exp + "}")
    assert [k["nama_kamar"] for k in expanded["rumah"]["kamar"]] == ["depan", "belakang"]
    assert list(expanded)[-2:] == ["anggota@odata.navigationLink", "anggota"]
    assert "__Submissions-id" not in expanded["anggota"][0]
    assert [p["jenjang"] for p in expanded["anggota"][0]["pendidikan"]] == ["SD", "SMP"]


def test_render__captured_rows__reproduced_exactly() -> None:
    """Should render the captured rows' data back to the captured JSON text (ids, numbers, key order)."""
    from simulators.central.render import data_from_tree

    schema = Schema(parse_xform((FIXTURES / "forms" / "survei_rumah_tangga_v1.xml").read_text()).fields)
    expanded = json.loads((FIXTURES / "0720-get-odata-expand-all.json").read_text())["value"]
    for row in expanded:
        data = data_from_tree(schema.root, row)
        r = render(schema, row["__id"], data, version_id=row["meta"]["instanceID"])
        text = "{" + ",".join([r.head_exp, '"__id":' + json.dumps(row["__id"]),
                               '"__system":' + json.dumps(row["__system"], separators=(",", ":")), r.tail_exp]) + "}"  # fmt: skip
        assert text == json.dumps(row, separators=(",", ":"), ensure_ascii=False)


def test_emitter__select_and_wkt__rebuild_from_the_expanded_tree(schema: Schema) -> None:
    """Should keep only selected fields (with their groups) and write geopoints as WKT without accuracy."""
    r = render(schema, IID, full_data())
    tree = r.expanded_tree()
    out, repeats = Emitter({"/rumah", "/rumah/alamat", "/lokasi"}, False, True).fields(schema.root, tree)
    assert out == {"lokasi": "POINT (106.8 -6.1 12)", "rumah": {"alamat": "Jl. Raya 1"}}
    assert repeats == []


def test_schema__entity_form__meta_entity_is_a_structure_with_label() -> None:
    """Should treat meta/entity as a group whose label is a string field, as Central's field list does."""
    form = parse_xform(xform(ENTITY_MD))
    paths = {f.path: f.type for f in form.fields}
    assert paths["/meta/entity"] == "structure" and paths["/meta/entity/label"] == "string"
    r = render(
        Schema(form.fields), IID, {"nama": "Siti", "meta": {"entity": {"label": "Siti", "@id": "KPM-1"}}}
    )
    assert json.loads("{" + r.head_plain + "}")["meta"] == {"entity": {"label": "Siti"}, "instanceID": IID}


def test_merged_fields__new_version__keeps_removed_fields_and_new_ones_in_place() -> None:
    """Should give the union of versions: the newest order, with fields only older versions had revived."""
    v1 = parse_xform((FIXTURES / "forms" / "survei_rumah_tangga_v1.xml").read_text()).fields
    v2 = parse_xform((FIXTURES / "forms" / "survei_rumah_tangga_v2.xml").read_text()).fields
    union = [f.path for f in merged_fields([v1, v2])]
    assert union.index("/kondisi_rumah") == union.index("/jumlah_tercatat") + 1
    back = [f.path for f in merged_fields([v2, v1])]  # a field dropped in the newer version stays, at the end
    assert back[-1] == "/kondisi_rumah"


def test_metadata__nested_repeats__entity_types_and_parent_keys(schema: Schema) -> None:
    """Should describe every repeat table with its parent key, as edmxFor does."""
    xml = metadata_xml("uji", schema)
    assert '<EntityType Name="Submissions.anggota.pendidikan">' in xml
    assert '<Property Name="__Submissions-anggota-id" Type="Edm.String"/>' in xml
    assert (
        '<NavigationProperty Name="kamar" Type="Collection(org.opendatakit.user.uji.Submissions.rumah.kamar)"/>'
        in xml
    )
    assert '<ComplexType Name="rumah">' in xml
    doc = service_document(schema, "http://x", "/v1/projects/1/forms/uji.svc")
    assert [v["name"] for v in doc["value"]] == [
        "Submissions", "Submissions.rumah.kamar", "Submissions.anggota", "Submissions.anggota.pendidikan",
    ]  # fmt: skip


def test_submission_xml__parsed_against_the_schema__groups_and_repeats(schema: Schema) -> None:
    """Should read a submission XML into the data dict shape the store takes."""
    parsed = SubmissionXml(
        '<data id="uji" version="1"><nama>Siti</nama><rumah><alamat>A</alamat><kamar><nama_kamar>x</nama_kamar>'
        "</kamar></rumah><anggota><nama_anggota>S</nama_anggota></anggota><anggota><nama_anggota>B</nama_anggota>"
        "</anggota><meta><instanceID>uuid:b</instanceID><deprecatedID>uuid:a</deprecatedID></meta></data>",
        schema,
    )
    assert (parsed.xml_form_id, parsed.version, parsed.instance_id, parsed.deprecated_id) == (
        "uji",
        "1",
        "uuid:b",
        "uuid:a",
    )
    assert parsed.data["rumah"]["kamar"] == [{"nama_kamar": "x"}]
    assert [a["nama_anggota"] for a in parsed.data["anggota"]] == ["S", "B"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(167.0, "167"), (110.42482, "110.42482"), (1e-05, "0.00001"), (3, "3"), (1e21, "1e+21")],
)
def test_js_number_text__floats__printed_like_javascript(value: float, text: str) -> None:
    """Should print numbers as Number.prototype.toString does."""
    assert js_number_text(value) == text


def test_textfmt__express_etag_and_literals__match_node() -> None:
    """Should compute Express's weak ETag and parse timestamp literals like PostgreSQL."""
    body = b'{"message":"Could not find the resource you were looking for.","code":404.1}'
    assert express_etag(body) == 'W/"4c-ShTrjQvXJDA49Wfxw7ES7C6cQFg"'
    assert sanitize_odata_identifier("1st-name") == "_1st_name"
    assert parse_timestamp_literal("2026-11-28") == parse_timestamp_literal("2026-11-28T00:00:00Z")
    assert parse_timestamp_literal("2026-11-28T08:00:00+07:00") == parse_timestamp_literal(
        "2026-11-28T01:00Z"
    )
    with pytest.raises(ValueError):
        parse_timestamp_literal("kemarin")


def test_store__union_schema_grows__old_versions_rerendered_with_nulls() -> None:
    """Should show a field added in v2 as null on rows submitted to v1."""
    store = CentralStore()
    admin = store.add_user("a@example.test", "pw")
    store.add_project("P")
    store.publish_form(1, (FIXTURES / "forms" / "survei_rumah_tangga_v1.xml").read_text(), by=admin)
    sub = store.submit(
        1, "survei_rumah_tangga", {"kabupaten": "3601"}, submitter=admin, at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert "kondisi_rumah" not in sub.odata()
    store.publish_form(1, (FIXTURES / "forms" / "survei_rumah_tangga_v2.xml").read_text(), by=admin)
    row = sub.odata()
    assert row["kondisi_rumah"] is None and row["kabupaten"] == "3601"
    assert list(row).index("kondisi_rumah") == list(row).index("jumlah_tercatat") + 1
    assert row["__system"]["formVersion"] == "2026112801"
