"""The field mapping: every row names a field of its form with a compatible type."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.build import build_xform
from forms.catalog import FORM_IDS
from forms.mapping import MAPPING_TYPES, MappingError, load_mapping
from forms.schema import form_fields


def test_load_mapping__shipped__covers_every_form_and_the_domain_targets() -> None:
    rows = load_mapping()
    assert {r.form_id for r in rows} == set(FORM_IDS)
    targets = {r.target for r in rows}
    for target in [
        "kpm.id_kpm",
        "kpm.nama_pengurus",
        "kpm.kode_kabupaten",
        "kpm.kode_kecamatan",
        "kpm.kode_desa",
        "kpm.pendamping_id",
        "kpm.tanggal_registrasi",
        "anggota.urutan",
        "anggota.nama",
        "anggota.hubungan",
        "anggota.jenis_kelamin",
        "anggota.tanggal_lahir",
        "anggota.status_hamil",
        "anggota.partisipasi_sekolah",
        "anggota.jenjang_sekolah",
        "anggota.disabilitas",
        "anggota.punya_jkn",
        "kpm.pendapatan_bulan_rp",
        "kpm.tabungan_rp",
        "kpm.aset_mudah_dijual",
        "kunjungan.tanggal_kunjungan",
        "pantau_anak.hadir_hari",
        "pantau_anak.hari_efektif",
        "pantau_balita.ditimbang",
        "kunjungan.hadir_p2k2",
        "kunjungan.penilaian_pendamping",
        "penyaluran.tahun_anggaran",
        "penyaluran.tahap",
        "penyaluran.nominal_diterima_rp",
        "penyaluran.tanggal_terima",
        "penyaluran.status_terima",
    ]:
        assert target in targets, target


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_mapping__fields__exist_with_compatible_type(form_id: str) -> None:
    fields = {f.name: f for f in form_fields(build_xform(form_id))}
    for row in load_mapping():
        if row.form_id != form_id:
            continue
        assert row.field in fields, f"mapping.csv row {row.row}: {row.field}"
        f = fields[row.field]
        kind = "select_multiple" if f.select_multiple else "select_one" if f.choices else f.type
        assert kind in MAPPING_TYPES[row.type], (
            f"mapping.csv row {row.row}: {row.field} is {kind}, not {row.type}"
        )


def test_mapping__bps_inputs__all_mapped() -> None:
    """Should feed every input of the BPS 14 criteria to the warehouse (it computes the official count)."""
    fields = {r.field for r in load_mapping() if r.form_id == "kpm_registrasi"}
    for name in [
        "luas_lantai_m2",
        "jumlah_art",
        "jenis_lantai",
        "jenis_dinding",
        "fasilitas_bab",
        "sumber_penerangan",
        "sumber_air_minum",
        "bahan_bakar_masak",
        "frek_protein_hewani_minggu",
        "beli_pakaian_setahun",
        "frek_makan_hari",
        "mampu_berobat",
        "pekerjaan_utama",
        "luas_lahan_m2",
        "pendapatan_bulan_rp",
        "pendidikan_tertinggi",
        "tabungan_rp",
        "nilai_aset_rp",
    ]:
        assert name in fields, name


def test_load_mapping__unknown_type__error_names_row(tmp_path: Path) -> None:
    path = tmp_path / "mapping.csv"
    path.write_text(
        "form_id,field,target,type,note\npenyaluran,tahap,penyaluran.tahap,number,\n", encoding="utf-8"
    )
    with pytest.raises(MappingError, match=r"row 2: type 'number' is unknown"):
        load_mapping(path)


def test_load_mapping__target_without_table__error(tmp_path: Path) -> None:
    path = tmp_path / "mapping.csv"
    path.write_text("form_id,field,target,type,note\npenyaluran,tahap,tahap,string,\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"row 2: target 'tahap' must be <table>.<attribute>"):
        load_mapping(path)


def test_mapping_row__table_and_attribute() -> None:
    row = next(r for r in load_mapping() if r.field == "kode_kabkota")
    assert (row.table, row.attribute) == ("kpm", "kode_kabupaten")
