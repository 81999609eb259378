// The lead page's forms (call, progress, note, owned vehicle, closing) go to the JSON API through
// the offline queue: on a phone without network, a note or a call report is kept and sent later,
// and the page says so instead of losing it. Without script the same forms post to the page.

import { el, statusLine as status } from "./dom.js";
import { OutboxError, sendOrQueue } from "./outbox.js";

const SKIP = new Set(["csrf_token", "next"]);

function formBody(form) {
  const body = {};
  for (const [key, value] of new FormData(form)) {
    if (SKIP.has(key)) continue;
    body[key] = typeof value === "string" ? value.trim() : value;
  }
  if (form.dataset.form === "call") {
    // The field is local time; the API wants an instant with its offset.
    if (body.outcome === "call_back" && body.call_back_at) body.call_back_at = new Date(body.call_back_at).toISOString();
    else delete body.call_back_at;
  }
  if (form.dataset.form === "close" && body.outcome !== "abandoned") delete body.reason;
  return body;
}

function showErrors(form, fields, message, texts) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    const messages = fields?.[slot.dataset.errorFor];
    slot.textContent = messages ? [].concat(messages).join(" ") : "";
    slot.hidden = !messages;
  }
  const shown = Object.keys(fields || {}).some((name) => form.querySelector(`[data-error-for="${name}"]`));
  status(form, shown ? "" : message || texts.failed, "error");
}

// Only the field that matters for the chosen outcome is shown (call-back time, abandonment reason).
function toggleDependent(form) {
  const chosen = form.querySelector("input[name=outcome]:checked")?.value;
  for (const block of form.querySelectorAll("[data-when-outcome]")) block.hidden = block.dataset.whenOutcome !== chosen;
}

function queuedEntry(root, text) {
  const timeline = root.querySelector("[data-timeline]");
  if (!timeline) return;
  timeline.querySelector(".empty")?.remove();
  timeline.prepend(el("li", { class: "entry-pending" }, el("span", { class: "badge" }, root.dataset.textPendingBadge || ""), el("span", {}, text)));
}

function describe(form, body) {
  const labels = { note: body.body, call: form.querySelector("input[name=outcome]:checked")?.parentElement.textContent.trim() };
  return labels[form.dataset.form] || form.querySelector("button[type=submit]")?.textContent.trim() || "";
}

async function submit(root, form, texts) {
  const button = form.querySelector("button[type=submit]");
  const body = formBody(form);
  button.disabled = true;
  status(form, texts.sending);
  try {
    const result = await sendOrQueue({ url: form.dataset.api, method: form.dataset.apiMethod || "POST", body, label: describe(form, body) });
    if (result.status === "queued") {
      queuedEntry(root, describe(form, body));
      form.reset();
      toggleDependent(form);
      status(form, texts.queued);
      return;
    }
    root.dispatchEvent(new CustomEvent("eseller:lead-changed", { bubbles: true, detail: { id: root.dataset.leadId } }));
    if (root === document.querySelector("[data-lead-page]") && !root.closest("[data-pane]")) window.location.reload();
  } catch (error) {
    if (error instanceof OutboxError) showErrors(form, error.error.fields, error.error.message, texts);
    else status(form, texts.failed, "error");
  } finally {
    button.disabled = false;
  }
}

/** Makes the lead forms under `container` (the page, or the inbox's side pane) use the API. */
export function bindLeadPage(container = document) {
  const root = container.matches?.("[data-lead-page]") ? container : container.querySelector("[data-lead-page]");
  if (!root || root.dataset.bound) return;
  root.dataset.bound = "1";
  const texts = {
    sending: root.dataset.textSending || "",
    queued: root.dataset.textQueued || "",
    failed: root.dataset.textFailed || "",
  };
  for (const form of root.querySelectorAll("form.lead-form[data-api]")) {
    toggleDependent(form);
    form.addEventListener("change", () => toggleDependent(form));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      submit(root, form, texts);
    });
  }
}

bindLeadPage(document);
