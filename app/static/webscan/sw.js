// The browser scanner's service worker: keeps the page, its code and the decoder available
// offline. The page and its files are fetched from the network when it answers (so an update
// arrives at once) and from this cache when it does not; the API is never cached: scans wait in
// the page's own journal (IndexedDB), not here.

const CACHE = "aanwezig-scan-v1";
const FILES = [
  "/scan/",
  "/scan/decoder-worker.js",
  "/scan/manifest.webmanifest",
  "/static/webscan/scan.js",
  "/static/webscan/journal.js",
  "/static/webscan/offline.js",
  "/static/webscan/scan.css",
  "/static/webscan/icon-192.png",
  "/static/webscan/icon-512.png",
  "/static/vendor/zxing-wasm/es/reader/index.js",
  "/static/vendor/zxing-wasm/es/share.js",
  "/static/vendor/zxing-wasm/reader/zxing_reader.wasm",
];
const KEPT = new Set(FILES);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !KEPT.has(url.pathname)) {
    return; // the network as usual (the API, the login, other pages)
  }
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request, { cache: "no-store" });
        // A redirect (to the login page) or an error is not the page: keep the cached one.
        if (response.ok && response.type === "basic" && !response.redirected) {
          await cache.put(url.pathname, response.clone());
        }
        return response;
      } catch {
        const cached = await cache.match(url.pathname);
        if (cached) return cached;
        throw new Error("offline and not cached");
      }
    })(),
  );
});
