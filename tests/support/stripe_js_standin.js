/* A stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served by the local
   Stripe stand-in (tests/support/stripe_standin.py) so that browser tests never
   reach the internet. It implements only what WeCare's pages call, the way
   Stripe.js behaves:

     var stripe = Stripe(publishableKey, {locale});
     var elements = stripe.elements({clientSecret, locale, appearance});
     var payment = elements.create("payment", options);
     payment.mount(domElementOrSelector); payment.on("ready" | "change", handler);
     stripe.confirmPayment({elements, confirmParams: {return_url}})
       → POST /v1/payment_intents/:id/confirm (form-encoded, the publishable key
         and the client secret, as Stripe.js sends them), then the browser goes to
         return_url?payment_intent=…&payment_intent_client_secret=…&redirect_status=…
         or, when refused, resolves {error: {type, code, message}} and stays.

   The Payment Element is an iframe from this origin (as Stripe's is from
   js.stripe.com), with a card number field filled with a test card. */
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = new URL(script.src).origin;

  function intentId(clientSecret) { return String(clientSecret).split("_secret_")[0]; }

  function Element(elements, kind, options) {
    this.elements = elements;
    this.kind = kind;
    this.options = options || {};
    this.handlers = {};
    this.frame = null;
  }
  Element.prototype.on = function (name, handler) {
    (this.handlers[name] = this.handlers[name] || []).push(handler);
    return this;
  };
  Element.prototype.emit = function (name, detail) {
    (this.handlers[name] || []).forEach(function (h) { h(detail || {}); });
  };
  Element.prototype.mount = function (target) {
    var box = typeof target === "string" ? document.querySelector(target) : target;
    if (!box) throw new Error("IntegrationError: the mount target does not exist");
    var frame = document.createElement("iframe");
    frame.title = "Secure payment input frame";
    frame.name = "__privateStripeFrame" + Math.floor(Math.random() * 1e6);
    frame.setAttribute("allow", "payment *");
    frame.style.height = "80px";  // as Stripe.js does, through the CSSOM (no style attribute)
    frame.src = ORIGIN + "/v3/elements-inner.html?locale=" +
      encodeURIComponent(this.elements.locale || "auto");
    var self = this;
    frame.addEventListener("load", function () {
      self.emit("ready", { elementType: self.kind });
      self.emit("change", { elementType: self.kind, complete: true, empty: false,
                            value: { type: "card" } });
    });
    box.appendChild(frame);
    this.frame = frame;
  };
  Element.prototype.unmount = function () {
    if (this.frame && this.frame.parentNode) this.frame.parentNode.removeChild(this.frame);
  };
  Element.prototype.destroy = Element.prototype.unmount;
  Element.prototype.focus = function () { if (this.frame) this.frame.focus(); };

  function Elements(stripe, options) {
    options = options || {};
    if (!options.clientSecret) throw new Error("IntegrationError: clientSecret is missing");
    this.stripe = stripe;
    this.clientSecret = options.clientSecret;
    this.locale = options.locale || stripe.locale;
    this.created = [];
  }
  Elements.prototype.create = function (kind, options) {
    if (kind !== "payment") throw new Error("this stand-in has only the Payment Element");
    var element = new Element(this, kind, options);
    this.created.push(element);
    return element;
  };
  Elements.prototype.getElement = function (kind) {
    return this.created.filter(function (e) { return e.kind === kind; })[0] || null;
  };
  Elements.prototype.submit = function () { return Promise.resolve({}); };

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (!/^pk_(test|live)_/.test(String(key))) {
      throw new Error("IntegrationError: Invalid value for Stripe(): apiKey should be a " +
                      "publishable key");
    }
    this.key = key;
    this.locale = (options || {}).locale;
  }
  Stripe.prototype.elements = function (options) { return new Elements(this, options); };
  Stripe.prototype.confirmPayment = function (args) {
    var elements = args && args.elements;
    var params = (args && args.confirmParams) || {};
    if (!elements || !params.return_url) {
      return Promise.reject(new Error("IntegrationError: elements and return_url are needed"));
    }
    var secret = elements.clientSecret;
    var body = new URLSearchParams({
      key: this.key, client_secret: secret, return_url: params.return_url,
      "payment_method_data[type]": "card"
    });
    return fetch(ORIGIN + "/v1/payment_intents/" + intentId(secret) + "/confirm", {
      method: "POST", body: body, credentials: "omit"
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) return { error: answer.error };
        var back = new URL(params.return_url);
        back.searchParams.set("payment_intent", answer.id);
        back.searchParams.set("payment_intent_client_secret", secret);
        back.searchParams.set("redirect_status",
                              answer.status === "succeeded" || answer.status === "processing"
                                ? "succeeded" : "failed");
        if (args.redirect === "if_required") return { paymentIntent: answer };
        window.location.assign(back.toString());
        return new Promise(function () {});  // the page is leaving, as with Stripe.js
      });
    }, function () {
      return { error: { type: "api_connection_error",
                        message: "We could not reach Stripe. Try again." } };
    });
  };

  window.Stripe = Stripe;
})();
