"""The kpm Entity List properties and the forms that read and write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forms.build import build_xform
from forms.entity import EntityListError, kpm_csv_header, load_entity_properties


def test_entity_properties__shipped__required_ones_declared_never_nik_or_kk() -> None:
    props = {p.name: p for p in load_entity_properties()}
    for name in [
        "nama_pengurus",
        "kode_kabkota",
        "kode_kecamatan",
        "kode_desa",
        "nama_desa",
        "pendamping_id",
        "ringkasan_anggota",
        "jumlah_art",
        "n_anak_sekolah",
        "n_balita",
        "n_hamil",
        "n_lansia",
        "n_disabilitas_berat",
        "kategori",
        "status_graduasi",
        "tanggal_kunjungan_terakhir",
    ]:
        assert name in props, name
    assert not [n for n in props if "nik" in n or n.startswith("no_kk")]
    assert props["kategori"].written_by == ("roster_push",)
    assert props["tanggal_kunjungan_terakhir"].written_by == ("roster_push", "visit")


@pytest.mark.parametrize(
    ("form_id", "writer"), [("kpm_registrasi", "registration"), ("kpm_kunjungan", "visit")]
)
def test_entity_properties__writers__match_save_to_of_the_forms(form_id: str, writer: str) -> None:
    """Should declare exactly the properties each form writes (the roster push leaves them to the form)."""
    saved = set(re.findall(r'entities:saveto="([^"]+)"', build_xform(form_id).xml))
    declared = {p.name for p in load_entity_properties() if writer in p.written_by}
    assert saved == declared


def test_kpm_csv_header__name_label_then_properties() -> None:
    header = kpm_csv_header()
    assert header[:3] == ["name", "label", "nama_pengurus"]


def test_load_entity_properties__unknown_writer__error_names_row(tmp_path: Path) -> None:
    path = tmp_path / "entity_kpm.csv"
    path.write_text("property,description,written_by\nkategori,x,warehouse\n", encoding="utf-8")
    with pytest.raises(EntityListError, match="row 2: written_by 'warehouse'"):
        load_entity_properties(path)
