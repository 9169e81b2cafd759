"""``graduasi forms``: check and build the XLSForms (publishing and app users are added by sync)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forms.build import TARGETS, FormBuildError, build_all
from forms.catalog import all_form_paths
from forms.check import check_forms


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
