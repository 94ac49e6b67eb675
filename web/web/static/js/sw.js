/* WeCare's service worker: the vouchers a person opened stay readable with no
   network (a voucher's QR shows at the counter even in a basement), and so does the
   provider's redeem page (it checks signed vouchers itself with no network:
   static/js/offline.js, docs/offline.md); static files come from the cache; any other
   page falls back to an offline notice.
   A shared phone forgets: the kept pages belong to the session they were opened in
   (each page says which in X-WeCare-Session: a digest of the session and when it
   ends), and are dropped when that session ends for any reason: signing out or in
   (as anyone), a page that comes back for another session or none (expired, ended
   elsewhere), or, with no network, the session's end passing or its cookie gone. */
"use strict";
var PAGES = "wecare-pages";
var STATIC = "wecare-static-v2";
var KEPT = /^\/(vouchers(\/[^/]+)?|provider\/redeem)$/;
// the redeem form: sent with no network after all, its code goes back to the kept page
var REDEEM = "/provider/redeem";
// where a provider's phone may open with no network: the app's start and the provider's home
var COUNTER = /^\/(provider)?$/;
var FORGET = /^\/(sign-(in|out)|password\/new)$/;
var SESSION = "X-WeCare-Session";
var SESSION_COOKIE = "wecare_session";
// the styles and scripts every page uses, by their plain address: what an offline page
// falls back to when the exact fingerprinted version is not in the cache
var CORE = ["/static/css/wecare.css", "/static/js/app.js", "/static/vendor/htmx/htmx.min.js",
            "/static/img/icons.svg", "/static/img/logo.svg",
            // the redeem page's, so that it works offline even if never loaded through here
            "/static/js/offline.js", "/static/js/scanner.js", "/static/vendor/jsqr/jsQR.js"];

function anonymous(path) { return new Request(path, { credentials: "omit" }); }

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([
    // the offline notice as anyone sees it: no one's name or menu in it
    caches.open(PAGES).then(function (cache) { return cache.add(anonymous("/offline")); }),
    caches.open(STATIC).then(function (cache) {
      return Promise.all(CORE.map(function (path) {
        return cache.add(anonymous(path)).catch(function () {});
      }));
    })
  ]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== PAGES && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); })
    .then(keepOpenVouchers));
});

// A voucher page opened before this worker took over is kept all the same.
function keepOpenVouchers() {
  return self.clients.matchAll({ type: "window" }).then(function (windows) {
    return Promise.all(windows.map(function (client) {
      var url = new URL(client.url);
      return KEPT.test(url.pathname) ? keep(url.pathname) : null;
    }));
  });
}

function keep(path, response) {
  var got = response ? Promise.resolve(response)
    : fetch(path, { credentials: "same-origin", redirect: "manual" });
  return got.then(function (answer) {
    // a page of a session only: it is dropped when that session ends
    if (!answer.ok || answer.type !== "basic" || !answer.headers.get(SESSION)) return;
    return caches.open(PAGES).then(function (cache) { return cache.put(path, answer); });
  }).catch(function () {});
}

// The kept pages of any session but `current` ("" or undefined: of every session).
function forget(current) {
  return caches.open(PAGES).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        if (!KEPT.test(new URL(request.url).pathname)) return null;
        if (!current) return cache.delete(request);
        return cache.match(request).then(function (kept) {
          return kept && kept.headers.get(SESSION) === current ? null : cache.delete(request);
        });
      }));
    }).then(function () {
      return cache.match("/offline").then(function (hit) {
        return hit || cache.add(anonymous("/offline")).catch(function () {});
      });
    });
  });
}

self.addEventListener("message", function (event) {
  if (event.data === "forget") event.waitUntil(forget());
  // a provider's page asks for the redeem page to be kept, so that it opens with no
  // network even if the provider has not opened it since signing in
  else if (event.data && event.data.keep === REDEEM) event.waitUntil(keep(REDEEM));
});

// A kept page may be shown only while its session lasts: its end not passed, and (where
// the browser lets a worker read cookies) the session's cookie still the same one.
function stillHeld(kept) {
  var session = kept.headers.get(SESSION) || "";
  var until = parseInt(session.split(".")[1] || "0", 10);
  if (!session || !(until * 1000 > Date.now())) return Promise.resolve(false);
  if (!self.cookieStore) return Promise.resolve(true);
  return self.cookieStore.get(SESSION_COOKIE).then(function (cookie) {
    return !!cookie && cookie.value === session;
  }, function () { return true; });
}

function keptPage(path) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(path, { ignoreVary: true, ignoreSearch: true });
  }).then(function (kept) {
    if (!kept) return null;
    return stillHeld(kept).then(function (held) {
      if (held) return kept;
      return forget().then(function () { return null; });
    });
  });
}

// Every page that comes back says whose session the browser now holds.
function heard(response) {
  if (response.type === "basic" && response.headers.has(SESSION)) {
    return forget(response.headers.get(SESSION));
  }
  return Promise.resolve();
}

function offline() {
  return caches.open(PAGES).then(function (cache) {
    return cache.match("/offline", { ignoreVary: true });
  }).then(function (hit) {
    return hit || new Response("Sei offline. · You are offline.", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.method === "POST" && FORGET.test(url.pathname)) {
    event.waitUntil(forget());  // the request itself goes on untouched
    return;
  }
  if (request.method === "POST" && url.pathname === REDEEM && request.mode === "navigate") {
    // the phone thought it had a network and had none: the kept page checks the code
    var sent = request.clone();
    event.respondWith(fetch(request).catch(function () {
      return sent.formData().then(function (form) {
        var code = String(form.get("code") || "");
        return Response.redirect(REDEEM + "#check=" + encodeURIComponent(code), 303);
      }).catch(offline);
    }));
    return;
  }
  if (request.method !== "GET") return;

  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        }).catch(function () {
          return cache.match(url.pathname, { ignoreSearch: true, ignoreVary: true });
        });
      });
    }));
    return;
  }

  if (request.mode !== "navigate") return;
  if (KEPT.test(url.pathname)) {
    // network first; what came last is kept for when there is no network
    event.respondWith(fetch(request).then(function (response) {
      var kept = heard(response);
      if (response.ok && response.type === "basic" && !response.redirected) {
        // "?new=1" and the like add a one-off notice: keep the plain page instead
        var copy = url.search ? null : response.clone();  // now: the page reads the body
        kept = kept.then(function () {
          return copy ? keep(url.pathname, copy) : keep(url.pathname);
        });
      }
      event.waitUntil(kept);
      return response;
    }).catch(function () {
      return keptPage(url.pathname).then(function (hit) { return hit || offline(); });
    }));
    return;
  }
  event.respondWith(fetch(request).then(function (response) {
    event.waitUntil(heard(response));
    return response;
  }).catch(function () {
    // the installed app opened at the counter with no network: a provider's phone (one
    // that keeps the redeem page of the session it holds) opens on the redeem page
    if (!COUNTER.test(url.pathname)) return offline();
    return keptPage(REDEEM).then(function (hit) { return hit || offline(); });
  }));
});
