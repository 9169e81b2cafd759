"""Loading captured Central OData rows: typed tables from the form's fields, idempotence, edits and reviews."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from warehouse.db import write_connection
from warehouse.formtables import SourceField, ensure_form_tables
from warehouse.loader import load_central_page
from warehouse.models import DataQualityIssue, RawSubmission, Submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "odk-central"
NOW = datetime(2026, 11, 28, 3, 0, 0)


def fixture(name: str):  # type: ignore[no-untyped-def]
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fields(name: str = "0270-get-form-fields-odata.json") -> list[SourceField]:
    return [SourceField.from_central(f) for f in fixture(name)]


def expanded_rows() -> list[dict]:
    """All live rows with their anggota inlined, built from the captured root and repeat tables."""
    roots = fixture("0600-get-odata-submissions-count.json")["value"]
    children: dict[str, list[dict]] = {}
    for child in fixture("0730-get-odata-repeat-table.json")["value"]:
        item = {k: v for k, v in child.items() if k != "__Submissions-id"}
        children.setdefault(child["__Submissions-id"], []).append(item)
    rows = []
    for root in roots:
        row = dict(root)
        row["anggota"] = children.get(root["__id"], [])
        rows.append(row)
    return rows


def load(
    engine: Engine, rows: list[dict], run_id: int = 1, field_file: str = "0270-get-form-fields-odata.json"
):  # type: ignore[no-untyped-def]
    with write_connection(engine) as conn:
        tables = ensure_form_tables(conn, "central", "survei_rumah_tangga", fields(field_file), run_id)
        return load_central_page(conn, tables, rows, run_id=run_id, fetched_at=NOW)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def test_load__captured_rows__typed_tables_match(engine: Engine) -> None:
    """Should create root and repeat tables from the fields and fill them with typed values."""
    rows = expanded_rows()
    result = load(engine, rows)
    assert (result.fetched, result.inserted, result.updated, result.unchanged) == (len(rows), len(rows), 0, 0)
    assert count(engine, "f_survei_rumah_tangga") == len(rows)
    assert count(engine, "f_survei_rumah_tangga__anggota") == sum(len(r["anggota"]) for r in rows)
    with engine.connect() as conn:
        first = rows[0]
        typed = (
            conn.execute(text("SELECT * FROM f_survei_rumah_tangga WHERE _id = :i"), {"i": first["__id"]})
            .one()
            ._mapping
        )
        assert typed["nama_kepala"] == first["kepala"]["nama_kepala"]
        assert typed["jumlah_anggota"] == first["jumlah_anggota"]
        assert typed["tanggal_survei"] in (
            date.fromisoformat(first["tanggal_survei"]),
            first["tanggal_survei"],
        )
        assert typed["lokasi_lon"] == first["lokasi"]["coordinates"][0]
        assert typed["lokasi_acc"] == first["lokasi"]["properties"]["accuracy"]
        assert typed["program_bantuan"] == first["program_bantuan"]
        members = conn.execute(
            text(
                "SELECT nama_anggota, umur, _position FROM f_survei_rumah_tangga__anggota "
                "WHERE _submission_id = :i ORDER BY _position"
            ),
            {"i": first["__id"]},
        ).all()
        assert [(m[0], m[1]) for m in members] == [(a["nama_anggota"], a["umur"]) for a in first["anggota"]]
        raw = conn.execute(select(func.count()).select_from(RawSubmission)).scalar_one()
        assert raw == len(rows)


def test_load__same_page_twice__nothing_inserted(engine: Engine) -> None:
    """Should count a re-fetched unchanged page as unchanged and write nothing new."""
    rows = expanded_rows()
    load(engine, rows)
    again = load(engine, copy.deepcopy(rows), run_id=2)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows))
    assert count(engine, "raw_submission") == len(rows)
    assert count(engine, "f_survei_rumah_tangga__anggota") == sum(len(r["anggota"]) for r in rows)


def test_load__edit_and_review__current_row_replaced_history_kept(engine: Engine) -> None:
    """Should keep both versions raw, replace the typed rows (fewer members) and apply a review state."""
    rows = expanded_rows()
    load(engine, rows)
    edited = copy.deepcopy(rows[0])
    edited["meta"]["instanceID"] = "uuid:new-version-1"
    edited["kepala"]["nama_kepala"] = "Nama Diperbaiki"
    edited["anggota"] = edited["anggota"][:2]
    edited["__system"].update(updatedAt="2026-11-28T02:00:00.000Z", edits=1, reviewState="edited")
    reviewed = copy.deepcopy(rows[1])
    reviewed["__system"].update(updatedAt="2026-11-28T02:00:01.000Z", reviewState="approved")
    result = load(engine, [edited, reviewed], run_id=2)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 0)
    assert result.max_server_time == "2026-11-28T02:00:01.000Z"
    with engine.connect() as conn:
        versions = (
            conn.execute(select(RawSubmission.instance_id).where(RawSubmission.logical_id == rows[0]["__id"]))
            .scalars()
            .all()
        )
        assert sorted(versions) == sorted([rows[0]["meta"]["instanceID"], "uuid:new-version-1"])
        current = conn.execute(
            select(Submission.__table__).where(Submission.logical_id == rows[0]["__id"])
        ).one()
        assert (current.instance_id, current.edits, current.review_state) == (
            "uuid:new-version-1",
            1,
            "edited",
        )
        name = conn.execute(
            text("SELECT nama_kepala FROM f_survei_rumah_tangga WHERE _id = :i"), {"i": rows[0]["__id"]}
        ).scalar_one()
        assert name == "Nama Diperbaiki"
        members = conn.execute(
            text("SELECT count(*) FROM f_survei_rumah_tangga__anggota WHERE _submission_id = :i"),
            {"i": rows[0]["__id"]},
        ).scalar_one()
        assert members == 2
        state = conn.execute(
            text("SELECT _review_state FROM f_survei_rumah_tangga WHERE _id = :i"), {"i": rows[1]["__id"]}
        ).scalar_one()
        assert state == "approved"


def test_load__bad_values__stored_raw_and_flagged(engine: Engine) -> None:
    """Should keep a row whose values do not fit, with NULL typed values and a problem per field."""
    row = copy.deepcopy(expanded_rows()[0])
    row["jumlah_anggota"] = "tiga puluh"
    row["tanggal_survei"] = "kemarin"
    row["lokasi"] = "di rumah"
    result = load(engine, [row])
    assert result.inserted == 1
    with engine.connect() as conn:
        typed = conn.execute(text("SELECT jumlah_anggota, tanggal_survei FROM f_survei_rumah_tangga")).one()
        assert tuple(typed) == (None, None)
        rules = sorted(conn.execute(select(DataQualityIssue.rule, DataQualityIssue.field)).all())
        assert rules == [
            ("GPS_UNPARSEABLE", "/lokasi"),
            ("TYPE_MISMATCH", "/jumlah_anggota"),
            ("TYPE_MISMATCH", "/tanggal_survei"),
        ]
        assert "tiga puluh" in conn.execute(select(RawSubmission.payload)).scalar_one()


def test_load__new_form_version__column_added_old_kept(engine: Engine) -> None:
    """Should add the v2 field as a column and keep every v1 column."""
    load(engine, expanded_rows())
    row = copy.deepcopy(expanded_rows()[0])
    row["__id"] = row["meta"]["instanceID"] = "uuid:v2-row"
    row["kondisi_rumah"] = "layak"
    load(engine, [row], run_id=2, field_file="1150-get-form-fields-odata-v2.json")
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT kondisi_rumah FROM f_survei_rumah_tangga WHERE _id = 'uuid:v2-row'")
        ).scalar_one()
        assert value == "layak"
        assert (
            conn.execute(text("SELECT count(*) FROM f_survei_rumah_tangga")).scalar_one()
            == len(expanded_rows()) + 1
        )


# --- duplicates, conflicts, odd rows (F11, B18, reliability.md §4) ----------------------------------------------


def raw_versions(engine: Engine, logical_id: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                select(RawSubmission.instance_id).where(RawSubmission.logical_id == logical_id)
            ).scalars()
        )


def test_load__same_version_twice_in_a_page__stored_once(engine: Engine) -> None:
    """F11: one version served twice in one page is one raw row, one current row, and one 'unchanged'."""
    row = expanded_rows()[0]
    result = load(engine, [row, copy.deepcopy(row)])
    assert (result.fetched, result.inserted, result.unchanged) == (2, 1, 1)
    assert raw_versions(engine, row["__id"]) == [row["meta"]["instanceID"]]


def test_load__two_versions_of_one_submission_in_a_page__newer_wins_both_raw(engine: Engine) -> None:
    """F11: the newer version (by updatedAt, then edits) becomes current; both versions are kept raw."""
    old = expanded_rows()[0]
    new = copy.deepcopy(old)
    new["meta"]["instanceID"] = "uuid:newer"
    new["kepala"]["nama_kepala"] = "Versi Baru"
    new["__system"].update(updatedAt="2026-11-29T00:00:00.000Z", edits=1, reviewState="edited")
    result = load(engine, [new, old])
    assert (result.inserted, result.unchanged) == (1, 1)
    assert raw_versions(engine, old["__id"]) == sorted([old["meta"]["instanceID"], "uuid:newer"])
    with engine.connect() as conn:
        assert conn.execute(select(Submission.instance_id)).scalar_one() == "uuid:newer"


def test_load__same_instance_id_other_content__conflict_flagged_first_kept(engine: Engine) -> None:
    """F11: a version re-sent with different answers keeps the first current, stores the other raw, opens
    one DUPLICATE_INSTANCE_CONFLICT."""
    row = expanded_rows()[0]
    load(engine, [row])
    other = copy.deepcopy(row)
    other["kepala"]["nama_kepala"] = "Isi Lain"
    result = load(engine, [other], run_id=2)
    assert (result.inserted, result.updated, result.quarantined) == (0, 0, 1)
    assert len(raw_versions(engine, row["__id"])) == 2
    with engine.connect() as conn:
        name = conn.execute(text("SELECT nama_kepala FROM f_survei_rumah_tangga")).scalar_one()
        rules = conn.execute(select(DataQualityIssue.rule)).scalars().all()
    assert name == row["kepala"]["nama_kepala"]
    assert rules.count("DUPLICATE_INSTANCE_CONFLICT") == 1
    again = load(engine, [copy.deepcopy(other)], run_id=3)  # the same conflict again adds nothing
    assert len(raw_versions(engine, row["__id"])) == 2 and again.quarantined == 1


def test_load__version_re_rendered_with_new_null_fields__not_a_conflict(engine: Engine) -> None:
    """A form version that adds fields makes old rows come back with nulls: the same answers, no problem."""
    row = expanded_rows()[0]
    load(engine, [row])
    rerendered = copy.deepcopy(row)
    rerendered["kondisi_rumah"] = None
    result = load(engine, [rerendered], run_id=2)
    assert (result.unchanged, result.quarantined) == (1, 0)
    assert len(raw_versions(engine, row["__id"])) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DataQualityIssue)).scalar_one() == 0


def test_load__rows_without_id_or_that_break_the_normaliser__quarantined_never_fatal(
    engine: Engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A row with no __id is flagged; a row the normaliser chokes on is kept raw and current, flagged."""
    import warehouse.normalise as normalise

    rows = expanded_rows()[:3]
    broken = copy.deepcopy(rows[1])
    broken["__id"] = None
    original = normalise._geo

    def choke(value, path, problems):  # type: ignore[no-untyped-def]
        if isinstance(value, dict) and value.get("coordinates") == ["boom"]:
            raise RuntimeError("normaliser bug")
        return original(value, path, problems)

    monkeypatch.setattr(normalise, "_geo", choke)
    odd = copy.deepcopy(rows[2])
    odd["lokasi"] = {"type": "Point", "coordinates": ["boom"]}
    result = load(engine, [rows[0], broken, odd])
    assert (result.fetched, result.inserted, result.quarantined) == (3, 1, 2)
    assert result.fetched == result.inserted + result.updated + result.unchanged + result.quarantined
    with engine.connect() as conn:
        rules = sorted(conn.execute(select(DataQualityIssue.rule)).scalars())
        current = conn.execute(select(Submission.logical_id)).scalars().all()
        typed = conn.execute(text("SELECT _id FROM f_survei_rumah_tangga")).scalars().all()
    assert rules == ["NORMALISER_ERROR", "NORMALISER_ERROR"]
    assert sorted(current) == sorted([rows[0]["__id"], odd["__id"]])
    assert typed == [rows[0]["__id"]]


def test_load__nul_and_lone_surrogates__stored_and_repaired_on_both_backends(engine: Engine) -> None:
    """B18: PostgreSQL refuses NUL and lone surrogates: typed values are repaired and flagged, raw keeps all."""
    row = copy.deepcopy(expanded_rows()[0])
    row["kepala"]["nama_kepala"] = "Siti\x00 \ud800Aminah 🌸"
    text_of_row = json.dumps(row)  # the server's escaped text: \u0000 and \ud800 as escapes
    result = load_texts(engine, [row], [text_of_row])
    assert result.inserted == 1
    with engine.connect() as conn:
        name = conn.execute(text("SELECT nama_kepala FROM f_survei_rumah_tangga")).scalar_one()
        payload = conn.execute(select(RawSubmission.payload)).scalar_one()
        rules = conn.execute(select(DataQualityIssue.rule)).scalars().all()
    assert name == "Siti \ufffdAminah 🌸"
    assert "\\u0000" in payload and "\\ud800" in payload
    assert rules == ["ENCODING_REPAIRED"]


def test_load__texts_given__raw_payload_is_the_servers_text_without_system(engine: Engine) -> None:
    """The raw layer keeps the server's own text (minus __system, stored beside it)."""
    row = expanded_rows()[0]
    server_text = json.dumps(row, separators=(", ", ": "))
    load_texts(engine, [row], [server_text])
    with engine.connect() as conn:
        payload, system = conn.execute(select(RawSubmission.payload, RawSubmission.system)).one()
    system_text = json.dumps(row["__system"], separators=(", ", ": "))
    assert payload == server_text.replace(f', "__system": {system_text}', "")
    assert json.loads(payload) == {k: v for k, v in row.items() if k != "__system"}
    assert json.loads(system) == row["__system"]


def load_texts(engine: Engine, rows: list[dict], texts: list[str]):  # type: ignore[no-untyped-def]
    with write_connection(engine) as conn:
        tables = ensure_form_tables(conn, "central", "survei_rumah_tangga", fields(), 1)
        return load_central_page(conn, tables, rows, run_id=1, fetched_at=NOW, texts=texts)


def test_version_key__deterministic_signed_64_bit_and_per_form() -> None:
    from warehouse.prepare import version_key

    key = version_key("central", "f", "uuid:1")
    assert key == version_key("central", "f", "uuid:1") and -(2**63) <= key < 2**63
    assert len({key, version_key("central", "g", "uuid:1"), version_key("kobo", "f", "uuid:1")}) == 3


def test_load__versions_sharing_a_key__stored_once_each_and_told_apart(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every version under one key (a collision, forced): still each version stored once, found by its instance
    id — on a re-send, an edit, a conflict and a rebuild."""
    import warehouse.loader as loader

    monkeypatch.setattr(loader, "version_key", lambda *_a: 7)
    rows = expanded_rows()
    load(engine, rows)
    edited = copy.deepcopy(rows[0])
    edited["meta"]["instanceID"] = "uuid:new-version-1"
    edited["kepala"]["nama_kepala"] = "Nama Diperbaiki"
    edited["__system"].update(updatedAt="2026-11-28T02:00:00.000Z", edits=1)
    load(engine, [edited], run_id=2)
    resent = load(engine, [copy.deepcopy(edited), copy.deepcopy(rows[1])], run_id=3)
    assert (resent.inserted, resent.updated, resent.unchanged) == (0, 0, 2)
    other = copy.deepcopy(rows[1])
    other["kepala"]["nama_kepala"] = "Isi Lain"
    assert load(engine, [other], run_id=4).quarantined == 1
    assert count(engine, "raw_submission") == len(rows) + 2
    assert raw_versions(engine, rows[0]["__id"]) == sorted(
        [rows[0]["meta"]["instanceID"], "uuid:new-version-1"]
    )

    from warehouse.loader import rederive_form

    with write_connection(engine) as conn:
        tables = ensure_form_tables(conn, "central", "survei_rumah_tangga", fields(), 5)
        assert rederive_form(conn, tables, at=NOW)[0] == len(rows)
    with engine.connect() as conn:
        names = dict(conn.execute(text("SELECT _id, nama_kepala FROM f_survei_rumah_tangga")).all())
    assert len(names) == len(rows)
    assert (
        names[rows[0]["__id"]] == "Nama Diperbaiki"
        and names[rows[1]["__id"]] == rows[1]["kepala"]["nama_kepala"]
    )
