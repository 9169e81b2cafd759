"""Import of the official KPM list: the planted bad file, idempotence, caseload history, what is never touched."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.warehouse.imports import planted
from tests.warehouse.imports.support import assignments, dump, kpm_row, report_cells, report_rows, write_csv
from warehouse.imports import ImportFileError, Severity, import_kpm, write_report
from warehouse.models import AuditLog, Kpm, RecomputeQueue


def row_issues(result):  # type: ignore[no-untyped-def]
    """The issues about rows of the file (not the KPM stored earlier and absent from it)."""
    return [i for i in result.issues if i.row is not None]


def issue_set(result) -> set[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    return {(i.row, i.code, i.severity.value) for i in result.issues}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_import_kpm__planted_bad_file__report_names_every_bad_row_and_keeps_every_good_row(
    seeded: Engine, tmp_path: Path, fmt: str
) -> None:
    """Should report each planted problem on its row with its code, and nothing on the clean rows; store every
    row that is not rejected; and write a report that lists the same rows."""
    path = planted.write_planted(tmp_path, fmt)
    result = import_kpm(seeded, path, actor="test", today=planted.TODAY)

    expected = planted.expected_issues(fmt) | {
        (None, "KOLOM_TIDAK_DIKENAL", "info"),  # the 'catatan' column
        (None, "TIDAK_ADA_DI_DAFTAR_BARU", "peringatan"),  # 3601-000900, same kabupaten, not in the file
    }
    assert issue_set(result) == expected
    missing = [i for i in result.issues if i.code == "TIDAK_ADA_DI_DAFTAR_BARU"]
    assert [i.key for i in missing] == ["3601-000900"]  # 3603-000901 is outside the file's kabupaten

    rows_in_file = sum(1 for row, _ in planted.rows_for(fmt) if row is not None)
    assert result.rows_read == rows_in_file
    assert result.rows_rejected == len(planted.rejected_rows(fmt))
    assert result.inserted == len(planted.stored_ids(fmt))
    with seeded.connect() as conn:
        stored = {r[0] for r in conn.execute(select(Kpm.id_kpm))}
    assert planted.stored_ids(fmt) <= stored
    assert not {"3601-000066", "3601-12345"} & stored
    assert stored - planted.stored_ids(fmt) == {"3601-000900", "3603-000901"}  # left alone, not deleted

    report = write_report(result, tmp_path / "laporan.xlsx")
    listed = {(r["Baris"], r["Kode"]) for r in report_rows(report) if r["Baris"] is not None}
    assert listed == {(row, code) for row, code, _ in planted.expected_issues(fmt)}


def test_import_kpm__planted_bad_file__values_stored_as_written(seeded: Engine, tmp_path: Path) -> None:
    """Should keep leading zeros, strip only spaces and dots from a NIK, store a NIK it cannot trust as
    written, fill an empty kabupaten from its kecamatan, and keep formula-like text verbatim."""
    import_kpm(seeded, planted.write_planted(tmp_path, "csv"), actor="test", today=planted.TODAY)
    assert kpm_row(seeded, "3601-000002").id_dtks == "000123"
    assert kpm_row(seeded, "3601-000002").alamat == "Kp. Nol RT 001/002"
    assert kpm_row(seeded, "3601-000011").nik_pengurus == "3601014503850011"
    assert kpm_row(seeded, "3601-000010").nik_pengurus == "٣٦٠١٠١٤٥٠٣٨٥٠٠١٠"  # flagged, never converted
    assert kpm_row(seeded, "3601-000027").kode_kabupaten == "3601"
    assert kpm_row(seeded, "3601-000029").nama_pengurus == "@SUM(1+1)"
    assert kpm_row(seeded, "3601-000023").kategori_awal is None  # unknown category: not stored
    row31 = kpm_row(seeded, "3602-000031")
    assert (row31.kode_kabupaten, row31.kategori_awal) == ("3602", "sangat_miskin")
    assert kpm_row(seeded, "3601-000001").dalam_daftar_resmi is True
    both = [kpm_row(seeded, "3601-000016").nik_pengurus, kpm_row(seeded, "3601-000017").nik_pengurus]
    assert both == ["3601014503850016", "3601014503850016"]  # duplicates flagged, never merged


def test_import_kpm__report__neutralises_formulas_and_masks_nik(seeded: Engine, tmp_path: Path) -> None:
    """Should write formula-like values with a leading quote and never show a whole NIK in the report."""
    result = import_kpm(seeded, planted.write_planted(tmp_path, "xlsx"), actor="test", today=planted.TODAY)
    report = write_report(result, tmp_path / "laporan.xlsx")
    by_row = {(r["Baris"], r["Kode"]): r for r in report_rows(report)}
    assert by_row[(24, "KATEGORI_TIDAK_DIKENAL")]["Nilai"] == "'=1+2"
    assert by_row[(10, "NIK_FORMAT")]["Nilai"] == "360101*****5009"
    cells = [str(c) for c in report_cells(report) if c is not None]
    assert not [c for c in cells if re.search(r"(?<!\d)\d{16}(?!\d)", c)]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]


def test_import_kpm__same_file_twice__second_import_changes_nothing(seeded: Engine, tmp_path: Path) -> None:
    """Should count every accepted row as unchanged the second time and leave every table as it was."""
    path = planted.write_planted(tmp_path, "xlsx")
    first = import_kpm(seeded, path, actor="test", today=planted.TODAY)
    before = dump(seeded)
    second = import_kpm(seeded, path, actor="test", today=planted.TODAY + timedelta(days=30))
    assert dump(seeded) == before
    assert (second.inserted, second.updated, second.assignments_opened) == (0, 0, 0)
    assert second.unchanged == first.rows_accepted
    assert issue_set(second) == issue_set(first)


def test_import_kpm__changed_pendamping__closes_old_assignment_and_opens_new(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should close the open assignment the day before the new start and open one for the new pendamping;
    the same pendamping again changes nothing."""
    d1, d2 = date(2020, 1, 6), date(2020, 4, 1)
    first = write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1), planted.good(2)])
    import_kpm(seeded, first, actor="test", today=d1)
    changed = write_csv(
        tmp_path / "b.csv", planted.HEADER, [planted.good(1, pendamping_id="PD-3601-002"), planted.good(2)]
    )
    result = import_kpm(seeded, changed, actor="test", today=d2)
    assert (result.updated, result.unchanged) == (1, 1)
    assert (result.assignments_opened, result.assignments_closed) == (1, 1)
    assert assignments(seeded, "3601-000001") == [
        ("PD-3601-001", d1, d2 - timedelta(days=1)),
        ("PD-3601-002", d2, None),
    ]
    assert assignments(seeded, "3601-000002") == [("PD-3601-001", d1, None)]
    assert kpm_row(seeded, "3601-000001").pendamping_id == "PD-3601-002"


def test_import_kpm__same_day_correction__replaces_that_day_assignment(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should replace the pendamping of an assignment that started the same day, with a warning."""
    day = date(2020, 1, 6)
    import_kpm(seeded, write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1)]), actor="t", today=day)
    fixed = write_csv(tmp_path / "b.csv", planted.HEADER, [planted.good(1, pendamping_id="PD-3601-002")])
    result = import_kpm(seeded, fixed, actor="t", today=day)
    assert [i.code for i in row_issues(result)] == ["PENUGASAN_DIKOREKSI"]
    assert assignments(seeded, "3601-000001") == [("PD-3601-002", day, None)]


def test_import_kpm__start_before_open_assignment__history_not_rewritten(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should refuse to change the pendamping from a date before the open assignment began, and say so."""
    import_kpm(
        seeded,
        write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1)]),
        actor="t",
        today=date(2020, 2, 1),
    )
    older = write_csv(tmp_path / "b.csv", planted.HEADER, [planted.good(1, pendamping_id="PD-3601-002")])
    result = import_kpm(seeded, older, actor="t", today=date(2020, 3, 1), assignment_start=date(2020, 1, 1))
    assert [(i.code, i.severity) for i in row_issues(result)] == [
        ("PENUGASAN_BERTENTANGAN", Severity.PERINGATAN)
    ]
    assert assignments(seeded, "3601-000001") == [("PD-3601-001", date(2020, 2, 1), None)]
    assert kpm_row(seeded, "3601-000001").pendamping_id == "PD-3601-001"


def test_import_kpm__empty_cells_and_registration_columns__stored_values_kept(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should not erase a stored value with an empty cell, nor touch what the registration form fills."""
    import_kpm(
        seeded,
        write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1)]),
        actor="t",
        today=planted.TODAY,
    )
    with seeded.begin() as conn:
        conn.execute(
            update(Kpm.__table__)
            .where(Kpm.id_kpm == "3601-000001")
            .values(
                jumlah_anggota=5,
                kategori="miskin",
                status_graduasi="belum",
                tanggal_registrasi=date(2020, 1, 9),
            )
        )
    blanked = planted.good(
        1, nama_pengurus=None, alamat=None, pendamping_id=None, kategori_awal="hampir_miskin"
    )
    result = import_kpm(
        seeded, write_csv(tmp_path / "b.csv", planted.HEADER, [blanked]), actor="t", today=planted.TODAY
    )
    assert result.updated == 1
    row = kpm_row(seeded, "3601-000001")
    assert (row.nama_pengurus, row.alamat, row.pendamping_id) == ("Ibu 1", "Kp. Sumberjaya 1", "PD-3601-001")
    assert row.kategori_awal == "hampir_miskin"
    assert (row.jumlah_anggota, row.kategori, row.status_graduasi) == (5, "miskin", "belum")
    assert row.tanggal_registrasi == date(2020, 1, 9)


def test_import_kpm__registered_before_listed__becomes_official(seeded: Engine, tmp_path: Path) -> None:
    """Should mark a KPM first created by a registration as on the official list (an update, not an insert)."""
    with seeded.begin() as conn:
        conn.execute(
            Kpm.__table__.insert().values(id_kpm="3601-000001", dalam_daftar_resmi=False, jumlah_anggota=4)
        )
    result = import_kpm(
        seeded,
        write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1)]),
        actor="t",
        today=planted.TODAY,
    )
    assert (result.inserted, result.updated) == (0, 1)
    row = kpm_row(seeded, "3601-000001")
    assert (row.dalam_daftar_resmi, row.jumlah_anggota, row.nik_pengurus) == (True, 4, "3601014503850001")


def test_import_kpm__audit_and_recompute__recorded_in_the_same_transaction(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should write one audit row naming the actor, the file and the counts, and queue changed KPM."""
    path = write_csv(tmp_path / "daftar.csv", planted.HEADER, [planted.good(1), planted.good(2)])
    import_kpm(seeded, path, actor="siti", today=planted.TODAY)
    with seeded.connect() as conn:
        audit = conn.execute(select(AuditLog.__table__).where(AuditLog.object_id == "daftar.csv")).one()
        queued = {r[0] for r in conn.execute(select(RecomputeQueue.id_kpm))}
    detail = json.loads(audit.detail)
    assert (audit.actor_username, audit.action) == ("siti", "import.kpm")
    assert (detail["baris_dibaca"], detail["baru"], len(detail["sha256"])) == (2, 2, 64)
    assert {"3601-000001", "3601-000002"} <= queued


def test_import_kpm__every_row_rejected__nothing_stored(seeded: Engine, tmp_path: Path) -> None:
    """Should report every row and store none when no row has a usable id_kpm."""
    rows = [planted.good(1, **{"ID KPM": "x"}), planted.good(2, **{"ID KPM": None})]
    result = import_kpm(
        seeded, write_csv(tmp_path / "a.csv", planted.HEADER, rows), actor="t", today=planted.TODAY
    )
    assert (result.rows_read, result.rows_rejected, result.imported) == (2, 2, False)
    with seeded.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Kpm)).scalar_one() == 2  # the earlier two


def test_import_kpm__regions_not_loaded__refuses_with_the_fix(engine: Engine, tmp_path: Path) -> None:
    """Should refuse to import into a warehouse without regions (every row would be flagged), naming the fix."""
    path = write_csv(tmp_path / "a.csv", planted.HEADER, [planted.good(1)])
    with pytest.raises(ImportFileError, match="graduasi db upgrade"):
        import_kpm(engine, path, actor="t", today=planted.TODAY)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Kpm)).scalar_one() == 0
