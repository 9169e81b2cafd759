"""The forms filled in a real ODK form engine (ODK Web Forms in headless chromium), as a pendamping would:
preload from the kpm list, relevance, constraint messages, calculates and the on-device summaries, and the
values that reach the server."""

from __future__ import annotations

import csv
import io

import pytest

from forms.build import build_xform
from forms.entity import entity_uuid, kpm_csv_header
from tests.forms.webform_driver import WebForm

pytestmark = pytest.mark.browser

HOUSEHOLDS = [
    {
        "id_kpm": "3601-000001",
        "label": "3601-000001 Siti Aminah",
        "nama_pengurus": "Siti Aminah",
        "pendamping_id": "PDG-001",
        "kode_kabkota": "3601",
        "kode_kecamatan": "360101",
        "kode_desa": "3601012001",
        "nama_desa": "Sumberjaya",
        "bank_penyalur": "bjb",
        "tanggal_registrasi": "2025-02-03",
        "jumlah_art": "4",
        "ringkasan_anggota": "Ahmad 45, Siti 40, Budi 11, Ani 2",
        "anak_sekolah": "3:Budi",
        "balita": "4:Ani",
        "ibu_hamil": "2:Siti",
        "lansia": "",
        "n_anak_sekolah": "1",
        "n_balita": "1",
        "n_hamil": "1",
        "n_lansia": "0",
        "n_disabilitas_berat": "0",
        "skor_bps": "12",
        "kategori": "sangat_miskin",
        "status_graduasi": "aktif",
        "tanggal_kunjungan_terakhir": "2026-08-01",
        "penilaian_terakhir": "belum",
    },
    {
        "id_kpm": "3602-000002",
        "label": "3602-000002 Enah Suryati",
        "nama_pengurus": "Enah Suryati",
        "pendamping_id": "LBK-007",
        "kode_kabkota": "3602",
        "kode_kecamatan": "360201",
        "kode_desa": "3602012001",
        "nama_desa": "Desa Contoh",
        "bank_penyalur": "bri",
        "jumlah_art": "3",
        "ringkasan_anggota": "Enah 52, Rina 15, Abah 71",
        "anak_sekolah": "2:Rina",
        "lansia": "3:Abah",
        "n_anak_sekolah": "1",
        "n_balita": "0",
        "n_hamil": "0",
        "n_lansia": "1",
        "n_disabilitas_berat": "1",
        "skor_bps": "7",
        "kategori": "miskin",
        "status_graduasi": "aktif",
    },
]


SITI = entity_uuid("3601-000001")  # the entity's name on Central
ENAH = entity_uuid("3602-000002")


def kpm_csv(target: str) -> str:
    """The kpm list the phone gets (only the test households): on Central the Entity List, whose names are
    the entities' UUIDs; on Kobo the media file sync push writes, whose names are the KPM ids."""
    out = io.StringIO()
    writer = csv.DictWriter(out, kpm_csv_header(), lineterminator="\n")
    writer.writeheader()
    for household in HOUSEHOLDS:
        name = entity_uuid(household["id_kpm"]) if target == "central" else household["id_kpm"]
        writer.writerow({k: household.get(k, "") for k in writer.fieldnames} | {"name": name})
    return out.getvalue()


def small_regions(media: dict[str, str]) -> dict[str, str]:
    """The region lists cut to the test households' kecamatan: the engine re-filters the 1,552 desa on every
    answer, which costs ~0.5 s per click; the full lists are exercised by the preload test."""
    out = dict(media)
    for name, column, keep in (
        ("kecamatan.csv", "kabupaten", {"3601", "3602"}),
        ("desa.csv", "kecamatan", {"360101", "360201"}),
    ):
        if name in out:
            rows = list(csv.DictReader(io.StringIO(out[name])))
            buf = io.StringIO()
            writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(r for r in rows if r[column] in keep)
            out[name] = buf.getvalue()
    return out


def open_form(
    webform: WebForm, form_id: str, target: str = "central", username: str = "", full_regions: bool = False
) -> WebForm:
    built = build_xform(form_id, target)  # type: ignore[arg-type]
    attachments = {name: blob.decode("utf-8") for name, blob in built.media.items()}
    if not full_regions:
        attachments = small_regions(attachments)
    attachments["kpm.csv"] = kpm_csv(target)  # on Central: the Entity List; on Kobo: the media file
    return webform.load(built.xml, attachments, {"username": username})


# --- registration ---------------------------------------------------------------------------------------


def test_registrasi__kpm_chosen__identity_and_region_preloaded(webform: WebForm) -> None:
    form = open_form(webform, "kpm_registrasi", full_regions=True)
    assert form.absent("KPM terpilih")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    assert "KPM terpilih: 3601-000001 Siti Aminah, desa Sumberjaya." in form.text_of("KPM terpilih")
    assert "Ahmad 45, Siti 40, Budi 11, Ani 2" in form.text_of("KPM terpilih")
    assert form.input_value("ID pendamping") == "PDG-001"
    assert form.input_value("Nama pengurus") == "Siti Aminah"
    assert form.selected("Kabupaten/kota") == "Kabupaten Pandeglang"
    assert form.selected("Kecamatan") == "Sumur"
    assert form.selected("Desa/kelurahan") == "Sumberjaya"


def test_registrasi__username_set__pendamping_from_account(webform: WebForm) -> None:
    form = open_form(webform, "kpm_registrasi", username="PDG-009")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    assert form.input_value("ID pendamping") == "PDG-009"


def test_registrasi__bad_nik_and_kk__constraint_messages(webform: WebForm) -> None:
    form = open_form(webform, "kpm_registrasi")
    form.type("NIK pengurus", "36010112345")
    assert form.error("NIK pengurus") == (
        "Harus tepat 16 angka tanpa spasi, titik atau huruf. Salin dari KTP pengurus."
    )
    form.type("NIK pengurus", "3601015507850001")
    assert form.error("NIK pengurus") == ""
    form.type("Nomor Kartu Keluarga", "0601012345678901")
    assert form.error("Nomor Kartu Keluarga") == (
        "Harus tepat 16 angka tanpa spasi, titik atau huruf. Salin dari Kartu Keluarga."
    )


def fill_members(form: WebForm, members: list[tuple[str, str, str, str]]) -> None:
    form.type("Berapa orang anggota keluarga", len(members))
    for i, (name, relation, sex, born) in enumerate(members):
        form.type("Nama anggota ke-", name, nth=i)
        form.choose("Hubungan", relation, nth=i)
        form.choose("Jenis kelamin", sex, nth=i)
        form.date("Tanggal lahir", born, nth=i)
        form.choose("memiliki disabilitas", "Tidak ada", nth=i)
        form.choose("JKN/BPJS", "Ya", nth=i)


@pytest.mark.slow
def test_registrasi__complete_household__ages_relevance_summary_and_submitted_values(
    webform: WebForm,
) -> None:
    form = open_form(webform, "kpm_registrasi")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    form.date("Tanggal registrasi", "2026-01-15")
    form.type("NIK pengurus", "3601014107850001")
    form.type("Nomor Kartu Keluarga", "3601010101100001")
    fill_members(
        form,
        [
            ("Ahmad Yani", "Kepala keluarga", "Laki-laki", "1980-03-10"),
            ("Siti Aminah", "Istri/suami", "Perempuan", "1985-07-01"),
            ("Budi Santoso", "Anak", "Laki-laki", "2014-12-31"),
            ("Ani", "Anak", "Perempuan", "2023-05-05"),
        ],
    )
    ages = form.page.locator(".question-container", has_text="Umur:").all_inner_texts()
    assert [t.strip() for t in ages] == [
        "Umur: 45 tahun",
        "Umur: 40 tahun",
        "Umur: 11 tahun",
        "Umur: 2 tahun",
    ]
    assert form.questions("sedang hamil").count() == 1  # only the woman aged 15-49
    assert "Siti Aminah" in form.question("sedang hamil").inner_text()
    assert form.questions("Partisipasi sekolah").count() == 1  # only the child aged 5-21
    assert form.questions("Pendidikan tertinggi").count() == 2  # adults (15+) and the head
    assert form.questions("Pekerjaan utama").count() == 3  # aged 10+ and the head
    form.choose("sedang hamil", "Ya")
    form.choose("baru melahirkan", "Tidak")
    form.choose("Partisipasi sekolah", "Masih sekolah")
    form.choose("Jenjang sekolah", "SD/MI")
    form.choose("Pendidikan tertinggi", "SD/sederajat", nth=0)
    form.choose("Pendidikan tertinggi", "SMP/sederajat", nth=1)
    form.choose("Pekerjaan utama", "Buruh tani", nth=0)
    form.choose("Pekerjaan utama", "Tidak bekerja/sekolah/mengurus rumah", nth=1)
    form.choose("Pekerjaan utama", "Tidak bekerja/sekolah/mengurus rumah", nth=2)
    # Dwelling, food, economy: 12 of the 14 BPS criteria met (not #3 wall, not #5 lighting).
    form.type("Luas lantai rumah", 24)  # 6 m2 per person
    form.choose("Jenis lantai terluas", "Tanah")
    form.choose("Jenis dinding terluas", "Tembok diplester")
    form.choose("Jenis atap terluas", "Genteng")
    form.choose("Fasilitas buang air besar", "Bersama/umum")
    form.choose("Sumber penerangan utama", "Listrik PLN dengan meteran")
    form.choose("Sumber air minum utama", "Sumur tak terlindung")
    form.choose("Bahan bakar utama", "Kayu bakar/arang")
    form.type("berapa hari keluarga makan daging", 1)
    form.choose("stel pakaian baru", "Satu stel")
    form.type("berapa kali keluarga makan dalam sehari", 2)
    form.choose("mampu membayar berobat", "Tidak")
    form.type("Luas lahan pertanian", 0)
    form.choose("Dari mana saja pendapatan", "Upah/buruh harian", "Usaha sendiri/dagang")
    form.type("Pendapatan seluruh anggota", 1500000)
    form.choose("punya usaha sendiri", "Tidak")
    form.type("Jumlah tabungan", 100000)
    form.choose("Aset yang mudah dijual", "Tidak ada")
    assert form.absent("Perkiraan nilai jual")  # no assets, no value asked
    form.choose("Bantuan sosial lain", "PKH")
    assert form.shown("Jamsosratu ditujukan untuk keluarga di luar PKH")
    summary = form.text_of("Ringkasan keluarga")
    for line in [
        "Anak usia sekolah (7–18 tahun): 1",
        "Balita (0–4 tahun): 1",
        "Ibu hamil: 1",
        "Lansia (60+ tahun): 0",
        "Disabilitas berat: 0",
        "terpenuhi: 12 dari 14",
    ]:
        assert line in summary, summary
    assert form.absent("harus ada tepat satu anggota")
    form.choose("ringkasan di atas sudah benar", "Ya")

    sub = form.submit()
    assert (sub.value("kpm"), sub.value("id_kpm")) == (SITI, "3601-000001")
    assert sub.value("meta/instanceName") == "3601-000001 - Siti Aminah"
    assert sub.value("pendamping_id") == "PDG-001"
    assert sub.value("tanggal_registrasi") == "2026-01-15"
    assert (sub.value("kode_kabkota"), sub.value("kode_kecamatan"), sub.value("kode_desa")) == (
        "3601",
        "360101",
        "3601012001",
    )
    assert sub.value("nama_desa") == "Sumberjaya"
    assert sub.values("anggota/urutan") == ["1", "2", "3", "4"]
    assert sub.values("anggota/umur_tahun") == ["45", "40", "11", "2"]
    assert sub.values("anggota/status_hamil") == ["ya"]  # absent where not relevant
    assert sub.value("anggota[1]/status_hamil") is None
    assert sub.values("anggota/partisipasi_sekolah") == ["masih_sekolah"]
    assert sub.value("jumlah_sumber_pendapatan") == "2"
    assert sub.value("pendapatan_per_kapita") == "375000"
    assert sub.value("luas_per_kapita") == "6.0"  # decimal type
    assert [sub.value(f"bps{i:02d}") for i in range(1, 15)] == [
        "1",
        "1",
        "0",
        "1",
        "0",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
    ]
    assert sub.value("jumlah_kriteria_bps") == "12"
    assert (
        sub.value("n_anak_sekolah"),
        sub.value("n_balita"),
        sub.value("n_hamil"),
        sub.value("n_lansia"),
        sub.value("n_disabilitas_berat"),
    ) == ("1", "1", "1", "0", "0")
    assert sub.value("ringkasan_anggota") == "Ahmad 45, Siti 40, Budi 11, Ani 2"
    assert (
        sub.value("daftar_anak_sekolah"),
        sub.value("daftar_balita"),
        sub.value("daftar_hamil"),
        sub.value("daftar_lansia"),
    ) == ("3:Budi", "4:Ani", "2:Siti", "")
    entity = sub.root.find("meta/entity")
    assert entity is not None and entity.get("id") == SITI and entity.get("update") == "1"
    assert entity.get("dataset") == "kpm"


@pytest.mark.slow
def test_registrasi__two_heads_or_birth_after_registration__cannot_confirm(webform: WebForm) -> None:
    form = open_form(webform, "kpm_registrasi")
    form.date("Tanggal registrasi", "2026-01-15")
    fill_members(
        form,
        [
            ("Ahmad", "Kepala keluarga", "Laki-laki", "1980-03-10"),
            ("Siti", "Kepala keluarga", "Perempuan", "1985-07-01"),
        ],
    )
    form.date("Tanggal lahir", "2026-02-01", nth=1)
    assert form.error("Tanggal lahir", nth=1) == (
        "Tanggal lahir tidak boleh setelah tanggal registrasi atau sebelum 1900."
    )
    assert form.shown("harus ada tepat satu anggota dengan hubungan")
    form.choose("ringkasan di atas sudah benar", "Ya")
    assert form.error("ringkasan di atas sudah benar") == (
        "Perbaiki data yang salah (tepat satu Kepala keluarga) sebelum memilih Ya."
    )


# --- monitoring visit ----------------------------------------------------------------------------------


def test_kunjungan__kpm_chosen__last_status_and_members_preloaded(webform: WebForm) -> None:
    form = open_form(webform, "kpm_kunjungan")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    info = form.text_of("Kategori:")
    assert "3601-000001 Siti Aminah, desa Sumberjaya" in info
    assert "Anggota: Ahmad 45, Siti 40, Budi 11, Ani 2" in info
    assert "Kategori: sangat_miskin · Status: aktif · Kunjungan terakhir: 2026-08-01" in info
    assert form.absent("Berapa anak usia sekolah")  # asked only once the family is met
    form.choose("Apakah keluarga ditemui", "Ya, keluarga ditemui")
    assert (
        "Daftar keluarga mencatat 1 anak usia sekolah"
        in form.question("Berapa anak usia sekolah").inner_text()
    )
    assert form.input_value("Berapa anak usia sekolah") == "0"
    assert form.shown("Bagaimana keadaan Budi sekarang?")
    assert form.shown("Apakah Ani ditimbang di posyandu bulan ini?")
    assert form.shown("Apakah Siti masih hamil?")
    assert form.absent("Apakah lansia")  # no elderly member on record
    assert form.absent("Nama anak ke-")  # every child row is on record


def test_kunjungan__attendance_above_school_days__constraint_message(webform: WebForm) -> None:
    form = open_form(webform, "kpm_kunjungan")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    form.choose("Apakah keluarga ditemui", "Ya, keluarga ditemui")
    form.choose("Bagaimana keadaan Budi sekarang?", "Masih bersekolah")
    form.type("Berapa hari sekolah efektif", 20)
    form.type("Berapa hari Budi hadir", 22)
    assert (
        form.error("Berapa hari Budi hadir") == "Hari hadir tidak boleh lebih dari hari sekolah efektif (20)."
    )
    form.type("Berapa hari Budi hadir", 16)
    assert form.error("Berapa hari Budi hadir") == ""
    assert "Kehadiran Budi 80.0% — di bawah 85%." in form.text_of("di bawah 85%")


@pytest.mark.slow
def test_kunjungan__complete_visit__summary_and_submitted_values(webform: WebForm) -> None:
    form = open_form(webform, "kpm_kunjungan")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    form.date("Tanggal kunjungan", "2026-11-20")
    form.choose("Apakah keluarga ditemui", "Ya, keluarga ditemui")
    form.choose("Perubahan anggota keluarga", "Anggota baru masuk")
    form.type("Berapa anggota baru masuk", 1)
    form.type("Berapa anak usia sekolah", 1)  # a nephew moved in
    form.type("Nama anak ke-2", "Rudi")
    form.choose("Bagaimana keadaan Budi sekarang?", "Masih bersekolah")
    form.type("Berapa hari sekolah efektif", 20, nth=0)
    form.type("Berapa hari Budi hadir", 19)
    form.choose("Sumber data kehadiran", "Buku absen/rapor", nth=0)
    form.choose("Bagaimana keadaan Rudi sekarang?", "Tidak bersekolah")
    form.choose("Mengapa Rudi tidak bersekolah?", "Tidak ada biaya")
    form.choose("Apakah Ani ditimbang", "Ya")
    form.type("Berat badan Ani", "11.5")
    form.choose("imunisasi Ani", "Ya")
    form.choose("Apakah Siti masih hamil?", "Ya")
    form.type("memeriksakan kehamilan (ANC)", 3)
    form.choose("pertemuan P2K2 terakhir", "Ya")
    form.choose("Modul P2K2", "Kesehatan dan gizi")
    form.choose("Pekerjaan utama kepala keluarga", "Buruh tani")
    form.type("Berapa anggota keluarga yang bekerja", 1)
    form.choose("Sumber pendapatan keluarga saat ini", "Upah/buruh harian")
    form.type("Pendapatan seluruh anggota keluarga bulan lalu", 1800000)
    form.type("Jumlah tabungan", 250000)
    form.choose("punya usaha sendiri", "Tidak")
    form.choose("bantuan Jamsosratu terakhir digunakan", "Makanan", "Biaya sekolah")
    form.type("berapa kali keluarga makan", 3)
    form.type("berapa hari keluarga makan daging", 2)
    form.choose("kekurangan makanan", "Tidak")
    form.choose("Bagian rumah yang diperbaiki", "Tidak ada")
    form.choose("Masalah yang dihadapi keluarga", "Anak putus sekolah")
    summary = form.text_of("Ringkasan keluarga")
    for line in [
        "Anak usia sekolah (7–18 tahun): 2 (hadir ≥ 85%: 1)",
        "Balita (0–4 tahun): 1 (ditimbang bulan ini: 1)",
        "Ibu hamil: 1",
        "Lansia (60+ tahun): 0",
        "Disabilitas berat: 0",
        "Kriteria kemiskinan BPS terakhir tercatat: 12 dari 14",
    ]:
        assert line in summary, summary
    form.choose("seberapa siap keluarga ini untuk graduasi", "Mendekati siap")

    sub = form.submit()
    assert (
        sub.value("kpm"),
        sub.value("id_kpm"),
        sub.value("tanggal_kunjungan"),
        sub.value("kpm_ditemui"),
    ) == (
        SITI,
        "3601-000001",
        "2026-11-20",
        "ya",
    )
    assert sub.values("pantau_anak/anak_urutan") == ["3", ""]
    assert sub.values("pantau_anak/nama_anak") == ["Budi", "Rudi"]
    assert sub.values("pantau_anak/pct_hadir") == ["95.0", ""]  # a calculate is sent even when blank
    assert sub.values("pantau_anak/alasan_tidak_sekolah") == ["biaya"]
    assert sub.values("pantau_balita/balita_urutan") == ["4"]
    assert sub.values("pantau_balita/bb_kg") == ["11.5"]
    assert (
        sub.value("n_anak_hadir_85"),
        sub.value("n_balita_ditimbang"),
        sub.value("n_hamil_kunjungan"),
    ) == ("1", "1", "1")
    assert sub.value("penggunaan_bantuan") == "pangan biaya_sekolah"
    assert sub.value("lansia_cek_kesehatan") is None
    assert sub.value("penilaian_pendamping") == "mendekati"
    entity = sub.root.find("meta/entity")
    assert entity is not None and entity.get("id") == SITI and entity.get("update") == "1"


def test_kunjungan__family_not_met__only_the_visit_is_recorded(webform: WebForm) -> None:
    form = open_form(webform, "kpm_kunjungan")
    form.pick("Pilih KPM", "3602-000002 Enah Suryati")
    form.date("Tanggal kunjungan", "2026-11-20")
    form.choose("Apakah keluarga ditemui", "Tidak ada di rumah")
    for hidden in [
        "Perubahan anggota keluarga",
        "Berapa anak usia sekolah",
        "pertemuan P2K2",
        "Pendapatan seluruh anggota",
        "Ringkasan keluarga",
        "seberapa siap keluarga",
    ]:
        assert form.absent(hidden), hidden
    sub = form.submit()
    assert (sub.value("kpm_ditemui"), sub.value("pendamping_id")) == ("tidak_ada_di_rumah", "LBK-007")
    assert (sub.value("kpm"), sub.value("id_kpm")) == (ENAH, "3602-000002")
    assert sub.value("pantau_anak") is None and sub.value("hadir_p2k2") is None


def test_kunjungan__elderly_and_severe_disability__their_questions_asked(webform: WebForm) -> None:
    form = open_form(webform, "kpm_kunjungan")
    form.pick("Pilih KPM", "3602-000002 Enah Suryati")
    form.choose("Apakah keluarga ditemui", "Ya, keluarga ditemui")
    assert form.shown("Bagaimana keadaan Rina sekarang?")
    assert form.absent("ditimbang di posyandu")  # no toddler on record
    assert form.shown("Apakah lansia (60+)")
    assert form.shown("disabilitas berat mendapat perawatan")
    assert form.absent("masih hamil")


# --- disbursement ----------------------------------------------------------------------------------------


def test_penyaluran__received__amount_date_and_bank(webform: WebForm) -> None:
    form = open_form(webform, "penyaluran")
    form.pick("Pilih KPM", "3601-000001 Siti Aminah")
    assert form.selected("Bank penyalur") == "Bank BJB"
    form.date("Tanggal konfirmasi", "2026-11-20")
    form.type("Tahun anggaran", 2026)
    form.choose("Tahap penyaluran", "Tahap 2")
    form.choose("Status penerimaan", "Diterima penuh")
    form.type("Jumlah uang yang diterima", 0)
    assert form.error("Jumlah uang yang diterima") == (
        "Jumlah harus lebih dari 0 dan paling banyak Rp10.000.000. Tulis angka tanpa titik."
    )
    form.type("Jumlah uang yang diterima", 750000)
    form.date("Tanggal uang diterima", "2026-11-18")
    form.choose("Cara menerima", "ATM")
    form.choose("Kendala penyaluran", "Tidak ada kendala")
    sub = form.submit()
    assert (sub.value("kpm"), sub.value("id_kpm")) == (SITI, "3601-000001")
    assert (sub.value("tahun_anggaran"), sub.value("tahap"), sub.value("status_terima")) == (
        "2026",
        "2",
        "diterima_penuh",
    )
    assert (sub.value("nominal_diterima_rp"), sub.value("tanggal_terima"), sub.value("bank_penyalur")) == (
        "750000",
        "2026-11-18",
        "bjb",
    )
    assert sub.value("kendala") == "tidak_ada"


def test_penyaluran__not_paid__no_amount_and_a_problem_required(webform: WebForm) -> None:
    form = open_form(webform, "penyaluran")
    form.pick("Pilih KPM", "3602-000002 Enah Suryati")
    form.type("Tahun anggaran", 2026)
    form.choose("Tahap penyaluran", "Tahap 1")
    form.choose("Status penerimaan", "Belum cair")
    for hidden in ["Jumlah uang yang diterima", "Tanggal uang diterima", "Cara menerima", "Foto bukti"]:
        assert form.absent(hidden), hidden
    form.choose("Kendala penyaluran", "Tidak ada kendala")
    assert form.error("Kendala penyaluran").startswith(
        "'Tidak ada kendala' hanya untuk bantuan yang diterima penuh"
    )
    assert form.submit_blocked()


def test_penyaluran__kobo_variant__roster_from_kpm_csv_media(webform: WebForm) -> None:
    """Should preload from the kpm.csv media file on Kobo exactly as from the Entity List on Central; there
    the entity name is the KPM id itself."""
    form = open_form(webform, "penyaluran", target="kobo")
    form.pick("Pilih KPM", "3602-000002 Enah Suryati")
    assert "3602-000002 Enah Suryati, desa Desa Contoh" in form.text_of("desa Desa Contoh")
    assert form.selected("Bank penyalur") == "BRI"
    assert form.input_value("ID pendamping") == "LBK-007"
    form.choose("Tahap penyaluran", "Tahap 1")
    form.choose("Status penerimaan", "Belum cair")
    form.choose("Kendala penyaluran", "Saldo kosong")
    sub = form.submit()
    assert (sub.value("kpm"), sub.value("id_kpm")) == ("3602-000002", "3602-000002")
