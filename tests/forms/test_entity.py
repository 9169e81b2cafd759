"""The kpm Entity List properties and the forms that read and write them."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from forms.build import build_xform
from forms.entity import EntityListError, entity_uuid, kpm_csv_header, load_entity_properties


def test_entity_properties__shipped__required_ones_declared_never_nik_or_kk() -> None:
    props = {p.name: p for p in load_entity_properties()}
    for name in [
        "id_kpm",
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
    assert props["id_kpm"].written_by == ("roster_push",)  # the forms only read it
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
    assert header[:4] == ["name", "label", "id_kpm", "nama_pengurus"]


def test_entity_uuid__kpm_id__stable_version4_uuid_as_pushed_before() -> None:
    """Should give each KPM id its own version-4 UUID, the same one the roster push has always used (the
    entities already on Central keep their ids)."""
    one = entity_uuid("3601-000001")
    assert one == "84433c10-3984-4ef2-9f3f-5a0b8cc799f4"
    assert one == entity_uuid("3601-000001") != entity_uuid("3601-000002")
    assert uuid.UUID(one).version == 4 and uuid.UUID(one).variant == uuid.RFC_4122


@pytest.mark.parametrize("form_id", ["kpm_registrasi", "kpm_kunjungan", "penyaluran"])
def test_forms__kpm_select__stores_entity_name_and_copies_kpm_id(form_id: str) -> None:
    """Should choose the KPM as ``kpm`` (the entity name: a UUID on Central), copy its ``id_kpm`` property into
    the ``id_kpm`` calculate and key every lookup and the entity update on ``kpm``."""
    xml = build_xform(form_id).xml
    assert '<select1 ref="/data/kpm" appearance="autocomplete">' in xml
    assert (
        '<bind nodeset="/data/id_kpm" type="string" '
        "calculate=\"instance('kpm')/root/item[name= /data/kpm ]/id_kpm\"/>"
    ) in xml
    lookups = re.findall(r"instance\('kpm'\)/root/item\[name=([^\]]*)\]", xml)
    assert lookups and set(lookups) == {" /data/kpm "}
    if form_id != "penyaluran":
        assert (
            '<bind nodeset="/data/meta/entity/@id" readonly="true()" type="string" calculate=" /data/kpm "/>'
            in xml
        )


def test_load_entity_properties__unknown_writer__error_names_row(tmp_path: Path) -> None:
    path = tmp_path / "entity_kpm.csv"
    path.write_text("property,description,written_by\nkategori,x,warehouse\n", encoding="utf-8")
    with pytest.raises(EntityListError, match="row 2: written_by 'warehouse'"):
        load_entity_properties(path)
