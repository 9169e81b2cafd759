"""Publishing the forms to ODK Central (the bundled simulator over loopback HTTP): first publish, no-op, dry
run, refused versions, drafts with their QR code, and the form designer's whole journey through the CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forms.build import build_xform
from forms.catalog import form_path
from forms.check import check_forms
from forms.manifest import load_manifest
from graduasi.cli import main
from simulators.central import CentralStore, RunningServer
from sync.central_api import CentralApi
from sync.publish import VersionExistsError, publish_form
from sync.qr import decode_settings, encode_settings, png_bytes
from tests.forms.helpers import copy_forms, form_version, row_of, set_cell, set_field
from tests.sync.publishing_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    central_env,
    central_store,
    read_qr,
    serve,
)

FORMS = ("kpm_registrasi", "kpm_kunjungan", "penyaluran")
#: the version each form ships with, and the next one (a designer's bump)
SHIPPED = {f: form_version(form_path(f)) for f in FORMS}
NEXT = {f: str(int(v) + 1) for f, v in SHIPPED.items()}
PUBLISHED_AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def simulator() -> Iterator[tuple[CentralStore, RunningServer]]:
    store = central_store()
    with serve(store) as server:
        yield store, server


@pytest.fixture
def api(simulator) -> Iterator[CentralApi]:
    _, server = simulator
    with CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1) as client:
        yield client


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    return copy_forms(tmp_path)


def publish_all(api: CentralApi, forms_dir: Path, **kwargs) -> list:  # type: ignore[no-untyped-def]
    return [
        publish_form(api, build_xform(forms_dir / f"{f}.xlsx"), published_dir=forms_dir / "published",
                     now=PUBLISHED_AT, **kwargs)
        for f in FORMS
    ]  # fmt: skip


def bump(form: Path, version: str) -> None:
    set_cell(form, "settings", 2, "version", version)


def test_publish_form__new_forms__published_with_attachments_entity_list_and_manifests(
    simulator, api: CentralApi, forms_dir: Path
) -> None:
    """Should create and publish each form, upload its choice files, create and link the kpm Entity List,
    and write forms/published/<form_id>.json that forms check then accepts."""
    store, _ = simulator
    results = publish_all(api, forms_dir)
    assert [r.action for r in results] == ["published"] * 3
    for form_id in FORMS:
        built = build_xform(forms_dir / f"{form_id}.xlsx")
        form = store.form(1, form_id)
        assert [v.version for v in form.versions] == [built.version]
        assert form.current.xform.xml == built.xml
        attachments = form.current.attachments
        assert attachments["kpm.csv"].dataset == "kpm"
        for name, blob in built.media.items():
            assert attachments[name].blob == blob
        manifest = load_manifest(form_id, forms_dir / "published")
        assert manifest is not None
        assert (manifest.version, manifest.content_hash) == (built.version, built.content_hash)
        assert manifest.published_at == PUBLISHED_AT.isoformat(timespec="seconds")
    dataset = store.dataset(1, "kpm")
    declared = [
        row["property"] for row in csv.DictReader((forms_dir / "entity_kpm.csv").open(encoding="utf-8"))
    ]
    assert set(declared) <= set(dataset.property_names)
    assert check_forms(sorted(forms_dir.glob("*.xlsx"))) == []


def test_publish_form__unchanged__no_request_that_changes_anything(api: CentralApi, forms_dir: Path) -> None:
    """Should say the version is already published and send only GET requests."""
    publish_all(api, forms_dir)
    before = api.changes
    results = publish_all(api, forms_dir)
    assert [r.action for r in results] == ["unchanged"] * 3
    assert api.changes == before
    assert (
        results[0].message
        == f"kpm_registrasi: version {SHIPPED['kpm_registrasi']} is already published on Central; nothing to do"
    )


def test_publish_form__dry_run__lists_fields_and_media_changed_without_writing(
    simulator, api: CentralApi, forms_dir: Path
) -> None:
    """Should describe the new version (field added, choice file changed) and leave Central as it was."""
    store, _ = simulator
    publish_all(api, forms_dir)
    form = forms_dir / "kpm_registrasi.xlsx"
    row = row_of(form, "survey", "name", "alamat")
    set_cell(form, "survey", row, "name", "alamat_lengkap")
    bump(form, "2026120101")
    desa = forms_dir / "choices" / "desa.csv"
    desa.write_text(desa.read_text(encoding="utf-8").replace("Sumberjaya", "Sumber Jaya"), encoding="utf-8")
    before = api.changes
    result = publish_form(api, build_xform(form), dry_run=True)
    assert api.changes == before
    assert result.action == "planned"
    assert result.plan.state == "update"
    assert (result.plan.fields_added, result.plan.fields_removed) == (["/alamat_lengkap"], ["/alamat"])
    assert (result.plan.media_changed, result.plan.media_added) == (["desa.csv"], [])
    assert result.message.splitlines() == [
        f"kpm_registrasi: version {SHIPPED['kpm_registrasi']} on Central -> 2026120101",
        "  fields added: /alamat_lengkap",
        "  fields removed: /alamat",
        "  attachments changed: desa.csv",
    ]
    assert [v.version for v in store.form(1, "kpm_registrasi").versions] == [SHIPPED["kpm_registrasi"]]


def test_publish_form__changed_without_new_version__tells_to_bump_version(
    api: CentralApi, forms_dir: Path
) -> None:
    """Should refuse a version Central already has, naming the settings sheet and a next version."""
    publish_all(api, forms_dir)
    form = forms_dir / "penyaluran.xlsx"
    set_field(form, "catatan_penyaluran", "label::English (en)", "Remarks")
    before = api.changes
    with pytest.raises(VersionExistsError) as caught:
        publish_form(api, build_xform(form), published_dir=forms_dir / "published")
    assert str(caught.value) == (
        f"Central already has version {SHIPPED['penyaluran']} of penyaluran with other content: increase `version` "
        f"on the settings sheet of forms/penyaluran.xlsx (e.g. {NEXT['penyaluran']}), run `graduasi forms check`, "
        "then publish again"
    )
    assert api.changes == before


def test_publish_form__draft__stops_at_the_draft_with_a_scannable_test_code(
    simulator, api: CentralApi, forms_dir: Path
) -> None:
    """Should upload a draft (published version untouched) whose QR code opens /v1/test/<draftToken>/..."""
    store, server = simulator
    publish_all(api, forms_dir)
    form = forms_dir / "kpm_kunjungan.xlsx"
    set_field(form, "catatan", "label::English (en)", "Notes of the visit")
    bump(form, "2026120201")
    result = publish_form(api, build_xform(form), draft=True, published_dir=forms_dir / "published")
    stored = store.form(1, "kpm_kunjungan")
    assert (result.action, stored.current.version, stored.draft.version) == (
        "draft",
        SHIPPED["kpm_kunjungan"],
        "2026120201",
    )
    assert result.draft_token == stored.draft.token
    assert stored.draft.attachments["kpm.csv"].dataset == "kpm"
    payload = encode_settings(result.draft_settings)
    scanned = decode_settings(read_qr(png_bytes(payload)))
    assert scanned == {
        "general": {
            "server_url": f"{server.url}/v1/test/{stored.draft.token}/projects/1/forms/kpm_kunjungan/draft",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "project": {"name": "[Draft] Kunjungan Pemantauan KPM", "icon": "📝"},
        "admin": {},
    }
    assert load_manifest("kpm_kunjungan", forms_dir / "published").version == SHIPPED["kpm_kunjungan"]


# --- the form designer's journey, through the CLI -----------------------------------------------------------


def test_designer_journey__rename_check_follow_draft_publish(
    simulator, forms_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should guide a designer who renames a field in Excel: forms check names the problems and the fixes,
    following them makes the check pass, --draft uploads a testable draft, publish makes it the version."""
    store, server = simulator
    monkeypatch.chdir(tmp_path)
    for key, value in central_env(server, f"sqlite:///{tmp_path / 'g.db'}").items():
        monkeypatch.setenv(key, value)
    run = CliRunner().invoke
    files = [str(forms_dir / f"{f}.xlsx") for f in FORMS]
    first = run(main, ["forms", "publish", "--target", "central", *files])
    assert first.exit_code == 0, first.output
    shipped, following = SHIPPED["kpm_kunjungan"], NEXT["kpm_kunjungan"]
    assert f"kpm_kunjungan: version {shipped} published; commit" in first.output

    # 1. rename "catatan" in Excel, as a designer would
    visit = forms_dir / "kpm_kunjungan.xlsx"
    set_cell(visit, "survey", row_of(visit, "survey", "name", "catatan"), "name", "catatan_pendamping")
    check = run(main, ["forms", "check", str(visit)])
    assert check.exit_code == 1
    out = check.output
    assert (
        f"forms/kpm_kunjungan.xlsx [survey]: FIELD_REMOVED: field 'catatan' of published version {shipped} is no "
        "longer in the form. Fix: Put it back, or declare the rename or removal in "
        "forms/kpm_kunjungan.aliases.csv (old_name,new_name,since_version; empty new_name = removed on purpose)."
    ) in out.splitlines()
    assert "VERSION_NOT_BUMPED" in out and f"Fix: Increase version (e.g. to {following})" in out
    assert "forms/mapping.csv row 103: MAPPING_FIELD_MISSING: maps kpm_kunjungan.catatan" in out
    refused = run(main, ["forms", "publish", str(visit)])
    assert refused.exit_code == 1 and "fix them before publishing" in refused.output

    # 2. follow the messages: alias, version, mapping row
    (forms_dir / "kpm_kunjungan.aliases.csv").write_text(
        f"old_name,new_name,since_version\ncatatan,catatan_pendamping,{following}\n", encoding="utf-8"
    )
    bump(visit, following)
    mapping = forms_dir / "mapping.csv"
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace(
            "kpm_kunjungan,catatan,", "kpm_kunjungan,catatan_pendamping,"
        ),
        encoding="utf-8",
    )
    check = run(main, ["forms", "check", str(visit)])
    assert (check.exit_code, check.output.strip()) == (0, "1 form(s) OK"), check.output

    # 3. a draft to test on a phone
    draft = run(main, ["forms", "publish", "--draft", "--qr-out", str(tmp_path / "qr"), str(visit)])
    assert draft.exit_code == 0, draft.output
    assert (
        f"kpm_kunjungan: draft of version {following} uploaded; scan the QR code to test it" in draft.output
    )
    assert "█" in draft.output or "▀" in draft.output  # the code drawn in the terminal
    stored = store.form(1, "kpm_kunjungan")
    assert (stored.current.version, stored.draft.version) == (shipped, following)
    svg = (tmp_path / "qr" / "kpm_kunjungan-draft.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")

    # 4. publish
    published = run(main, ["forms", "publish", str(visit)])
    assert published.exit_code == 0, published.output
    assert f"kpm_kunjungan: version {following} published" in published.output
    assert [v.version for v in stored.versions] == [shipped, following] and stored.draft is None
    assert "/data/catatan_pendamping" in stored.current.xform.xml
    manifest = json.loads((forms_dir / "published" / "kpm_kunjungan.json").read_text(encoding="utf-8"))
    assert manifest["version"] == following
    assert "catatan_pendamping" in {f["name"] for f in manifest["fields"]}
    again = run(main, ["forms", "check", str(visit)])
    assert (again.exit_code, again.output.strip()) == (0, "1 form(s) OK"), again.output
    noop = run(main, ["forms", "publish", str(visit)])
    assert f"kpm_kunjungan: version {following} is already published on Central; nothing to do" in noop.output

    # 5. dry run of the other forms: nothing to change
    dry = run(main, ["forms", "publish", "--dry-run", *files])
    assert dry.exit_code == 0
    assert (
        f"penyaluran: version {SHIPPED['penyaluran']} is already published, nothing to change" in dry.output
    )


def test_forms_publish__kobo_or_missing_settings__clear_errors(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Should explain that Kobo publishing is manual, and name the missing Central setting."""
    monkeypatch.chdir(tmp_path)
    for key in (
        "GRADUASI_CENTRAL_URL",
        "GRADUASI_CENTRAL_EMAIL",
        "GRADUASI_CENTRAL_PASSWORD",
        "GRADUASI_CENTRAL_PROJECT",
    ):
        monkeypatch.delenv(key, raising=False)
    kobo = CliRunner().invoke(main, ["forms", "publish", "--target", "kobo"])
    assert kobo.exit_code == 1 and "graduasi forms build --target kobo" in kobo.output
    monkeypatch.setenv("GRADUASI_CENTRAL_URL", "http://127.0.0.1:9")
    missing = CliRunner().invoke(main, ["forms", "publish"])
    assert missing.exit_code == 1
    assert (
        "set GRADUASI_CENTRAL_EMAIL, GRADUASI_CENTRAL_PASSWORD, GRADUASI_CENTRAL_PROJECT to talk to ODK Central"
        in missing.output
    )
