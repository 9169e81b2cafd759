"""The synthetic generator's official lists, written as the demo writes them and imported: nothing lost."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from simulators.synthetic import generate
from tests.warehouse.imports.planted import TODAY
from tests.warehouse.imports.support import dump, write_csv, write_xlsx
from warehouse.imports import Severity, import_kpm, import_pendamping
from warehouse.models import Kpm, Pendamping


def test_import__synthetic_lists__every_row_stored_and_reimport_unchanged(wh: Engine, tmp_path: Path) -> None:
    """Should store every generated pendamping and KPM (extra columns only noted), and change nothing when
    the same files come again."""
    data = generate(kpm=40, seed=2019)
    kpm_rows, roster_rows = data.official_kpm_rows(), data.pendamping_rows()
    kpm_file = write_xlsx(tmp_path / "kpm.xlsx", {"kpm": (list(kpm_rows[0]), kpm_rows)})
    roster_file = write_csv(tmp_path / "pendamping.csv", list(roster_rows[0]), roster_rows)

    roster = import_pendamping(wh, roster_file, actor="demo", today=TODAY)
    listed = import_kpm(wh, kpm_file, actor="demo", today=TODAY)
    for result in (roster, listed):
        assert {i.severity for i in result.issues} <= {Severity.INFO}, result.issues
        assert result.rows_rejected == 0
    with wh.connect() as conn:
        stored = {r.id_kpm: r for r in conn.execute(select(Kpm.__table__))}
        pendamping = {r[0] for r in conn.execute(select(Pendamping.id))}
    assert pendamping == {r.get("id", r.get("pendamping_id")) for r in roster_rows}
    assert set(stored) == {r["id_kpm"] for r in kpm_rows}
    for row in kpm_rows:
        kept = stored[row["id_kpm"]]
        assert (kept.nik_pengurus, kept.no_kk, kept.kode_desa, kept.pendamping_id, kept.kategori_awal) == (
            row["nik_pengurus"],
            row["no_kk"],
            row["kode_desa"],
            row["pendamping_id"],
            row["kategori_awal"],
        )
    before = dump(wh)
    assert import_kpm(wh, kpm_file, actor="demo", today=TODAY).unchanged == len(kpm_rows)
    assert import_pendamping(wh, roster_file, actor="demo", today=TODAY).unchanged == len(roster_rows)
    assert dump(wh) == before
