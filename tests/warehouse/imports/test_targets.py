"""Import of pendamping targets: bad rows, upsert by (pendamping_id, tahun), idempotence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from tests.warehouse.imports import planted
from tests.warehouse.imports.support import dump, write_csv, write_xlsx
from warehouse.imports import import_targets
from warehouse.models import TargetPendamping

HEADER = ["pendamping_id", "tahun", "target_graduasi", "target_naik_kategori", "target_cakupan_kunjungan_pct"]
ROWS = [
    {"pendamping_id": "PD-3601-001", "tahun": "2020", "target_graduasi": "5", "target_naik_kategori": "20",
     "target_cakupan_kunjungan_pct": "90"},  # row 2
    {"pendamping_id": "PD-3601-002", "tahun": 2020, "target_graduasi": 3, "target_cakupan_kunjungan_pct": "85,5%"},
    {"pendamping_id": None, "tahun": "2020", "target_graduasi": "1"},  # row 4
    {"pendamping_id": "PD-3601-001", "tahun": "20", "target_graduasi": "1"},  # row 5
    {"pendamping_id": "PD-3601-003", "tahun": "2021", "target_graduasi": "1"},  # row 6
    {"pendamping_id": "PD-3601-003", "tahun": "2021", "target_graduasi": "2"},  # row 7
    {"pendamping_id": "PD-9999-001", "tahun": "2020", "target_graduasi": "-1",
     "target_cakupan_kunjungan_pct": "120"},  # row 8
    {"pendamping_id": "PD-3601-009", "tahun": "2020", "target_naik_kategori": "lima",
     "target_cakupan_kunjungan_pct": 0.85},  # row 9
]  # fmt: skip
EXPECTED = {
    (4, "KOLOM_WAJIB_KOSONG", "ditolak"),
    (5, "TANGGAL_TIDAK_VALID", "ditolak"),
    (6, "TARGET_DUPLIKAT", "ditolak"),
    (7, "TARGET_DUPLIKAT", "ditolak"),
    (8, "PENDAMPING_TIDAK_DIKENAL", "peringatan"),
    (8, "ANGKA_TIDAK_VALID", "peringatan"),  # -1 and 120 (one code, two issues)
    (9, "ANGKA_TIDAK_VALID", "peringatan"),  # 'lima', and 0.85 that probably meant 85 %
}


def targets(engine: Engine) -> dict[tuple[str, int], tuple]:
    t = TargetPendamping.__table__
    with engine.connect() as conn:
        return {
            (r.pendamping_id, r.tahun): (
                r.target_graduasi,
                r.target_naik_kategori,
                r.target_cakupan_kunjungan_pct,
            )
            for r in conn.execute(select(t))
        }


def test_import_targets__planted_file__reports_bad_rows_and_stores_the_rest(
    seeded: Engine, tmp_path: Path
) -> None:
    """Should reject rows without a key or with a clashing duplicate key, and store the rest with warnings."""
    path = write_xlsx(tmp_path / "target.xlsx", {"target": (HEADER, ROWS)})
    result = import_targets(seeded, path, actor="t", today=planted.TODAY)
    assert {(i.row, i.code, i.severity.value) for i in result.issues} == EXPECTED
    assert len([i for i in result.issues if i.row in (8, 9) and i.code == "ANGKA_TIDAK_VALID"]) == 4
    assert targets(seeded) == {
        ("PD-3601-001", 2020): (5, 20, 90.0),
        ("PD-3601-002", 2020): (3, None, 85.5),
        ("PD-9999-001", 2020): (None, None, None),
        ("PD-3601-009", 2020): (None, None, 0.85),
    }
    assert (result.rows_read, result.rows_rejected, result.inserted) == (8, 4, 4)


def test_import_targets__reimport_and_change__idempotent_then_updates(seeded: Engine, tmp_path: Path) -> None:
    """Should change nothing on the same file and update only the changed target on a new one."""
    path = write_csv(tmp_path / "target.csv", HEADER, ROWS[:2])
    import_targets(seeded, path, actor="t", today=planted.TODAY)
    before = dump(seeded)
    again = import_targets(seeded, path, actor="t", today=planted.TODAY + timedelta(days=1))
    assert dump(seeded) == before
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = [{**ROWS[0], "target_graduasi": "7"}, ROWS[1]]
    result = import_targets(
        seeded, write_csv(tmp_path / "b.csv", HEADER, changed), actor="t", today=planted.TODAY
    )
    assert (result.updated, result.unchanged) == (1, 1)
    assert targets(seeded)[("PD-3601-001", 2020)] == (7, 20, 90.0)
