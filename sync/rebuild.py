"""``sync rebuild``: re-derive every table below raw from what the warehouse already holds (no network).

Typed per-form tables and their data-quality problems come again from ``raw_submission`` (the current version
of each submission) and ``submission`` (its system values), through the same extractor a sync uses; then the
domain tables are rebuilt from the typed tables. Each form is rebuilt in one transaction under the form's sync
lock, so a sync never interleaves with it and a failure leaves that form's old tables in place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from sync.lock import form_lock
from warehouse.db import write_connection
from warehouse.formtables import load_form_tables
from warehouse.loader import rederive_form
from warehouse.models import FormField
from warehouse.normalise import NORMALISER_RULES

log = logging.getLogger(__name__)


@dataclass
class RebuildResult:
    """What a rebuild did, per form: submissions re-derived and problems found."""

    forms: dict[str, tuple[int, int]] = field(default_factory=dict)
    domain_rows: int = 0
    seconds: float = 0.0


def synced_forms(engine: Engine) -> list[tuple[str, str]]:
    """Every (source, form id) that has a recorded schema."""
    table = FormField.__table__
    with engine.connect() as conn:
        return sorted({(r.source, r.form_id) for r in conn.execute(select(table.c.source, table.c.form_id))})


def rebuild(
    engine: Engine,
    *,
    forms: list[tuple[str, str]] | None = None,
    domain: Callable[[Engine], int] | None = None,
) -> RebuildResult:
    """Rebuild the typed tables of ``forms`` (default: every synced form), then the domain.

    :param domain: rebuilds the domain tables from the typed ones (the CLI passes
        ``warehouse.domain.rebuild_domain``); None skips that step.
    :raises sync.lock.LockBusy: when a sync of one of the forms is running.
    """
    started = time.monotonic()
    result = RebuildResult()
    for source, form_id in forms if forms is not None else synced_forms(engine):
        with form_lock(engine, source, form_id), write_connection(engine) as conn:
            tables = load_form_tables(conn, source, form_id)
            if tables is None:
                log.warning("%s:%s was never synced: nothing to rebuild", source, form_id)
                continue
            done, problems = rederive_form(conn, tables, at=_now(), normaliser_rules=NORMALISER_RULES)
        result.forms[f"{source}:{form_id}"] = (done, problems)
        log.info("%s:%s rebuilt from raw: %d submissions, %d problems", source, form_id, done, problems)
    if domain is not None:
        result.domain_rows = domain(engine)
    result.seconds = time.monotonic() - started
    return result


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
