"""The fixed part of the warehouse schema (Alembic-managed).

Layers (DESIGN.md §6): ``raw_submission`` keeps every version verbatim; ``submission`` is the current version's
system metadata per logical submission; typed per-form tables (see :mod:`warehouse.formtables`) are generated
from the form schema at run time; the domain tables (wilayah, pendamping, kpm, anggota) are derived from them.
Timestamps are naive UTC unless a column says otherwise; server cursors are kept as the server's own strings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints the same on both backends."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- sync bookkeeping -------------------------------------------------------------------------------------


class SyncState(Base):
    """Per form: the committed cursor (server high-water mark) and what the last sweep saw."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(256))
    schema_hash: Mapped[str | None] = mapped_column(String(64))
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_reconciled_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncRun(Base):
    """One run over one form: what it fetched and changed, and how it ended (the ledger of reliability.md I5)."""

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed|aborted
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    cursor_before: Mapped[str | None] = mapped_column(String(64))
    cursor_after: Mapped[str | None] = mapped_column(String(64))
    error_class: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_sync_run_form", "source", "form_id", "id"),)


class FormField(Base):
    """The union schema of a form: every field any synced version had, and the typed column it feeds."""

    __tablename__ = "form_field"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    path: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))  # ODK type: string, int, decimal, date, geopoint, ...
    repeat_path: Mapped[str] = mapped_column(String(512))  # "" for the root table, else the repeat's path
    table_name: Mapped[str] = mapped_column(String(128))
    column_name: Mapped[str] = mapped_column(String(128))
    select_multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_run: Mapped[int | None] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)  # absent from the latest version


class RawSubmission(Base):
    """Every version of every submission, verbatim as the server sent it (lossless)."""

    __tablename__ = "raw_submission"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str] = mapped_column(String(128))
    instance_id: Mapped[str] = mapped_column(String(128))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the row without __system, verbatim (JSON)
    system: Mapped[str | None] = mapped_column(Text)  # __system as first seen with this version (JSON)
    form_version: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    sync_run_id: Mapped[int | None] = mapped_column(Integer)
    #: :func:`warehouse.prepare.version_key` of (source, form_id, instance_id): how a version is found
    version_key: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # versions are found by their 8-byte key (then compared by instance id): a small index a long load's
        # random inserts keep in cache; the loader stores each version once. No index by logical id (no query
        # reads one: it cost every write).
        Index("ix_raw_submission_version_key", "version_key"),
    )


class Submission(Base):
    """The current version of each logical submission (Central ``__id``, Kobo ``meta/rootUuid``)."""

    __tablename__ = "submission"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    logical_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(128))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str | None] = mapped_column(String(64))
    submission_date: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[str | None] = mapped_column(String(40))
    review_state: Mapped[str | None] = mapped_column(String(32))
    edits: Mapped[int] = mapped_column(Integer, default=0)
    submitter_id: Mapped[str | None] = mapped_column(String(64))
    submitter_name: Mapped[str | None] = mapped_column(String(256))
    device_id: Mapped[str | None] = mapped_column(String(128))
    attachments_present: Mapped[int | None] = mapped_column(Integer)
    attachments_expected: Mapped[int | None] = mapped_column(Integer)
    first_run_id: Mapped[int | None] = mapped_column(Integer)
    last_run_id: Mapped[int | None] = mapped_column(Integer)


class ChangeQueue(Base):
    """Submissions changed by a sync and not yet carried into the domain tables (drained crash-safely)."""

    __tablename__ = "change_queue"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str] = mapped_column(String(128))
    sync_run_id: Mapped[int | None] = mapped_column(Integer)

    # drained in id order (the primary key); no index by form: nothing reads one, and every change wrote it


class RecomputeQueue(Base):
    """KPM whose inputs changed and whose assessments must be recomputed (drained by the engine)."""

    __tablename__ = "recompute_queue"

    id_kpm: Mapped[str] = mapped_column(String(32), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    # reassess from this date on (NULL: the whole history; 9999-12-31: only re-check disbursements)
    sejak: Mapped[date | None] = mapped_column(Date)


class DataQualityIssue(Base):
    """A problem found in a submission: stored, never dropped, shown to staff (reliability.md §4)."""

    __tablename__ = "dq_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str | None] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))  # error|warning|info
    field: Mapped[str | None] = mapped_column(String(512))
    value: Mapped[str | None] = mapped_column(Text)
    kode_wilayah: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    sync_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_dq_issue_form_rule", "source", "form_id", "rule"),
        Index("ix_dq_issue_logical", "source", "form_id", "logical_id"),
    )


# --- domain -----------------------------------------------------------------------------------------------


class Wilayah(Base):
    """A region of Banten: provinsi, kabupaten/kota, kecamatan or desa/kelurahan, by Kemendagri code."""

    __tablename__ = "wilayah"

    kode: Mapped[str] = mapped_column(String(16), primary_key=True)
    tingkat: Mapped[str] = mapped_column(String(16))  # provinsi|kabupaten|kecamatan|desa
    nama: Mapped[str] = mapped_column(String(128))
    kode_induk: Mapped[str | None] = mapped_column(String(16), index=True)


class Pendamping(Base):
    """A facilitator (from the roster import, or first seen in a submission); linked to their app users."""

    __tablename__ = "pendamping"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nama: Mapped[str] = mapped_column(String(128))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16), index=True)
    kode_kecamatan: Mapped[str | None] = mapped_column(String(16))
    telepon: Mapped[str | None] = mapped_column(String(32))
    central_app_user: Mapped[str | None] = mapped_column(String(128))  # display name of the Central app user
    central_app_user_id: Mapped[int | None] = mapped_column(Integer)
    kobo_username: Mapped[str | None] = mapped_column(String(128))
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)
    sumber: Mapped[str] = mapped_column(String(16), default="import")  # import | submisi


class Penugasan(Base):
    """Which pendamping held a KPM from when to when (caseload history; ``selesai`` NULL = still)."""

    __tablename__ = "penugasan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(String(32))
    pendamping_id: Mapped[str] = mapped_column(String(32))
    mulai: Mapped[date] = mapped_column(Date)
    selesai: Mapped[date | None] = mapped_column(Date)
    sumber: Mapped[str] = mapped_column(String(16), default="import")

    __table_args__ = (
        Index("ix_penugasan_kpm", "id_kpm", "mulai"),
        Index("ix_penugasan_pendamping", "pendamping_id", "mulai"),
    )


class Kpm(Base):
    """A beneficiary family: the official list's identity, the registration's baseline, and its status."""

    __tablename__ = "kpm"

    id_kpm: Mapped[str] = mapped_column(String(32), primary_key=True)
    no_kk: Mapped[str | None] = mapped_column(String(32))
    nik_pengurus: Mapped[str | None] = mapped_column(String(32))
    nama_pengurus: Mapped[str | None] = mapped_column(String(256))
    id_dtks: Mapped[str | None] = mapped_column(String(64))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))
    kode_kecamatan: Mapped[str | None] = mapped_column(String(16))
    kode_desa: Mapped[str | None] = mapped_column(String(16))
    alamat: Mapped[str | None] = mapped_column(String(512))
    pendamping_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dalam_daftar_resmi: Mapped[bool] = mapped_column(Boolean, default=False)  # on the official list
    kategori_awal: Mapped[str | None] = mapped_column(String(32))  # from the official list
    tahun_masuk: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(40), default="aktif")  # aktif | graduasi_* | keluar_*
    # baseline from the latest registration (kpm_registrasi)
    registrasi_logical_id: Mapped[str | None] = mapped_column(String(128))
    tanggal_registrasi: Mapped[date | None] = mapped_column(Date)
    jumlah_anggota: Mapped[int] = mapped_column(Integer, default=0)
    lokasi_rumah_lat: Mapped[float | None] = mapped_column(Float)
    lokasi_rumah_lon: Mapped[float | None] = mapped_column(Float)
    bank_penyalur: Mapped[str | None] = mapped_column(String(32))
    luas_lantai_m2: Mapped[float | None] = mapped_column(Float)
    jenis_lantai: Mapped[str | None] = mapped_column(String(32))
    jenis_dinding: Mapped[str | None] = mapped_column(String(32))
    jenis_atap: Mapped[str | None] = mapped_column(String(32))
    fasilitas_bab: Mapped[str | None] = mapped_column(String(32))
    sumber_penerangan: Mapped[str | None] = mapped_column(String(48))
    sumber_air_minum: Mapped[str | None] = mapped_column(String(48))
    bahan_bakar_masak: Mapped[str | None] = mapped_column(String(32))
    frek_protein_hewani_minggu: Mapped[int | None] = mapped_column(Integer)
    beli_pakaian_setahun: Mapped[str | None] = mapped_column(String(32))
    frek_makan_hari: Mapped[int | None] = mapped_column(Integer)
    mampu_berobat: Mapped[str | None] = mapped_column(String(16))
    luas_lahan_m2: Mapped[int | None] = mapped_column(BigInteger)
    pendapatan_bulan_rp: Mapped[int | None] = mapped_column(BigInteger)
    sumber_pendapatan: Mapped[str | None] = mapped_column(String(256))
    jumlah_sumber_pendapatan: Mapped[int | None] = mapped_column(Integer)
    punya_usaha: Mapped[str | None] = mapped_column(String(16))
    tabungan_rp: Mapped[int | None] = mapped_column(BigInteger)
    aset_mudah_dijual: Mapped[str | None] = mapped_column(String(256))
    nilai_aset_rp: Mapped[int | None] = mapped_column(BigInteger)
    penerima_bansos_lain: Mapped[str | None] = mapped_column(String(256))
    skor_bps_perangkat: Mapped[int | None] = mapped_column(Integer)
    # the latest assessment, denormalised for lists, read models and the roster pushed to phones
    kategori: Mapped[str | None] = mapped_column(String(32))
    status_graduasi: Mapped[str | None] = mapped_column(String(40))
    tanggal_kunjungan_terakhir: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_kpm_wilayah", "kode_kabupaten", "kode_kecamatan", "kode_desa"),
        Index("ix_kpm_nik_pengurus", "nik_pengurus"),
        Index("ix_kpm_no_kk", "no_kk"),
    )


class Anggota(Base):
    """A current member of a KPM household (from the latest registration)."""

    __tablename__ = "anggota"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(ForeignKey("kpm.id_kpm", ondelete="CASCADE"))
    urutan: Mapped[int] = mapped_column(Integer)
    nama: Mapped[str | None] = mapped_column(String(256))
    nik: Mapped[str | None] = mapped_column(String(32))
    hubungan: Mapped[str | None] = mapped_column(String(32))
    jenis_kelamin: Mapped[str | None] = mapped_column(String(8))
    tanggal_lahir: Mapped[date | None] = mapped_column(Date)
    status_hamil: Mapped[str | None] = mapped_column(String(16))
    status_nifas_menyusui: Mapped[str | None] = mapped_column(String(16))
    partisipasi_sekolah: Mapped[str | None] = mapped_column(String(32))
    jenjang_sekolah: Mapped[str | None] = mapped_column(String(32))
    pendidikan_tertinggi: Mapped[str | None] = mapped_column(String(32))
    pekerjaan_utama: Mapped[str | None] = mapped_column(String(48))
    disabilitas: Mapped[str | None] = mapped_column(String(32))
    punya_jkn: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("id_kpm", "urutan", name="uq_anggota_kpm_urutan"),
        Index("ix_anggota_lahir", "tanggal_lahir"),
    )


class Kunjungan(Base):
    """A monitoring visit (kpm_kunjungan submission), keyed by the submission's logical id."""

    __tablename__ = "kunjungan"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="central")
    id_kpm: Mapped[str | None] = mapped_column(String(32))
    pendamping_id: Mapped[str | None] = mapped_column(String(32))
    tanggal_kunjungan: Mapped[date | None] = mapped_column(Date)
    lokasi_kunjungan_lat: Mapped[float | None] = mapped_column(Float)
    lokasi_kunjungan_lon: Mapped[float | None] = mapped_column(Float)
    kpm_ditemui: Mapped[str | None] = mapped_column(String(32))
    perubahan_anggota: Mapped[str | None] = mapped_column(String(256))
    jml_lahir: Mapped[int | None] = mapped_column(Integer)
    jml_meninggal: Mapped[int | None] = mapped_column(Integer)
    jml_pindah_keluar: Mapped[int | None] = mapped_column(Integer)
    jml_masuk: Mapped[int | None] = mapped_column(Integer)
    jumlah_anak_tambahan: Mapped[int | None] = mapped_column(Integer)
    jumlah_anak_dipantau: Mapped[int | None] = mapped_column(Integer)
    n_anak_sekolah: Mapped[int | None] = mapped_column(Integer)
    jumlah_balita_tambahan: Mapped[int | None] = mapped_column(Integer)
    jumlah_balita_dipantau: Mapped[int | None] = mapped_column(Integer)
    masih_hamil: Mapped[str | None] = mapped_column(String(16))
    n_hamil: Mapped[int | None] = mapped_column(Integer)
    anc_kunjungan_ke: Mapped[int | None] = mapped_column(Integer)
    persalinan_di_faskes: Mapped[str | None] = mapped_column(String(16))
    lansia_cek_kesehatan: Mapped[str | None] = mapped_column(String(16))
    disabilitas_berat_layanan: Mapped[str | None] = mapped_column(String(16))
    hadir_p2k2: Mapped[str | None] = mapped_column(String(16))
    modul_p2k2: Mapped[str | None] = mapped_column(String(48))
    pekerjaan_kepala_kk: Mapped[str | None] = mapped_column(String(48))
    jumlah_art_bekerja: Mapped[int | None] = mapped_column(Integer)
    sumber_pendapatan: Mapped[str | None] = mapped_column(String(256))
    jumlah_sumber_pendapatan: Mapped[int | None] = mapped_column(Integer)
    pendapatan_bulan_rp: Mapped[int | None] = mapped_column(BigInteger)
    tabungan_rp: Mapped[int | None] = mapped_column(BigInteger)
    punya_usaha: Mapped[str | None] = mapped_column(String(16))
    penggunaan_bantuan: Mapped[str | None] = mapped_column(String(256))
    frek_makan_hari: Mapped[int | None] = mapped_column(Integer)
    frek_protein_hewani_minggu: Mapped[int | None] = mapped_column(Integer)
    kekurangan_pangan_3bln: Mapped[str | None] = mapped_column(String(16))
    perubahan_rumah: Mapped[str | None] = mapped_column(String(256))
    masalah_kpm: Mapped[str | None] = mapped_column(String(256))
    rujukan: Mapped[str | None] = mapped_column(String(256))
    penilaian_pendamping: Mapped[str | None] = mapped_column(String(32))
    catatan: Mapped[str | None] = mapped_column(Text)
    foto_kunjungan: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (
        Index("ix_kunjungan_kpm", "id_kpm", "tanggal_kunjungan"),
        Index("ix_kunjungan_pendamping", "pendamping_id", "tanggal_kunjungan"),
        Index("ix_kunjungan_tanggal", "tanggal_kunjungan"),
    )


class PantauAnak(Base):
    """School attendance of one child at one visit (repeat ``pantau_anak``)."""

    __tablename__ = "pantau_anak"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kunjungan_id: Mapped[str] = mapped_column(ForeignKey("kunjungan.id", ondelete="CASCADE"))
    baris: Mapped[int] = mapped_column(Integer)  # position in the repeat
    urutan: Mapped[str | None] = mapped_column(String(16))  # member position in the registration
    nama: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str | None] = mapped_column(String(32))
    hari_efektif: Mapped[int | None] = mapped_column(Integer)
    hadir_hari: Mapped[int | None] = mapped_column(Integer)
    pct_hadir: Mapped[float | None] = mapped_column(Float)
    sumber_verifikasi: Mapped[str | None] = mapped_column(String(32))
    alasan_tidak_sekolah: Mapped[str | None] = mapped_column(String(48))

    __table_args__ = (Index("ix_pantau_anak_kunjungan", "kunjungan_id"),)


class PantauBalita(Base):
    """Weighing and immunisation of one toddler at one visit (repeat ``pantau_balita``)."""

    __tablename__ = "pantau_balita"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kunjungan_id: Mapped[str] = mapped_column(ForeignKey("kunjungan.id", ondelete="CASCADE"))
    baris: Mapped[int] = mapped_column(Integer)
    urutan: Mapped[str | None] = mapped_column(String(16))
    nama: Mapped[str | None] = mapped_column(String(256))
    ditimbang: Mapped[str | None] = mapped_column(String(16))
    imunisasi_sesuai_jadwal: Mapped[str | None] = mapped_column(String(16))
    bb_kg: Mapped[float | None] = mapped_column(Float)
    tb_cm: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_pantau_balita_kunjungan", "kunjungan_id"),)


class Penyaluran(Base):
    """A disbursement confirmation (penyaluran submission): what a KPM received of which tranche."""

    __tablename__ = "penyaluran"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="central")
    id_kpm: Mapped[str | None] = mapped_column(String(32))
    pendamping_id: Mapped[str | None] = mapped_column(String(32))
    tanggal_konfirmasi: Mapped[date | None] = mapped_column(Date)
    tahun_anggaran: Mapped[int | None] = mapped_column(Integer)
    tahap: Mapped[str | None] = mapped_column(String(16))
    status_terima: Mapped[str | None] = mapped_column(String(32))
    nominal_diterima_rp: Mapped[int | None] = mapped_column(BigInteger)
    tanggal_terima: Mapped[date | None] = mapped_column(Date)
    bank_penyalur: Mapped[str | None] = mapped_column(String(32))
    cara_terima: Mapped[str | None] = mapped_column(String(32))
    kendala: Mapped[str | None] = mapped_column(String(256))
    bukti: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (Index("ix_penyaluran_kpm", "id_kpm", "tahun_anggaran", "tahap"),)


class ProgramTahap(Base):
    """A tranche of a program year: the entitlement per KPM and the window it should arrive in."""

    __tablename__ = "program_tahap"

    tahun: Mapped[int] = mapped_column(Integer, primary_key=True)
    tahap: Mapped[str] = mapped_column(String(16), primary_key=True)  # 1 | 2 | 3 | sekaligus
    nominal_rp: Mapped[int] = mapped_column(BigInteger)
    mulai: Mapped[date | None] = mapped_column(Date)
    selesai: Mapped[date | None] = mapped_column(Date)
    keterangan: Mapped[str | None] = mapped_column(String(256))


class MasalahPenyaluran(Base):
    """A confirmation that does not match the entitlement (amount, date window, duplicate, missing)."""

    __tablename__ = "masalah_penyaluran"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(String(32))
    tahun: Mapped[int] = mapped_column(Integer)
    tahap: Mapped[str] = mapped_column(String(16))
    diharapkan_rp: Mapped[int | None] = mapped_column(BigInteger)
    diterima_rp: Mapped[int | None] = mapped_column(BigInteger)
    jenis: Mapped[str] = mapped_column(
        String(32)
    )  # kurang | lebih | di_luar_jadwal | ganda | tahap_tidak_dikenal
    penyaluran_id: Mapped[str | None] = mapped_column(String(128))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_masalah_penyaluran_kpm", "id_kpm", "tahun"),)


class TargetPendamping(Base):
    """A pendamping's targets for a year (imported by staff)."""

    __tablename__ = "target_pendamping"

    pendamping_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tahun: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_graduasi: Mapped[int | None] = mapped_column(Integer)
    target_naik_kategori: Mapped[int | None] = mapped_column(Integer)
    target_cakupan_kunjungan_pct: Mapped[float | None] = mapped_column(Float)


class RuleSet(Base):
    """A version of the graduation rules workbook, effective from a date (kept forever)."""

    __tablename__ = "rule_set"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))
    rules_json: Mapped[str] = mapped_column(Text)
    proposal: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)


class Asesmen(Base):
    """The graduation assessment of a KPM as of a date (a visit, or the registration), with its reasons."""

    __tablename__ = "asesmen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(String(32))
    tanggal: Mapped[date] = mapped_column(Date)
    kunjungan_id: Mapped[str | None] = mapped_column(String(128))
    rule_version: Mapped[str] = mapped_column(String(64))
    kategori: Mapped[str | None] = mapped_column(String(32))
    skor_bps: Mapped[int | None] = mapped_column(Integer)
    rasio_gk: Mapped[float | None] = mapped_column(Float)
    skor_graduasi: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(40))
    alasan: Mapped[str | None] = mapped_column(Text)  # reason codes, space separated
    kriteria_json: Mapped[str] = mapped_column(Text)  # per-criterion results with values and reason codes
    input_json: Mapped[str | None] = mapped_column(Text)  # the submissions and values it used
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    pendamping_id: Mapped[str | None] = mapped_column(String(32))  # who held the KPM on that date
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))
    computed_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("id_kpm", "tanggal", name="uq_asesmen_kpm_tanggal"),
        Index("ix_asesmen_pendamping", "pendamping_id", "tanggal"),
        Index("ix_asesmen_tanggal", "tanggal"),
    )


class Keputusan(Base):
    """A recorded decision on a KPM: graduation or exit, proposed -> verified -> approved (or rejected)."""

    __tablename__ = "keputusan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(String(32), index=True)
    jenis: Mapped[str] = mapped_column(String(40))  # graduasi_sejahtera_mandiri | graduasi_alamiah | keluar_*
    status: Mapped[str] = mapped_column(String(16))  # diusulkan | diverifikasi | disetujui | ditolak
    asesmen_id: Mapped[int | None] = mapped_column(Integer)
    diusulkan_oleh: Mapped[str] = mapped_column(String(64))
    diusulkan_pada: Mapped[datetime] = mapped_column(DateTime)
    diverifikasi_oleh: Mapped[str | None] = mapped_column(String(64))
    diverifikasi_pada: Mapped[datetime | None] = mapped_column(DateTime)
    disetujui_oleh: Mapped[str | None] = mapped_column(String(64))
    disetujui_pada: Mapped[datetime | None] = mapped_column(DateTime)
    ditolak_oleh: Mapped[str | None] = mapped_column(String(64))
    ditolak_pada: Mapped[datetime | None] = mapped_column(DateTime)
    catatan: Mapped[str | None] = mapped_column(Text)


class _RingkasanColumns:
    """The counts shared by the region and pendamping read models (as of ``per_tanggal``)."""

    kpm: Mapped[int] = mapped_column(Integer, default=0)
    anak_sekolah: Mapped[int] = mapped_column(Integer, default=0)  # members aged 7-18
    balita: Mapped[int] = mapped_column(Integer, default=0)  # members aged 0-4
    ibu_hamil: Mapped[int] = mapped_column(Integer, default=0)
    lansia: Mapped[int] = mapped_column(Integer, default=0)  # 60+
    disabilitas_berat: Mapped[int] = mapped_column(Integer, default=0)
    kpm_anak_sekolah: Mapped[int] = mapped_column(Integer, default=0)  # KPM with at least one
    kpm_balita: Mapped[int] = mapped_column(Integer, default=0)
    dikunjungi_30: Mapped[int] = mapped_column(Integer, default=0)  # KPM visited in the last 30 days
    dikunjungi_90: Mapped[int] = mapped_column(Integer, default=0)
    data_lengkap: Mapped[int] = mapped_column(Integer, default=0)  # registered and visited in 90 days
    sangat_miskin: Mapped[int] = mapped_column(Integer, default=0)
    miskin: Mapped[int] = mapped_column(Integer, default=0)
    hampir_miskin: Mapped[int] = mapped_column(Integer, default=0)
    rentan_miskin: Mapped[int] = mapped_column(Integer, default=0)
    calon_graduasi: Mapped[int] = mapped_column(Integer, default=0)  # above the vulnerable band
    tanpa_kategori: Mapped[int] = mapped_column(Integer, default=0)
    naik_kategori: Mapped[int] = mapped_column(Integer, default=0)  # better now than at baseline
    turun_kategori: Mapped[int] = mapped_column(Integer, default=0)
    layak_graduasi: Mapped[int] = mapped_column(Integer, default=0)
    graduasi: Mapped[int] = mapped_column(Integer, default=0)  # approved graduations this year
    target_graduasi: Mapped[int | None] = mapped_column(Integer)
    extra_json: Mapped[str | None] = mapped_column(Text)  # tranche progress and other breakdowns
    per_tanggal: Mapped[date] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)


class RingkasanWilayah(_RingkasanColumns, Base):
    """Read model: counts per region (province, kabupaten, kecamatan)."""

    __tablename__ = "rm_wilayah"

    kode: Mapped[str] = mapped_column(String(16), primary_key=True)
    tingkat: Mapped[str] = mapped_column(String(16))
    kode_induk: Mapped[str | None] = mapped_column(String(16), index=True)
    nama: Mapped[str | None] = mapped_column(String(128))


class RingkasanPendamping(_RingkasanColumns, Base):
    """Read model: a pendamping's caseload composition, coverage, completeness, movement and target."""

    __tablename__ = "rm_pendamping"

    pendamping_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nama: Mapped[str | None] = mapped_column(String(128))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16), index=True)
    kode_kecamatan: Mapped[str | None] = mapped_column(String(16))


class LahirPerKabupaten(Base):
    """Read model: current members per kabupaten and birth date, so the dashboard counts ages on any date
    with a range sum over a few thousand rows instead of joining every member to its KPM."""

    __tablename__ = "rm_lahir"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))
    tanggal_lahir: Mapped[date] = mapped_column(Date)
    jumlah: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_rm_lahir_tanggal", "tanggal_lahir", "kode_kabupaten", "jumlah"),)


# --- admin ------------------------------------------------------------------------------------------------


class AdminUser(Base):
    """A staff account of the admin. ``role`` is province_admin, kabupaten_operator or viewer (DESIGN.md §7)."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    """One login attempt, kept for throttling per username and per IP across every web worker."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )


class AuditLog(Base):
    """Who did what to which object, when: logins, NIK reveals, exports, decisions, user and rule changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_at", "at"),)
