// The inbox's service worker: it exists only so that phones can show lead notifications (Android's
// Chrome allows them from a service worker alone). No cache, no fetch handler: pages always come
// from the server.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
