"""Helpers for the publishing, app-user and push tests: a Central simulator to talk to, the settings a CLI run
needs, and reading QR codes back from PNG images (a small PNG reader, since Pillow is not a dependency)."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import numpy as np
import zxingcpp

from simulators.central import CentralStore, RunningServer, start_server

ADMIN_EMAIL = "staf@dinsos.example"
ADMIN_PASSWORD = "rahasia-uji"
PROJECT = "Jamsosratu Banten"


def central_store() -> CentralStore:
    """An empty Central with the sync account and one project (id 1)."""
    store = CentralStore()
    store.add_user(ADMIN_EMAIL, ADMIN_PASSWORD, "Staf Dinsos")
    store.add_project(PROJECT)
    return store


def serve(store: CentralStore) -> RunningServer:
    return start_server(store)


def central_env(server: RunningServer, database_url: str) -> dict[str, str]:
    """``GRADUASI_*`` variables for a CLI run against ``server``."""
    return {
        "GRADUASI_CENTRAL_URL": server.url,
        "GRADUASI_CENTRAL_EMAIL": ADMIN_EMAIL,
        "GRADUASI_CENTRAL_PASSWORD": ADMIN_PASSWORD,
        "GRADUASI_CENTRAL_PROJECT": "1",
        "GRADUASI_DATABASE_URL": database_url,
        "GRADUASI_TIMEZONE": "Asia/Jakarta",
    }


# --- PNG -> pixels -> QR text -------------------------------------------------------------------------------


def png_pixels(data: bytes) -> np.ndarray:
    """Greyscale pixels (0-255) of a non-interlaced greyscale or palette PNG (what segno writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, palette = 8, b"", None
    width = height = depth = ctype = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert interlace == 0 and ctype in (0, 3), (ctype, interlace)
        elif kind == b"PLTE":
            palette = [sum(body[i : i + 3]) // 3 for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    bpp = max(1, depth // 8)
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        filt, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if filt == 1:
                line[x] = (line[x] + a) & 0xFF
            elif filt == 2:
                line[x] = (line[x] + b) & 0xFF
            elif filt == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    bits = np.unpackbits(np.frombuffer(b"".join(rows), dtype=np.uint8)).reshape(height, stride * 8)
    if depth == 8:
        values = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, stride)[:, :width]
    else:
        assert depth == 1, depth
        values = bits[:, :width]
    if ctype == 3:
        assert palette is not None
        lut = np.array(palette + [0] * (256 - len(palette)), dtype=np.uint8)
        return lut[values]
    return (values * (255 if depth == 1 else 1)).astype(np.uint8)


def read_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG (zxing-cpp)."""
    found = zxingcpp.read_barcodes(png_pixels(png), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"{len(found)} QR codes found"
    return found[0].text


def png_data_uris(html: str) -> list[bytes]:
    """The PNG images embedded in an HTML page as ``data:image/png;base64,...``."""
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]
