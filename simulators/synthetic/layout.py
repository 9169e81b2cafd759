"""Put flat answers into the form's structure: fields inside groups go into nested dicts.

The builders in :mod:`.submissions` key answers by field name only. When a form puts questions in groups
(``begin_group``), the submission must nest them; this reads the structure from the built form once and moves
each name to its group. Forms without groups (today's) are passed through untouched.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from forms.build import build_xform
from forms.schema import form_fields

log = logging.getLogger(__name__)

Paths = dict[str, tuple[str, ...]]  # field name -> group steps inside its scope (root or a repeat)


def form_layout(form: str | Path) -> dict[str, Paths] | None:
    """{scope path: {name: group steps}} of a form (an id of forms/ or an ``.xlsx`` path), or None when it has
    no groups or does not exist. Scopes are ``""`` (the root) and the path of each repeat."""
    try:
        built = build_xform(form)
    except (KeyError, FileNotFoundError):
        return None
    scopes: dict[str, Paths] = {"": {}}
    grouped = False
    for f in form_fields(built):
        if f.kind == "meta" or f.path.startswith("/meta"):
            continue
        if f.type == "repeat":
            scopes.setdefault(f.path, {})
        scope = f.repeat  # for a repeat itself: the repeat around it
        inner = f.path[len(scope) :].strip("/").split("/")
        steps = tuple(inner[:-1])
        if f.type == "structure":
            continue
        if steps:
            grouped = True
        scopes.setdefault(scope, {})[f.name] = steps
    return scopes if grouped else None


class Layouts:
    """Caches each form's layout and shapes flat submissions with it."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, Paths] | None] = {}

    def shape(self, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        if form_id not in self._cache:
            self._cache[form_id] = form_layout(form_id)
        layout = self._cache[form_id]
        if layout is None:
            return data
        return _nest(data, layout, "")

    def set_layout(self, form_id: str, layout: dict[str, Paths] | None) -> None:
        """Use ``layout`` for ``form_id`` (tests, or forms outside forms/)."""
        self._cache[form_id] = layout


def _nest(data: dict[str, Any], layout: dict[str, Paths], scope: str) -> dict[str, Any]:
    paths = layout.get(scope, {})
    out: dict[str, Any] = {}
    for name, value in data.items():
        steps = paths.get(name, ())
        if isinstance(value, list) and value and isinstance(value[0], dict):
            repeat_scope = "/".join((scope, *steps, name))
            value = [_nest(row, layout, repeat_scope) for row in value]
        target = out
        for step in steps:
            target = target.setdefault(step, {})
        target[name] = value
    return out
