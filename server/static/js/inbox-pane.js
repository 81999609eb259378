// On a desktop (SD1), the opened lead sits next to the list instead of replacing the page. The
// lead page itself is fetched and its content shown in the pane, so there is one lead page to
// keep right, and its forms are wired by the lead page's own module; on a phone, "Open" is a
// plain link to it.

import { el } from "./inbox-util.js";

const WIDE = window.matchMedia("(min-width: 1000px)");

// The lead page's forms (notes, calls, stage...) through the offline queue. Imported when first
// needed, and optional: without it the pane still shows the lead, and its forms post to the page.
let leadModule = null;
async function bindForms(container) {
  leadModule ||= import("./lead.js").catch(() => ({}));
  const { bindLeadPage } = await leadModule;
  if (typeof bindLeadPage === "function") bindLeadPage(container);
}

const FIELDS = "form[data-form] textarea, form[data-form] select, form[data-form] input:not([type=hidden])";
const toggled = (field) => field.type === "checkbox" || field.type === "radio";
const edited = (field) => (toggled(field) ? field.checked !== field.defaultChecked
  : field.tagName === "SELECT" ? [...field.options].some((option) => option.selected !== option.defaultSelected)
    : field.value !== field.defaultValue);

/**
 * The open lead changed while the seller was typing in its pane (a live update, their own call):
 * what they typed goes into the fresh copy. Returns the field to give the focus back to.
 */
function keepTyping(old, fresh, saved) {
  const active = document.activeElement;
  let focus = null;
  for (const field of old.querySelectorAll(FIELDS)) {
    if (!field.name || saved.has(field.form.dataset.form) || (!edited(field) && field !== active)) continue;
    const form = fresh.querySelector(`form[data-form="${CSS.escape(field.form.dataset.form)}"]`);
    const twin = form?.querySelector(`[name="${CSS.escape(field.name)}"]${field.type === "radio" ? `[value="${CSS.escape(field.value)}"]` : ""}`);
    if (!twin) continue;
    if (toggled(field)) twin.checked = field.checked;
    else twin.value = field.value;
    form.dispatchEvent(new Event("change")); // fields that depend on a choice follow it
    if (field === active) focus = twin;
  }
  return focus;
}

// Inert data blocks of the lead page (JSON settings) are kept, unless the inbox has one of that id.
const dropped = (script) => script.type !== "application/json" || (script.id && document.getElementById(script.id));

export function leadPane(root, { text: openFullPage = "", onChange = () => {} } = {}) {
  const pane = root.querySelector("[data-pane]");
  if (!pane) return null;
  const placeholder = pane.firstElementChild.cloneNode(true);
  let openId = null;
  let controller = null;
  // A form of the lead in the pane was accepted by the server: its card changed too, and what was
  // typed in that form is saved (not to be carried into the fresh copy).
  let submitted = null;
  const saved = new Set();
  pane.addEventListener("submit", (event) => { submitted = event.target.dataset?.form ?? null; }, true);
  pane.addEventListener("eseller:lead-changed", (event) => {
    if (submitted) saved.add(submitted);
    onChange(String(event.detail?.id ?? openId));
  });

  const select = (id) => {
    for (const card of root.querySelectorAll("[data-lead-id]:not([data-lead-page])")) {
      if (card.dataset.leadId === id) card.setAttribute("aria-current", "true");
      else card.removeAttribute("aria-current");
    }
  };

  async function open(id, href, { focus = true } = {}) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    openId = id;
    select(id);
    pane.setAttribute("aria-busy", "true");
    try {
      // Asked as HTML, so that the service worker keeps it for offline use like the page itself.
      const response = await fetch(href, { credentials: "same-origin", signal, headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const main = page.querySelector("#main");
      if (!response.ok || response.redirected || !main) throw new Error(`lead page ${response.status}`);
      main.querySelector(".back")?.closest("p")?.remove();
      main.querySelectorAll(".flash").forEach((node) => node.remove());
      [...main.querySelectorAll("script")].filter(dropped).forEach((node) => node.remove());
      const heading = main.querySelector("h1");
      heading?.setAttribute("tabindex", "-1");
      const full = el("a", { class: "pane-full small", href }, openFullPage);
      const content = el("div", { class: "pane-content", "data-for": id }, full, ...main.childNodes);
      // Wired before it is shown, so that no form of it ever posts the whole page away.
      await bindForms(content);
      if (signal.aborted) return; // another lead was asked for meanwhile
      const shown = pane.querySelector(`.pane-content[data-for="${CSS.escape(id)}"]`);
      const typing = shown ? keepTyping(shown, content, saved) : null;
      saved.clear();
      const scroll = shown ? pane.scrollTop : 0;
      pane.replaceChildren(content);
      pane.scrollTop = scroll;
      if (typing) typing.focus({ preventScroll: true });
      else if (focus) heading?.focus({ preventScroll: true });
    } catch (error) {
      if (error.name === "AbortError") return;
      // No network and never opened here while online: say so in the pane, keep the inbox.
      if (error instanceof TypeError) {
        pane.replaceChildren(el("div", { class: "pane-empty" }, el("p", {}, pane.dataset.offlineText || ""),
          el("a", { class: "pane-full small", href }, openFullPage)));
      } else {
        window.location.assign(href);
      }
    } finally {
      pane.removeAttribute("aria-busy");
    }
  }

  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-open]");
    if (!link || !WIDE.matches || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    // A card's links name their lead by the card; the day's agenda names it on the link.
    const id = link.dataset.open || link.closest("[data-lead-id]")?.dataset.leadId;
    if (!id) return;
    event.preventDefault();
    open(id, link.href);
  });

  return {
    isOpen: (id) => id === openId,
    /** Open the first lead when nothing is open yet, so a wide screen is never half empty. */
    openFirst() {
      const first = root.querySelector("[data-lead-id] a[data-open]");
      if (WIDE.matches && !openId && first) open(first.closest("[data-lead-id]").dataset.leadId, first.href, { focus: false });
    },
    /** The open lead changed: show it as it is now (its timeline got the call just logged). */
    refresh(id) {
      const link = root.querySelector(`[data-lead-id="${CSS.escape(id)}"] a[data-open]`);
      if (id === openId && link && WIDE.matches) open(id, link.href, { focus: false });
      else if (id === openId) select(id);
    },
    closed(id) {
      if (id !== openId) return;
      openId = null;
      pane.replaceChildren(placeholder.cloneNode(true));
    },
  };
}
