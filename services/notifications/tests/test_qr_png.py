"""The voucher email's QR PNG (notifications.domain.png_of): the very image segno's own
PNG writer makes, pixel for pixel, for a signed voucher's text and shorter ones, at the
email's scale and others, with and without the quiet zone."""

from __future__ import annotations

import io
import zlib

import pytest
import segno
from notifications.domain import QR_MASK, QR_SCALE, png_of, qr_png

SIGNED = "WC1." + "eyJ2IjoxLCJjIjoiQUJDRC0xMjM0In0" * 6 + ".c2lnbmF0dXJl" * 6


def pixels(png: bytes) -> tuple[bytes, list[str]]:
    """A 1-bit greyscale PNG's header fields and its rows of pixels ('1' light), each
    row's filter undone (PNG spec §9.2: filter types 0-4, one byte a pixel group)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, header = 8, b"", b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == int.from_bytes(png[pos + 8 + n:pos + 12 + n], "big")
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        pos += 12 + n
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    raw, row_bytes = zlib.decompress(data), (width + 7) // 8
    rows, above = [], bytearray(row_bytes)
    for y in range(height):
        kind, line = raw[y * (row_bytes + 1)], bytearray(raw[y * (row_bytes + 1) + 1:
                                                             (y + 1) * (row_bytes + 1)])
        for x in range(row_bytes):
            a, b = line[x - 1] if x else 0, above[x]
            c = above[x - 1] if x else 0
            p = a + b - c
            paeth = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (
                b if abs(p - b) <= abs(p - c) else c)
            line[x] = (line[x] + [0, a, b, (a + b) // 2, paeth][kind]) & 255
        rows.append(format(int.from_bytes(line, "big"), f"0{row_bytes * 8}b")[:width])
        above = line
    return header, rows


@pytest.mark.parametrize("text", [SIGNED, "WC1.x", "ABCD-1234"])
@pytest.mark.parametrize(("scale", "border"), [(QR_SCALE, 4), (1, 4), (3, 0)])
def test_the_png_is_segnos_image_pixel_for_pixel(text: str, scale: int, border: int) -> None:
    qr = segno.make(text, error="m", micro=False, mask=QR_MASK)
    theirs = io.BytesIO()
    qr.save(theirs, kind="png", scale=scale, border=border)
    assert pixels(png_of(qr.matrix, scale, border)) == pixels(theirs.getvalue())


def test_the_voucher_email_qr_is_the_signed_text_at_the_emails_scale() -> None:
    qr = segno.make(SIGNED, error="m", micro=False, mask=QR_MASK)
    header, rows = pixels(qr_png(SIGNED))
    side = (len(qr.matrix) + 8) * QR_SCALE
    assert header[8:] == bytes([1, 0, 0, 0, 0]) and len(rows) == side == len(rows[0])
    assert set(rows[0]) == {"1"} and "0" in rows[4 * QR_SCALE]  # quiet zone, then modules
