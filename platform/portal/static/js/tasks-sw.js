// Service worker of the task pages: keeps the report form and its assets so that a grid
// worker can open it and type a report with no network (tasks-report.js keeps the draft).
// Network first, so a page is never older than the last one seen online.
"use strict";
var CACHE = "gridgov-tasks-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  var scoped = url.pathname.indexOf(self.registration.scope.replace(self.location.origin, "")) === 0;
  var asset = url.pathname.indexOf("/static/") === 0;
  if (url.origin !== self.location.origin || !(scoped || asset)) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request);
    })
  );
});
