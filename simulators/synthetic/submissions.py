"""Submissions as ODK Collect would send them: the answers plus every ``calculate`` the form computes.

The builders return flat dicts keyed by field name (repeats as lists of dicts, ``meta`` with the instance
name), in the field names of forms/kpm_registrasi.xlsx, kpm_kunjungan.xlsx and penyaluran.xlsx. Calculates are
computed here the way the forms define them; tests/simulators/test_synthetic_forms.py evaluates the forms'
own expressions over generated submissions, so any drift between these builders and the forms fails a test.
Empty answers are left out (irrelevant questions have no value, as Collect sends them). The KPM is chosen as
``kpm``, the entity's name in Central's ``kpm`` list (a UUID, ``Household.entity_name``); the ``id_kpm``
calculate copies the KPM id from the chosen entity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from .household import Correction, Disbursement, Household
from .people import Member, first_name
from .rng import mix
from .visits import Visit
from .welfare import phone_bps_flags


@dataclass(slots=True)
class DeviceTimes:
    """What Collect records about the filling: start/end (+07:00), device id and the app user's name."""

    start: str
    end: str
    device_id: str
    username: str


@dataclass(slots=True)
class RegionNames:
    """Labels of the codes (desa and kecamatan names) the forms show and some fields repeat."""

    desa: dict[str, str]
    kecamatan: dict[str, str]


def _opening(h: Household, times: DeviceTimes, regions: RegionNames) -> dict[str, Any]:
    """The fields every form opens with: device metadata, the KPM chosen from the entity list and its preload."""
    return {
        "start": times.start,
        "end": times.end,
        "deviceid": times.device_id,
        "username": times.username,
        "kpm": h.entity_name,
        "id_kpm": h.id_kpm,
        "pre_nama_pengurus": h.nama_pengurus,
        "pre_nama_desa": regions.desa[h.desa],
    }


def _yn(flag: bool) -> str:
    return "ya" if flag else "tidak"


def _round1(x: float) -> float:
    """XForms ``round(x, 1)``: half up."""
    return math.floor(x * 10 + 0.5) / 10


def school_name(member: Member, level: str, kecamatan: str) -> str:
    """A plausible school name for a pupil (deterministic per pupil)."""
    n = mix(int(member.nik)) % 5 + 1
    if level == "paud_tk":
        return f"TK Pertiwi {kecamatan}" if n % 2 else f"PAUD Melati {kecamatan}"
    if level == "sd_mi":
        return f"SD Negeri {n} {kecamatan}" if n != 5 else f"MI Al-Hidayah {kecamatan}"
    if level == "smp_mts":
        return f"SMP Negeri {n % 3 + 1} {kecamatan}" if n < 4 else f"MTs Negeri {kecamatan}"
    if level == "sma_smk_ma":
        return (
            f"SMA Negeri 1 {kecamatan}"
            if n < 3
            else (f"SMK Negeri 1 {kecamatan}" if n < 5 else f"MA Negeri {kecamatan}")
        )
    return "Universitas Terbuka" if n < 3 else "Universitas Sultan Ageng Tirtayasa"


def _breastfeeding(h: Household, woman: Member, day: date) -> bool:
    """Nifas/menyusui: she has a child under two in the household."""
    return any(
        c.mother == woman.index and c.active(day) and (day - c.birth_date).days < 730 for c in h.members
    )


def registration_data(
    h: Household, times: DeviceTimes, regions: RegionNames, *, correction: Correction | None = None
) -> dict[str, Any]:
    """A kpm_registrasi submission; with ``correction`` the one wrong value it was first sent with."""
    reg = h.registered_on
    b = h.baseline
    kec_name = regions.kecamatan[h.kecamatan]
    members = h.members[: h.registered]
    rows: list[dict[str, Any]] = []
    for m in members:
        birth = m.birth_date
        if correction is not None and correction.field == "tanggal_lahir" and correction.member == m.index:
            birth = correction.wrong  # type: ignore[assignment]
        age = m.age(reg)
        name0 = first_name(m.name)
        row: dict[str, Any] = {
            "urutan": m.index + 1,
            "nama_art": m.name,
            "nik_art": m.nik,
            "hubungan_kk": m.relation,
            "jenis_kelamin": m.sex,
            "tanggal_lahir": birth.isoformat(),
            "umur_tahun": age,
        }
        woman = m.sex == "p" and 15 <= age <= 49
        if woman:
            row["status_hamil"] = _yn(m.pregnant(reg) is not None)
            row["status_nifas_menyusui"] = _yn(_breastfeeding(h, m, reg))
        if 5 <= age <= 21:
            status = m.school(reg) or ("belum_pernah", None)
            row["partisipasi_sekolah"] = status[0]
            if status[1] is not None:
                row["jenjang_sekolah"] = status[1]
            if status[0] == "masih_sekolah":
                row["nama_sekolah"] = school_name(m, status[1] or "sd_mi", kec_name)
        if age >= 15 or m.relation == "kepala":
            row["pendidikan_tertinggi"] = m.education_on(reg)
        if age >= 10 or m.relation == "kepala":
            row["pekerjaan_utama"] = m.occupation
        row["disabilitas"] = m.disability
        row["punya_jkn"] = _yn(m.jkn)
        pregnant = woman and m.pregnant(reg) is not None
        flags = {
            "flag_anak_sekolah": int(7 <= age <= 18),
            "flag_balita": int(0 <= age <= 4),
            "flag_hamil": int(pregnant),
            "flag_lansia": int(age >= 60),
            "flag_disabilitas_berat": int(m.disability == "berat"),
        }
        row["nama_depan"] = name0
        row.update(flags)
        row["token_anggota"] = f"{name0} {age}"
        token = f"{m.index + 1}:{name0}"
        for flag, key in (
            ("flag_anak_sekolah", "token_anak_sekolah"),
            ("flag_balita", "token_balita"),
            ("flag_hamil", "token_hamil"),
            ("flag_lansia", "token_lansia"),
        ):
            if flags[flag]:
                row[key] = token
        rows.append(row)

    floor = b.luas_lantai_m2
    nama_pengurus = h.nama_pengurus
    no_rekening = h.no_rekening
    if correction is not None:
        if correction.field == "luas_lantai_m2":
            floor = correction.wrong  # type: ignore[assignment]
        elif correction.field == "nama_pengurus":
            nama_pengurus = correction.wrong  # type: ignore[assignment]
        elif correction.field == "no_rekening":
            no_rekening = correction.wrong  # type: ignore[assignment]
    n = h.registered
    head = h.head
    sources = " ".join(b.sumber_pendapatan)
    assets = " ".join(b.aset_mudah_dijual)
    data: dict[str, Any] = {
        **_opening(h, times, regions),
        "pendamping_id": times.username,
        "tanggal_registrasi": reg.isoformat(),
        "nama_pengurus": nama_pengurus,
        "nik_pengurus": h.nik_pengurus,
        "no_kk": h.no_kk,
    }
    if h.id_dtks:
        data["id_dtks"] = h.id_dtks
    data.update(
        {
            "kode_kabkota": h.kabupaten,
            "kode_kecamatan": h.kecamatan,
            "kode_desa": h.desa,
            "nama_desa": regions.desa[h.desa],
            "alamat": h.alamat,
            "rt": h.rt,
            "rw": h.rw,
            "lokasi_rumah": "{} {} {} {}".format(*h.location),
            "bank_penyalur": h.bank,
            "no_rekening": no_rekening,
            "jumlah_art": n,
            "anggota": rows,
            "n_kepala": sum(1 for m in members if m.relation == "kepala"),
            "pekerjaan_kepala": head.occupation,
            "pendidikan_kepala": head.education,
            "luas_lantai_m2": floor,
            "luas_per_kapita": _round1(floor / n),
            "jenis_lantai": b.jenis_lantai,
            "jenis_dinding": b.jenis_dinding,
            "jenis_atap": b.jenis_atap,
            "fasilitas_bab": b.fasilitas_bab,
            "sumber_penerangan": b.sumber_penerangan,
            "sumber_air_minum": b.sumber_air_minum,
            "bahan_bakar_masak": b.bahan_bakar_masak,
            "frek_protein_hewani_minggu": b.frek_protein_hewani_minggu,
            "beli_pakaian_setahun": b.beli_pakaian_setahun,
            "frek_makan_hari": b.frek_makan_hari,
            "mampu_berobat": _yn(b.mampu_berobat),
            "luas_lahan_m2": b.luas_lahan_m2,
            "sumber_pendapatan": sources,
            "jumlah_sumber_pendapatan": len(b.sumber_pendapatan) - ("tidak_ada" in b.sumber_pendapatan),
            "pendapatan_bulan_rp": b.pendapatan_bulan_rp,
            "pendapatan_per_kapita": b.pendapatan_bulan_rp // n,
            "punya_usaha": _yn(b.punya_usaha),
        }
    )
    if b.punya_usaha and b.jenis_usaha:
        data["jenis_usaha"] = b.jenis_usaha
    data["tabungan_rp"] = b.tabungan_rp
    data["aset_mudah_dijual"] = assets
    if "tidak_ada" not in b.aset_mudah_dijual:
        data["nilai_aset_rp"] = b.nilai_aset_rp
    data["penerima_bansos_lain"] = " ".join(b.penerima_bansos_lain)
    flags = phone_bps_flags(h, floor)
    for i, flag in enumerate(flags, start=1):
        data[f"bps{i:02d}"] = int(flag)
    data["jumlah_kriteria_bps"] = sum(flags)
    for key, flag in (
        ("n_anak_sekolah", "flag_anak_sekolah"),
        ("n_balita", "flag_balita"),
        ("n_hamil", "flag_hamil"),
        ("n_lansia", "flag_lansia"),
        ("n_disabilitas_berat", "flag_disabilitas_berat"),
    ):
        data[key] = sum(r[flag] for r in rows)
    data["ringkasan_anggota"] = ", ".join(r["token_anggota"] for r in rows)
    for key, token in (
        ("daftar_anak_sekolah", "token_anak_sekolah"),
        ("daftar_balita", "token_balita"),
        ("daftar_hamil", "token_hamil"),
        ("daftar_lansia", "token_lansia"),
    ):
        joined = " ".join(r[token] for r in rows if token in r)
        if joined:
            data[key] = joined
    data["konfirmasi_ringkasan"] = "ya"
    data["meta"] = {"instanceName": f"{h.id_kpm} - {nama_pengurus}"}
    return data


def _pre(data: dict[str, Any], key: str, value: str) -> None:
    if value:
        data[key] = value


def visit_data(h: Household, visit: Visit, times: DeviceTimes, regions: RegionNames) -> dict[str, Any]:
    """A kpm_kunjungan submission for ``visit``."""
    e = visit.entity
    day = visit.day.isoformat()
    met = visit.met == "ya"
    data: dict[str, Any] = {
        **_opening(h, times, regions),
        "pre_ringkasan_anggota": h.summary,
        "pre_kategori": e.kategori,
        "pre_status_graduasi": e.status_graduasi,
        "pre_tanggal_kunjungan_terakhir": e.last_visit or None,
        "pre_anak_sekolah": _tokens(e.children),
        "pre_balita": _tokens(e.toddlers),
        "pre_ibu_hamil": _tokens(e.pregnant),
        "pre_n_anak_sekolah": len(e.children),
        "pre_n_balita": len(e.toddlers),
        "pre_n_hamil": e.n_hamil,
        "pre_n_lansia": len(e.elderly),
        "pre_n_disabilitas_berat": h.severe,
        "pre_skor_bps": str(h.phone_bps),
        "pendamping_id": times.username,
        "tanggal_kunjungan": day,
        "lokasi_kunjungan": "{} {} {} {}".format(*visit.location) if visit.location is not None else None,
        "kpm_ditemui": visit.met,
        "nama_ibu_hamil": e.pregnant[0][1] if e.pregnant else None,
        "n_hamil_kunjungan": visit.n_hamil if met else e.n_hamil,
        "jumlah_sumber_pendapatan": len(visit.sources) if met else 0,
        "catatan": visit.note,
        "meta": {"instanceName": f"{h.id_kpm} - {day}"},
    }
    if not met:
        data["n_anak_serumah"] = data["n_anak_hadir_85"] = data["n_balita_ditimbang"] = 0
        return data
    counts = visit.counts
    anak = []
    extra_children = serumah = good = 0
    for i, row in enumerate(visit.children, start=1):
        if row.urutan is not None:
            item: dict[str, Any] = {
                "anak_ke": i,
                "anak_token": f"{row.urutan}:{row.name}",
                "anak_urutan": str(row.urutan),
                "anak_nama_roster": row.name,
                "nama_anak": row.name,
                "status_anak": row.status,
            }
        else:
            extra_children += 1
            item = {
                "anak_ke": i,
                "nama_anak_baru": row.name,
                "nama_anak": row.name,
                "status_anak": row.status,
            }
        if row.in_school:
            item["hari_efektif"] = row.hari_efektif
            item["hadir_hari"] = row.hadir_hari
            item["pct_hadir"] = row.pct
            item["sumber_verifikasi_sekolah"] = row.verification
            good += row.pct >= 85  # type: ignore[operator]
        elif row.status == "tidak_sekolah":
            item["alasan_tidak_sekolah"] = row.reason
        serumah += row.status != "tidak_serumah"
        anak.append(item)
    balita = []
    extra_toddlers = weighed = 0
    for i, row in enumerate(visit.toddlers, start=1):
        if row.urutan is not None:
            item = {
                "balita_ke": i,
                "balita_token": f"{row.urutan}:{row.name}",
                "balita_urutan": str(row.urutan),
                "balita_nama_roster": row.name,
                "nama_balita": row.name,
            }
        else:
            extra_toddlers += 1
            item = {"balita_ke": i, "nama_balita_baru": row.name, "nama_balita": row.name}
        if row.weighed:
            weighed += 1
            item["ditimbang_posyandu_bulan_ini"] = "ya"
            item["bb_kg"] = row.weight_kg
            item["tb_cm"] = row.height_cm
        else:
            item["ditimbang_posyandu_bulan_ini"] = "tidak"
        item["imunisasi_sesuai_jadwal"] = row.immunised
        balita.append(item)
    data.update(
        {
            "perubahan_anggota": " ".join(visit.changes),
            "jml_lahir": counts.get("lahir"),
            "jml_meninggal": counts.get("meninggal"),
            "jml_pindah_keluar": counts.get("pindah_keluar"),
            "jml_masuk": counts.get("masuk"),
            "keterangan_perubahan": visit.change_note if visit.changes != ("tidak_ada",) else None,
            "jumlah_anak_tambahan": extra_children,
            "jumlah_anak_dipantau": len(anak),
            "pantau_anak": anak,
            "jumlah_balita_tambahan": extra_toddlers,
            "jumlah_balita_dipantau": len(balita),
            "pantau_balita": balita,
            "masih_hamil": visit.still_pregnant,
            "anc_kunjungan_ke": visit.anc if visit.n_hamil > 0 else None,
            "persalinan_di_faskes": visit.birth_at_facility,
            "lansia_cek_kesehatan": visit.elderly_checked,
            "disabilitas_berat_layanan": visit.disability_service,
            "hadir_p2k2": visit.p2k2,
            "modul_p2k2": visit.module,
            "pekerjaan_kepala_kk": visit.head_work,
            "jumlah_art_bekerja": visit.workers,
            "sumber_pendapatan": " ".join(visit.sources),
            "pendapatan_bulan_rp": visit.income,
            "tabungan_rp": visit.savings,
            "punya_usaha": "ya" if visit.business else "tidak",
            "jenis_usaha": visit.business_kind if visit.business else None,
            "penggunaan_bantuan": " ".join(visit.aid_use),
            "frek_makan_hari": visit.meals,
            "frek_protein_hewani_minggu": visit.protein,
            "kekurangan_pangan_3bln": "ya" if visit.food_shortage else "tidak",
            "perubahan_rumah": " ".join(visit.house_changes),
            "masalah_kpm": " ".join(visit.problems),
            "rujukan": " ".join(visit.referrals) or None,
            "n_anak_serumah": serumah,
            "n_anak_hadir_85": good,
            "n_balita_ditimbang": weighed,
            "penilaian_pendamping": visit.penilaian,
        }
    )
    return data


def _tokens(items: list[tuple[int, str]]) -> str | None:
    return " ".join(f"{u}:{n}" for u, n in items) or None


def penyaluran_data(
    h: Household, d: Disbursement, times: DeviceTimes, regions: RegionNames
) -> dict[str, Any]:
    """A penyaluran (tranche confirmation) submission."""
    data: dict[str, Any] = {
        **_opening(h, times, regions),
        "pendamping_id": times.username,
        "tanggal_konfirmasi": d.confirmed_on.isoformat(),
        "tahun_anggaran": d.year,
        "tahap": d.tahap,
        "status_terima": d.status,
    }
    received = d.status in ("diterima_penuh", "diterima_sebagian")
    if received:
        data["nominal_diterima_rp"] = d.received_rp
        data["tanggal_terima"] = d.received_on.isoformat()  # type: ignore[union-attr]
    data["bank_penyalur"] = h.bank
    if received:
        data["cara_terima"] = d.cara_terima
    data["kendala"] = " ".join(d.kendala)
    if "lainnya" in d.kendala and d.kendala_lainnya:
        data["kendala_lainnya"] = d.kendala_lainnya
    if d.sequence == 1:
        data["catatan_penyaluran"] = "Konfirmasi ulang: dana sudah diterima."
    data["meta"] = {"instanceName": f"{h.id_kpm} - {d.year} tahap {d.tahap}"}
    return data
