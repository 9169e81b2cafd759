"""Import templates: the documented header, an example row, instructions, and a clean round trip."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from tests.warehouse.imports.planted import TODAY
from tests.warehouse.imports.support import kpm_row
from warehouse.imports import import_kpm, import_pendamping, import_targets, write_template
from warehouse.imports.columns import KPM_COLUMNS, PENDAMPING_COLUMNS, PENUGASAN_COLUMNS, TARGET_COLUMNS


@pytest.mark.parametrize(
    ("kind", "sheets"),
    [
        ("kpm", {"kpm": KPM_COLUMNS}),
        ("pendamping", {"pendamping": PENDAMPING_COLUMNS, "penugasan": PENUGASAN_COLUMNS}),
        ("targets", {"target": TARGET_COLUMNS}),
    ],
)
def test_write_template__each_kind__header_example_and_instructions(
    tmp_path: Path, kind: str, sheets: dict
) -> None:
    """Should hold the documented header, one example row (identity columns as text) and a 'petunjuk' sheet
    that explains every column."""
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*sheets, "petunjuk"]
    for name, columns in sheets.items():
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == [c.name for c in columns]
        assert len(rows) == 2
        for j, spec in enumerate(columns):
            if spec.text_format and spec.example:
                assert book[name].cell(2, j + 1).number_format == "@"
                assert book[name].cell(2, j + 1).data_type == "s"
    explained = {row[0] for row in book["petunjuk"].iter_rows(values_only=True)}
    assert {c.name for columns in sheets.values() for c in columns} <= explained


def test_write_template__unknown_kind__refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kpm, pendamping, targets"):
        write_template("anggota", tmp_path / "x.xlsx")


def test_templates__imported_in_order__example_rows_stored_cleanly(wh: Engine, tmp_path: Path) -> None:
    """Should import the three templates' example rows: the roster first (its caseload row waits for the KPM),
    then the KPM list and the targets without a single issue, then the roster again without one."""
    paths = {
        kind: write_template(kind, tmp_path / f"{kind}.xlsx") for kind in ("pendamping", "kpm", "targets")
    }
    first = import_pendamping(wh, paths["pendamping"], actor="t", today=TODAY)
    assert [(i.sheet, i.code) for i in first.issues] == [("penugasan", "KPM_TIDAK_DIKENAL")]
    assert first.inserted == 1
    kpm = import_kpm(wh, paths["kpm"], actor="t", today=TODAY)
    assert (kpm.issues, kpm.inserted, kpm.assignments_opened) == ([], 1, 1)
    targets = import_targets(wh, paths["targets"], actor="t", today=TODAY)
    assert (targets.issues, targets.inserted) == ([], 1)
    again = import_pendamping(wh, paths["pendamping"], actor="t", today=TODAY)
    assert (again.issues, again.unchanged, again.assignments_opened) == ([], 1, 0)
    row = kpm_row(wh, "3601-000001")
    assert (row.nik_pengurus, row.kode_desa, row.pendamping_id, row.tahun_masuk) == (
        "3601014503850001",
        "3601012001",
        "PD-3601-001",
        2019,
    )
