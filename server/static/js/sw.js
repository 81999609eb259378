// The app's one service worker, served at /sw.js so that its scope is the whole site.
//
// - The shell (CSS, page scripts, icons, the offline page) is cached at install and served from
//   the cache. The server puts SW_CONFIG above this file, with a version made from the shell's
//   contents: any change to the shell changes this file, so the browser installs the new worker,
//   which fills new caches and deletes the old ones.
// - The pages a seller needs on the road (the inbox /home, the actions list and agenda, the lead
//   pages they opened) are fetched from the network first and kept, so that they still open when
//   the network is gone. Nothing else is kept: no API answer, no POST, no other page.
// - Those pages are the signed-in user's: signing out (or landing on the sign-in page, when a
//   session ended) deletes them, so that the next person on the phone never sees them.
// - It also shows lead notifications (Android's Chrome shows them from a service worker only).

/* global SW_CONFIG */
const { version: VERSION, shell: SHELL, offline: OFFLINE_URL } = SW_CONFIG;
const SHELL_CACHE = `eseller-shell-${VERSION}`;
const PAGES_CACHE = `eseller-pages-${VERSION}`;
const OURS = /^eseller-(shell|pages)-/;
const PAGES = [/^\/home$/, /^\/actions$/, /^\/actions\/agenda$/, /^\/leads\/\d+$/];
// A network that answers nothing (a weak signal) falls back to the kept page after this long.
const NETWORK_TIMEOUT_MS = 10000;
// A seller's day: the inbox, the actions and the last lead pages opened (a few MB at most).
const MAX_KEPT_PAGES = 60;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // Fetched anew (not from the HTTP cache), so that the cache matches this version.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => OURS.test(name) && name !== SHELL_CACHE && name !== PAGES_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function forgetPages() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith("eseller-pages-")).map((name) => caches.delete(name)));
}

self.addEventListener("message", (event) => {
  if (event.data?.type === "forget-pages") event.waitUntil(forgetPages());
});

const isPage = (url) => PAGES.some((pattern) => pattern.test(url.pathname));

// Settles as `promise` does, or rejects with `timedOut` set when the network takes too long.
function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("network timeout"), { timedOut: true })), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

async function offlinePage() {
  return (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE }))
    || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

// Kept: a 200 HTML page that is what was asked for (a redirect to the sign-in page is not).
const keepable = (response) => response.ok && !response.redirected && response.type === "basic"
  && (response.headers.get("Content-Type") || "").startsWith("text/html")
  && !/no-store/.test(response.headers.get("Cache-Control") || "");

async function remember(url, response) {
  if (!keepable(response)) {
    // Gone or no longer this user's (closed, handed to a colleague): not to be shown offline either.
    if ([403, 404, 410].includes(response.status)) await (await caches.open(PAGES_CACHE)).delete(url.href);
    return;
  }
  const copy = response.clone(); // before the page starts reading the body (no await above this)
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(url.href, copy);
  // The most recently opened pages only: a put moves a page to the end of the keys.
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_KEPT_PAGES)).map((key) => cache.delete(key)));
}

async function keptCopy(url) {
  const cache = await caches.open(PAGES_CACHE);
  return (await cache.match(url.href)) || cache.match(url.href, { ignoreSearch: true });
}

// Network first; the kept copy when the network fails, is too slow, or the server is down.
async function page(event) {
  const { request } = event;
  const url = new URL(request.url);
  const network = fetch(request);
  event.waitUntil(network.then((response) => remember(url, response)).catch(() => {}));
  try {
    const response = await withTimeout(network, NETWORK_TIMEOUT_MS);
    return response.status >= 500 ? (await keptCopy(url)) || response : response;
  } catch (error) {
    const kept = await keptCopy(url);
    if (kept) return kept;
    if (error.timedOut) {
      try {
        return await network; // nothing kept: a slow answer is better than none
      } catch {
        // fall through to the offline answer
      }
    }
    return request.mode === "navigate" ? offlinePage() : Response.error();
  }
}

async function other(event) {
  const { request } = event;
  try {
    const response = await fetch(request);
    if (request.mode === "navigate" && new URL(response.url).pathname === "/login") event.waitUntil(forgetPages());
    return response;
  } catch {
    return offlinePage();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Never answered from a cache; signing out only makes us drop the kept pages.
    if (url.pathname === "/logout") event.waitUntil(forgetPages());
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  // The lead pane of a wide screen fetches lead pages as HTML: kept like the page itself.
  const wantsHtml = request.mode === "navigate" || (request.headers.get("Accept") || "").includes("text/html")
    || request.destination === "document";
  if (isPage(url) && wantsHtml) {
    event.respondWith(page(event));
  } else if (request.mode === "navigate") {
    event.respondWith(other(event));
  }
  // Anything else (API, Socket.IO, cards, feeds...) goes to the network untouched.
});

// A tap on a notification brings back the inbox tab, or opens the lead.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/home", self.location.origin).href;
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const tab = tabs.find((client) => new URL(client.url).pathname === "/home") || tabs[0];
    if (tab) return tab.focus();
    return self.clients.openWindow(target);
  })());
});
