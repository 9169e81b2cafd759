"""``graduasi import``: the official KPM list, the pendamping roster and caseload, targets, and their templates.

Each import prints its summary and writes a validation report next to the file (``<name>.laporan.xlsx``, or
``--report``). Exit code 0 when the file was imported (even with warnings), 1 when it could not be read or
every row was rejected.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Engine, func, select

from graduasi.cli.common import load_settings
from warehouse.db import make_engine
from warehouse.imports import (
    KINDS,
    ImportFileError,
    ImportResult,
    default_report_path,
    import_kpm,
    import_pendamping,
    import_targets,
    write_report,
    write_template,
)
from warehouse.migrate import upgrade
from warehouse.models import Wilayah
from warehouse.regions import load_wilayah

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group(name="import")
def import_() -> None:
    """Impor daftar resmi (KPM, pendamping, target) dari XLSX/CSV, dengan laporan validasi."""


def _options(command: Callable) -> Callable:
    command = click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the validation report (default: <file>.laporan.xlsx beside the file).",
    )(command)
    command = click.option(
        "--sheet", help="Sheet to read (default: the one named after the list, else the first)."
    )(command)
    command = click.option(
        "--actor", help="Who runs the import, for the audit log (default: cli:<OS user>)."
    )(command)
    return command


def _run(
    kind: str, path: Path, report_path: Path | None, runner: Callable[..., ImportResult], **kwargs: object
) -> None:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        _prepare(engine)
        # the import date is the program's local date (WIB by default); timestamps are stored as naive UTC
        local = datetime.now(ZoneInfo(settings.timezone))
        utc = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        actor = kwargs.pop("actor", None) or _os_user()
        try:
            result = runner(engine, path, actor=actor, today=local.date(), now=utc, **kwargs)
        except ImportFileError as exc:
            raise click.ClickException(f"impor {kind} gagal, tidak ada yang disimpan: {exc}") from exc
    finally:
        engine.dispose()
    report = write_report(result, report_path or default_report_path(path))
    _echo_summary(result, report)
    if not result.imported:
        raise click.exceptions.Exit(1)


def _os_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


def _prepare(engine: Engine) -> None:
    """Bring the schema up to date and load the regions when the table is still empty (a fresh database)."""
    upgrade(engine)
    with engine.connect() as conn:
        empty = conn.execute(select(func.count()).select_from(Wilayah.__table__)).scalar_one() == 0
    if empty:
        load_wilayah(engine)


def _echo_summary(result: ImportResult, report: Path) -> None:
    click.echo(
        f"{result.path.name}: {result.rows_read} baris dibaca, {result.rows_accepted} diterima "
        f"({result.rows_with_warnings} dengan peringatan), {result.rows_rejected} ditolak"
    )
    click.echo(
        f"disimpan: {result.inserted} baru, {result.updated} diperbarui, {result.unchanged} tidak berubah"
    )
    if result.assignments_opened or result.assignments_closed:
        click.echo(f"penugasan: {result.assignments_opened} dibuka, {result.assignments_closed} ditutup")
    if result.missing_from_list:
        click.echo(f"tersimpan tetapi tidak ada di file ini (tidak dihapus): {result.missing_from_list}")
    counts = result.counts_by_code()
    if counts:
        click.echo("masalah: " + ", ".join(f"{code} {n}" for code, n in counts.items()))
    click.echo(f"laporan: {report}")
    if not result.imported:
        click.echo("semua baris ditolak: tidak ada yang disimpan", err=True)


@import_.command("kpm")
@click.argument("file", type=_FILE)
@_options
@click.option(
    "--mulai",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Start date of changed caseload assignments, YYYY-MM-DD (default: today).",
)
def kpm_cmd(
    file: Path, report_path: Path | None, sheet: str | None, actor: str | None, mulai: datetime | None
) -> None:
    """Impor daftar KPM resmi (XLSX/CSV): upsert per id_kpm, penugasan pendamping, laporan validasi."""
    start: date | None = mulai.date() if mulai else None
    _run("kpm", file, report_path, import_kpm, sheet=sheet, actor=actor, assignment_start=start)


@import_.command("pendamping")
@click.argument("file", type=_FILE)
@_options
def pendamping_cmd(file: Path, report_path: Path | None, sheet: str | None, actor: str | None) -> None:
    """Impor daftar pendamping dan (sheet 'penugasan') penugasan KPM, dengan laporan validasi."""
    _run("pendamping", file, report_path, import_pendamping, sheet=sheet, actor=actor)


@import_.command("targets")
@click.argument("file", type=_FILE)
@_options
def targets_cmd(file: Path, report_path: Path | None, sheet: str | None, actor: str | None) -> None:
    """Impor target tahunan pendamping (pendamping_id, tahun, target...), dengan laporan validasi."""
    _run("targets", file, report_path, import_targets, sheet=sheet, actor=actor)


@import_.command("template")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template_cmd(kind: str, out: Path) -> None:
    """Tulis templat XLSX (judul kolom, satu baris contoh, petunjuk) untuk KPM, pendamping atau target."""
    click.echo(f"templat {kind}: {write_template(kind, out)}")
