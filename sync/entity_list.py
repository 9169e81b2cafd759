"""The ``kpm`` Entity List on Central: make sure it exists with every property of ``forms/entity_kpm.csv``.

Both the publisher (a form that reads ``kpm.csv`` is linked to the list, so it must exist before the draft is
created: Central links a ``<name>.csv`` attachment to a same-named published Dataset when the draft is made)
and the roster push need it. Datasets and properties can be added through the API since Central v2024.1
(``POST /projects/{id}/datasets``, ``POST .../datasets/{name}/properties``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from forms.entity import load_entity_properties
from sync.central_api import CentralApi

log = logging.getLogger(__name__)


@dataclass
class EntityListState:
    """What :func:`ensure_entity_list` found and did."""

    name: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)


def entity_property_names(path: Path | None = None) -> list[str]:
    """Every property declared in ``forms/entity_kpm.csv``, in its order."""
    return [p.name for p in load_entity_properties(path)]


def ensure_entity_list(
    api: CentralApi, name: str, properties: list[str], *, dry_run: bool = False
) -> EntityListState:
    """Create the Entity List ``name`` when missing and add the properties it lacks (never removes any).

    :param dry_run: only find out what would be done.
    """
    path = api.project_path(f"/datasets/{api.quote(name)}")
    meta = api.get_or_none(path)
    state = EntityListState(name)
    if meta is None:
        state.created = True
        if not dry_run:
            api.post_json(api.project_path("/datasets"), {"name": name})
            log.info("created the Entity List %s", name)
        existing: list[str] = []
    else:
        existing = [p["name"] for p in meta.get("properties", [])]
    known = {p.lower() for p in existing}
    for prop in properties:
        if prop.lower() in known:
            continue
        if not dry_run:
            api.post_json(f"{path}/properties", {"name": prop})
        state.added.append(prop)
        known.add(prop.lower())
    if state.added and not dry_run:
        log.info(
            "added %d properties to the Entity List %s: %s", len(state.added), name, ", ".join(state.added)
        )
    state.properties = existing + state.added
    return state
