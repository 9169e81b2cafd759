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

    __table_args__ = (
        UniqueConstraint("source", "form_id", "instance_id", name="uq_raw_submission_version"),
        Index("ix_raw_submission_logical", "source", "form_id", "logical_id"),
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

    __table_args__ = (Index("ix_submission_run", "source", "form_id", "last_run_id"),)


class ChangeQueue(Base):
    """Submissions changed by a sync and not yet carried into the domain tables (drained crash-safely)."""

    __tablename__ = "change_queue"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str] = mapped_column(String(128))
    sync_run_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_change_queue_form", "source", "form_id", "id"),)


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
    """A facilitator; ``central_app_user`` / ``kobo_username`` link submissions to them."""

    __tablename__ = "pendamping"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nama: Mapped[str] = mapped_column(String(128))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16), index=True)
    kode_kecamatan: Mapped[str | None] = mapped_column(String(16))
    central_app_user: Mapped[str | None] = mapped_column(String(128))
    kobo_username: Mapped[str | None] = mapped_column(String(128))


class Kpm(Base):
    """A beneficiary family (KPM) with its region, facilitator and the registration it came from."""

    __tablename__ = "kpm"

    id_kpm: Mapped[str] = mapped_column(String(32), primary_key=True)
    nama_pengurus: Mapped[str | None] = mapped_column(String(256))
    kode_kabupaten: Mapped[str | None] = mapped_column(String(16))
    kode_kecamatan: Mapped[str | None] = mapped_column(String(16))
    kode_desa: Mapped[str | None] = mapped_column(String(16))
    pendamping_id: Mapped[str | None] = mapped_column(String(32), index=True)
    tanggal_registrasi: Mapped[date | None] = mapped_column(Date)
    registrasi_logical_id: Mapped[str | None] = mapped_column(String(128))
    jumlah_anggota: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_kpm_wilayah", "kode_kabupaten", "kode_kecamatan"),)


class Anggota(Base):
    """A current member of a KPM household (from the latest registration)."""

    __tablename__ = "anggota"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_kpm: Mapped[str] = mapped_column(ForeignKey("kpm.id_kpm", ondelete="CASCADE"))
    urutan: Mapped[int] = mapped_column(Integer)
    nama: Mapped[str | None] = mapped_column(String(256))
    hubungan: Mapped[str | None] = mapped_column(String(32))
    jenis_kelamin: Mapped[str | None] = mapped_column(String(8))
    tanggal_lahir: Mapped[date | None] = mapped_column(Date)
    partisipasi_sekolah: Mapped[str | None] = mapped_column(String(32))
    jenjang_sekolah: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("id_kpm", "urutan", name="uq_anggota_kpm_urutan"),
        Index("ix_anggota_lahir", "tanggal_lahir"),
    )


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
