"""``graduasi simulator ...``: the bundled API simulators (ODK Central now; Kobo later)."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import click


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (KeyboardInterrupt)."""
    threading.Event().wait()


@click.group()
def simulator() -> None:
    """API simulators for demos, tests and benchmarks (loopback only)."""


@simulator.command("central")
@click.option(
    "--kpm", type=click.IntRange(min=1), default=5000, show_default=True, help="Households to generate."
)
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8383, show_default=True,
              help="Port on 127.0.0.1 (0 = any free port).")  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--faults",
    "fault_spec",
    metavar="SPEC",
    help="Fault rules, e.g. 'status=503,kind=odata,nth=2' (docs/simulator.md).",
)
@click.option("--replay", "replay_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Serve the data set of captured Central responses (a copy of odk-central/fixtures).")  # fmt: skip
@click.option("--seed", type=int, default=2019, show_default=True, help="Seed of the synthetic data.")
@click.option(
    "--domain", help="Base URL written into nextLink/@odata.context (default: the server's own URL)."
)
def central(
    kpm: int,
    port: int,
    host: str,
    fault_spec: str | None,
    replay_dir: Path | None,
    seed: int,
    domain: str | None,
) -> None:
    """Serve an ODK Central v2026.2 API simulator until Ctrl-C."""
    from simulators.central import CentralStore, FaultPlan, start_server

    faults = None
    if fault_spec:
        try:
            faults = FaultPlan.parse(fault_spec)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from None
    if replay_dir is not None:
        from simulators.central.replay import REPLAY_ADMIN_PASSWORD, load_capture_dataset

        try:
            store = load_capture_dataset(replay_dir)
        except (OSError, KeyError, ValueError) as exc:
            raise click.ClickException(
                f"{replay_dir} does not look like a copy of odk-central/fixtures ({exc}); "
                "point --replay at the folder holding 0600-get-odata-submissions-count.json"
            ) from None
        email, password = next(iter(store.users_by_email)), REPLAY_ADMIN_PASSWORD
        project_id = next(iter(store.projects))
    else:
        try:
            from simulators.synthetic import seed_demo_central  # type: ignore[attr-defined]
        except ImportError:
            raise click.ClickException(
                "the synthetic Banten data generator (simulators.synthetic.seed_demo_central) is not available "
                "yet; run with --replay DIR to serve the captured data set instead"
            ) from None
        store = CentralStore()
        click.echo(f"seeding {kpm:,} KPM (seed {seed}) ...", err=True)
        seeded = seed_demo_central(store, kpm=kpm, seed=seed)
        email, password, project_id = seeded.admin_email, seeded.admin_password, seeded.project_id
    gc.freeze()  # the store is long-lived: keep the collector from walking it again and again
    try:
        server = start_server(store, host=host, port=port, faults=faults, domain=domain)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror}); try --port 0") from None
    click.echo(f"ODK Central simulator: {server.url}  (project {project_id})")
    click.echo(f"login: {email} {password}")
    if faults is not None:
        click.echo(f"faults: {len(faults.rules)} rule(s) active")
    try:
        _wait_for_interrupt()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        server.stop()
