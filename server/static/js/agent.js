// The call-center agent's screen (/widget/agent): look the caller up while typing, qualify, send.
// Keyboard first: the phone field has the focus, Enter moves on, Enter in the notes (or Ctrl+Enter
// anywhere) sends. The list of the agent's leads refreshes after each send and every 30 seconds.
import { combobox, el, getJSON, vehicleOption } from "./entry.js";

const REFRESH_MS = 30_000;
const LIST_SIZE = 50;

const form = document.getElementById("agent-form");
const screen = JSON.parse(document.getElementById("agent-screen").textContent);
const strings = Object.fromEntries(
  [...document.getElementById("agent-strings").content.querySelectorAll("[data-key]")]
    .map((node) => [node.dataset.key, node.textContent.trim()]));
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const statusBox = document.getElementById("agent-status");
const knownBox = document.getElementById("known-customer");
const pickedBox = document.getElementById("picked-vehicle");
const stockInput = document.getElementById("a-stock");
const stockRef = document.getElementById("a-stock-ref");
const sendButton = document.getElementById("agent-send");
const lang = document.documentElement.lang || "fr";

const t = (key, vars = {}) => (strings[key] || key).replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
const field = (name) => form.elements[name];
const value = (name) => (field(name)?.value || "").trim();
const number = (name) => (value(name) === "" ? null : Number(value(name)));
const kind = () => value("kind") || "VN";
const openLeads = (count) => t(count === 1 ? "open_lead" : "open_leads", { count });

function frenchPhone(e164) {
  if (!e164 || !e164.startsWith("+33") || e164.length !== 12) return e164 || "";
  return `0${e164.slice(3)}`.replace(/(\d{2})(?=\d)/g, "$1 ");
}

// ---- Status line ----------------------------------------------------------------------------
function say(kindOfMessage, text, link) {
  statusBox.className = `agent-status ${kindOfMessage}`;
  statusBox.replaceChildren(el("span", { text }), link || "");
  statusBox.hidden = false;
}

// ---- Customer lookup --------------------------------------------------------------------------
function customerOption(customer) {
  const vehicle = customer.owned_vehicles[0];
  const sub = [customer.email, [customer.postal_code, customer.city].filter(Boolean).join(" "), vehicle?.label]
    .filter(Boolean).join(" · ");
  return [
    el("span", { class: "opt-main" }, el("strong", { text: customer.name || customer.email || customer.phone_display }),
      el("span", { class: "opt-phone", text: customer.phone_display })),
    el("span", { class: "opt-sub" }, sub,
      customer.open_leads ? el("span", { class: "badge", text: openLeads(customer.open_leads) }) : ""),
  ];
}

function fillTradeIn(vehicle) {
  field("trade_make").value = vehicle.make || "";
  field("trade_model").value = vehicle.model || "";
  field("trade_year").value = vehicle.year ?? "";
  field("trade_mileage").value = vehicle.mileage_km ?? "";
  field("trade_plate").value = vehicle.plate || "";
}

function pickCustomer(customer) {
  field("phone").value = customer.phone_display || "";
  field("email").value = customer.email || "";
  field("first_name").value = customer.first_name || "";
  field("last_name").value = customer.last_name || "";
  field("postal_code").value = customer.postal_code || "";
  const owned = customer.owned_vehicles.map((vehicle) => el("li", {},
    el("span", { text: [vehicle.label, vehicle.plate].filter(Boolean).join(" · "),
      title: [vehicle.label, vehicle.plate, vehicle.mileage_km ? `${vehicle.mileage_km} km` : ""].filter(Boolean).join(" · ") }),
    el("button", { type: "button", class: "link", text: t("use_trade_in") })));
  knownBox.replaceChildren(
    el("p", {}, el("span", { class: "badge known-badge", text: t("known") }),
      customer.open_leads ? el("span", { class: "muted", text: openLeads(customer.open_leads) }) : ""),
    owned.length ? el("ul", { class: "owned" }, owned) : "");
  knownBox.querySelectorAll(".owned button").forEach((button, index) =>
    button.addEventListener("click", () => fillTradeIn(customer.owned_vehicles[index])));
  knownBox.hidden = false;
  if (customer.owned_vehicles.length === 1) fillTradeIn(customer.owned_vehicles[0]);
  // The caller is known: the next question is what they want.
  (kind() === "ATELIER" ? field("service") : stockInput).focus();
}

for (const input of form.querySelectorAll("[data-lookup=customers]")) {
  combobox(input, document.getElementById(`${input.id}-list`), {
    minLength: screen.min_query,
    emptyText: t("no_match"),
    fetchItems: async (query, signal) =>
      (await getJSON(`${form.dataset.customersUrl}?${new URLSearchParams({ q: query })}`, signal)).customers,
    render: customerOption,
    pick: pickCustomer,
  });
}

// ---- Stock -----------------------------------------------------------------------------------
function clearVehicle() {
  stockRef.value = "";
  pickedBox.hidden = true;
  pickedBox.replaceChildren();
}

function pickVehicle(vehicle) {
  stockRef.value = vehicle.stock_ref;
  stockInput.value = "";
  if (vehicle.kind !== kind()) form.querySelector(`input[name=kind][value="${vehicle.kind}"]`)?.click();
  const remove = el("button", { type: "button", class: "remove", "aria-label": t("clear"), title: t("clear"), text: "×" });
  remove.addEventListener("click", () => { clearVehicle(); stockInput.focus(); });
  pickedBox.replaceChildren(el("span", { class: "picked-text" }, vehicleOption(vehicle)), remove);
  pickedBox.hidden = false;
  field("timeframe").focus();
}

combobox(stockInput, document.getElementById("a-stock-list"), {
  minLength: 2,
  emptyText: t("no_vehicle"),
  fetchItems: async (query, signal) => {
    const params = new URLSearchParams({ q: query, kind: kind() === "ATELIER" ? "" : kind() });
    return (await getJSON(`${form.dataset.stockUrl}?${params}`, signal)).vehicles;
  },
  render: vehicleOption,
  pick: pickVehicle,
});

// ---- Callback time ---------------------------------------------------------------------------
const callbackTime = form.querySelector(".callback-time");
form.addEventListener("change", (event) => {
  if (event.target.name !== "callback") return;
  callbackTime.hidden = event.target.value !== "at";
  if (!callbackTime.hidden) field("callback_at").focus();
});

// ---- Keyboard: Enter moves on, Enter in the last field (or Ctrl+Enter) sends ------------------
function focusables() {
  return [...form.querySelectorAll("input:not([type=hidden]), select, textarea")].filter((node) =>
    node.offsetParent !== null && !node.disabled && (node.type !== "radio" || node.checked ||
      !form.querySelector(`input[name="${node.name}"]:checked`)));
}

form.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const target = event.target;
  if (event.ctrlKey || event.metaKey || (target.matches("[data-last-field]") && !event.shiftKey)) {
    event.preventDefault();
    form.requestSubmit();
  } else if (target.matches("input, select")) {
    event.preventDefault();
    const all = focusables();
    all[all.indexOf(target) + 1]?.focus();
  }
});

// ---- Errors next to the fields ---------------------------------------------------------------
function clearErrors() {
  form.querySelectorAll(".field-error[data-js]").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  });
}

function showErrors(fields) {
  const general = [];
  let first = null;
  for (const [path, messages] of Object.entries(fields || {})) {
    const target = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
    if (!target) { general.push(...messages); continue; }
    const id = `err-${path.replace(/\W/g, "-")}`;
    const inputs = target.matches("fieldset") ? [...target.querySelectorAll("input")] : [target];
    inputs.forEach((input) => { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", id); });
    (target.closest(".field") || target).append(el("p", { class: "field-error", id, "data-js": true, text: messages.join(" ") }));
    first = first || inputs[0];
  }
  first?.focus();
  return general;
}

// ---- Send ------------------------------------------------------------------------------------
function payload() {
  const data = {
    kind: kind(),
    customer: Object.fromEntries(["first_name", "last_name", "phone", "email", "postal_code"].map((n) => [n, value(n)])),
    timeframe: value("timeframe") || null,
    financing: { yes: true, no: false }[value("financing")] ?? null,
    interest: value("interest") || "warm",
    message: value("message"),
  };
  if (data.kind === "ATELIER") {
    data.workshop = { service: value("service"), preferred_date: value("preferred_date") || null, plate: value("trade_plate") };
  } else {
    data.vehicle = { stock_ref: stockRef.value, make: value("make"), model: value("model") };
  }
  const tradeIn = { make: value("trade_make"), model: value("trade_model"), year: number("trade_year"),
    mileage_km: number("trade_mileage"), plate: value("trade_plate") };
  if (Object.values(tradeIn).some((v) => v !== null && v !== "")) data.trade_in = tradeIn;
  const when = value("callback");
  if (when) data.callback = when === "at" ? { when, at: value("callback_at") } : { when };
  return data;
}

function resetScreen() {
  form.reset();
  clearErrors();
  clearVehicle();
  knownBox.hidden = true;
  knownBox.replaceChildren();
  callbackTime.hidden = true;
  field("phone").focus();
}

document.getElementById("agent-clear").addEventListener("click", () => {
  resetScreen();
  statusBox.hidden = true;
});

let sending = false;
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (sending) return;
  sending = true;
  sendButton.disabled = true;
  sendButton.textContent = t("sending");
  clearErrors();
  const name = [value("first_name"), value("last_name")].filter(Boolean).join(" ") || value("phone") || value("email");
  try {
    const response = await fetch(form.dataset.submitUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(payload()),
    });
    if (response.redirected || !(response.headers.get("Content-Type") || "").includes("json")) {
      say("error", t("signed_out"), el("a", { href: "/login?next=/widget/agent", text: " →" }));
      return;
    }
    const body = await response.json();
    if (response.status === 202) {
      const link = el("a", { href: form.dataset.leadUrl.replace(/0$/, body.id), text: `#${body.id}` });
      say("ok", t(body.outcome === "joined" ? "joined" : "sent", { name }), link);
      resetScreen();
      refreshLeads(body.id);
    } else if (response.status === 422) {
      const general = showErrors(body.error.fields);
      say("error", [t("invalid"), ...general].join(" "));
    } else {
      say("error", body.error?.message || t("failed"));
    }
  } catch {
    say("error", t("failed"));
  } finally {
    sending = false;
    sendButton.disabled = false;
    sendButton.textContent = sendButton.dataset.label;
  }
});
sendButton.dataset.label = sendButton.textContent;

// ---- The agent's leads -----------------------------------------------------------------------
const tbody = document.getElementById("agent-leads");
const emptyNote = document.getElementById("agent-leads-empty");
const refreshedNote = document.getElementById("leads-refreshed");
const timeOnly = new Intl.DateTimeFormat(lang, { timeZone: screen.timezone, hour: "2-digit", minute: "2-digit" });
const dayOnly = new Intl.DateTimeFormat(lang, { timeZone: screen.timezone, day: "numeric", month: "short" });
const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: screen.timezone });

function when(iso) {
  const date = new Date(iso);
  const today = dayKey.format(date) === dayKey.format(new Date());
  return today ? timeOnly.format(date) : `${dayOnly.format(date)} · ${timeOnly.format(date)}`;
}

function leadRow(lead, fresh) {
  const customer = [lead.customer.first_name, lead.customer.last_name].filter(Boolean).join(" ") || lead.customer.email;
  const site = lead.site ? screen.sites[lead.site] || lead.site : "";
  const seller = lead.assignee ? lead.assignee.name : t(lead.site ? "waiting" : "routing");
  return el("tr", { class: fresh ? "fresh" : null },
    el("td", { class: "when" }, el("time", { datetime: lead.received_at, text: when(lead.received_at) })),
    el("td", {}, el("a", { href: form.dataset.leadUrl.replace(/0$/, lead.id), text: customer }),
      el("span", { class: "muted small block", text: frenchPhone(lead.customer.phone) })),
    el("td", {}, el("span", { class: `kind kind-${lead.kind.toLowerCase()}`, text: lead.kind }), " ",
      el("span", { text: lead.vehicle_label || screen.kinds[lead.kind] || "" })),
    el("td", {}, site ? el("span", { class: "block", text: site }) : "",
      el("span", { class: lead.assignee ? "block" : "block muted", text: seller })),
    el("td", {}, el("span", { class: `badge status-${lead.status}`, text: screen.statuses[lead.status] || lead.status }),
      lead.interest === "hot" ? el("span", { class: "badge interest-hot", text: screen.interests.hot }) : ""));
}

let freshId = null;
async function refreshLeads(newId) {
  if (newId) freshId = newId;
  try {
    const { leads } = await getJSON(form.dataset.leadsUrl);
    const shown = leads.slice(0, LIST_SIZE);
    tbody.replaceChildren(...shown.map((lead) => leadRow(lead, lead.id === freshId)));
    emptyNote.hidden = shown.length > 0;
    refreshedNote.textContent = t("refreshed", { time: timeOnly.format(new Date()) });
  } catch (error) {
    if (error.signedOut) say("error", t("signed_out"));
  }
}

refreshLeads();
setInterval(() => { if (!document.hidden) refreshLeads(); }, REFRESH_MS);
document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshLeads(); });
field("phone").focus();
