"""Load a generated data set into the ODK Central simulator: users, project, app users, forms, then every event.

The store is :class:`simulators.central.store.CentralStore` (duck-typed here so the generator does not depend on
the server package): ``add_user``, ``add_project``, ``add_app_user``, ``publish_form``, ``submit_many``, ``edit``,
``review`` and ``delete``.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forms.build import build_xform

from .dataset import Dataset, generate
from .events import FORM_DISBURSEMENT, FORM_REGISTRATION, FORM_VISIT, Delete, Edit, Review, Submit
from .rng import mix

log = logging.getLogger(__name__)

DEFAULT_FORMS: tuple[str, ...] = (FORM_REGISTRATION, FORM_VISIT, FORM_DISBURSEMENT)
DEFAULT_ADMIN_EMAIL = "admin@jamsosratu.banten.test"
#: Everything that exists before the first registration is created at this (fixed) moment.
SETUP_AT = datetime(2019, 1, 2, 1, 0, tzinfo=UTC)
#: Submissions are handed to ``submit_many`` in batches of this size.
BATCH = 2000


@dataclass(slots=True)
class FormCounts:
    """What was replayed into one form."""

    submissions: int = 0
    edits: int = 0
    reviews: int = 0
    deletes: int = 0


@dataclass(slots=True)
class SeedResult:
    """What :func:`seed_central` created.

    :ivar app_users: pendamping id -> the app user (Actor with ``.id`` and ``.token``).
    :ivar counts: form id -> what was replayed (forms that were skipped are absent).
    :ivar skipped_forms: forms asked for whose XLSForm does not exist (yet).
    """

    project_id: int
    admin_email: str
    admin_password: str
    app_users: dict[str, Any]
    counts: dict[str, FormCounts] = field(default_factory=dict)
    skipped_forms: list[str] = field(default_factory=list)
    seconds: float = 0.0


def default_admin_password(seed: int) -> str:
    """The simulator admin's password: derived from the data-set seed, so a seeded server is reproducible."""
    return f"Banten-{mix(seed, 97) % 10**10:010d}"


def _token(seed: int, number: int) -> str:
    """A 64-character app-user token in Central's alphabet, reproducible from the seed."""
    raw = b"".join(mix(seed, 101, number, i).to_bytes(8, "big") for i in range(6))
    return base64.b64encode(raw).decode("ascii").replace("/", "!").replace("+", "$")


def _built_xml(form_id: str) -> str | None:
    """The XForm of ``forms/<form_id>.xlsx`` for Central, or None (logged) when the workbook does not exist."""
    try:
        return build_xform(form_id, target="central").xml
    except (KeyError, FileNotFoundError):
        log.warning("form %s: no forms/%s.xlsx yet; its submissions are not seeded", form_id, form_id)
        return None


def seed_central(
    store: Any,
    ds: Dataset,
    *,
    forms: Sequence[str] = DEFAULT_FORMS,
    project_name: str = "Jamsosratu Banten",
    admin_email: str = DEFAULT_ADMIN_EMAIL,
    admin_password: str | None = None,
) -> SeedResult:
    """Create the admin web user, the project, one app user per pendamping, publish ``forms`` and replay
    :meth:`Dataset.events` into ``store`` (submissions in bulk, then edits, reviews and deletions in time order).

    :param forms: form ids to publish and fill; a form whose ``.xlsx`` does not exist is skipped with a log line.
    :param admin_password: default: :func:`default_admin_password` of the data set's seed.
    """
    started = time.perf_counter()
    password = admin_password or default_admin_password(ds.seed)
    store.add_user(admin_email, password, "Admin Dinsos Banten", created_at=SETUP_AT)
    project = store.add_project(project_name, created_at=SETUP_AT)
    app_users = {
        p.id: store.add_app_user(project.id, p.app_user, created_at=SETUP_AT, token=_token(ds.seed, n))
        for n, p in enumerate(ds.pendamping)
    }
    result = SeedResult(project.id, admin_email, password, app_users)
    published: set[str] = set()
    for form_id in forms:
        xml = _built_xml(form_id)
        if xml is None:
            result.skipped_forms.append(form_id)
            continue
        store.publish_form(project.id, xml, at=SETUP_AT)
        published.add(form_id)
        result.counts[form_id] = FormCounts()

    # The store's own bulk item type, imported here so that generate() does not load the server package.
    from simulators.central.store import SubmitItem

    pending: dict[str, list[Any]] = {form_id: [] for form_id in published}
    pending_ids: dict[str, set[str]] = {form_id: set() for form_id in published}

    def flush(form_id: str) -> None:
        items = pending[form_id]
        if items:
            store.submit_many(project.id, form_id, items)
            result.counts[form_id].submissions += len(items)
            pending[form_id] = []
            pending_ids[form_id] = set()

    for event in ds.events():
        form_id = event.form_id
        if form_id not in published:
            continue
        if isinstance(event, Submit):
            items = pending[form_id]
            items.append(
                SubmitItem(
                    data=event.data,
                    submitter=app_users[event.submitter_key],
                    instance_id=event.instance_id,
                    device_id=event.device_id,
                    at=event.at,
                )
            )
            pending_ids[form_id].add(event.instance_id)
            if len(items) >= BATCH:
                flush(form_id)
            continue
        if event.logical_id in pending_ids[form_id]:
            flush(form_id)  # the submission this event acts on is still waiting in the batch
        counts = result.counts[form_id]
        if isinstance(event, Edit):
            store.edit(
                project.id,
                form_id,
                event.logical_id,
                event.data,
                instance_id=event.instance_id,
                submitter=app_users[event.submitter_key],
                at=event.at,
                device_id=event.device_id,
            )
            counts.edits += 1
        elif isinstance(event, Review):
            store.review(project.id, form_id, event.logical_id, event.state, at=event.at)
            counts.reviews += 1
        elif isinstance(event, Delete):
            store.delete(project.id, form_id, event.logical_id, at=event.at)
            counts.deletes += 1
    for form_id in published:
        flush(form_id)
    result.seconds = time.perf_counter() - started
    log.info(
        "seeded project %s with %d KPM: %s in %.1f s",
        project.id,
        ds.kpm,
        ", ".join(f"{f} {c.submissions}" for f, c in result.counts.items()),
        result.seconds,
    )
    return result


def seed_demo_central(store: Any, kpm: int = 5000, seed: int = 2019) -> SeedResult:
    """Generate ``kpm`` households and seed ``store`` with them (``graduasi simulator central`` and the demo)."""
    return seed_central(store, generate(kpm, seed))
