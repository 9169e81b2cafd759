"""``graduasi graduation``: check the rules workbook(s); recompute is added beside ``check`` in this group.

Commands are registered on the :func:`graduation` group with ``@graduation.command(...)``; shared options (the
rules folder) come from :func:`rules_path_argument` so each command reads the rules the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Connection, Engine, select
from xlsxwriter.exceptions import XlsxFileError

from forms.rules import RULES_DIR, RulesError, check_rules, load_rules, rule_paths, write_vocabulary
from graduasi.cli.common import load_settings
from warehouse.db import make_engine, write_connection
from warehouse.decisions import GRADUATION, KINDS, DecisionError, approve, decisions, propose, reject, verify
from warehouse.migrate import upgrade
from warehouse.models import Pendamping
from warehouse.naik_grade import BadPeriod, category_moves, moves_per_pendamping, write_moves_xlsx
from warehouse.penyaluran_report import (
    KIND_LABELS,
    count_by_kind,
    list_problems,
    write_problems_xlsx,
)
from warehouse.readmodels import refresh_read_models
from warehouse.recompute import RecomputeBusy, RuleVersionChanged, recompute
from warehouse.regions import UnknownRegion, check_kabupaten
from warehouse.status_report import (
    STATUS_LABELS,
    ReasonBook,
    count_by_status,
    list_statuses,
    write_status_xlsx,
)


@click.group()
def graduation() -> None:
    """Graduation rules (workbooks in forms/rules/) and assessments."""


def rules_path_argument(f):  # type: ignore[no-untyped-def]
    """``PATHS...``: rules workbooks or folders (default: forms/rules/)."""
    return click.argument(
        "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[RULES.xlsx|FOLDER]..."
    )(f)


@graduation.command("check")
@rules_path_argument
def check_cmd(paths: tuple[Path, ...]) -> None:
    """Check rules workbooks: every mistake with its sheet, row, column and fix; exit 1 on errors."""
    targets = list(paths) or [RULES_DIR]
    messages = []
    for target in targets:
        messages.extend(check_rules(target))
    for message in messages:
        click.echo(str(message))
    errors = [m for m in messages if m.severity == "error"]
    if errors:
        click.echo(
            f"{len(errors)} error(s), {len(messages) - len(errors)} warning(s); docs/graduation.md explains each "
            "code.",
            err=True,
        )
        sys.exit(1)
    for target in targets:
        for path in rule_paths(target) if target.is_dir() else [target]:
            rules = load_rules(path)
            flag = "USULAN/proposal" if rules.proposal else "ditetapkan/confirmed"
            click.echo(
                f"{rules.source}: OK — versi {rules.version}, berlaku mulai {rules.effective_from.isoformat()}, {flag}; "
                f"{len(rules.bps)} kriteria BPS, {len(rules.graduation)} kriteria graduasi, "
                f"{len(rules.categories)} kategori, {len(rules.poverty_lines)} garis kemiskinan"
            )


@graduation.command("vocabulary")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def vocabulary_cmd(files: tuple[Path, ...]) -> None:
    """Rewrite the sheets indikator and operator of rules workbooks from graduasi's vocabulary."""
    for path in files:
        try:
            write_vocabulary(path)
        except (OSError, KeyError, ValueError) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        click.echo(f"{path}: sheets indikator and operator rewritten")


__all__ = ["RulesError", "graduation", "rules_path_argument"]


@graduation.command("recompute")
@click.option(
    "--all",
    "all_kpm",
    is_flag=True,
    help="Reassess every KPM's whole history (a new rule version needs no --all: any recompute applies it "
    "from the date it takes effect).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes to share the work (default: every core, up to 4, for 5,000 KPM or more).",
)
def recompute_cmd(all_kpm: bool, workers: int | None) -> None:
    """Recompute the assessments of the KPM whose data changed (or of all), then the read models."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        result = recompute(engine, all_kpm=all_kpm, workers=workers)
    except RuleVersionChanged as exc:
        raise click.ClickException(str(exc)) from exc
    except RecomputeBusy as exc:
        raise click.ClickException(f"{exc}: run this again when it has finished") from exc
    as_of = refresh_read_models(engine)
    click.echo(
        f"{result.kpm} KPM reassessed: {result.inserted} assessments new, {result.updated} changed, "
        f"{result.deleted} removed, {result.unchanged} unchanged ({result.seconds:.1f} s); "
        f"read models as of {as_of or '-'}"
    )


def _decision_step(step, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run one decision step in a write transaction; errors become click errors."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        with write_connection(engine) as conn:
            decision = step(conn, *args, at=datetime.now(UTC).replace(tzinfo=None), **kwargs)
    except DecisionError as exc:
        raise click.ClickException(str(exc)) from exc
    refresh_read_models(engine)
    click.echo(f"decision #{decision.id}: KPM {decision.id_kpm}, {decision.jenis}, now {decision.status}")


@graduation.command("propose")
@click.argument("id_kpm")
@click.option(
    "--jenis",
    type=click.Choice(list(KINDS)),
    default=GRADUATION,
    show_default=True,
    help="What is proposed: a graduation or an exit.",
)
@click.option("--actor", required=True, help="Who proposes (name or user).")
@click.option("--catatan", "note", default=None, help="A note for the verifier.")
def propose_cmd(id_kpm: str, jenis: str, actor: str, note: str | None) -> None:
    """Propose a graduation (needs an assessment 'layak_graduasi') or an exit for a KPM."""
    _decision_step(propose, id_kpm, jenis, actor=actor, note=note)


@graduation.command("verify")
@click.argument("decision_id", type=int)
@click.option("--actor", required=True, help="Who verifies (not the proposer).")
def verify_cmd(decision_id: int, actor: str) -> None:
    """Verify a proposed decision."""
    _decision_step(verify, decision_id, actor=actor)


@graduation.command("approve")
@click.argument("decision_id", type=int)
@click.option("--actor", required=True, help="Who approves for Dinsos (not the proposer or verifier).")
def approve_cmd(decision_id: int, actor: str) -> None:
    """Approve a verified decision: the KPM's status changes."""
    _decision_step(approve, decision_id, actor=actor)


@graduation.command("reject")
@click.argument("decision_id", type=int)
@click.option("--actor", required=True, help="Who rejects.")
@click.option("--catatan", "note", required=True, help="Why.")
def reject_cmd(decision_id: int, actor: str, note: str) -> None:
    """Reject an open decision, with the reason."""
    _decision_step(reject, decision_id, actor=actor, note=note)


@graduation.command("decisions")
@click.option(
    "--status", type=click.Choice(["diusulkan", "diverifikasi", "disetujui", "ditolak"]), default=None
)
def decisions_cmd(status: str | None) -> None:
    """List decisions, newest first."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with engine.connect() as conn:
        rows = decisions(conn, status=status)
    if not rows:
        click.echo("no decisions")
    for r in rows:
        click.echo(
            f"#{r.id} {r.id_kpm} {r.jenis} {r.status} (usul {r.diusulkan_oleh} {r.diusulkan_pada:%Y-%m-%d})"
        )


def _rupiah(amount: int | None) -> str:
    """``Rp1.000.000`` (Indonesian grouping); ``-`` when unknown."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def _warehouse() -> Engine:
    """The warehouse of the settings, its schema brought up to date."""
    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    return engine


def _kabupaten_option(f):  # type: ignore[no-untyped-def]
    """``--kabupaten KODE``: one kabupaten/kota (``3601`` or ``36.01``)."""
    return click.option(
        "--kabupaten", "kode", default=None, metavar="KODE", help="Only this kabupaten/kota (e.g. 3601)."
    )(f)


def _xlsx_option(what: str):  # type: ignore[no-untyped-def]
    """``--xlsx FILE``: also write ``what`` to a spreadsheet."""
    return click.option(
        "--xlsx",
        "xlsx_path",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        default=None,
        help=f"Write {what} to this spreadsheet.",
    )


def _kabupaten(conn: Connection, kode: str | None) -> str | None:
    """The ``--kabupaten`` code without dots, checked against the region table (a usage error names the codes
    to use)."""
    if not kode:
        return None
    kode = kode.strip().replace(".", "")
    try:
        check_kabupaten(conn, kode)
    except UnknownRegion as exc:
        raise click.BadParameter(str(exc), param_hint="--kabupaten") from None
    return kode


def _pendamping(conn: Connection, pendamping_id: str | None) -> str | None:
    """The ``--pendamping`` id, checked against the roster (a usage error says where ids come from)."""
    if not pendamping_id:
        return None
    pendamping_id = pendamping_id.strip()
    table = Pendamping.__table__
    if conn.execute(select(table.c.id).where(table.c.id == pendamping_id)).first() is None:
        raise click.BadParameter(
            f"pendamping {pendamping_id!r} is not in the roster: use an id such as the ones the pendamping "
            "table of the admin shows (imported with graduasi import pendamping)",
            param_hint="--pendamping",
        )
    return pendamping_id


def _asked(*options: tuple[str, object]) -> str:
    """The filters given, as the output and the spreadsheet name them (``tahun 2020, kabupaten 3601``)."""
    return ", ".join(f"{label} {value}" for label, value in options if value)


def _rest(listed: int, limit: int, xlsx_path: Path | None, indent: str = "") -> None:
    """Say how many more there are than printed, unless they are all going to a spreadsheet."""
    if listed > limit and xlsx_path is None:
        click.echo(f"{indent}... and {listed - limit:,} more: --xlsx FILE writes them all")


def _write_xlsx(write: Callable[[], Path], path: Path) -> None:
    """Write a spreadsheet, turning a failure into an error that says what to do."""
    try:
        write()
    except (OSError, XlsxFileError) as exc:
        raise click.ClickException(
            f"cannot write {path}: {exc}. Close it if a spreadsheet program has it open, or choose another "
            "--xlsx path."
        ) from None
    click.echo(f"written: {path}")


@graduation.command("penyaluran")
@click.option("--tahun", type=click.IntRange(2000, 2100), default=None, help="Only this program year.")
@_kabupaten_option
@click.option(
    "--jenis", type=click.Choice(list(KIND_LABELS)), default=None, help="Only this kind of problem."
)
@_xlsx_option("every listed problem (sheets ringkasan, masalah, jenis)")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="Problems printed here.")
def penyaluran_cmd(
    tahun: int | None, kode: str | None, jenis: str | None, xlsx_path: Path | None, limit: int
) -> None:
    """List the disbursement problems to follow up: confirmations that do not match the KPM's entitlement
    (amount, pay window, a second receipt, not paid, unknown tranche), with counts per kind."""
    with _warehouse().connect() as conn:
        kode = _kabupaten(conn, kode)
        problems = list_problems(conn, tahun=tahun, kabupaten=kode, jenis=jenis)
    filters = _asked(("tahun", tahun), ("kabupaten", kode), ("jenis", jenis)) or "semua"
    if not problems:
        click.echo(f"no disbursement problems ({filters})")
    else:
        click.echo(f"{len(problems):,} disbursement problems ({filters}):")
        for kind in count_by_kind(problems):
            paid = "" if kind.selisih_rp is None else f"   difference {_rupiah(kind.selisih_rp)}"
            click.echo(f"  {kind.jenis:22s} {kind.count:7,}{paid}")
        for p in problems[:limit]:
            click.echo(
                f"{p.id_kpm} {p.tahun}/{p.tahap} {p.jenis}: entitled {_rupiah(p.diharapkan_rp)}, received "
                f"{_rupiah(p.diterima_rp)} (kabupaten {p.kode_kabupaten or '-'}, pendamping "
                f"{p.pendamping_id or '-'}, confirmation {p.penyaluran_id or '-'})"
            )
        _rest(len(problems), limit, xlsx_path)
    if xlsx_path is not None:
        _write_xlsx(lambda: write_problems_xlsx(problems, xlsx_path, filters), xlsx_path)


@graduation.command("naik")
@click.option(
    "--dari", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The earlier date (YYYY-MM-DD)."
)
@click.option(
    "--sampai", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The later date (YYYY-MM-DD)."
)
@_kabupaten_option
@click.option("--pendamping", default=None, metavar="ID", help="Only the KPM credited to this pendamping.")
@_xlsx_option("the moves per pendamping and per KPM")
@click.option(
    "--limit", type=click.IntRange(0), default=20, show_default=True, help="Pendamping printed here."
)
def naik_cmd(
    dari: datetime,
    sampai: datetime,
    kode: str | None,
    pendamping: str | None,
    xlsx_path: Path | None,
    limit: int,
) -> None:
    """Which KPM moved up a category (naik grade) between two dates, credited to the pendamping who held each
    KPM at its later assessment: counts per pendamping, most moved up first."""
    with _warehouse().connect() as conn:
        kode = _kabupaten(conn, kode)
        pendamping = _pendamping(conn, pendamping)
        try:
            moves = category_moves(conn, dari.date(), sampai.date(), kabupaten=kode, pendamping=pendamping)
        except BadPeriod as exc:
            raise click.BadParameter(str(exc), param_hint="--dari/--sampai") from None
        per_pendamping = moves_per_pendamping(conn, moves)
    asked = _asked(("kabupaten", kode), ("pendamping", pendamping))
    period = f"{dari:%Y-%m-%d} -> {sampai:%Y-%m-%d}" + (f", {asked}" if asked else "")
    if not moves:
        click.echo(f"no KPM assessed by {sampai:%Y-%m-%d} ({period})")
    else:
        up = sum(p.naik for p in per_pendamping)
        down = sum(p.turun for p in per_pendamping)
        same = sum(p.tetap for p in per_pendamping)
        unknown = sum(p.tidak_diketahui for p in per_pendamping)
        click.echo(
            f"{period}: {len(moves):,} KPM: {up:,} moved up, {down:,} down, {same:,} same category; {unknown:,} "
            "without a category on one of the dates (not assessed by the earlier one, or data missing)"
        )
        click.echo("per pendamping (who held the KPM at its later assessment), most moved up first:")
        for p in per_pendamping[:limit]:
            click.echo(
                f"  {p.pendamping_id or '(none)':14s} {(p.nama or '')[:28]:28s} {p.kpm:6,} KPM  "
                f"up {p.naik:5,}  down {p.turun:5,}  same {p.tetap:5,}  unknown {p.tidak_diketahui:5,}"
            )
        _rest(len(per_pendamping), limit, xlsx_path, "  ")
    if xlsx_path is not None:
        _write_xlsx(lambda: write_moves_xlsx(moves, per_pendamping, xlsx_path, period), xlsx_path)


@graduation.command("status")
@_kabupaten_option
@click.option("--pendamping", default=None, metavar="ID", help="Only the KPM this pendamping holds now.")
@click.option(
    "--status",
    type=click.Choice([*STATUS_LABELS, "belum_dinilai"]),
    default=None,
    help="Only KPM with this status (belum_dinilai: not assessed yet).",
)
@_xlsx_option("every listed KPM with its reasons in words (sheets ringkasan, kpm, alasan)")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="KPM printed here.")
def status_cmd(
    kode: str | None, pendamping: str | None, status: str | None, xlsx_path: Path | None, limit: int
) -> None:
    """Each KPM's category and graduation status with the reasons behind it, explained in words from the rule
    version its assessment was made with: counts per status, then the KPM."""
    with _warehouse().connect() as conn:
        kode = _kabupaten(conn, kode)
        pendamping = _pendamping(conn, pendamping)
        statuses = list_statuses(conn, kabupaten=kode, pendamping=pendamping, status=status)
        reasons = ReasonBook.stored(conn)
    filters = _asked(("kabupaten", kode), ("pendamping", pendamping), ("status", status)) or "semua"
    if not statuses:
        click.echo(f"no KPM ({filters})")
    else:
        click.echo(f"{len(statuses):,} KPM ({filters}):")
        for name, n in count_by_status(statuses):
            click.echo(f"  {name:24s} {n:7,}")
        for s in statuses[:limit]:
            why = "; ".join(reasons.text(code, s.rule_version) for code in s.alasan) or "-"
            click.echo(
                f"{s.id_kpm} {s.status or 'belum_dinilai'} {s.kategori or '-'} "
                f"(pendamping {s.pendamping_id or '-'}): {why}"
            )
        _rest(len(statuses), limit, xlsx_path)
    if xlsx_path is not None:
        _write_xlsx(lambda: write_status_xlsx(statuses, reasons, xlsx_path, filters), xlsx_path)
