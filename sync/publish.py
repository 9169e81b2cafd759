"""Publishing built forms (``forms.build.BuiltForm``) to ODK Central: draft, attachments, Entity List link, publish.

For each form :func:`plan_form` first reads what Central holds (the form, its published versions, the current
version's fields and attachments) and compares it with the built form. Then :func:`publish_form`:

1. stops when nothing changed (same version, same XML, same attachments): a no-op with a message;
2. refuses a version Central already has (or one lower than Central's): the designer must raise ``version``
   on the form's ``settings`` sheet - Central itself would refuse it at publish time (409.6);
3. makes sure the Entity Lists the form reads exist with every declared property (so Central links
   ``kpm.csv`` to the list when the draft is created), creates the draft (``POST .../forms?publish=false`` for
   a new form, ``POST .../forms/{id}/draft`` otherwise; ``ignoreWarnings``: ``forms check`` already guards
   removed fields with the aliases rule), uploads the choice files, links the Entity List attachments
   explicitly and checks that no attachment is missing;
4. with ``draft=True`` stops there and returns the draft token and the Collect settings to test the draft on a
   phone; otherwise publishes the draft and writes ``forms/published/<form_id>.json``
   (``forms.manifest.write_manifest``), which the next ``forms check`` compares against.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forms.build import BuiltForm
from forms.catalog import PUBLISHED_DIR
from forms.manifest import load_manifest, write_manifest
from forms.schema import form_fields
from sync.central_api import CentralApi, CentralProblem
from sync.entity_list import ensure_entity_list, entity_property_names
from sync.errors import SyncError
from sync.qr import draft_settings

log = logging.getLogger(__name__)

_NUMERIC = re.compile(r"^\d+$")


class VersionExistsError(SyncError):
    """Central already has this version of the form (or a higher one): the designer must raise ``version``."""

    transient = False


class PublishError(SyncError):
    """The draft could not be completed (e.g. an attachment the form needs is missing)."""

    transient = False


@dataclass
class FormPlan:
    """What publishing one built form would change on Central."""

    form_id: str
    version: str
    title: str
    exists: bool = False
    published: bool = False
    remote_version: str | None = None
    remote_versions: list[str] = field(default_factory=list)
    xml_changed: bool = True
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    media_added: list[str] = field(default_factory=list)
    media_removed: list[str] = field(default_factory=list)
    media_changed: list[str] = field(default_factory=list)
    entity_lists: list[str] = field(default_factory=list)
    entity_lists_to_link: list[str] = field(default_factory=list)

    @property
    def media_differs(self) -> bool:
        return bool(self.media_added or self.media_removed or self.media_changed or self.entity_lists_to_link)

    @property
    def state(self) -> str:
        """``new`` (not on Central, or never published), ``unchanged``, ``version_exists``, ``version_lower``
        or ``update``."""
        if not self.published:
            return "new"
        if self.version == self.remote_version and not self.xml_changed and not self.media_differs:
            return "unchanged"
        if self.version in self.remote_versions:
            return "version_exists"
        if (
            self.remote_version is not None
            and _NUMERIC.match(self.version)
            and _NUMERIC.match(self.remote_version)
            and int(self.version) < int(self.remote_version)
        ):
            return "version_lower"
        return "update"

    def describe(self) -> list[str]:
        """Human-readable lines for ``--dry-run``."""
        if not self.exists:
            head = f"{self.form_id}: new form, version {self.version} would be created and published"
        elif not self.published:
            head = f"{self.form_id}: only a draft on Central; version {self.version} would be published"
        elif self.state == "unchanged":
            return [f"{self.form_id}: version {self.version} is already published, nothing to change"]
        else:
            head = f"{self.form_id}: version {self.remote_version} on Central -> {self.version}"
        lines = [head]
        if not self.published:
            lines.append(f"  {len(self.fields_added)} fields")
            if self.media_added:
                lines.append(f"  attachments to upload: {', '.join(self.media_added)}")
            if self.entity_lists_to_link:
                lines.append(f"  entity lists to link: {', '.join(self.entity_lists_to_link)}")
            return lines
        if self.state in ("version_exists", "version_lower"):
            lines.append(f"  ! {version_message(self)}")
        for label, items in (
            ("fields added", self.fields_added),
            ("fields removed", self.fields_removed),
            ("attachments added", self.media_added),
            ("attachments changed", self.media_changed),
            ("attachments no longer used", self.media_removed),
            ("entity lists to link", self.entity_lists_to_link),
        ):
            if items:
                lines.append(f"  {label}: {', '.join(items)}")
        if self.published and not self.xml_changed and not self.media_differs:
            lines.append("  the form definition itself is identical")
        return lines


@dataclass
class PublishResult:
    """Outcome for one form: ``action`` is ``unchanged``, ``planned`` (dry run), ``draft`` or ``published``."""

    form_id: str
    version: str
    action: str
    plan: FormPlan
    message: str = ""
    draft_token: str | None = None
    draft_settings: dict[str, Any] | None = None
    manifest: Path | None = None
    warnings: list[str] = field(default_factory=list)


def version_message(plan: FormPlan) -> str:
    """What the designer must do when the version cannot be published."""
    if plan.state == "version_lower":
        what = f"version {plan.version} is lower than version {plan.remote_version} published on Central"
    else:
        what = f"Central already has version {plan.version} of {plan.form_id} with other content"
    numbers = [int(v) for v in (plan.version, *plan.remote_versions) if v and _NUMERIC.match(v)]
    example = f" (e.g. {max(numbers) + 1})" if numbers else ""
    return (
        f"{what}: increase `version` on the settings sheet of forms/{plan.form_id}.xlsx{example}, run "
        "`graduasi forms check`, then publish again"
    )


def _md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _local_paths(built: BuiltForm) -> set[str]:
    return {f.path for f in form_fields(built) if not f.path.startswith("/meta/") and f.type != "structure"}


def plan_form(api: CentralApi, built: BuiltForm) -> FormPlan:
    """Compare a built form with what Central holds (read-only: GET requests only)."""
    plan = FormPlan(built.form_id, built.version, built.title, entity_lists=list(built.entity_lists))
    base = api.project_path(f"/forms/{api.quote(built.form_id)}")
    form = api.get_or_none(base)
    if form is None:
        plan.fields_added = sorted(_local_paths(built))
        plan.media_added = sorted(built.media)
        plan.entity_lists_to_link = list(built.entity_lists)
        return plan
    plan.exists = True
    plan.published = form.get("publishedAt") is not None
    if not plan.published:
        plan.fields_added = sorted(_local_paths(built))
        plan.media_added = sorted(built.media)
        plan.entity_lists_to_link = list(built.entity_lists)
        return plan
    plan.remote_version = form.get("version")
    plan.remote_versions = [v.get("version") for v in api.get_json(f"{base}/versions")]
    plan.xml_changed = form.get("hash") != _md5(built.xml)
    remote_fields = {
        f["path"] for f in api.get_json(f"{base}/fields") if f.get("type") != "structure"
        and not f["path"].startswith("/meta/")
    }  # fmt: skip
    local = _local_paths(built)
    plan.fields_added = sorted(local - remote_fields)
    plan.fields_removed = sorted(remote_fields - local)
    attachments = {a["name"]: a for a in api.get_json(f"{base}/attachments")}
    for name, blob in sorted(built.media.items()):
        remote = attachments.get(name)
        if remote is None or not remote.get("blobExists"):
            plan.media_added.append(name)
        elif remote.get("hash") != _md5(blob):
            plan.media_changed.append(name)
    lists = {f"{n}.csv" for n in built.entity_lists}
    plan.media_removed = sorted(
        n for n, a in attachments.items() if a.get("blobExists") and n not in built.media and n not in lists
    )
    plan.entity_lists_to_link = [
        n for n in built.entity_lists if not attachments.get(f"{n}.csv", {}).get("datasetExists")
    ]
    return plan


def publish_form(
    api: CentralApi,
    built: BuiltForm,
    *,
    draft: bool = False,
    dry_run: bool = False,
    published_dir: Path | None = None,
    now: datetime | None = None,
    entity_properties: list[str] | None = None,
) -> PublishResult:
    """Publish one built form (see the module docstring for the steps).

    :param draft: stop at the draft; the result carries its token and the Collect settings to test it.
    :param dry_run: only plan (GET requests only).
    :param published_dir: where the manifest goes (default ``forms/published``).
    :param now: the publish time recorded in the manifest (default: now, UTC).
    :param entity_properties: properties of the Entity Lists (default: ``forms/entity_kpm.csv``).
    :raises VersionExistsError: Central already has this version (or a higher one) and the form changed.
    :raises PublishError: the draft lacks an attachment after the uploads.
    :raises CentralProblem: Central refused a call (its code and message are in the error).
    """
    if built.target != "central":
        raise ValueError(f"{built.form_id} was built for {built.target}; build it with target 'central'")
    plan = plan_form(api, built)
    folder = published_dir or PUBLISHED_DIR
    if dry_run:
        return PublishResult(built.form_id, built.version, "planned", plan, "\n".join(plan.describe()))
    warnings: list[str] = []
    if plan.state == "unchanged" and not draft:
        manifest = None
        if load_manifest(built.form_id, folder) is None:
            manifest = write_manifest(built, now or datetime.now(UTC), folder)
        message = f"{built.form_id}: version {built.version} is already published on Central; nothing to do"
        return PublishResult(built.form_id, built.version, "unchanged", plan, message, manifest=manifest)
    if plan.state in ("version_exists", "version_lower"):
        if not draft:
            raise VersionExistsError(version_message(plan))
        warnings.append(version_message(plan))
    base = api.project_path(f"/forms/{api.quote(built.form_id)}")
    props = entity_properties if entity_properties is not None else entity_property_names()
    for name in built.entity_lists:
        ensure_entity_list(api, name, props)
    xml_headers = {"Content-Type": "application/xml"}
    if plan.exists:
        api.request("POST", f"{base}/draft", data=built.xml.encode("utf-8"), params={"ignoreWarnings": "true"},
                    headers=xml_headers)  # fmt: skip
    else:
        api.request("POST", api.project_path("/forms"), data=built.xml.encode("utf-8"),
                    params={"ignoreWarnings": "true", "publish": "false"}, headers=xml_headers)  # fmt: skip
    for name, blob in sorted(built.media.items()):
        kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
        api.request(
            "POST", f"{base}/draft/attachments/{api.quote(name)}", data=blob, headers={"Content-Type": kind}
        )
    for name in built.entity_lists:
        api.patch_json(f"{base}/draft/attachments/{api.quote(name + '.csv')}", {"dataset": True})
    missing = [a["name"] for a in api.get_json(f"{base}/draft/attachments") if not a.get("exists")]
    if missing:
        raise PublishError(
            f"{built.form_id}: the draft on Central still lacks {', '.join(missing)}; put the file(s) in "
            f"forms/choices/ (or fix the form), build and publish again"
        )
    if draft:
        detail = api.get_json(f"{base}/draft")
        token = detail.get("draftToken")
        settings = draft_settings(
            api.base_url, api.project_id, built.form_id, token, built.title or built.form_id
        )
        message = f"{built.form_id}: draft of version {built.version} uploaded; scan the QR code to test it"
        return PublishResult(built.form_id, built.version, "draft", plan, message, token, settings,
                             warnings=warnings)  # fmt: skip
    try:
        api.post_json(f"{base}/draft/publish")
    except CentralProblem as exc:
        if exc.code == 409.6:
            plan.remote_versions.append(built.version)
            raise VersionExistsError(version_message(plan)) from None
        raise
    manifest = write_manifest(built, now or datetime.now(UTC), folder)
    log.info("published %s version %s", built.form_id, built.version)
    message = f"{built.form_id}: version {built.version} published; commit {_display(manifest)}"
    return PublishResult(built.form_id, built.version, "published", plan, message, manifest=manifest)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
