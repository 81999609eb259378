// The offline page: it lists the pages this device keeps for offline use (their titles, read from
// the kept copies) and goes back to where the person wanted to go as soon as the network returns.

import { el } from "./dom.js";

async function keptPages() {
  if (!("caches" in window)) return [];
  const names = (await caches.keys()).filter((name) => name.startsWith("eseller-pages-"));
  const pages = [];
  for (const name of names) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const html = response ? await response.text() : "";
      const title = (new DOMParser().parseFromString(html, "text/html").title || new URL(request.url).pathname)
        .replace(/ · eSeller$/, "");
      pages.push({ url: request.url, title });
    }
  }
  return pages.sort((a, b) => a.title.localeCompare(b.title));
}

async function showKept() {
  const pages = await keptPages();
  const box = document.querySelector("[data-offline-kept]");
  if (!box || !pages.length) return;
  box.querySelector("[data-offline-list]").replaceChildren(...pages.map(({ url, title }) => el("li", {}, el("a", { href: url }, title))));
  box.hidden = false;
}

// The browser's "online" is a hint (it also fires when a network comes up that reaches nothing):
// go back to the page only once the server answers, or a reload would cancel where the person
// was going meanwhile.
window.addEventListener("online", async () => {
  try {
    await fetch("/healthz", { cache: "no-store" });
  } catch {
    return;
  }
  document.querySelector("[data-offline-retry]").hidden = false;
  window.location.reload();
});

showKept().catch(() => {});
