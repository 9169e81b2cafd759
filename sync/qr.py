"""ODK Collect configuration QR codes: settings JSON, its encoding, and the images.

The payload is what Central's own pages show (central-frontend ``collect-qr.vue``, ecosystem.md §3):
``base64(zlib-deflate(UTF-8 JSON))`` of ``{"general": {...}, "project": {...}, "admin": {}}`` - Collect needs
``admin`` even when empty, and resets every setting the code leaves out. The app user's code points
``server_url`` at ``<central>/v1/key/<token>/projects/<id>``: whoever holds the picture holds the credential.
A *managed* code (``form_update_mode`` ``match_exactly`` and ``autosend``) makes the phone mirror exactly the
forms assigned to the app user and send finalised forms by itself. The draft-testing code is the one Central
shows on a draft's Testing page (``form-draft/testing.vue``): ``/v1/test/<draftToken>/projects/<id>/forms/
<formId>/draft``, project "[Draft] <title>" with the icon 📝.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any, TextIO
from urllib.parse import quote

import segno

#: error correction Central uses for the app-user code (more modules survive a smudged print with higher
#: levels, but the code gets denser; L keeps a long token readable at 3-4 cm)
APP_USER_ERROR = "L"
DRAFT_ERROR = "Q"


def app_user_settings(
    central_url: str,
    project_id: int,
    token: str,
    *,
    project_name: str,
    color: str = "#1b5e20",
    icon: str = "J",
    username: str | None = None,
    managed: bool = True,
) -> dict[str, Any]:
    """Collect settings for one app user.

    :param username: ``general.metadata_username``: fills the form's ``username`` metadata, which graduasi's
        forms use for ``pendamping_id`` (set it to the pendamping id).
    :param color: Collect's project colour, ``#rrggbb``.
    :param icon: one character shown in Collect's project switcher.
    """
    general: dict[str, Any] = {
        "server_url": f"{central_url.rstrip('/')}/v1/key/{token}/projects/{project_id}"
    }
    if managed:
        general["form_update_mode"] = "match_exactly"
        general["autosend"] = "wifi_and_cellular"
    if username:
        general["metadata_username"] = username
    return {"general": general, "project": {"name": project_name, "icon": icon, "color": color}, "admin": {}}


def draft_settings(
    central_url: str, project_id: int, form_id: str, draft_token: str, title: str
) -> dict[str, Any]:
    """Collect settings that open a form draft for testing (what Central's draft Testing page encodes)."""
    url = f"{central_url.rstrip('/')}/v1/test/{draft_token}/projects/{project_id}/forms/{quote(form_id, safe='')}/draft"
    return {
        "general": {"server_url": url, "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "project": {"name": f"[Draft] {title}", "icon": "📝"},
        "admin": {},
    }


def encode_settings(settings: dict[str, Any]) -> str:
    """The QR payload: base64 of the zlib-deflated UTF-8 JSON."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_settings(payload: str) -> dict[str, Any]:
    """Inverse of :func:`encode_settings` (what Collect does after scanning)."""
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr_code(payload: str, error: str = APP_USER_ERROR) -> segno.QRCode:
    """The QR symbol of a payload (byte mode, at least the given error correction)."""
    return segno.make_qr(payload, error=error, boost_error=False)


def png_data_uri(payload: str, *, scale: int = 4, error: str = APP_USER_ERROR) -> str:
    """The QR code as a ``data:image/png;base64,...`` URI (prints crisply with ``image-rendering:
    pixelated``; works in every browser, also offline)."""
    return qr_code(payload, error).png_data_uri(scale=scale, border=4)


def png_bytes(payload: str, *, scale: int = 4, error: str = APP_USER_ERROR) -> bytes:
    out = io.BytesIO()
    qr_code(payload, error).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg_text(payload: str, *, scale: int = 4, error: str = APP_USER_ERROR) -> str:
    """The QR code as an SVG document (for a file a designer can open and scan from the screen)."""
    out = io.BytesIO()
    qr_code(payload, error).save(out, kind="svg", scale=scale, border=4, xmldecl=False)
    return out.getvalue().decode("utf-8")


def print_terminal(payload: str, out: TextIO, *, error: str = DRAFT_ERROR) -> None:
    """Draw the QR code in a terminal (half-height blocks; scan it straight from the screen)."""
    qr_code(payload, error).terminal(out=out, compact=True, border=2)
