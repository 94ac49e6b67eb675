/* WeCare, HR console: small enhancements of pages that work without JavaScript. */
(function () {
  "use strict";

  // htmx swaps a form's answer in place even when it is a 4xx: those answers are the
  // form again, with its errors (the GOV.UK pattern), not failures of the page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A big CSV file: a progress bar while it is sent, then "checking" until the answer.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload]");
    if (!form) return;
    var box = form.querySelector("[data-upload-progress]");
    if (box) { box.hidden = false; box.querySelector("progress").removeAttribute("value"); }
    var button = form.querySelector("button[type=submit]");
    if (button) button.setAttribute("aria-disabled", "true");
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload]");
    if (!form || !event.detail.lengthComputable || !event.detail.total) return;
    var bar = form.querySelector("[data-upload-progress] progress");
    if (!bar) return;
    var done = Math.round(100 * event.detail.loaded / event.detail.total);
    if (done < 100) bar.value = done; else bar.removeAttribute("value");  // now checking
  });

  // After a swap that brings a new heading (the import's preview), focus it so that
  // screen readers read where they are.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = document.querySelector("[data-focus]");
    if (heading) heading.focus();
  });
})();
