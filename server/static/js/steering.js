// The steering dashboard, live (MG2). The server renders every figure; this script keeps them
// current without a reload.
//
// An event only says that something changed: the figures are asked again from the server (the
// database is the truth, a payload is not), once per burst of events. Time alone also moves deals
// behind (a deadline passes with no event), so the figures are read again every minute as well.

import { el } from "./dom.js";
import { connectLive } from "./inbox-live.js";
import { config, request } from "./inbox-util.js";

const DEBOUNCE_MS = 500;
const RESYNC_MS = 60_000;

const banner = document.querySelector("[data-conn-banner]");
const updated = document.querySelector("[data-updated]");
const sellers = document.querySelector("[data-sellers]");
const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: config.timezone,
});

let timer = null;
let running = null;
let again = false;

function showBanner(shown) {
  banner.hidden = !shown;
  document.body.classList.toggle("offline", shown);
}

function setCount(node, value) {
  const text = String(value);
  if (node.textContent === text) return;
  node.textContent = text;
  // Restart the highlight even when the figure changed a moment ago.
  node.classList.remove("changed");
  void node.offsetWidth;
  node.classList.add("changed");
}

function drillUrl(category, sellerId) {
  const url = new URL(config.urls.drill[category], window.location.href);
  url.searchParams.set("seller", sellerId);
  return url.pathname + url.search;
}

function sellerRow(row) {
  const cells = config.columns.map((key) => {
    const value = row.counts[key];
    const content = row.filterable && row.seller && value ? el("a", { href: drillUrl(key, row.seller.id) }, value) : String(value);
    return el("td", { class: "num" }, content);
  });
  return el("tr", {}, el("th", { scope: "row" }, row.seller ? row.seller.name : config.texts.nobody), cells);
}

function render(data) {
  for (const node of document.querySelectorAll("[data-count]")) {
    const value = data.totals[node.dataset.count];
    if (value !== undefined) setCount(node, value);
  }
  const empty = () => el("tr", {}, el("td", { colspan: config.columns.length + 1, class: "empty" }, config.texts.empty));
  sellers?.replaceChildren(...(data.by_seller.length ? data.by_seller.map(sellerRow) : [empty()]));
  updated.dateTime = data.now;
  updated.textContent = timeFormat.format(new Date(data.now));
}

/** Read the figures now; a call while one is on its way asks for one more read after it. */
async function refresh() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      render(await request("GET", config.urls.counters));
    } while (again);
  })().finally(() => { running = null; });
  return running;
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch((error) => console.error("steering:", error)), DEBOUNCE_MS);
}

connectLive({
  banner: showBanner,
  apply: soon,
  // After every (re)connection: whatever happened while away is in the figures read now.
  onSynced: async () => {
    await refresh();
    document.body.classList.add("live");
  },
});
setInterval(soon, RESYNC_MS);
