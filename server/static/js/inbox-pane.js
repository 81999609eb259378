// On a desktop (SD1), the opened lead sits next to the list instead of replacing the page. The
// lead page itself is fetched and its content shown in the pane, so there is one lead page to
// keep right; on a phone, "Open" is a plain link to it.

import { el } from "./inbox-util.js";

const WIDE = window.matchMedia("(min-width: 1000px)");

export function leadPane(root, { text: openFullPage = "" } = {}) {
  const pane = root.querySelector("[data-pane]");
  if (!pane) return null;
  const placeholder = pane.firstElementChild.cloneNode(true);
  let openId = null;
  let controller = null;

  const select = (id) => {
    for (const card of root.querySelectorAll("[data-lead-id]")) {
      if (card.dataset.leadId === id) card.setAttribute("aria-current", "true");
      else card.removeAttribute("aria-current");
    }
  };

  async function open(id, href, { focus = true } = {}) {
    controller?.abort();
    controller = new AbortController();
    openId = id;
    select(id);
    pane.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(href, { credentials: "same-origin", signal: controller.signal });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const main = page.querySelector("#main");
      if (!response.ok || response.redirected || !main) throw new Error(`lead page ${response.status}`);
      main.querySelector(".back")?.closest("p")?.remove();
      main.querySelectorAll("script, .flash").forEach((node) => node.remove());
      const heading = main.querySelector("h1");
      heading?.setAttribute("tabindex", "-1");
      const full = el("a", { class: "pane-full small", href }, openFullPage);
      pane.replaceChildren(el("div", { class: "pane-content" }, full, ...main.childNodes));
      pane.scrollTop = 0;
      if (focus) heading?.focus({ preventScroll: true });
    } catch (error) {
      if (error.name !== "AbortError") window.location.assign(href);
    } finally {
      pane.removeAttribute("aria-busy");
    }
  }

  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-open]");
    if (!link || !WIDE.matches || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    open(link.closest("[data-lead-id]").dataset.leadId, link.href);
  });

  return {
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
