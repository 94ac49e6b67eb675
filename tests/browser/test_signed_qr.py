"""The signed QR (docs/offline.md) stays scannable at the sizes the pages and the email
draw it: the voucher page's SVG (web.views.qr_svg) at a phone's width and smaller, and
the email's PNG as sent and shown small, each drawn to a canvas at that size and read by
the vendored jsQR (the scanner's decoder), as test_camera_pipeline.py reads the camera;
and through the fake camera, as the scanner page sees it."""

from __future__ import annotations

import base64
import shutil
from datetime import date
from pathlib import Path

from browser.camera import write_qr_y4m
from playwright.sync_api import expect
from web.views import qr_svg
from wecare_common import signed_vouchers

JSQR = Path(__file__).resolve().parents[2] / "web/web/static/vendor/jsqr/jsQR.js"
# the voucher page draws the QR at most 340 px wide (wecare.css .qr-box svg.qr), less on
# a narrow phone; the email's image is shown as sent or smaller by some mail apps
SIZES = (340, 260, 200)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>decode</title></head>
<body><main><p id="out"></p></main>
<script src="jsQR.js"></script>
<script>
window.decodeAt = (src, size) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => {
    const canvas = document.createElement('canvas');
    canvas.width = size; canvas.height = size;
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, 0, 0, size, size);
    const found = jsQR(ctx.getImageData(0, 0, size, size).data, size, size,
                       {inversionAttempts: 'dontInvert'});
    resolve(found ? found.data : null);
  };
  img.onerror = () => resolve('error');
  img.src = src;
});
</script>
</body></html>
"""


def _signed() -> str:
    """As long as a real one: a provider's uuid, a large amount, the longest category."""
    key = signed_vouchers.parse_keys(signed_vouchers.new_entry("k2026a", "2026-01-01",
                                                               "2099-01-01"))[0]
    return signed_vouchers.sign(key, code="7ZQW-FRJX-W0H4-M6XQ-W",
                                provider_id="0b8f8a2e-4a57-4a9e-9a57-1c6a1c0f4b11",
                                amount_cents=99_999_999, category="supplementary_pension",
                                last_day=date(2027, 12, 31))


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(JSQR, site / "jsQR.js")
    (site / "index.html").write_text(PAGE)
    return site


def test_the_signed_qr_reads_at_the_sizes_the_page_and_the_email_draw_it(
        tmp_path, static_server, page_factory) -> None:
    from notifications.domain import qr_png

    text = _signed()
    svg = str(qr_svg(text, "QR"))
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1) \
        if "xmlns=" not in svg else svg
    page = page_factory("phone")
    page.goto(static_server(_site(tmp_path)) + "/index.html")
    sources = {"page svg": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
               "email png": "data:image/png;base64," + base64.b64encode(qr_png(text)).decode()}
    for name, src in sources.items():
        for size in SIZES:
            assert page.evaluate("([s, n]) => decodeAt(s, n)", [src, size]) == text, (name, size)


def test_the_fake_camera_reads_the_signed_qr(tmp_path, static_server, camera_browser,
                                             page_factory) -> None:
    from browser.test_camera_pipeline import PAGE as CAMERA_PAGE

    text = _signed()
    video = write_qr_y4m(text, tmp_path / "signed.y4m")
    site = _site(tmp_path)
    (site / "camera.html").write_text(CAMERA_PAGE)
    page = page_factory("phone", browser=camera_browser(video))
    page.goto(static_server(site) + "/camera.html")
    expect(page.locator("#code")).to_have_text(text, timeout=30_000)
