/* WeCare, HR console: paying a top-up by card or SEPA Direct Debit with Stripe's
   own Payment Element (Stripe.js is loaded just before this, on this page only).
   The card or account details go from Stripe's frame to Stripe; WeCare's server
   only ever sees Stripe's signed webhook. After the payment Stripe sends the
   browser back to the funding page, which follows the top-up until it is credited. */
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form[data-stripe-pay]");
    if (!form) return;
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    var box = document.querySelector("[data-payment-error]");
    var mount = document.getElementById("payment-element");
    var loading = document.querySelector("[data-payment-loading]");

    function fail(message) {
      box.querySelector("[data-payment-error-text]").textContent = message;
      box.hidden = false;
      box.focus();
      button.textContent = label;
      button.removeAttribute("aria-disabled");
      delete form.dataset.sent;
    }

    if (typeof window.Stripe !== "function") { fail(form.dataset.unreachable); return; }
    var stripe, elements;
    try {
      stripe = window.Stripe(form.dataset.key, { locale: form.dataset.locale });
      elements = stripe.elements({ clientSecret: form.dataset.secret, locale: form.dataset.locale,
                                   appearance: { theme: "stripe",
                                                 variables: { colorPrimary: "#0059b3" } } });
      var payment = elements.create("payment", { layout: "tabs" });
      loading.hidden = false;
      payment.on("ready", function () {
        loading.hidden = true;
        button.disabled = false;
      });
      payment.mount(mount);
    } catch (error) {
      fail(form.dataset.unreachable);
      return;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.sent || button.disabled) return;
      form.dataset.sent = "1";
      box.hidden = true;
      button.setAttribute("aria-disabled", "true");
      button.textContent = button.dataset.busy;
      stripe.confirmPayment({
        elements: elements,
        confirmParams: { return_url: new URL(form.dataset.return, window.location.href).href }
      }).then(function (result) {
        // Only a refusal comes back here: a payment taken leaves for return_url.
        if (result && result.error) fail(result.error.message || form.dataset.failed);
      }, function () { fail(form.dataset.failed); });
    });
  }

  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
