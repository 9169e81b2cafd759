"""What follows every sync pass: synced submissions -> domain tables -> assessments -> read models.

Each step drains a queue filled in the same transaction as the data it comes from, so a pass that dies midway
is finished by the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from warehouse.domain import apply_changes
from warehouse.penyaluran import load_program_tahap
from warehouse.readmodels import refresh_read_models
from warehouse.recompute import RecomputeBusy, RecomputeResult, recompute

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AfterSync:
    """What the steps after a sync did."""

    changes: int
    recompute: RecomputeResult
    as_of: date | None


def after_sync(engine: Engine) -> AfterSync:
    """Carry synced changes into the domain, reassess the KPM they touch, refresh the read models."""
    changes = apply_changes(engine)
    load_program_tahap(engine)
    try:
        result = recompute(engine)
    except RecomputeBusy as exc:  # the running one drains what this pass queued too
        log.info("%s: the KPM this pass queued wait for it", exc)
        result = RecomputeResult()
    as_of = refresh_read_models(engine)
    return AfterSync(changes, result, as_of)
