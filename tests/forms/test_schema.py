"""Fields of a built form, as Central lists them."""

from __future__ import annotations

from forms.build import build_xform
from forms.schema import FieldInfo, form_choices, form_fields


def by_path(form_id: str) -> dict[str, FieldInfo]:
    return {f.path: f for f in form_fields(build_xform(form_id))}


def test_form_fields__registration__repeat_and_types() -> None:
    fields = by_path("kpm_registrasi")
    assert fields["/anggota"].type == "repeat" and fields["/anggota"].repeat == ""
    member = fields["/anggota/tanggal_lahir"]
    assert (member.name, member.type, member.repeat, member.kind) == (
        "tanggal_lahir",
        "date",
        "/anggota",
        "question",
    )
    assert fields["/anggota/umur_tahun"].kind == "calculate" and fields["/anggota/umur_tahun"].type == "int"
    assert fields["/jumlah_art"].type == "int"
    assert fields["/luas_lantai_m2"].type == "decimal"
    assert fields["/lokasi_rumah"].type == "geopoint"
    assert fields["/foto_rumah"].binary
    assert fields["/aset_mudah_dijual"].select_multiple and fields["/aset_mudah_dijual"].choices == "aset"
    assert fields["/kode_desa"].choices == "desa" and not fields["/kode_desa"].select_multiple
    assert fields["/ringkasan"].kind == "note"
    assert fields["/start"].kind == "meta" and fields["/meta/instanceID"].kind == "meta"


def test_form_fields__entity_block__left_out() -> None:
    assert not [p for p in by_path("kpm_registrasi") if p.startswith("/meta/entity")]


def test_form_fields__visit__two_repeats() -> None:
    fields = by_path("kpm_kunjungan")
    assert fields["/pantau_anak/hadir_hari"].repeat == "/pantau_anak"
    assert fields["/pantau_balita/bb_kg"].repeat == "/pantau_balita"
    assert fields["/pantau_anak/hadir_hari"].relevant == "../status_anak  = 'sekolah'"  # as pyxform writes it


def test_form_fields__names__unique_within_each_form() -> None:
    for form_id in ("kpm_registrasi", "kpm_kunjungan", "penyaluran"):
        names = [f.name for f in form_fields(build_xform(form_id)) if f.kind != "meta"]
        assert len(names) == len(set(names)), form_id


def test_form_choices__inline_lists__names_in_order() -> None:
    choices = form_choices(build_xform("penyaluran"))
    assert choices["tahap"] == ["1", "2", "3", "sekaligus"]
    assert choices["bank"] == ["bjb", "bank_banten", "bri"]
    assert "kpm" not in choices  # from a file, not inside the form
