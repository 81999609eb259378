// The realtime inbox on the seller's and the cell's home page (SM1, SD1, CE1, CE5).
//
// The page works without this script: the server renders the list with links. With it, leads
// arrive, change and leave live (Socket.IO), each card's clock ticks, and the seller acts from the
// card (acknowledge, call, log the outcome), the cell hands leads to sellers.

import { cardList, flash, isOpenFor, reveal, seenReporter } from "./inbox-cards.js";
import { sellerActions } from "./inbox-actions.js";
import { chime, notify, setupAlerts } from "./inbox-alert.js";
import { startClocks } from "./inbox-clock.js";
import { connectLive } from "./inbox-live.js";
import { leadPane } from "./inbox-pane.js";
import { onSynced } from "./outbox.js";
import { transferPanel } from "./inbox-transfer.js";
import { config, el, note, request, text } from "./inbox-util.js";

// The cell hears lead.created but not lead.assigned (its audience is the seller and the managers),
// so a new lead is read again once the routing job has had time to place it, and the whole list
// now and then: events are hints, the database is the truth.
const ROUTING_GRACE_MS = 4000;
const RESYNC_MS = 30000;

const root = document.querySelector("main");
const banner = document.querySelector("[data-conn-banner]");
const tickClocks = startClocks(root);

function showBanner(shown) {
  banner.hidden = !shown;
  document.body.classList.toggle("offline", shown);
  document.body.classList.add("live");
}

const customer = (lead) => [lead.customer?.first_name, lead.customer?.last_name].filter(Boolean).join(" ");
const summary = (lead) => [customer(lead), lead.vehicle_label || lead.kind].filter(Boolean).join(" — ");

// A used car matching one of the seller's saved searches entered stock (by any path): it goes on
// top of the alerts panel, with a chime and a notification, like a new lead.
function showVoAlert(event) {
  const panel = root.querySelector("[data-vo-alerts]");
  const list = panel?.querySelector("[data-vo-alert-list]");
  const vehicle = event.vehicle || {};
  const label = [vehicle.label, vehicle.year, vehicle.mileage_km != null ? `${vehicle.mileage_km} km` : null]
    .filter(Boolean).join(" · ");
  if (list) {
    const link = el("a", { href: vehicle.id ? `/stock/${vehicle.id}` : "/notifications" }, label);
    list.prepend(el("li", { class: "vo-alert fresh" }, link, " ", el("a", { class: "small", href: `/leads/${event.lead.id}` },
      text("vo_alert_for", { name: customer(event.lead) }))));
    panel.hidden = false;
  }
  chime();
  notify(text("vo_alert"), [label, customer(event.lead)].filter(Boolean).join(" — "), { tag: `vo-${vehicle.id}`, url: vehicle.id ? `/stock/${vehicle.id}` : "/notifications" });
}

function seller() {
  const seen = seenReporter();
  let changed = () => {};
  const pane = leadPane(root, { text: text("open_full_page"), onChange: (id) => changed(id) });
  const cards = cardList(root, {
    onCard(card, { inserted }) {
      reveal(card);
      seen(card);
      if (inserted) flash(card);
    },
    onRemove: (id) => pane?.closed(id),
  });
  tickClocks();
  // After an acknowledgement or a call, show the card (and the open lead) as the server has them,
  // even before the lead.updated event comes back (or when the socket is down).
  changed = (id) => cards.refresh(id).then(() => pane?.refresh(id)).catch(() => {});
  sellerActions(cards.list, { onChange: changed });
  // Changes made offline reached the server: show their leads as the server has them now.
  onSynced((ops) => {
    const ids = new Set(ops.map((op) => /\/leads\/(\d+)(?:\/|$)/.exec(op.url)?.[1]).filter(Boolean));
    for (const id of ids) if (cards.has(id) || pane?.isOpen(id)) changed(id);
  });
  setupAlerts(root);
  pane?.openFirst();

  connectLive({
    banner: showBanner,
    async apply(event) {
      const lead = event.lead;
      if (!lead?.id) return;
      if (event.type === "alert") {
        showVoAlert(event);
        return;
      }
      const id = String(lead.id);
      const known = cards.has(id);
      // The payload says where the lead went; the server has the last word. A card on screen is
      // re-read (gone to someone else or closed: the server answers 204 and it leaves), so a late
      // or stray event can never take a lead off the screen by itself.
      if (!known && !isOpenFor(lead)) return;
      const card = await cards.refresh(id);
      if (!card) {
        if (known) note(text("removed")); // given to a colleague, or closed
        return;
      }
      tickClocks();
      if (!known && (event.type === "lead.assigned" || event.type === "lead.created")) {
        chime();
        notify(text("new_lead"), summary(lead), { tag: `lead-${id}`, url: `/leads/${id}` });
      } else if (event.type === "lead.escalated") {
        flash(card, "alarm");
        chime();
        notify(text("escalated"), summary(lead), { tag: `lead-${id}`, url: `/leads/${id}` });
      } else if (event.type === "action.due") {
        chime();
        notify(text("action_due"), summary(lead), { tag: `action-${id}`, url: `/leads/${id}` });
      }
      pane?.refresh(id);
    },
  });
}

function cell() {
  const panelElement = document.querySelector("[data-transfer-panel]");
  let transfer = null;
  const cards = cardList(root, {
    onCard(card, { inserted }) {
      reveal(card);
      if (inserted) flash(card);
    },
    onRemove: (id) => transfer?.leadGone(id),
  });
  transfer = panelElement ? transferPanel(panelElement, { onDone: (id) => cards.remove(id) }) : null;
  tickClocks();
  setupAlerts(root);

  async function resync() {
    const data = await request("GET", config.urls.waiting);
    const wanted = new Set(data.ids);
    for (const id of cards.ids()) if (!wanted.has(id)) cards.remove(id);
    for (const id of [...data.ids].reverse()) if (!cards.has(id)) await cards.refresh(id);
    tickClocks();
  }

  const rechecks = new Map();
  const recheckLater = (id) => {
    clearTimeout(rechecks.get(id));
    rechecks.set(id, setTimeout(() => {
      rechecks.delete(id);
      live.enqueue(() => cards.refresh(id));
    }, ROUTING_GRACE_MS));
  };

  const live = connectLive({
    banner: showBanner,
    onSynced: resync,
    async apply(event) {
      const lead = event.lead;
      if (!lead?.id) return;
      const id = String(lead.id);
      const known = cards.has(id);
      if (!known && (lead.status !== "new" || lead.assignee)) return; // not waiting, not on screen
      const card = await cards.refresh(id);
      tickClocks();
      if (card && !known) {
        chime();
        notify(text("new_lead"), summary(lead), { tag: `lead-${id}`, url: `/leads/${id}` });
      }
      if (card && event.type === "lead.created") recheckLater(id);
    },
  });
  setInterval(() => {
    if (document.visibilityState === "visible") live.enqueue(resync);
  }, RESYNC_MS);
}

if (config.mode === "seller") seller();
else if (config.mode === "cell") cell();
