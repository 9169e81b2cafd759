"""``graduasi forms``: check, build and publish the XLSForms, and provision the pendamping's app users (the
work of the last two is in sync/)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from forms.build import TARGETS, FormBuildError, build_all, build_xform
from forms.catalog import FORM_IDS, all_form_paths
from forms.check import check_forms
from graduasi.cli.common import load_settings
from graduasi.cli.push import central_from_settings, today, warehouse_engine
from sync.app_users import provision_app_users, write_qr_sheets
from sync.errors import SyncError
from sync.publish import publish_form
from sync.qr import encode_settings, print_terminal, svg_text


@click.group()
def forms() -> None:
    """Check, build and publish the household survey forms (XLSForm)."""


@forms.command("build")
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="central",
    show_default=True,
    help="central: uses the kpm Entity List; kobo: kpm.csv media file instead.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder to write <target>/<form_id>/ into.",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def build_cmd(target: str, out_dir: Path, files: tuple[Path, ...]) -> None:
    """Write XForm XML and media of every form (or FILES) to OUT/<target>/<form_id>/."""
    try:
        built = build_all(out_dir, target, list(files) or None)  # type: ignore[arg-type]
    except FormBuildError as exc:
        raise click.ClickException(str(exc)) from exc
    for b in built:
        media = ", ".join(sorted(b.media)) or "-"
        click.echo(f"{b.form_id} {b.version} -> {out_dir / target / b.form_id} (media: {media})")
        for warning in b.warnings:
            click.echo(f"  warning: {warning}", err=True)
    if any(b.warnings for b in built):
        sys.exit(1)


@forms.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_cmd(files: tuple[Path, ...]) -> None:
    """Check every form (or FILES) with pyxform and graduasi's rules; exit 1 when anything needs fixing."""
    messages = check_forms(list(files) or None)
    for message in messages:
        click.echo(str(message))
    checked = len(files) or len(all_form_paths())
    if messages:
        click.echo(
            f"{len(messages)} problem(s) in {checked} form(s); docs/forms.md explains each code.", err=True
        )
        sys.exit(1)
    click.echo(f"{checked} form(s) OK")


@forms.command("publish")
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="central",
    show_default=True,
    help="The server to publish to (GRADUASI_CENTRAL_* settings for central).",
)
@click.option(
    "--draft", is_flag=True, help="Stop at the draft and show its QR code, to test it on a phone first."
)
@click.option("--dry-run", is_flag=True, help="Only show what would change on the server.")
@click.option(
    "--qr-out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --draft: also save each draft's QR code as DIR/<form_id>-draft.svg.",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_cmd(
    target: str, draft: bool, dry_run: bool, qr_out: Path | None, files: tuple[Path, ...]
) -> None:
    """Check, build and publish every form (or FILES): draft, attachments, Entity List, publish; then write
    forms/published/<form_id>.json (commit it)."""
    if target != "central":
        raise click.ClickException(
            "publishing to KoboToolbox is not available yet: run `graduasi forms build --target kobo` and upload "
            "build/kobo/<form_id>/<form_id>.xlsx with its media files in KoboToolbox"
        )
    paths = list(files) or all_form_paths()
    messages = check_forms(paths)
    if messages:
        for message in messages:
            click.echo(str(message))
        raise click.ClickException(
            f"{len(messages)} problem(s) found by `graduasi forms check`; fix them before publishing"
        )
    try:
        built = [build_xform(path, "central") for path in paths]
    except FormBuildError as exc:
        raise click.ClickException(str(exc)) from exc
    failed = 0
    api = central_from_settings(load_settings())
    try:
        with api:
            for path, form in zip(paths, built, strict=True):
                try:
                    result = publish_form(
                        api, form, draft=draft, dry_run=dry_run, published_dir=path.parent / "published"
                    )
                except SyncError as exc:
                    failed += 1
                    click.echo(f"{form.form_id}: not published: {exc}", err=True)
                    continue
                click.echo(result.message)
                for warning in result.warnings:
                    click.echo(f"  warning: {warning}", err=True)
                if result.draft_settings is not None:
                    payload = encode_settings(result.draft_settings)
                    print_terminal(payload, sys.stdout)
                    if qr_out is not None:
                        qr_out.mkdir(parents=True, exist_ok=True)
                        svg = qr_out / f"{form.form_id}-draft.svg"
                        svg.write_text(svg_text(payload), encoding="utf-8")
                        click.echo(
                            f"  QR code saved to {svg} (it opens the draft: share it only with testers)"
                        )
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    if failed:
        sys.exit(1)


@forms.command("app-users")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("qr-pendamping"),
    show_default=True,
    help="Folder for the printable QR sheets (one HTML file per kecamatan).",
)
@click.option(
    "--form",
    "form_ids",
    multiple=True,
    help="Form to assign (repeatable; default: every form of forms/ published on Central).",
)
@click.option("--kabupaten", default=None, help="Only the pendamping of this kabupaten code, e.g. 3601.")
@click.option("--project-name", default=None, help="Project name shown in ODK Collect (default: Central's).")
@click.option(
    "--color", default="#1b5e20", show_default=True, help="Project colour in ODK Collect (#rrggbb)."
)
def app_users_cmd(
    out_dir: Path, form_ids: tuple[str, ...], kabupaten: str | None, project_name: str | None, color: str
) -> None:
    """One Central app user per active pendamping, with the forms assigned, and a printable ODK Collect QR
    sheet per kecamatan. Safe to run again: existing app users are reused."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        raise click.BadParameter("use a colour like #1b5e20", param_hint="--color")
    settings = load_settings()
    engine = warehouse_engine(settings)
    api = central_from_settings(settings)
    try:
        with api:
            forms_to_assign = list(form_ids) or [
                f for f in FORM_IDS if api.get_or_none(api.project_path(f"/forms/{api.quote(f)}")) is not None
            ]
            if not forms_to_assign:
                raise click.ClickException(
                    "no form of forms/ is on Central yet: run `graduasi forms publish` first"
                )
            name = project_name or api.get_json(api.project_path())["name"]
            report = provision_app_users(api, engine, forms_to_assign, project_name=name, color=color,
                                         kabupaten=kabupaten)  # fmt: skip
        sheets = write_qr_sheets(report.cards, out_dir, project_name=name, generated=today(settings))
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(
        f"{len(report.cards)} pendamping: {report.created} app users created, {report.existing} already there; "
        f"{report.assignments_added} form assignments added ({', '.join(forms_to_assign)})"
    )
    for sheet in sheets:
        click.echo(f"  {sheet}")
    click.echo("The QR codes are passwords: print, hand over in person, then destroy the sheets.")
