"""``graduasi admin``: run the Flask admin and manage its staff accounts.

Production runs the admin under gunicorn through :func:`wsgi_app` (docs/admin.md); ``serve`` is the threaded
development server of werkzeug, fine for the demo and a handful of users on one machine.
"""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask

from graduasi.cli.common import load_settings
from warehouse.db import make_engine, session_factory
from warehouse.migrate import upgrade
from webadmin import create_app, serve
from webadmin.access import ROLES
from webadmin.auth import UserError, create_user

log = logging.getLogger(__name__)

# which command-line option fixes which create_user argument
_OPTION_OF_FIELD = {
    "username": "USERNAME",
    "password": "password",
    "role": "--role",
    "kode_kabupaten": "--kabupaten",
    "full_name": "--full-name",
}


@click.group()
def admin() -> None:
    """The web admin for Dinsos staff: serve it, create its users."""


@admin.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may see and do.")
@click.option(
    "--kabupaten",
    "kode_kabupaten",
    metavar="KODE",
    help="Kabupaten/kota code (e.g. 3601): required for kabupaten_operator, optional for viewer.",
)
@click.option("--full-name", help="The name shown in the admin's header.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
def create_user_command(
    username: str, role: str, kode_kabupaten: str | None, full_name: str | None, password_stdin: bool
) -> None:
    """Create the staff account USERNAME (the database schema is brought up to date first).

    The password is asked twice, unless --password-stdin is given. Use at least 8 characters; 15 or more is
    better (a few words with spaces is fine).
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin: standard input had no password on its first line")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_factory(engine)() as db:
            try:
                user = create_user(
                    db, username, password, role, kode_kabupaten=kode_kabupaten, full_name=full_name
                )
            except UserError as exc:
                raise click.BadParameter(
                    str(exc), param_hint=_OPTION_OF_FIELD.get(exc.field, exc.field)
                ) from exc
            db.commit()
            scope = f"kabupaten {user.kode_kabupaten}" if user.kode_kabupaten else "the whole province"
            click.echo(f"created user {user.username!r} ({user.role}, {scope})")
    finally:
        engine.dispose()


@admin.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
def serve_command(host: str, port: int) -> None:
    """Serve the admin with werkzeug's threaded server (development and demo; see docs/admin.md for production).

    The database schema is brought up to date first.
    """
    settings = load_settings()
    if settings.cookie_secure:
        log.warning(
            "GRADUASI_COOKIE_SECURE is true but this server speaks plain HTTP: browsers keep the login cookie "
            "only on localhost. Set GRADUASI_COOKIE_SECURE=false to try the admin over HTTP on another host, "
            "or put it behind a TLS proxy"
        )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    serve(create_app(settings, engine=engine), host, port)


def wsgi_app(proxy_hops: int = 1) -> Flask:
    """The admin for a production WSGI server, e.g. ``gunicorn 'graduasi.cli.admin:wsgi_app()'``.

    Refuses to start without ``GRADUASI_SECRET_KEY``: every worker must sign cookies with the same key.
    Migrations are not run here (several workers would race); run ``graduasi db upgrade`` before starting.

    :param proxy_hops: reverse proxies in front (nginx = 1) whose X-Forwarded-* headers are trusted.
    """
    settings = load_settings()
    if settings.secret_key is None:
        raise click.ClickException(
            "GRADUASI_SECRET_KEY is not set: every gunicorn worker needs the same key, e.g. "
            "GRADUASI_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return create_app(settings, proxy_hops=proxy_hops)
