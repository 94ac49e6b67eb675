/* WeCare's service worker: the vouchers a person opened stay readable with no
   network (a voucher's QR shows at the counter even in a basement); static
   files come from the cache; any other page falls back to an offline notice. */
"use strict";
var PAGES = "wecare-pages";
var STATIC = "wecare-static-v1";
var KEPT = /^\/vouchers(\/[^/]+)?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(PAGES).then(function (cache) { return cache.add("/offline"); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== PAGES && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;

  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
      });
    }));
    return;
  }

  if (request.mode !== "navigate") return;
  if (KEPT.test(url.pathname)) {
    // network first; what came last is kept for when there is no network
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(url.pathname, { ignoreVary: true, ignoreSearch: true }).then(function (hit) {
          return hit || cache.match("/offline", { ignoreVary: true });
        });
      });
    }));
    return;
  }
  event.respondWith(fetch(request).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match("/offline", { ignoreVary: true });
    });
  }));
});
