// The lab's service worker: after one visit the lab loads, trains and shows
// its example runs with no network. The bundler (serve/internal/bundle)
// writes VERSION, a hash of every file of the app, and PRECACHE, their
// names; a new deploy changes VERSION, hence this file, and the browser
// installs the new worker, which caches the new files and drops the old.
//
// Files with content-hashed names never change, so they come from the
// cache. The page itself and asset-manifest.json keep their names: they
// come from the network while it answers (a new deploy shows at once) and
// from the cache when it does not, within a few seconds on a network that
// hangs rather than fails. The class board's API (/api/) is never cached:
// the page queues a post made offline and sends it when the network
// returns.
"use strict";
const VERSION = "COPSD_VERSION";
const PRECACHE = ["COPSD_PRECACHE"];
const CACHE = "copsd-" + VERSION;
const NETWORK_WAIT_MS = 4000;

const scope = new URL(self.registration.scope);
const fresh = new Set([scope.pathname, scope.pathname + "index.html", scope.pathname + "asset-manifest.json"]);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // A content-hashed file in the HTTP cache is the file itself (the page
    // has just fetched most of them); the others are asked of the server.
    const unhashed = (name) => name === "./" || name === "asset-manifest.json";
    await cache.addAll(PRECACHE.map((name) => new Request(name, { cache: unhashed(name) ? "no-cache" : "default" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("copsd-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname) ||
      url.pathname.startsWith(scope.pathname + "api/") || url.pathname === scope.pathname + "healthz") {
    return; // the network's, as without a service worker
  }
  if (req.mode === "navigate" || fresh.has(url.pathname)) {
    event.respondWith(networkFirst(req, req.mode === "navigate" ? scope.href : req));
  } else {
    event.respondWith(cacheFirst(req));
  }
});

async function cacheFirst(req) {
  const hit = await caches.match(req, { cacheName: CACHE, ignoreSearch: true });
  return hit || fetch(req);
}

// networkFirst answers from the network, or, when it fails or is slower than
// NETWORK_WAIT_MS, with the cached copy of key.
async function networkFirst(req, key) {
  const cached = () => caches.match(key, { cacheName: CACHE, ignoreSearch: true });
  const net = fetch(req);
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS));
  try {
    const res = await Promise.race([net, timeout]);
    if (res) return res;
    const hit = await cached();
    return hit || net; // nothing cached: keep waiting for the network
  } catch (err) {
    const hit = await cached();
    if (hit) return hit;
    throw err;
  }
}
