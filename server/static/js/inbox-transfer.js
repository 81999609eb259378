// The hand transfer (CE5, MG1): the sellers of the lead's site (or another site) with who is on
// duty now, their open leads, leads today and capacity, from GET /api/v1/sellers; a reason is
// required; POST /api/v1/leads/<id>/assign tells the seller at once (the server emits lead.assigned).

import { config, el, leadUrl, note, request, text } from "./inbox-util.js";

function sellerChoice(seller, holderId) {
  const facts = [
    text("open_leads", { count: seller.open_leads }),
    text("today", { count: seller.leads_today }),
    text("capacity", { count: seller.capacity }),
  ].join(" · ");
  const holder = String(seller.id) === String(holderId);
  return el("label", { class: `choice seller-choice${seller.on_duty ? " on-duty" : " off-duty"}` },
    el("input", { type: "radio", name: "user_id", value: seller.id, disabled: holder }),
    el("span", { class: "choice-text" },
      el("span", { class: "seller-line" },
        el("strong", { text: seller.name }),
        el("span", { class: `badge duty ${seller.on_duty ? "duty-on" : "duty-off"}`, text: text(seller.on_duty ? "on_duty" : "off_duty") })),
      el("span", { class: "seller-facts" }, facts,
        seller.at_limit ? el("span", { class: "badge late", text: text("at_limit") }) : null,
        holder ? el("span", { class: "badge", text: text("current") }) : null)));
}

/**
 * Drive the panel `panel`; onDone(leadId, seller) after a transfer the server accepted.
 * Openers are any `[data-transfer]` button, on a card (`[data-lead-id]`) or carrying the data itself.
 */
export function transferPanel(panel, { onDone = () => {} } = {}) {
  const body = panel.querySelector("[data-panel-body]");
  const empty = panel.querySelector("[data-panel-empty]");
  const form = panel.querySelector("[data-transfer-form]");
  const site = form.elements.site;
  const list = panel.querySelector("[data-sellers]");
  const status = panel.querySelector("[data-sellers-status]");
  const error = panel.querySelector("[data-transfer-error]");
  const submit = panel.querySelector("[data-transfer-submit]");
  let lead = null;
  let opener = null;
  let controller = null;
  let sellers = [];

  const showError = (message) => {
    error.textContent = message || "";
    error.hidden = !message;
  };

  async function load() {
    controller?.abort();
    controller = new AbortController();
    status.textContent = text("loading");
    list.replaceChildren();
    const query = site.value ? `?site=${encodeURIComponent(site.value)}` : "";
    try {
      const data = await request("GET", `${config.urls.sellers}${query}`, undefined, controller.signal);
      sellers = data.sellers;
      status.textContent = sellers.length ? "" : text("no_seller");
      list.replaceChildren(...sellers.map((seller) => sellerChoice(seller, lead?.assignee)));
    } catch (failure) {
      if (failure.name !== "AbortError") status.textContent = text("failed");
    }
  }

  function open(data, from) {
    lead = data;
    opener = from;
    panel.querySelector("[data-panel-name]").textContent = data.name || "";
    panel.querySelector("[data-panel-summary]").textContent = data.summary || "";
    // The lead's site when it has one of the listed sites; otherwise every site ("" = all).
    const has = (value) => [...site.options].some((option) => option.value === value);
    site.value = has(data.site) ? data.site : has("") ? "" : site.options[0]?.value ?? "";
    form.elements.reason.value = "";
    showError("");
    empty.hidden = true;
    body.hidden = false;
    panel.classList.add("open");
    document.body.classList.add("sheet-open");
    for (const card of document.querySelectorAll("[data-lead-id].selected")) card.classList.remove("selected");
    from?.closest("[data-lead-id]")?.classList.add("selected");
    panel.querySelector("#transfer-title").focus({ preventScroll: true });
    load();
  }

  function close() {
    controller?.abort();
    lead = null;
    body.hidden = true;
    empty.hidden = false;
    panel.classList.remove("open");
    document.body.classList.remove("sheet-open");
    for (const card of document.querySelectorAll("[data-lead-id].selected")) card.classList.remove("selected");
    if (opener?.isConnected) opener.focus();
    opener = null;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-transfer]");
    // A click beside a panel drawn over the page (its shaded backdrop) closes it.
    if (!button && lead && !panel.classList.contains("docked") && !event.composedPath().includes(panel)) close();
    if (!button) return;
    const card = button.closest("[data-lead-id]");
    const source = card || button;
    open({
      id: source.dataset.leadId, site: source.dataset.site, name: source.dataset.name,
      summary: source.dataset.summary, assignee: source.dataset.assignee,
    }, button);
  });
  panel.querySelector("[data-panel-close]").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && lead) close();
  });
  site.addEventListener("change", load);
  form.elements.reason.addEventListener("input", () => showError(""));
  list.addEventListener("change", () => showError(""));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!lead) return;
    const chosen = list.querySelector("input[name=user_id]:checked");
    const reason = form.elements.reason.value.trim();
    if (!chosen) return showError(text("seller_required"));
    if (!reason) {
      form.elements.reason.focus();
      return showError(text("reason_required"));
    }
    showError("");
    submit.disabled = true;
    const id = lead.id;
    try {
      await request("POST", leadUrl(id, "assign"), { user_id: chosen.value, reason });
      const seller = sellers.find((s) => String(s.id) === chosen.value);
      note(text("transferred", { name: seller?.name || "" }));
      close();
      onDone(id, seller);
    } catch (failure) {
      if (failure.signedOut) window.location.reload();
      const fields = failure.body?.error?.fields || {};
      showError(fields.reason?.[0] || fields.user_id?.[0] || failure.body?.error?.message || text("failed"));
    } finally {
      submit.disabled = false;
    }
  });

  return {
    open,
    close,
    /** The lead left the list (someone else took it): a panel open on it has nothing left to do. */
    leadGone(id) {
      if (lead && String(lead.id) === String(id)) close();
    },
  };
}
