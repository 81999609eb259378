// What a seller does from a card: acknowledge, call, and say how the call went (BX5: the first
// logged call is the lead's first contact). One listener on the list serves every card, the ones
// of the first page and the ones inserted live.
//
// Both go through the offline queue: a call logged in a car park without network is kept on the
// phone and sent when the network returns, with the key it got when it was made.

import { leadUrl, note, serverNow, text, zonedInputValue, zonedToISO } from "./inbox-util.js";
import { OutboxError, sendOrQueue } from "./outbox.js";

const QUARTER = 15 * 60 * 1000;

function showError(card, message) {
  const error = card.querySelector("[data-card-error]");
  if (error) {
    error.textContent = message;
    error.hidden = !message;
  } else if (message) {
    note(message, "error");
  }
}

const queuedText = (card) => card.closest("[data-text-queued]")?.dataset.textQueued || "";
const customerName = (card) => card.querySelector(".card-name")?.textContent.trim() || "";
const label = (card, what) => [what, customerName(card)].filter(Boolean).join(" — ");

// The server's reason for refusing, else a generic failure (the change was not kept).
function refusal(error) {
  if (error instanceof OutboxError) return error.error?.message || text("failed");
  return text("failed");
}

function toggleOutcome(card, open) {
  const form = card.querySelector("[data-outcome]");
  if (!form) return;
  form.hidden = !open;
  card.querySelector("[data-log-call]")?.setAttribute("aria-expanded", String(open));
  if (!open) showError(card, "");
}

function toggleCallBack(card, open) {
  const box = card.querySelector("[data-call-back]");
  const input = box?.querySelector("input");
  if (!box || !input) return;
  box.hidden = !open;
  card.querySelector("[data-call-back-toggle]")?.setAttribute("aria-expanded", String(open));
  if (open) {
    // A sensible default: two hours from now on the quarter, in the dealership's time.
    const now = serverNow();
    input.min = zonedInputValue(now);
    if (!input.value) input.value = zonedInputValue(Math.ceil((now + 2 * 3600 * 1000) / QUARTER) * QUARTER);
    input.focus();
  }
}

async function acknowledge(card, button, { onChange }) {
  button.disabled = true;
  try {
    const result = await sendOrQueue({ url: leadUrl(card.dataset.leadId, "ack"), body: {},
      label: label(card, button.textContent.trim()) });
    button.remove();
    card.classList.remove("unacked");
    card.querySelector(".new-badge")?.remove();
    if (result.status === "queued") {
      card.dataset.pending = "";
      note(queuedText(card) || text("acknowledged"), "queued");
      if (result.signedOut) window.location.reload(); // to the sign-in page; the change waits for it
    } else {
      note(text("acknowledged"));
      onChange(card.dataset.leadId);
    }
  } catch (error) {
    button.disabled = false;
    showError(card, refusal(error));
  }
}

async function logCall(card, form, submitter, { onChange }) {
  const outcome = submitter?.value;
  if (!outcome) return;
  const body = { outcome };
  if (outcome === "call_back") {
    body.call_back_at = zonedToISO(form.elements.call_back_at.value);
    if (!body.call_back_at) {
      showError(card, text("pick_time"));
      form.elements.call_back_at.focus();
      return;
    }
  }
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const result = await sendOrQueue({ url: leadUrl(card.dataset.leadId, "calls"), body,
      label: label(card, submitter.textContent.trim()) });
    toggleCallBack(card, false);
    toggleOutcome(card, false);
    form.reset();
    if (result.status === "queued") {
      card.dataset.pending = "";
      note(queuedText(card), "queued");
      if (result.signedOut) window.location.reload();
    } else {
      note(text(outcome === "call_back" ? "call_back_planned" : "call_logged"));
      onChange(card.dataset.leadId);
    }
  } catch (error) {
    showError(card, error.error?.fields?.call_back_at?.[0] || refusal(error));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** Wire the seller's card actions on `list`; onChange(id) after a change the server accepted. */
export function sellerActions(list, { onChange = () => {} } = {}) {
  list.addEventListener("click", (event) => {
    const card = event.target.closest("[data-lead-id]");
    if (!card) return;
    const ack = event.target.closest("[data-ack]");
    if (ack) {
      acknowledge(card, ack, { onChange });
    } else if (event.target.closest("[data-call]")) {
      // The dialer opens; when the seller comes back, the outcome picker is already there.
      toggleOutcome(card, true);
    } else if (event.target.closest("[data-log-call]")) {
      toggleOutcome(card, card.querySelector("[data-outcome]")?.hidden ?? false);
    } else if (event.target.closest("[data-call-back-toggle]")) {
      toggleCallBack(card, card.querySelector("[data-call-back]")?.hidden ?? false);
    }
  });
  list.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-outcome]");
    if (!form) return;
    event.preventDefault();
    logCall(form.closest("[data-lead-id]"), form, event.submitter, { onChange });
  });
}
