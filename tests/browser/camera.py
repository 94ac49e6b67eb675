"""A fake camera for Chromium: a Y4M video of a QR code, for
`--use-file-for-fake-video-capture=<file>.y4m` (the browser plays it in a loop
as the camera's picture)."""

from __future__ import annotations

from pathlib import Path

import segno

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_rows(text: str) -> list[list[bool]]:
    """The QR code of text, quiet zone included, one bool (dark) per module.

    Always a full QR code: segno.make() picks a Micro QR for short texts, which
    jsQR (and most phone cameras) cannot read."""
    code = segno.make_qr(text, error="m")
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=QUIET_ZONE)]


def write_qr_y4m(text: str, path: Path | str, size: int = 640, frames: int = 30,
                 fps: int = 30) -> Path:
    """Write a size×size Y4M video (YUV 4:2:0, full range) of frames identical frames
    showing the QR code of text, black on white and centred; return its path."""
    if size % 2:
        raise ValueError("4:2:0 needs an even size")
    rows = qr_rows(text)
    modules = len(rows)
    scale = size // modules
    if scale < 2:
        raise ValueError(f"{modules} modules do not fit {size} px at 2 px or more each")
    offset = (size - scale * modules) // 2
    luma = bytearray(b"\xff" * (size * size))
    for y, row in enumerate(rows):
        line = b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        for dy in range(scale):
            start = (offset + y * scale + dy) * size + offset
            luma[start:start + len(line)] = line
    chroma = b"\x80" * ((size // 2) * (size // 2))  # U and V: no colour
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path = Path(path)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(frame)
    return path
