// The list of cards: insert, update and remove a lead as the server renders it now.
//
// An event only says which lead changed. The card itself comes from /inbox/leads/<id>/card, the
// same template as the first page, so the browser never renders a lead differently, and never
// shows one the server would not (204: it has left this inbox).

import { cardUrl, config, request, leadUrl } from "./inbox-util.js";

export function cardList(root, { onCard = () => {}, onRemove = () => {} } = {}) {
  const list = root.querySelector("[data-list]");
  const empty = root.querySelector("[data-empty]");
  const counters = root.querySelectorAll("[data-count]");
  let total = Number(counters[0]?.textContent) || 0;

  const find = (id) => list.querySelector(`[data-lead-id="${CSS.escape(String(id))}"]`);
  const ids = () => [...list.querySelectorAll("[data-lead-id]")].map((card) => card.dataset.leadId);

  const recount = (delta) => {
    total = Math.max(0, total + delta);
    for (const counter of counters) counter.textContent = String(total);
    if (empty) empty.hidden = list.children.length > 0;
  };

  // Update a card in place, keeping an open call-outcome form as it is: the seller may be typing
  // in it when the lead.updated of their own acknowledgement comes back.
  const patch = (old, fresh) => {
    for (const name of old.getAttributeNames()) if (!fresh.hasAttribute(name)) old.removeAttribute(name);
    for (const name of fresh.getAttributeNames()) old.setAttribute(name, fresh.getAttribute(name));
    const keep = old.querySelector("[data-outcome]:not([hidden])");
    for (const child of [...old.children]) if (child !== keep) child.remove();
    const children = [...fresh.children].filter((child) => !(keep && child.matches("[data-outcome]")));
    if (keep) keep.before(...children);
    else old.append(...children);
    return old;
  };

  /** Fetch the card and put it in place (new ones on top); null when the lead left this inbox. */
  async function refresh(id) {
    const response = await fetch(cardUrl(id), { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.redirected) throw Object.assign(new Error("signed out"), { signedOut: true });
    if (response.status === 204 || response.status === 404) {
      remove(id);
      return null;
    }
    if (!response.ok) throw new Error(`card ${id}: ${response.status}`);
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim(); // our own autoescaped template, no script
    const fresh = template.content.firstElementChild;
    const old = find(id);
    const card = old ? patch(old, fresh) : fresh;
    if (!old) {
      list.prepend(card);
      recount(+1);
    }
    onCard(card, { inserted: !old });
    return card;
  }

  function remove(id) {
    const card = find(id);
    if (!card) return false;
    card.remove();
    recount(-1);
    onRemove(String(id));
    return true;
  }

  for (const card of list.querySelectorAll("[data-lead-id]")) onCard(card, { inserted: false, initial: true });
  return { list, find, ids, refresh, remove, has: (id) => Boolean(find(id)) };
}

/** Buttons that need the scripts stay hidden without them (the links and tel: work anyway). */
export function reveal(card) {
  for (const button of card.querySelectorAll("[data-ack], [data-log-call], [data-transfer]")) button.hidden = false;
}

/**
 * "On screen" (BX5): tell the server once per lead, when the page is actually visible, so that
 * a tab in the background does not count as the seller having seen the lead.
 */
export function seenReporter() {
  const reported = new Set();
  const waiting = new Set();
  const send = (id) => {
    reported.add(id);
    request("POST", leadUrl(id, "seen"), {}).catch(() => reported.delete(id));
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    for (const id of waiting) send(id);
    waiting.clear();
  });
  return (card) => {
    const id = card.dataset.leadId;
    if (!card.hasAttribute("data-unseen") || reported.has(id)) return;
    if (document.visibilityState === "visible") send(id);
    else waiting.add(id);
  };
}

/** A brief highlight, so that the eye finds what just arrived or changed. */
export function flash(card, kind = "fresh") {
  card.classList.remove(kind);
  void card.offsetWidth; // restart the animation when it is already running
  card.classList.add(kind);
  setTimeout(() => card.classList.remove(kind), 6000);
}

export const isOpenFor = (lead, userId = config.user_id) =>
  Boolean(lead?.assignee && String(lead.assignee.id) === String(userId) && ["new", "assigned", "in_progress"].includes(lead.status));
