"""What the graduation engine knows of one household as of one date: :class:`KpmSnapshot` (pure data).

A snapshot combines the registration baseline (members, house, assets) with the latest visit values on or
before its date (income, food, savings, attendance, weighing). ``None`` always means "not known"; the engine
turns it into "insufficient data", never into "not met". :mod:`warehouse.graduation.snapshot` builds snapshots
from the domain tables; tests build them by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

#: Kinds of snapshot: at the registration, at a visit, or at another as-of date (no contact that day).
REGISTRASI = "registrasi"
KUNJUNGAN = "kunjungan"
PER_TANGGAL = "per_tanggal"


# Not frozen (see KpmSnapshot below): a full recompute reads about a million members and attendance rows.
@dataclass(slots=True)
class Member:
    """A member of the household from the registration roster (answers as given then)."""

    urutan: int
    tanggal_lahir: date | None = None
    jenis_kelamin: str | None = None
    hubungan: str | None = None  # kepala is the head
    status_hamil: str | None = None
    partisipasi_sekolah: str | None = None  # belum_pernah | masih_sekolah | tidak_lagi
    pendidikan_tertinggi: str | None = None
    pekerjaan_utama: str | None = None
    disabilitas: str | None = None  # tidak | ringan_sedang | berat
    punya_jkn: str | None = None
    serumah: bool = True  # False once a visit reported the member no longer living in the house


@dataclass(slots=True)
class ChildRow:
    """School attendance of one child at a visit (``pantau_anak``); ``urutan`` None = not on the roster."""

    urutan: int | None
    status: str | None  # sekolah | tidak_sekolah | tidak_serumah
    pct_hadir: float | None = None
    hadir_hari: int | None = None
    hari_efektif: int | None = None


@dataclass(slots=True)
class ToddlerRow:
    """Weighing of one toddler at a visit (``pantau_balita``); ``urutan`` None = not on the roster."""

    urutan: int | None
    ditimbang: str | None  # ya | tidak


# Not frozen, like the assessment and the status built from it: a recompute builds hundreds of thousands, and a
# frozen dataclass sets each field through object.__setattr__, which made building a snapshot three times as slow.
# Nothing changes one once built (dataclasses.replace makes a changed copy).
@dataclass(slots=True)
class KpmSnapshot:
    """A household as of ``as_of``: the inputs of one assessment (never changed once built).

    ``jumlah_anggota`` is the size on that date (registration count plus births and arrivals, minus deaths and
    departures reported at later visits). House answers are the registration's; ``perbaikan_rumah`` lists the
    improvements reported at visits since, which the rules turn into new house values. Money, food, work and
    pregnancy come from the latest visit on or before ``as_of`` that answered them, else the registration.
    ``anak``/``balita`` are the rows of the latest visit at which the family was met.
    """

    id_kpm: str
    as_of: date
    jenis: str = KUNJUNGAN  # registrasi | kunjungan | per_tanggal
    kunjungan_id: str | None = None  # the visit of that date (jenis kunjungan)
    kpm_ditemui: str | None = None  # of that visit: ya | tidak_ada_di_rumah | pindah | meninggal
    kode_kabupaten: str | None = None
    tanggal_registrasi: date | None = None
    tanggal_kunjungan_terakhir: date | None = None
    jumlah_anggota: int | None = None
    anggota: tuple[Member, ...] = ()
    # house (registration) and improvements since
    luas_lantai_m2: float | None = None
    jenis_lantai: str | None = None
    jenis_dinding: str | None = None
    jenis_atap: str | None = None
    fasilitas_bab: str | None = None
    sumber_penerangan: str | None = None
    sumber_air_minum: str | None = None
    bahan_bakar_masak: str | None = None
    perbaikan_rumah: frozenset[str] = frozenset()
    # food and health
    frek_protein_hewani_minggu: int | None = None
    frek_makan_hari: int | None = None
    kekurangan_pangan_3bln: str | None = None
    beli_pakaian_setahun: str | None = None
    mampu_berobat: str | None = None
    # work, income, savings, assets
    pekerjaan_kepala: str | None = None  # the visit's answer, else the head's occupation at registration
    luas_lahan_m2: float | None = None
    pendapatan_bulan_rp: float | None = None
    jumlah_sumber_pendapatan: int | None = None
    punya_usaha: str | None = None
    tabungan_rp: float | None = None
    aset_mudah_dijual: frozenset[str] | None = None
    nilai_aset_rp: float | None = None
    # pregnancy, children, toddlers, services
    jumlah_hamil: int | None = None
    anc_kunjungan_ke: int | None = None
    jumlah_lahir: int = 0  # babies reported born at visits since the registration
    hadir_p2k2: str | None = None
    penilaian_pendamping: str | None = None
    anak: tuple[ChildRow, ...] = ()
    balita: tuple[ToddlerRow, ...] = ()
    #: the submissions this snapshot was built from (registration logical id, visit ids), oldest first
    sumber: tuple[str, ...] = ()

    @property
    def kontak(self) -> bool:
        """True when the family was met: a registration, or a visit where ``kpm_ditemui`` is ya (or unknown)."""
        if self.jenis == REGISTRASI:
            return True
        if self.jenis == KUNJUNGAN:
            return self.kpm_ditemui in (None, "ya")
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def snapshot_to_dict(snapshot: KpmSnapshot) -> dict[str, Any]:
    """A JSON-ready dict of every input (for ``asesmen.input_json``)."""
    return _plain(snapshot)


def snapshot_digest(snapshot: KpmSnapshot) -> str:
    """SHA-256 of the snapshot's canonical JSON: equal digests mean equal inputs (``asesmen.input_sha256``)."""
    text = json.dumps(snapshot_to_dict(snapshot), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def age_on(birth: date, as_of: date) -> int:
    """Completed years of someone born on ``birth`` as of ``as_of`` (a 29 February birthday counts on 1 March
    in common years; negative if born later)."""
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
