"""Every generated submission must be one ODK Collect would send for the built forms of forms/.

The checker (simulators.synthetic.formcheck) evaluates the XForm's own binds: relevance, required, constraints,
choices (including CSV and Entity List choices) and every calculate. A form changed without the generator (or
the other way round) fails here.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forms.build import build_xform
from forms.catalog import FORM_IDS
from forms.entity import entity_uuid
from simulators.synthetic import Dataset, Edit, Submit, generate
from simulators.synthetic.formcheck import FormModel, check_submission
from simulators.synthetic.xpath import Context, Node, evaluate, to_string


@functools.cache
def model(form_id: str) -> FormModel:
    built = build_xform(form_id, target="central")
    return FormModel.from_xml(built.xml, built.media)


@functools.cache
def dataset() -> Dataset:
    return generate(160, 31)


def entity_rows(ds: Dataset, event: Submit | Edit) -> list[dict[str, str]]:
    """The Entity List the phone held when the form was filled."""
    by_id = {h.id_kpm: h for h in ds.households}
    h = by_id[event.data["id_kpm"]]
    if event.form_id == "kpm_kunjungan":
        k = h.visit_dates.index(date.fromisoformat(event.data["tanggal_kunjungan"]))
        return [ds.entity_row(h, k)]
    return [ds.entity_row(h)]


def check(ds: Dataset, event: Submit | Edit) -> list[str]:
    today = date.fromisoformat(event.data["end"][:10])
    return check_submission(model(event.form_id), event.data, today=today, entity_rows=entity_rows(ds, event))


def submissions(ds: Dataset) -> list[Submit | Edit]:
    return [e for e in ds.events() if isinstance(e, Submit | Edit)]


def test_forms__all_three__exist_for_the_generator() -> None:
    assert set(FORM_IDS) == {"kpm_registrasi", "kpm_kunjungan", "penyaluran"}


def test_generated_submissions__every_form__are_valid_for_the_built_forms() -> None:
    """Should produce only submissions that pass every bind of the forms (a sample of 160 KPM, all events)."""
    ds = dataset()
    problems: dict[str, list[str]] = {}
    checked: dict[str, int] = {}
    for event in submissions(ds):
        checked[event.form_id] = checked.get(event.form_id, 0) + 1
        found = check(ds, event)
        if found:
            problems.setdefault(f"{event.form_id} {event.instance_id}", []).extend(found)
    assert set(checked) == set(FORM_IDS)
    assert checked["kpm_registrasi"] > 160 and checked["kpm_kunjungan"] > 500 and checked["penyaluran"] > 300
    assert not problems, "\n".join(f"{k}: {v[:5]}" for k, v in list(problems.items())[:10])


def test_generated_submissions__kpm_chosen__entity_uuid_and_kpm_id() -> None:
    """Should choose the KPM by its Central entity name (the UUID of its id) and send the KPM id as id_kpm."""
    ds = dataset()
    ids = {h.id_kpm for h in ds.households}
    for event in submissions(ds):
        assert event.data["id_kpm"] in ids
        assert event.data["kpm"] == entity_uuid(event.data["id_kpm"]), event.instance_id
    assert {ds.entity_row(h)["name"] for h in ds.households} == {entity_uuid(i) for i in ids}
    assert all(ds.entity_row(h)["id_kpm"] == h.id_kpm for h in ds.households)


def test_generated_visits__cover_the_forms_branches() -> None:
    """Should exercise the interesting branches: absent families, new children, births, pregnancies, dropouts."""
    seen: set[str] = set()
    for event in submissions(dataset()):
        d = event.data
        if event.form_id != "kpm_kunjungan":
            continue
        seen.add(f"ditemui={d['kpm_ditemui']}")
        seen.update(d.get("perubahan_anggota", "").split())
        for row in d.get("pantau_anak", []):
            seen.add(f"anak={row['status_anak']}")
        if d.get("jumlah_balita_tambahan"):
            seen.add("balita_baru")
        if "masih_hamil" in d:
            seen.add(f"masih_hamil={d['masih_hamil']}")
    for branch in (
        "ditemui=ya",
        "ditemui=tidak_ada_di_rumah",
        "lahir",
        "hamil_baru",
        "tidak_ada",
        "anak=sekolah",
        "anak=tidak_sekolah",
        "balita_baru",
        "masih_hamil=ya",
        "masih_hamil=tidak",
    ):
        assert branch in seen, branch


def _first(ds: Dataset, form_id: str, predicate: Any = lambda d: True) -> Submit:
    return next(
        e for e in ds.events() if isinstance(e, Submit) and e.form_id == form_id and predicate(e.data)
    )


@pytest.mark.parametrize(
    ("form_id", "mutate", "expected"),
    [
        ("kpm_registrasi", lambda d: d.update(nik_pengurus="360101123"), "breaks the constraint"),
        ("kpm_registrasi", lambda d: d["anggota"][0].update(hubungan_kk="paman"), "not a choice"),
        (
            "kpm_registrasi",
            lambda d: d.update(jumlah_kriteria_bps=d["jumlah_kriteria_bps"] + 1),
            "calculate gives",
        ),
        ("kpm_registrasi", lambda d: d.pop("tanggal_registrasi"), "required but empty"),
        (
            "kpm_registrasi",
            lambda d: d.update(jenis_usaha="warung") if d["punya_usaha"] == "tidak" else None,
            "not relevant",
        ),
        ("kpm_registrasi", lambda d: d.update(kode_desa="3602012001"), "not a choice"),
        ("kpm_registrasi", lambda d: d.update(warna_rumah="biru"), "not a field of the form"),
        ("kpm_kunjungan", lambda d: d.update(pendamping_id="PD 3601 001"), "breaks the constraint"),
        ("kpm_kunjungan", lambda d: d.update(id_kpm="3601-999999"), "calculate gives"),
        ("penyaluran", lambda d: d.update(kpm=d["id_kpm"]), "not a choice"),  # Central: names are UUIDs
        (
            "penyaluran",
            lambda d: d.update(kendala="tidak_ada", status_terima="belum_cair"),
            "breaks the constraint",
        ),
    ],
)
def test_checker__broken_submission__is_reported(form_id: str, mutate: Any, expected: str) -> None:
    """Should catch each kind of mistake the generator could make (so the validity test can fail)."""
    ds = dataset()
    event = _first(ds, form_id, lambda d: form_id != "kpm_registrasi" or d["punya_usaha"] == "tidak")
    assert check(ds, event) == []
    broken = copy.deepcopy(event.data)
    mutate(broken)
    today = date.fromisoformat(event.data["end"][:10])
    found = check_submission(model(form_id), broken, today=today, entity_rows=entity_rows(ds, event))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("7 div 2", "3.5"),
        ("int(7 div 2)", "3"),
        ("round(84.95, 1)", "85"),
        ("concat('a', 1, 'b')", "a1b"),
        ("if(/data/x > 2, 'big', 'small')", "big"),
        ("count(/data/r[v = 'ya'])", "1"),
        ("sum(/data/r/n)", "5"),
        ("join(' ', /data/r/v)", "ya tidak"),
        ("selected('a b c', 'b')", "true"),
        ("count-selected('a b c')", "3"),
        ("selected-at('1:Budi 3:Sari', 1)", "3:Sari"),
        ("substring-after('3:Sari', ':')", "Sari"),
        ("format-date('2019-03-07', '%Y%m%d')", "20190307"),
        ("date('2020-01-01') > date('2019-12-31')", "true"),
        ("regex('3601-000123', '^36[0-9]{2}-[0-9]{6}$')", "true"),
        ("coalesce('', 0)", "0"),
        ("/data/r[2]/v", "tidak"),
        ("not(true()) or false()", "false"),
        ("string-length(normalize-space('  a   b '))", "3"),
    ],
)
def test_xpath__expressions__evaluate_like_odk(expression: str, expected: str) -> None:
    """Should evaluate the XPath and ODK functions our forms use as JavaRosa does."""
    doc = Node("#document")
    data = doc.add(Node("data"))
    data.add(Node("x", "3"))
    for v, n in (("ya", "2"), ("tidak", "3")):
        row = data.add(Node("r"))
        row.add(Node("v", v))
        row.add(Node("n", n))
    assert to_string(evaluate(expression, Context(data, doc, {}, date(2020, 1, 1)))) == expected


def test_layout__form_with_groups__nests_flat_answers(tmp_path: Path) -> None:
    """Should move answers of questions inside groups (also inside repeats) into nested dicts."""
    from openpyxl import Workbook

    from simulators.synthetic.layout import Layouts, form_layout

    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    for row in [
        ("type", "name", "label"),
        ("text", "id_kpm", "ID"),
        ("begin_group", "rumah", "Rumah"),
        ("text", "alamat", "Alamat"),
        ("end_group", "", ""),
        ("begin_repeat", "anggota", "Anggota"),
        ("text", "nama_art", "Nama"),
        ("begin_group", "sekolah", "Sekolah"),
        ("text", "nama_sekolah", "Sekolah"),
        ("end_group", "", ""),
        ("end_repeat", "", ""),
    ]:
        survey.append(row)
    settings = wb.create_sheet("settings")
    settings.append(("form_id", "version"))
    settings.append(("uji_grup", "1"))
    path = tmp_path / "uji_grup.xlsx"
    wb.save(path)

    layout = form_layout(path)
    assert layout is not None
    layouts = Layouts()
    layouts.set_layout("uji_grup", layout)
    flat = {
        "id_kpm": "3601-000001",
        "alamat": "Kp. Cibeber",
        "anggota": [{"nama_art": "Siti", "nama_sekolah": "SD 1"}],
    }
    assert layouts.shape("uji_grup", flat) == {
        "id_kpm": "3601-000001",
        "rumah": {"alamat": "Kp. Cibeber"},
        "anggota": [{"nama_art": "Siti", "sekolah": {"nama_sekolah": "SD 1"}}],
    }
    assert form_layout("kpm_registrasi") is None, "today's forms have no groups: answers stay flat"
