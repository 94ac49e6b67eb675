"""The scanner's pipeline, end to end and on its own: Chromium's fake camera plays
a video of a voucher's QR code (camera.py), a page reads the camera with
getUserMedia, draws frames to a canvas and decodes them with the vendored jsQR.
The real scanner page does the same from its own script file (no inline script
under the app's Content-Security-Policy)."""

from __future__ import annotations

import shutil
from pathlib import Path

from browser.camera import qr_rows, write_qr_y4m
from playwright.sync_api import expect
from wallet.codes import new_code

JSQR = Path(__file__).resolve().parents[2] / "web/web/static/vendor/jsqr/jsQR.js"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scan</title></head>
<body><main>
<video id="camera" playsinline muted></video>
<canvas id="frame" hidden></canvas>
<p id="code"></p><p id="status">starting</p>
</main>
<script src="jsQR.js"></script>
<script>
(async () => {
  const status = document.getElementById('status');
  try {
    const stream = await navigator.mediaDevices.getUserMedia(
      {video: {facingMode: 'environment'}, audio: false});
    const video = document.getElementById('camera');
    video.srcObject = stream;
    await video.play();
    const canvas = document.getElementById('frame');
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    let frames = 0;
    const look = () => {
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(image.data, image.width, image.height,
                           {inversionAttempts: 'dontInvert'});
        frames += 1;
        status.textContent = `${video.videoWidth}x${video.videoHeight}, ${frames} frames`;
        if (found) {
          document.getElementById('code').textContent = found.data;
          stream.getTracks().forEach(track => track.stop());
          return;
        }
      }
      setTimeout(look, 100);
    };
    look();
  } catch (error) {
    status.textContent = `error: ${error.name}: ${error.message}`;
  }
})();
</script>
</body></html>
"""


def test_the_fake_camera_shows_a_qr_code_that_jsqr_decodes(
        tmp_path, static_server, camera_browser, page_factory) -> None:
    code = new_code()  # a voucher code as the wallet makes them, e.g. 7ZQW-FRJX-W0H4-M6XQ-W
    video = write_qr_y4m(code, tmp_path / "voucher.y4m")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(JSQR, site / "jsQR.js")
    (site / "index.html").write_text(PAGE)

    page = page_factory("phone", browser=camera_browser(video))
    page.goto(static_server(site) + "/index.html")

    expect(page.locator("#code")).to_have_text(code, timeout=20_000)
    expect(page.locator("#status")).to_contain_text("640x640")


def test_the_video_is_a_4_2_0_y4m_of_the_codes_modules(tmp_path) -> None:
    path = write_qr_y4m("ABCD-EFGH", tmp_path / "v.y4m", size=320, frames=3)
    header, _, rest = path.read_bytes().partition(b"\n")
    assert header == b"YUV4MPEG2 W320 H320 F30:1 Ip A1:1 C420jpeg"
    frame = 6 + 320 * 320 * 3 // 2
    assert len(rest) == 3 * frame and rest.count(b"FRAME\n") >= 3
    rows = qr_rows("ABCD-EFGH")
    assert len(rows) >= 21 + 8  # a full QR code (never Micro QR) and its quiet zone
    assert not any(rows[0]) and not any(row[0] for row in rows)  # the quiet zone is white
