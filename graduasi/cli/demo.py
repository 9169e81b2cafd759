"""``graduasi demo``: the whole product on the embedded default, from an empty folder to the admin."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import click

from graduasi.cli.sync import run_once
from graduasi.demo import prepare_demo
from webadmin import create_app, serve

DEMO_DB = Path("instance") / "graduasi-demo.db"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@click.command()
@click.option(
    "--kpm",
    type=click.IntRange(1, 1_000_000),
    default=5000,
    show_default=True,
    help="Number of synthetic KPM households.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=5000,
    show_default=True,
    help="Port of the admin on 127.0.0.1.",
)
@click.option("--seed", type=int, default=2019, show_default=True, help="Seed of the synthetic data.")
def demo(kpm: int, port: int, seed: int) -> None:
    """Simulator with synthetic Banten data -> sync -> SQLite -> admin on http://127.0.0.1:PORT."""
    if not _port_free(port):
        raise click.ClickException(f"port {port} on 127.0.0.1 is in use: stop what runs there or pass --port")
    env = prepare_demo(DEMO_DB, kpm=kpm, seed=seed, sync=run_once, echo=click.echo)
    try:
        for r in env.results:
            rate = f" ({r.fetched / r.seconds:,.0f}/s)" if r.seconds and r.fetched else ""
            click.echo(
                f"      {r.source}:{r.form_id}: {r.status}, {r.fetched:,} submissions in {r.seconds:.1f} s{rate}"
            )
            if r.error:
                click.echo(f"      {r.error_class}: {r.error}")
        if not all(r.ok for r in env.results):
            raise click.ClickException("the sync failed; see the messages above")
        app = create_app(env.settings, engine=env.engine)
        click.echo(f"[4/4] admin on http://127.0.0.1:{port} (ready {env.timings['ready']:.1f} s after start)")
        click.echo(f"login: {env.username} {env.password}")
        # the questions the admin does not answer yet, as commands on the same database (another terminal)
        installed = Path(sys.executable).parent / "graduasi"
        program = os.path.relpath(installed) if installed.exists() else "graduasi"
        here = f"GRADUASI_DATABASE_URL={env.settings.database_url} {program} graduation"
        click.echo("also, in another terminal:")
        click.echo(f"  {here} status --status layak_graduasi                # eligible KPM and why")
        click.echo(f"  {here} naik --dari 2019-06-30 --sampai 2020-06-30   # who moved up, per pendamping")
        click.echo(
            f"  {here} penyaluran --kabupaten 3601                  # disbursement problems to follow up"
        )
        serve(app, "127.0.0.1", port)
    finally:
        env.stop()
