/* WeCare: the provider's QR scanner (only on /provider/redeem, after jsQR).
   The camera (getUserMedia, back camera) draws frames to a canvas; jsQR reads
   them; a code read goes into the typed-code field and the form is sent, as if
   typed. Without a camera (http, refused, none) the typed form is all there is. */
(function () {
  "use strict";

  var INTERVAL_MS = 120;
  var MAX_SIDE = 640; // frames are scaled down to this: enough for a phone-held QR

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("form[data-redeem-form]");
    if (!box || !form) return;
    var input = form.querySelector("[name=code]");
    var status = box.querySelector("[data-scanner-status]");
    var toggle = box.querySelector("[data-scanner-toggle]");
    var toggleLabel = toggle.querySelector("span");
    var video = box.querySelector("video");
    var canvas = box.querySelector("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var timer = null;
    var done = false;

    function say(key) { status.textContent = box.dataset[key] || ""; }

    box.hidden = false;
    if (!window.isSecureContext) { say("insecure"); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof window.jsQR !== "function") {
      say("missing");
      return;
    }

    function showToggle(running) {
      toggle.hidden = false;
      toggleLabel.textContent = running ? toggle.dataset.stop : toggle.dataset.start;
    }

    function stop() {
      if (timer) { clearTimeout(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true;
      showToggle(false);
    }

    function look() {
      timer = null;
      if (!stream || done) return;
      if (video.readyState >= 2 && video.videoWidth) {
        var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
        var w = Math.round(video.videoWidth * scale);
        var h = Math.round(video.videoHeight * scale);
        if (canvas.width !== w) canvas.width = w;
        if (canvas.height !== h) canvas.height = h;
        context.drawImage(video, 0, 0, w, h);
        var found = window.jsQR(context.getImageData(0, 0, w, h).data, w, h,
                                { inversionAttempts: "attemptBoth" });
        if (found && found.data && found.data.trim()) {
          done = true;
          input.value = found.data.trim();
          say("found");
          stop();
          toggle.hidden = true;
          if (navigator.vibrate) navigator.vibrate(80);
          if (form.requestSubmit) form.requestSubmit(); else form.submit();
          return;
        }
      }
      timer = setTimeout(look, INTERVAL_MS);
    }

    function start() {
      say("starting");
      navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false
      }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play();
      }).then(function () {
        say("scanning");
        showToggle(true);
        look();
      }).catch(function (error) {
        stop();
        var name = error && error.name;
        say(name === "NotAllowedError" || name === "SecurityError" ? "denied"
          : name === "NotFoundError" || name === "OverconstrainedError" ? "missing" : "failed");
      });
    }

    toggle.addEventListener("click", function () { if (stream) { stop(); say("stopped"); } else start(); });
    // leaving the page (or hiding it), or an answer given here (offline.js), lets the camera go
    window.addEventListener("pagehide", stop);
    document.addEventListener("wecare:answered", function () { done = true; stop(); toggle.hidden = true; });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden && stream) stop();
    });
    start();
  });
})();
