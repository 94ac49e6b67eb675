/* WeCare: the provider's counter with no network (docs/offline.md).

   With a network the redeem page works as ever (the form goes to the server, which asks
   the API). Whenever the network is there this script keeps, in IndexedDB, what the
   phone needs to check a voucher without it: WeCare's public keys, the provider's limits
   for redeeming offline and the server's time (GET /provider/redeem/offline-state); it
   also keeps the list of what this phone redeemed.

   With no network (navigator.onLine false, or the form's request failing: then the
   service worker brings the code back here in #check=…), the code scanned or typed is
   checked here: a signed QR (WC1.<payload>.<signature>) by its Ed25519 signature with
   WebCrypto, then whose it is, its last day, whether this phone took it already and
   the limits. A good one is VALID — WILL BE RECORDED: queued in IndexedDB with an
   Idempotency-Key made now, sent (POST /provider/redeem/offline) when the network
   returns, one by one, each with its own key, so a repeat records it once. A typed code
   alone cannot be checked (it carries no signature): the page says so.

   Answers come from <template data-offline-verdict="…"> the server rendered in the
   person's language; {name} in them is a value written in here (textContent only). */
(function () {
  "use strict";

  var DB_NAME = "wecare-offline";
  var STATE_URL = "/provider/redeem/offline-state";
  var SEND_URL = "/provider/redeem/offline";
  var RETRY_MS = 30000;       // how often waiting redemptions are tried again, online
  var REFRESH_MS = 300000;    // how often the keys, limits and clock are asked again, online
  var KEEP_REDEEMED_DAYS = 400;  // a voucher lives a year at most: after that, forgotten
  var FIELDS = ["v", "p", "a", "c", "e", "k"];

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // -- IndexedDB ---------------------------------------------------------------------------
  var dbPromise = null;

  // "state": per provider its keys, limits and clock, and "device": this phone's id;
  // "redeemed": what this phone redeemed (provider|CODE); "queue": what waits for WeCare,
  // by its Idempotency-Key
  function makeStores(d) {
    if (!d.objectStoreNames.contains("state")) d.createObjectStore("state");
    if (!d.objectStoreNames.contains("redeemed")) d.createObjectStore("redeemed", { keyPath: "id" });
    if (!d.objectStoreNames.contains("queue")) d.createObjectStore("queue", { keyPath: "key" });
  }

  function openDb(version) {
    return new Promise(function (resolve, reject) {
      var open = version ? indexedDB.open(DB_NAME, version) : indexedDB.open(DB_NAME);
      open.onupgradeneeded = function () { makeStores(open.result); };
      open.onsuccess = function () {
        var d = open.result;
        d.onversionchange = function () { d.close(); dbPromise = null; };  // another tab's newer
        resolve(d);
      };
      open.onerror = function () { reject(open.error); };
    });
  }

  function db() {
    if (!dbPromise) {
      dbPromise = (window.indexedDB ? openDb() : Promise.reject(new Error("no IndexedDB")))
        .then(function (d) {
          if (d.objectStoreNames.contains("queue")) return d;
          var version = d.version + 1;  // made empty by someone else: made again, one up
          d.close();
          return openDb(version);
        });
    }
    return dbPromise;
  }

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function store(name, mode) {
    return db().then(function (d) { return d.transaction(name, mode || "readonly").objectStore(name); });
  }

  function get(name, key) { return store(name).then(function (s) { return request(s.get(key)); }); }
  function put(name, value, key) {
    return store(name, "readwrite").then(function (s) {
      return request(key === undefined ? s.put(value) : s.put(value, key));
    });
  }
  function remove(name, key) { return store(name, "readwrite").then(function (s) { return request(s.delete(key)); }); }
  function all(name) { return store(name).then(function (s) { return request(s.getAll()); }); }

  // both, or neither: a redemption accepted is queued and remembered at once
  function acceptWrite(item, seen) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(["queue", "redeemed"], "readwrite");
        tx.objectStore("queue").put(item);
        tx.objectStore("redeemed").put(seen);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  // -- small things --------------------------------------------------------------------------
  function normal(code) { return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, ""); }

  function unb64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // YYYY-MM-DD at the moment `ms`, in UTC: a voucher expires at the end of its last day,
  // UTC, as the wallet reckons it (docs/offline.md)
  function utcDay(ms) { return new Date(ms).toISOString().slice(0, 10); }

  // -- the page ---------------------------------------------------------------------------------
  ready(function () {
    var root = document.querySelector("[data-offline]");
    if (!root) return;
    var provider = root.dataset.provider || "";
    var locale = root.dataset.locale || "it-IT";
    var csrf = root.dataset.csrf || "";
    var banner = root.querySelector("[data-offline-banner]");
    var queueLine = root.querySelector("[data-offline-queue]");
    var refusedBox = root.querySelector("[data-offline-refused]");
    var refusedList = root.querySelector("[data-offline-refused-list]");
    var answerBox = document.querySelector("[data-offline-answer]");
    var form = document.querySelector("form[data-redeem-form]");
    var sentSome = false;
    var signInNeeded = false;
    var draining = null;
    if (!provider) return;

    var money = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" });
    var dayFormat = new Intl.DateTimeFormat(locale, locale === "it-IT"
      ? { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" }
      : { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
    var whenFormat = new Intl.DateTimeFormat(locale, locale === "it-IT"
      ? { timeZone: "Europe/Rome", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" }
      : { timeZone: "Europe/Rome", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });

    function categoryName(code) {
      var names = document.querySelector("template[data-offline-categories]");
      var found = names && names.content.querySelector("[data-category=\"" + CSS.escape(code) + "\"]");
      return found ? found.textContent : code;
    }

    function day(iso) {
      var p = String(iso).split("-");
      return dayFormat.format(new Date(Date.UTC(+p[0], +p[1] - 1, +p[2])));
    }

    // -- what the phone knows ---------------------------------------------------------------
    function state() { return get("state", "server:" + provider); }

    function device() {
      return get("state", "device").then(function (id) {
        if (id) return id;
        id = newKey();
        return put("state", id, "device").then(function () { return id; });
      });
    }

    // The keys, the limits and the server's time, asked whenever there is a network: the
    // phone's clock is set right by the server's (skew), and its last contact is now.
    function refresh() {
      var asked = Date.now();
      return fetch(STATE_URL, { credentials: "same-origin", redirect: "manual",
                                headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            signInNeeded = true;
            return null;
          }
          if (!response.ok) return null;
          return response.json().then(function (fresh) {
            var heard = Date.now();
            var server = Date.parse(fresh.now);
            if (fresh.provider !== provider || isNaN(server)) return null;
            signInNeeded = false;
            if (fresh.csrf) csrf = fresh.csrf;
            var skew = server - (asked + heard) / 2;
            return put("state", { provider: provider, keys: fresh.keys || [], limits: fresh.limits,
                                  contact: server, skew: skew }, "server:" + provider);
          });
        })
        .catch(function () { return null; });
    }

    // -- checking one code ----------------------------------------------------------------
    function redeemedHere(code) { return get("redeemed", provider + "|" + normal(code)); }

    function waitingCents() {
      return all("queue").then(function (items) {
        return items.filter(function (i) { return i.provider === provider && i.status === "waiting"; })
          .reduce(function (sum, i) { return sum + (i.amount || 0); }, 0);
      });
    }

    function decode(text) {
      var parts = text.split(".");
      if (parts.length !== 3 || parts[0] !== "WC1") return null;
      try {
        var payload = unb64url(parts[1]);
        var signature = unb64url(parts[2]);
        var data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
      } catch (e) {
        return null;
      }
      if (!data || typeof data !== "object" || Array.isArray(data)) return null;
      var keys = Object.keys(data);
      if (keys.length !== FIELDS.length || FIELDS.some(function (f) { return keys.indexOf(f) < 0; })) return null;
      if (!["v", "p", "c", "e", "k"].every(function (f) { return typeof data[f] === "string"; })) return null;
      if (typeof data.a !== "number" || !Number.isInteger(data.a) || data.a < 0) return null;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(data.e)) return null;
      return { data: data, payload: payload, signature: signature };
    }

    function verify(signed, key) {
      if (!window.crypto || !crypto.subtle) return Promise.resolve(null);
      var raw;
      try { raw = unb64url(key.public_key); } catch (e) { return Promise.resolve(false); }
      return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"])
        .then(function (pub) {
          return crypto.subtle.verify({ name: "Ed25519" }, pub, signed.signature, signed.payload);
        }, function () { return null; })  // this browser has no Ed25519
        .catch(function () { return false; });
    }

    // → {kind, values, accept?}: kind names a <template data-offline-verdict>
    function check(text) {
      text = String(text || "").trim();
      if (text.indexOf("WC1.") !== 0) {  // typed: only this phone's own list can be read
        return redeemedHere(text).then(function (seen) {
          return seen ? { kind: "already_here", values: { code: seen.code, when: whenFormat.format(new Date(seen.at)) } }
                      : { kind: "typed", values: { code: text } };
        });
      }
      var signed = decode(text);
      if (!signed) return Promise.resolve({ kind: "invalid", values: {} });
      var data = signed.data;
      var values = { code: data.v, amount: money.format(data.a / 100), category: categoryName(data.c) };
      return state().then(function (known) {
        if (!known || !known.keys || !known.keys.length) return { kind: "no_keys", values: values };
        var key = known.keys.filter(function (k) { return k.kid === data.k; })[0];
        if (!key) return { kind: "invalid", values: {} };
        return verify(signed, key).then(function (good) {
          if (good === null) return { kind: "no_crypto", values: values };
          if (!good) return { kind: "invalid", values: {} };
          var now = Date.now() + (known.skew || 0);
          if (!(Date.parse(key.not_before) <= now && now < Date.parse(key.not_after))) {
            return { kind: "key_expired", values: values };
          }
          if (data.p !== provider) return { kind: "not_yours", values: values };
          if (data.e < utcDay(now)) {
            values.day = day(data.e);
            return { kind: "expired", values: values };
          }
          return redeemedHere(data.v).then(function (seen) {
            if (seen) {
              values.when = whenFormat.format(new Date(seen.at));
              return { kind: "already_here", values: values };
            }
            var limits = known.limits;
            if (!limits) return { kind: "no_limits", values: values };
            if (!limits.hours) return { kind: "not_allowed", values: values };
            if (data.a > limits.voucher_cents) {
              values.limit = money.format(limits.voucher_cents / 100);
              return { kind: "over_voucher", values: values };
            }
            if (now - known.contact > limits.hours * 3600000) {
              values.hours = String(limits.hours);
              return { kind: "over_hours", values: values };
            }
            return waitingCents().then(function (waiting) {
              if (waiting + data.a > limits.waiting_cents) {
                values.waiting = money.format(waiting / 100);
                values.limit = money.format(limits.waiting_cents / 100);
                return { kind: "over_waiting", values: values };
              }
              return { kind: "valid", values: values, accept: { text: text, data: data, now: now } };
            });
          });
        });
      });
    }

    function accept(found) {
      return device().then(function (id) {
        var data = found.data;
        var item = { key: newKey(), provider: provider, code: data.v, qr: found.text,
                     accepted_at: new Date(found.now).toISOString(), device: id,
                     amount: data.a, status: "waiting" };
        var seen = { id: provider + "|" + normal(data.v), provider: provider, code: data.v,
                     at: found.now, expires: data.e, offline: true };
        return acceptWrite(item, seen);
      });
    }

    // -- answering ----------------------------------------------------------------------------
    function show(result) {
      var template = document.querySelector("template[data-offline-verdict=\"" + result.kind + "\"]");
      if (!template || !answerBox) return;
      var part = template.content.cloneNode(true);
      part.querySelectorAll("[data-fill-text]").forEach(function (el) {
        var missing = false;
        var text = el.textContent.replace(/\{(\w+)\}/g, function (_, name) {
          var value = result.values[name];
          if (value === undefined || value === null || value === "") { missing = true; return ""; }
          return value;
        });
        if (missing) el.remove(); else el.textContent = text;
      });
      part.querySelectorAll("[data-needs]").forEach(function (el) {
        if (!result.values[el.dataset.needs]) el.remove();
      });
      var box = part.querySelector(".verdict");
      box.id = "verdict";
      document.querySelectorAll("[data-online-only]").forEach(function (el) { el.hidden = true; });
      document.dispatchEvent(new CustomEvent("wecare:answered"));  // the camera lets go
      answerBox.replaceChildren(part);
      box.focus();
    }

    function answer(text) {
      return check(text).then(function (result) {
        if (!result.accept) return result;
        return accept(result.accept).then(function () { return result; });
      }).then(function (result) {
        show(result);
        return showQueue();
      }).then(function () {
        if (navigator.onLine) drain();
      });
    }

    // With no network the form is answered here; with one it goes to the server as ever.
    document.addEventListener("submit", function (event) {
      var target = event.target;
      if (target !== form || navigator.onLine) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      answer(form.querySelector("[name=code]").value);
    }, true);

    // the service worker found the network gone under a form sent: the code it carried
    if (location.hash.indexOf("#check=") === 0) {
      var carried = decodeURIComponent(location.hash.slice(7));
      history.replaceState(null, "", location.pathname + location.search);
      if (carried) answer(carried);
    }

    // an answer the server gave: this phone redeemed it
    var online = document.querySelector("#verdict[data-verdict=redeemed][data-code]");
    if (online) {
      var code = online.dataset.code;
      put("redeemed", { id: provider + "|" + normal(code), provider: provider, code: code,
                        at: Date.now(), offline: false }).catch(function () {});
    }

    // -- what waits ----------------------------------------------------------------------------
    function showQueue() {
      return all("queue").then(function (items) {
        var mine = items.filter(function (i) { return i.provider === provider; });
        var waiting = mine.filter(function (i) { return i.status === "waiting"; });
        var refused = mine.filter(function (i) { return i.status === "refused"; });
        if (waiting.length) {
          queueLine.textContent = (waiting.length === 1 ? queueLine.dataset.one
            : queueLine.dataset.many.replace("{n}", String(waiting.length)))
            + (signInNeeded ? " " + queueLine.dataset.signin : "");
          queueLine.dataset.waiting = String(waiting.length);
          queueLine.hidden = false;
        } else if (sentSome) {
          queueLine.textContent = queueLine.dataset.sent;
          queueLine.dataset.waiting = "0";
          queueLine.hidden = false;
        } else {
          queueLine.hidden = true;
          queueLine.dataset.waiting = "0";
        }
        refusedList.replaceChildren();
        refused.forEach(function (item) {
          var li = document.createElement("li");
          var code = document.createElement("span");
          code.className = "code";
          code.textContent = item.code;
          li.append(code, " — " + money.format(item.amount / 100) + ": " + (item.message || ""));
          refusedList.append(li);
        });
        refusedBox.hidden = !refused.length;
      }).catch(function () {});
    }

    function sendOne(item) {
      return fetch(SEND_URL, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ key: item.key, qr: item.qr, accepted_at: item.accepted_at, device: item.device })
      }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          signInNeeded = true;
          return "stop";
        }
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) return "stop";  // e.g. a form grown stale
        return response.json().then(function (result) {
          if (result.outcome === "recorded") {
            sentSome = true;
            return remove("queue", item.key).then(function () { return "next"; });
          }
          // not paid (again): kept to be read, with why, until the provider has read it
          if (result.outcome === "refused" || result.outcome === "already") {
            item.status = "refused";
            item.refusal = result.code || "";
            item.message = result.message || "";
            return put("queue", item).then(function () { return "next"; });
          }
          return "stop";  // not known yet: the same key again later
        });
      }, function () { return "stop"; });  // no network after all
    }

    function drain() {
      if (draining) return draining;
      draining = refresh().then(function () {
        return all("queue");
      }).then(function (items) {
        var waiting = items.filter(function (i) { return i.provider === provider && i.status === "waiting"; })
          .sort(function (a, b) { return a.accepted_at < b.accepted_at ? -1 : 1; });
        var chain = Promise.resolve("next");
        waiting.forEach(function (item) {
          chain = chain.then(function (last) { return last === "next" ? sendOne(item) : last; });
        });
        return chain;
      }).catch(function () {}).then(function () {
        draining = null;
        return showQueue();
      });
      return draining;
    }

    function forgetOld() {
      var before = Date.now() - KEEP_REDEEMED_DAYS * 86400000;
      return all("redeemed").then(function (seen) {
        return Promise.all(seen.filter(function (s) { return s.at < before; })
          .map(function (s) { return remove("redeemed", s.id); }));
      }).catch(function () {});
    }

    // signing out leaves what waits on this phone, for this provider's next sign-in here
    document.querySelectorAll("form[action='/sign-out']").forEach(function (signOut) {
      signOut.addEventListener("submit", function (event) {
        if (queueLine.dataset.waiting && queueLine.dataset.waiting !== "0"
            && !window.confirm(queueLine.dataset.leaving)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      });
    });

    if (refusedBox) {
      root.querySelector("[data-offline-dismiss]").addEventListener("click", function () {
        all("queue").then(function (items) {
          return Promise.all(items.filter(function (i) { return i.provider === provider && i.status === "refused"; })
            .map(function (i) { return remove("queue", i.key); }));
        }).then(showQueue);
      });
    }

    // the redeem page, kept by the service worker for when there is no network
    if (location.pathname !== "/provider/redeem" && navigator.serviceWorker && navigator.onLine) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ keep: "/provider/redeem" });
      }).catch(function () {});
    }

    function connection() {
      if (banner) banner.hidden = navigator.onLine;
      if (navigator.onLine) drain();
    }
    window.addEventListener("online", connection);
    window.addEventListener("offline", connection);
    connection();
    showQueue();
    forgetOld();
    setInterval(function () {
      if (!navigator.onLine || document.hidden) return;
      if (queueLine.dataset.waiting && queueLine.dataset.waiting !== "0") drain();
    }, RETRY_MS);
    setInterval(function () { if (navigator.onLine && !document.hidden) refresh(); }, REFRESH_MS);
  });
})();
