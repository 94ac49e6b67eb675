/* WeCare: small enhancements on top of pages that work without JavaScript. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function enhance(root) {
    // The error summary takes the focus, so screen readers read it first.
    var summary = root.querySelector("[data-autofocus]");
    if (summary) summary.focus();

    // A form that moves money is sent once; its Idempotency-Key makes a second send harmless anyway.
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        var button = form.querySelector("[data-busy]");
        if (button) { button.setAttribute("aria-disabled", "true"); button.textContent = button.dataset.busy; }
      });
    });

    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });

    // What only works with JavaScript (paying by card) is shown only where it runs.
    root.querySelectorAll("[data-js-only]").forEach(function (part) { part.hidden = false; });

    // A slider's figure beside it, as it moves (the form works without it).
    root.querySelectorAll("[data-range-output]").forEach(function (output) {
      var input = document.getElementById(output.dataset.rangeOutput);
      if (!input) return;
      input.addEventListener("input", function () { output.textContent = input.value + "%"; });
    });

    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });

    // "Near me": the browser's position fills the search form's lat/lon.
    root.querySelectorAll("[data-near-me]").forEach(function (button) {
      if (!("geolocation" in navigator)) return;
      button.hidden = false;
      var form = button.closest("form");
      var status = form.querySelector("[data-near-me-status]");
      button.addEventListener("click", function () {
        if (status) status.textContent = button.dataset.locating;
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(5);
          form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(5);
          if (status) status.textContent = "";
          if (form.requestSubmit) form.requestSubmit(); else form.submit();
        }, function () {
          if (status) status.textContent = button.dataset.denied;
        }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
      });
    });

    // "Use my position": the browser's position fills a form's lat/lon fields (typed otherwise).
    root.querySelectorAll("[data-locate]").forEach(function (button) {
      if (!("geolocation" in navigator) || !window.isSecureContext) return;
      button.hidden = false;
      var form = button.closest("form");
      var status = form.querySelector("[data-locate-status]");
      button.addEventListener("click", function () {
        if (status) status.textContent = button.dataset.locating;
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(5);
          form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(5);
          if (status) status.textContent = button.dataset.found;
        }, function () {
          if (status) status.textContent = button.dataset.denied;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    });

    // Signing out forgets the vouchers kept for offline use on this device.
    root.querySelectorAll("form[action='/sign-out']").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (window.caches) caches.delete("wecare-pages");
      });
    });
  }

  ready(function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }
})();
