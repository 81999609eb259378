// "Done" on the list of actions goes through the API, so that in a car park with no network the
// phone keeps it (outbox.js) and sends it when the connection is back, once. Without script the
// same form posts the page.

import { statusLine as say } from "./dom.js";
import { OutboxError, sendOrQueue } from "./outbox.js";

const list = document.querySelector("[data-actions]");

async function markDone(form) {
  const item = form.closest("li");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  say(item, list.dataset.textSending);
  try {
    const outcome = form.elements.outcome.value.trim();
    const result = await sendOrQueue({ url: form.dataset.api, body: { outcome }, label: form.dataset.label });
    const queued = result.status === "queued";
    item.classList.add(queued ? "action-pending" : "action-done");
    form.hidden = true;
    say(item, queued ? list.dataset.textQueued : list.dataset.textDone);
  } catch (error) {
    const problem = error instanceof OutboxError ? [].concat(error.error.fields?.outcome || error.message).join(" ") : "";
    say(item, problem || list.dataset.textFailed, "error");
    button.disabled = false;
  }
}

list?.addEventListener("submit", (event) => {
  const form = event.target.closest("form.done-form[data-api]");
  if (!form) return;
  event.preventDefault();
  if (form.reportValidity()) markDone(form);
});
