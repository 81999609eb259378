// On every page: the service worker that makes the app installable and readable offline, and, for a
// signed-in user, the top bar's count of changes waiting for the network (outbox.js).

import { el } from "./dom.js";

const WORKER_URL = "/sw.js";

export async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register(WORKER_URL, { scope: "/" });
  } catch {
    return null; // a private window or an insecure origin: the app still works online
  }
}

// Signing out forgets the pages kept for offline use, before the next person takes the phone. The
// worker does it too when it sees the sign-out; this covers a page it does not control yet.
async function forgetPages() {
  if (!("caches" in window)) return;
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith("eseller-pages-")).map((name) => caches.delete(name)));
}

function guardSignOut() {
  for (const form of document.querySelectorAll("form[data-sign-out]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.cleared) return;
      event.preventDefault();
      forgetPages().catch(() => {}).finally(() => {
        form.dataset.cleared = "1";
        form.requestSubmit();
      });
    });
  }
}

// The server renders the words with a "%(count)s" slot for the browser to fill.
const SLOT = "%(count)s";
const fill = (template, count) => template.replaceAll(SLOT, String(count));

// The count stands out; on a narrow top bar the words around it are for screen readers only.
function showCount(badge, template, count) {
  badge.hidden = count === 0;
  if (!count) {
    badge.replaceChildren();
    return;
  }
  const at = template.indexOf(SLOT);
  const before = at < 0 ? "" : template.slice(0, at);
  const after = at < 0 ? ` ${template}` : template.slice(at + SLOT.length);
  badge.replaceChildren(el("span", { class: "outbox-words" }, before), el("strong", {}, String(count)),
    el("span", { class: "outbox-words" }, after));
}

async function outboxStatus(box) {
  const outbox = await import("./outbox.js");
  const badge = box.querySelector("[data-outbox-badge]");
  const refusedBox = box.querySelector("[data-outbox-refused]");
  const { text, refusedText, dismissText } = box.dataset;

  async function showRefused() {
    const items = await outbox.refused();
    refusedBox.hidden = items.length === 0;
    if (!items.length) {
      refusedBox.replaceChildren();
      return;
    }
    const dismiss = el("button", { type: "button", class: "link" }, dismissText);
    dismiss.addEventListener("click", () => outbox.dismissRefused());
    refusedBox.replaceChildren(
      el("p", {}, el("strong", {}, fill(refusedText, items.length))),
      el("ul", {}, items.map((item) => el("li", {}, item.label ? `${item.label} — ` : "", item.message))),
      dismiss,
    );
  }

  window.addEventListener("eseller:outbox", (event) => {
    const { pending = 0, refused = 0 } = event.detail || {};
    showCount(badge, text, pending);
    if (refused || !refusedBox.hidden) showRefused();
  });
  showCount(badge, text, await outbox.pendingCount());
  showRefused();
}

registerWorker();
guardSignOut();
const box = document.querySelector("[data-outbox]");
if (box) outboxStatus(box);
