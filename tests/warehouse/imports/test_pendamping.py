"""Import of the pendamping roster and the caseload sheet: bad rows, upserts, assignment history."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.warehouse.imports import planted
from tests.warehouse.imports.support import assignments, dump, kpm_row, write_csv, write_xlsx
from warehouse.imports import ImportFileError, import_kpm, import_pendamping
from warehouse.models import Pendamping

TODAY = planted.TODAY
ROSTER_HEADER = [
    "Pendamping ID",
    "Nama",
    "kode_kabkota",
    "kode_kecamatan",
    "No HP",
    "app_user",
    "aktif",
    "jumlah_kpm",
]
ROSTER = [
    {"Pendamping ID": "PD-3601-001", "Nama": "Ahmad", "kode_kabkota": "3601", "kode_kecamatan": "360101",
     "No HP": "081234567890", "app_user": "PD-3601-001", "aktif": "ya"},
    {"Pendamping ID": None, "Nama": "Tanpa ID", "kode_kabkota": "3601"},
    {"Pendamping ID": "PD 3601 003", "Nama": "Spasi", "kode_kabkota": "3601"},
    {"Pendamping ID": "PD-3601-004", "Nama": "Satu", "kode_kabkota": "3601"},
    {"Pendamping ID": "PD-3601-004", "Nama": "Dua", "kode_kabkota": "3601"},
    {"Pendamping ID": "PD-3601-005", "Nama": None, "kode_kabkota": "3601"},
    {"Pendamping ID": "PD-3601-006", "Nama": "Eka", "kode_kabkota": "3699"},
    {"Pendamping ID": "PD-3601-007", "Nama": "Fajar", "kode_kabkota": "3601", "aktif": "mungkin"},
    {"Pendamping ID": "PD-3601-008", "Nama": "Gita", "kode_kabkota": "3601", "No HP": 81234567890},
    {"Pendamping ID": "PD-3601-009", "Nama": "Hadi", "kode_kabkota": "3601", "aktif": "tidak"},
]  # fmt: skip
ROSTER_EXPECTED = {
    (3, "KOLOM_WAJIB_KOSONG", "ditolak"),
    (4, "ID_PENDAMPING_FORMAT", "ditolak"),
    (5, "PENDAMPING_DUPLIKAT", "ditolak"),
    (6, "PENDAMPING_DUPLIKAT", "ditolak"),
    (7, "KOLOM_WAJIB_KOSONG", "peringatan"),  # nama empty (reported while reading) ...
    (7, "KOLOM_WAJIB_KOSONG", "ditolak"),  # ... and a new pendamping cannot be stored without one
    (8, "KODE_WILAYAH_TIDAK_DIKENAL", "peringatan"),
    (9, "NILAI_TIDAK_DIKENAL", "peringatan"),
    (10, "SEL_ANGKA", "peringatan"),  # a phone typed as a number lost its leading zero
    (None, "KOLOM_TIDAK_DIKENAL", "info"),  # jumlah_kpm
}
PENUGASAN_HEADER = ["id_kpm", "pendamping_id", "tanggal_mulai"]


def issue_set(result) -> set[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    return {(i.row, i.code, i.severity.value) for i in result.issues}


def roster(engine: Engine) -> dict[str, tuple]:
    t = Pendamping.__table__
    with engine.connect() as conn:
        return {
            r.id: (r.nama, r.kode_kabupaten, r.telepon, r.central_app_user, r.aktif)
            for r in conn.execute(select(t))
        }


def test_import_pendamping__planted_roster__reports_bad_rows_and_stores_the_rest(
    wh: Engine, tmp_path: Path
) -> None:
    """Should reject rows without a usable id (or a name for a new pendamping), warn on the rest, store them."""
    path = write_xlsx(tmp_path / "pendamping.xlsx", {"pendamping": (ROSTER_HEADER, ROSTER)})
    result = import_pendamping(wh, path, actor="t", today=TODAY)
    assert issue_set(result) == ROSTER_EXPECTED
    stored = roster(wh)
    assert set(stored) == {"PD-3601-001", "PD-3601-006", "PD-3601-007", "PD-3601-008", "PD-3601-009"}
    assert stored["PD-3601-001"] == ("Ahmad", "3601", "081234567890", "PD-3601-001", True)
    assert stored["PD-3601-007"][4] is True  # unknown 'aktif' on a new pendamping: the default
    assert stored["PD-3601-008"][2] == "81234567890"  # stored as read, and reported
    assert stored["PD-3601-009"][4] is False
    assert (result.rows_read, result.rows_rejected, result.inserted) == (10, 5, 5)


def test_import_pendamping__same_file_twice__second_import_changes_nothing(
    wh: Engine, tmp_path: Path
) -> None:
    """Should count every stored row as unchanged when the same roster comes again."""
    path = write_csv(tmp_path / "pendamping.csv", ROSTER_HEADER, ROSTER, delimiter=";")
    first = import_pendamping(wh, path, actor="t", today=TODAY)
    before = dump(wh)
    second = import_pendamping(wh, path, actor="t", today=TODAY + timedelta(days=1))
    assert dump(wh) == before
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, first.inserted)


def test_import_pendamping__changed_and_missing__updates_and_reports_without_deactivating(
    wh: Engine, tmp_path: Path
) -> None:
    """Should update changed fields, keep what an empty cell would erase, and report (not deactivate) a
    pendamping of the same kabupaten missing from the new roster."""
    header = planted.PENDAMPING_HEADER
    import_pendamping(wh, write_csv(tmp_path / "a.csv", header, planted.PENDAMPING), actor="t", today=TODAY)
    changed = [
        {**planted.PENDAMPING[0], "nama": "Ahmad Baru", "kode_kecamatan": None},
        *planted.PENDAMPING[2:],
    ]
    result = import_pendamping(wh, write_csv(tmp_path / "b.csv", header, changed), actor="t", today=TODAY)
    assert (result.updated, result.unchanged, result.missing_from_list) == (1, 2, 1)
    missing = [i for i in result.issues if i.code == "TIDAK_ADA_DI_DAFTAR_BARU"]
    assert [i.key for i in missing] == ["PD-3601-002"]
    stored = roster(wh)
    assert stored["PD-3601-001"][:2] == ("Ahmad Baru", "3601")
    assert stored["PD-3601-002"][4] is True
    with wh.connect() as conn:
        kec = conn.execute(
            select(Pendamping.kode_kecamatan).where(Pendamping.id == "PD-3601-001")
        ).scalar_one()
    assert kec == "360101"


def test_import_pendamping__penugasan_sheet__history_and_bad_rows(wh: Engine, tmp_path: Path) -> None:
    """Should apply the caseload sheet in date order, close the open assignment the day before a new one,
    and reject rows it cannot store (unknown KPM, bad date, rewriting history, conflicting duplicates)."""
    kpm_path = write_csv(tmp_path / "kpm.csv", planted.HEADER, [planted.good(1), planted.good(2)])
    import_pendamping(
        wh,
        write_csv(tmp_path / "p.csv", planted.PENDAMPING_HEADER, planted.PENDAMPING),
        actor="t",
        today=TODAY,
    )
    import_kpm(wh, kpm_path, actor="t", today=date(2020, 1, 1))
    sheet = [
        {"id_kpm": "3601-000001", "pendamping_id": "PD-3601-002", "tanggal_mulai": "01/02/2020"},  # row 2
        {"id_kpm": "3601-000001", "pendamping_id": "PD-3602-001", "tanggal_mulai": "2020-03-01"},  # row 3
        {"id_kpm": "3601-000404", "pendamping_id": "PD-3601-002", "tanggal_mulai": "2020-02-01"},  # row 4
        {"id_kpm": "3601-000002", "pendamping_id": "PD-3601-002", "tanggal_mulai": "31/02/2020"},  # row 5
        {"id_kpm": "3601-000002", "pendamping_id": "PD-3601-002", "tanggal_mulai": "2019-06-01"},  # row 6
        {"id_kpm": "3601-000002", "pendamping_id": "PD-3601-002", "tanggal_mulai": "2020-02-10"},  # row 7
        {"id_kpm": "3601-000002", "pendamping_id": "PD-3601-009", "tanggal_mulai": "2020-02-10"},  # row 8
        {"id_kpm": "3601-000002", "pendamping_id": "PD-0000-000", "tanggal_mulai": None},  # row 9
        {"id_kpm": "3601-000001", "pendamping_id": "PD-3601-001", "tanggal_mulai": "2020-12-01"},  # row 10
    ]
    roster_rows = [
        {"id": "PD-3601-002", "nama": "Budi", "kode_kabupaten": "3601", "kode_kecamatan": "360102"}
    ]
    path = write_xlsx(
        tmp_path / "pendamping.xlsx",
        {"pendamping": (planted.PENDAMPING_HEADER, roster_rows), "Penugasan": (PENUGASAN_HEADER, sheet)},
    )
    result = import_pendamping(wh, path, actor="t", today=TODAY)
    assert {(i.sheet, i.row, i.code, i.severity.value) for i in result.issues if i.row} == {
        ("Penugasan", 4, "KPM_TIDAK_DIKENAL", "ditolak"),
        ("Penugasan", 5, "TANGGAL_TIDAK_VALID", "ditolak"),
        ("Penugasan", 6, "PENUGASAN_BERTENTANGAN", "ditolak"),  # before the open assignment (2020-01-01)
        ("Penugasan", 7, "PENUGASAN_DUPLIKAT", "ditolak"),
        ("Penugasan", 8, "PENUGASAN_DUPLIKAT", "ditolak"),
        ("Penugasan", 9, "KOLOM_WAJIB_KOSONG", "peringatan"),  # no date: the import date
        ("Penugasan", 9, "PENDAMPING_TIDAK_DIKENAL", "peringatan"),
        ("Penugasan", 10, "TANGGAL_TIDAK_VALID", "peringatan"),  # in the future
    }
    assert assignments(wh, "3601-000001") == [
        ("PD-3601-001", date(2020, 1, 1), date(2020, 1, 31)),
        ("PD-3601-002", date(2020, 2, 1), date(2020, 2, 29)),
        ("PD-3602-001", date(2020, 3, 1), date(2020, 11, 30)),
        ("PD-3601-001", date(2020, 12, 1), None),
    ]
    assert assignments(wh, "3601-000002") == [
        ("PD-3601-001", date(2020, 1, 1), TODAY - timedelta(days=1)),
        ("PD-0000-000", TODAY, None),
    ]
    assert kpm_row(wh, "3601-000001").pendamping_id == "PD-3601-001"
    assert kpm_row(wh, "3601-000002").pendamping_id == "PD-0000-000"
    assert (result.assignments_opened, result.assignments_closed) == (4, 4)

    before = dump(wh)
    again = import_pendamping(wh, path, actor="t", today=TODAY)
    assert dump(wh) == before
    assert (again.assignments_opened, again.assignments_closed) == (0, 0)


def test_import_pendamping__csv_with_id_kpm__read_as_caseload(wh: Engine, tmp_path: Path) -> None:
    """Should read a CSV whose header has id_kpm as a caseload list, not as a roster."""
    import_pendamping(
        wh,
        write_csv(tmp_path / "p.csv", planted.PENDAMPING_HEADER, planted.PENDAMPING),
        actor="t",
        today=TODAY,
    )
    import_kpm(
        wh,
        write_csv(tmp_path / "k.csv", planted.HEADER, [planted.good(1)]),
        actor="t",
        today=date(2020, 1, 1),
    )
    rows = [{"id_kpm": "3601-000001", "pendamping_id": "PD-3601-002", "tanggal_mulai": "2020-02-01"}]
    result = import_pendamping(
        wh, write_csv(tmp_path / "c.csv", PENUGASAN_HEADER, rows), actor="t", today=TODAY
    )
    assert (result.rows_read, result.inserted, result.assignments_opened) == (1, 0, 1)
    assert assignments(wh, "3601-000001")[-1] == ("PD-3601-002", date(2020, 2, 1), None)


def test_import_pendamping__one_sheet_left_empty__the_other_imported(wh: Engine, tmp_path: Path) -> None:
    """Should skip an empty roster or caseload sheet of the template, and refuse a workbook with neither."""
    import_pendamping(
        wh,
        write_csv(tmp_path / "p.csv", planted.PENDAMPING_HEADER, planted.PENDAMPING),
        actor="t",
        today=TODAY,
    )
    import_kpm(
        wh,
        write_csv(tmp_path / "k.csv", planted.HEADER, [planted.good(1)]),
        actor="t",
        today=date(2020, 1, 1),
    )
    caseload_only = write_xlsx(
        tmp_path / "caseload.xlsx",
        {
            "pendamping": (planted.PENDAMPING_HEADER, []),
            "penugasan": (PENUGASAN_HEADER, [{"id_kpm": "3601-000001", "pendamping_id": "PD-3601-002"}]),
            "petunjuk": (["Petunjuk"], [{"Petunjuk": "isi sheet pendamping"}]),
        },
    )
    result = import_pendamping(wh, caseload_only, actor="t", today=TODAY)
    assert (result.sheets, result.rows_read, result.assignments_opened) == (["penugasan"], 1, 1)
    roster_only = write_xlsx(
        tmp_path / "roster.xlsx",
        {"Daftar": (planted.PENDAMPING_HEADER, planted.PENDAMPING[:1]), "penugasan": (PENUGASAN_HEADER, [])},
    )
    assert import_pendamping(wh, roster_only, actor="t", today=TODAY).sheets == ["Daftar"]
    empty = write_xlsx(
        tmp_path / "empty.xlsx",
        {"pendamping": (planted.PENDAMPING_HEADER, []), "penugasan": (PENUGASAN_HEADER, [])},
    )
    with pytest.raises(ImportFileError, match="empty.xlsx: tidak ada data"):
        import_pendamping(wh, empty, actor="t", today=TODAY)
