// Direct entry of a lead (/leads/new), and the small helpers the agent screen shares (an ES module).
// Everything built from data goes through textContent: names and notes are whatever people typed.

import { el } from "./dom.js";

export { el };

/** GET JSON from our own server; throws on anything but a JSON 2xx (an ended session answers HTML). */
export async function getJSON(url, signal) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal });
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.redirected || !type.includes("json")) {
    const error = new Error(`GET ${url}: ${response.status}`);
    error.signedOut = response.redirected;
    throw error;
  }
  return response.json();
}

/** One line of a stock result: what a salesperson reads out on the phone. */
export function vehicleOption(vehicle) {
  const facts = [vehicle.year, vehicle.mileage_km ? `${vehicle.mileage_km.toLocaleString()} km` : null, vehicle.site.name, vehicle.stock_ref]
    .filter(Boolean).join(" · ");
  return [
    el("span", { class: "opt-main" }, el("strong", { text: vehicle.label }), el("span", { class: "price", text: vehicle.price_label })),
    el("span", { class: "opt-sub", text: facts }),
  ];
}

let comboboxCount = 0;

/**
 * Suggestions under an input as the person types (WAI-ARIA combobox + listbox): debounced,
 * stale answers dropped, ↓/↑ to move, Enter to pick (the first one when none is highlighted),
 * Escape to close. `fetchItems(query, signal)` returns a list; `render(item)` its option content.
 */
export function combobox(input, listbox, { fetchItems, render, pick, minLength = 3, delay = 180, emptyText = "" }) {
  const prefix = `cb${++comboboxCount}`;
  let items = [];
  let active = -1;
  let timer = null;
  let controller = null;

  const options = () => [...listbox.querySelectorAll("[role=option]")];
  const close = () => {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    const all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", i === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  };
  const choose = (index) => {
    const item = items[index];
    close();
    if (item !== undefined) pick(item);
  };
  const show = (found) => {
    items = found;
    listbox.replaceChildren(...found.map((item, index) =>
      el("li", { role: "option", id: `${prefix}-${index}`, "aria-selected": "false", "data-index": index }, render(item))));
    if (!found.length && emptyText) listbox.append(el("li", { class: "none", text: emptyText }));
    const open = listbox.childElementCount > 0 && document.activeElement === input;
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    active = -1;
  };
  const search = async () => {
    const query = input.value.trim();
    controller?.abort();
    if (query.length < minLength) { items = []; close(); return; }
    controller = new AbortController();
    try {
      show(await fetchItems(query, controller.signal));
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  };

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, delay); });
  input.addEventListener("keydown", (event) => {
    const open = !listbox.hidden && items.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) { if (input.value.trim().length >= minLength) search(); return; }
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && open && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      event.stopPropagation();
      choose(active >= 0 ? active : 0);
    } else if (event.key === "Escape" && !listbox.hidden) {
      event.preventDefault();
      close();
    }
  });
  // mousedown, not click: the input must not lose focus (and close the list) before the pick.
  listbox.addEventListener("mousedown", (event) => {
    const option = event.target.closest("[role=option]");
    if (!option) return;
    event.preventDefault();
    choose(Number(option.dataset.index));
  });
  input.addEventListener("blur", () => setTimeout(close, 120));
  return { close, search };
}

function initEntryForm(form) {
  const input = form.querySelector("#stock_ref");
  const listbox = form.querySelector("#stock-results");
  const picked = form.querySelector("#stock-picked");
  if (!input || !listbox) return;
  const kind = () => form.querySelector("input[name=kind]:checked")?.value || "";
  combobox(input, listbox, {
    minLength: 2,
    fetchItems: async (query, signal) => {
      const params = new URLSearchParams({ q: query, kind: kind() });
      return (await getJSON(`${form.dataset.stockUrl}?${params}`, signal)).vehicles;
    },
    render: vehicleOption,
    pick: (vehicle) => {
      input.value = vehicle.stock_ref;
      picked.textContent = `✓ ${vehicle.label} · ${vehicle.price_label} · ${vehicle.site.name}`;
    },
  });
  input.addEventListener("input", () => { picked.textContent = ""; });
  // One tap on "save" only: a second tap while the page loads would enter the lead twice.
  const save = form.querySelector("button[type=submit]");
  form.addEventListener("submit", () => save?.setAttribute("disabled", ""));
  window.addEventListener("pageshow", () => save?.removeAttribute("disabled"));
}

const entryForm = document.getElementById("entry-form");
if (entryForm) {
  initEntryForm(entryForm);
  // After a refused save, take the person straight to the first thing to fix.
  entryForm.querySelector("[aria-invalid=true]")?.focus();
}
