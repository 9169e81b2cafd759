"""Decisions: eligible -> proposed -> verified -> approved, by different people, audited; exits the same way."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from graduasi.cli import main
from warehouse.db import write_connection
from warehouse.decisions import DecisionError, approve, propose, reject, verify
from warehouse.models import Asesmen, AuditLog, Keputusan, Kpm, Penugasan, RingkasanWilayah
from warehouse.readmodels import refresh_read_models

AT = datetime(2020, 12, 28, 9, 0)


@pytest.fixture
def kpm_rows(engine: Engine) -> Engine:
    with write_connection(engine) as conn:
        conn.execute(
            Kpm.__table__.insert(),
            [
                {
                    "id_kpm": "3601-000001",
                    "kode_kabupaten": "3601",
                    "status": "aktif",
                    "pendamping_id": "PD-1",
                },
                {
                    "id_kpm": "3601-000002",
                    "kode_kabupaten": "3601",
                    "status": "aktif",
                    "pendamping_id": "PD-1",
                },
            ],
        )
        conn.execute(
            Penugasan.__table__.insert(),
            [
                {
                    "id_kpm": "3601-000001",
                    "pendamping_id": "PD-1",
                    "mulai": date(2019, 1, 1),
                    "sumber": "import",
                },
            ],
        )
        for id_kpm, status in (("3601-000001", "layak_graduasi"), ("3601-000002", "belum_memenuhi")):
            conn.execute(
                Asesmen.__table__.insert().values(
                    id_kpm=id_kpm,
                    tanggal=date(2020, 12, 1),
                    rule_version="v2019",
                    status=status,
                    kriteria_json="[]",
                    computed_at=AT,
                    kategori="calon_graduasi",
                )
            )
    return engine


def test_decision__full_path__kpm_graduates_and_every_step_audited(kpm_rows: Engine) -> None:
    """Should walk proposed -> verified -> approved, change the KPM's status and end its assignment."""
    with write_connection(kpm_rows) as conn:
        d = propose(conn, "3601-000001", "graduasi_sejahtera_mandiri", actor="pendamping.siti", at=AT)
        d = verify(conn, d.id, actor="kecamatan.budi", at=AT)
        d = approve(conn, d.id, actor="dinsos.ani", at=AT)
    assert d.status == "disetujui"
    with kpm_rows.connect() as conn:
        assert conn.execute(select(Kpm.status).where(Kpm.id_kpm == "3601-000001")).scalar_one() == (
            "graduasi_sejahtera_mandiri"
        )
        assert conn.execute(select(Penugasan.selesai)).scalar_one() == date(2020, 12, 28)
        actions = [r.action for r in conn.execute(select(AuditLog.action).order_by(AuditLog.id))]
        assert actions == ["keputusan.usul", "keputusan.verifikasi", "keputusan.setuju"]
        row = conn.execute(select(Keputusan.__table__)).one()
        assert (row.diusulkan_oleh, row.diverifikasi_oleh, row.disetujui_oleh) == (
            "pendamping.siti",
            "kecamatan.budi",
            "dinsos.ani",
        )
    refresh_read_models(kpm_rows, as_of=date(2020, 12, 31))
    with kpm_rows.connect() as conn:
        graduated = conn.execute(
            select(RingkasanWilayah.graduasi).where(RingkasanWilayah.kode == "3601")
        ).scalar_one()
    assert graduated == 1


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("not_eligible", "latest assessment says belum_memenuhi"),
        ("same_verifier", "another person must verify"),
        ("approve_unverified", "must be verified before approval"),
        ("same_approver", "another person must approve"),
        ("second_open", "already has an open decision"),
        ("reject_without_reason", "needs a reason"),
    ],
)
def test_decision__refused_steps__say_why(kpm_rows: Engine, step: str, message: str) -> None:
    """Should refuse each step that breaks the rules, with a message saying why."""
    with pytest.raises(DecisionError, match=message), write_connection(kpm_rows) as conn:
        if step == "not_eligible":
            propose(conn, "3601-000002", "graduasi_sejahtera_mandiri", actor="a", at=AT)
        d = propose(conn, "3601-000001", "graduasi_sejahtera_mandiri", actor="a", at=AT)
        if step == "same_verifier":
            verify(conn, d.id, actor="a", at=AT)
        if step == "approve_unverified":
            approve(conn, d.id, actor="c", at=AT)
        verify(conn, d.id, actor="b", at=AT)
        if step == "same_approver":
            approve(conn, d.id, actor="b", at=AT)
        if step == "second_open":
            propose(conn, "3601-000001", "keluar_pindah", actor="a", at=AT)
        if step == "reject_without_reason":
            reject(conn, d.id, actor="c", at=AT, note=" ")


def test_decision__exit_for_death__needs_no_eligibility(kpm_rows: Engine) -> None:
    """Should record an exit (died) for a KPM whatever its assessment says."""
    with write_connection(kpm_rows) as conn:
        d = propose(conn, "3601-000002", "keluar_meninggal", actor="a", at=AT, note="meninggal 2020-11-30")
        d = verify(conn, d.id, actor="b", at=AT)
        approve(conn, d.id, actor="c", at=AT)
    with kpm_rows.connect() as conn:
        assert (
            conn.execute(select(Kpm.status).where(Kpm.id_kpm == "3601-000002")).scalar_one()
            == "keluar_meninggal"
        )


def test_decision__cli__propose_verify_approve(kpm_rows: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should run the same path from the command line, with clear refusals."""
    monkeypatch.setenv("GRADUASI_DATABASE_URL", kpm_rows.url.render_as_string(hide_password=False))
    runner = CliRunner()
    refused = runner.invoke(main, ["graduation", "propose", "3601-000002", "--actor", "a"])
    assert refused.exit_code == 1
    assert "belum_memenuhi" in refused.output
    ok = runner.invoke(main, ["graduation", "propose", "3601-000001", "--actor", "a"])
    assert ok.exit_code == 0, ok.output
    number = ok.output.split("#")[1].split(":")[0]
    assert runner.invoke(main, ["graduation", "verify", number, "--actor", "b"]).exit_code == 0
    done = runner.invoke(main, ["graduation", "approve", number, "--actor", "c"])
    assert done.exit_code == 0
    assert "disetujui" in done.output
    listing = runner.invoke(main, ["graduation", "decisions", "--status", "disetujui"])
    assert "3601-000001" in listing.output
