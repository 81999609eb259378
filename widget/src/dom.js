/* DOM helpers: elements without innerHTML (safe under Trusted Types), icons, shadow roots. */

/** h("input", {type: "text", onclick: fn}, ...children): attributes, listeners, children. */
const h = (tag, props, ...children) => {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  el.append(...children.flat(9).filter((child) => child != null && child !== false));
  return el;
};

const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  chat: "M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z",
  check: "M20 6 9 17l-5-5",
  clock: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z",
  close: "M18 6 6 18M6 6l12 12",
  car: "M5 17h14M6 17v2M18 17v2M4 13l2-5a2 2 0 0 1 2-1h8a2 2 0 0 1 2 1l2 5v4H4zM7.5 13.5h.01M16.5 13.5h.01",
  alert: "M12 8v5M12 16.5h.01M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z",
};

const icon = (name, size = 24) => {
  const svg = document.createElementNS(SVG_NS, "svg");
  const path = document.createElementNS(SVG_NS, "path");
  const attrs = `viewBox=0 0 24 24;width=${size};height=${size};fill=none;stroke=currentColor;stroke-width=2;stroke-linecap=round;stroke-linejoin=round;aria-hidden=true;class=es-icon`;
  for (const pair of attrs.split(";")) svg.setAttribute(...pair.split("="));
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
};

let sharedSheet;

/**
 * An open shadow root on `host` carrying the widget's styles. A constructed stylesheet is used
 * where available: it is not subject to the page's CSP style-src, unlike a <style> element.
 */
const shadowFor = (host) => {
  let root;
  try {
    root = host.attachShadow({ mode: "open" });
  } catch (error) {
    // Elements that cannot host a shadow root (<form>, <p>...): use a child instead.
    const box = h("div");
    host.append(box);
    root = box.attachShadow({ mode: "open" });
  }
  try {
    sharedSheet = sharedSheet || new CSSStyleSheet();
    if (!sharedSheet.cssRules.length) sharedSheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sharedSheet];
  } catch (error) {
    root.append(h("style", null, CSS));
  }
  return root;
};

/** The key's colour (checked) and what goes on top of it, as CSS variables on `el`. */
const paint = (el, colour) => {
  const hex = /^#[0-9a-f]{6}$/i.test(colour || "") ? colour : "#0b5cad";
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  el.style.setProperty("--es-accent", hex);
  el.style.setProperty("--es-on-accent", r * 0.299 + g * 0.587 + b * 0.114 > 160 ? "#111827" : "#fff");
  el.style.setProperty("--es-ring", `rgba(${r},${g},${b},.28)`);
};

/** Tab and Shift+Tab stay inside `box` (the dialog); a light trap for browsers without showModal. */
const keepFocusIn = (box, event) => {
  if (event.key !== "Tab") return;
  const items = [...box.querySelectorAll("button,input,select,textarea,[tabindex]")].filter(
    (el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length,
  );
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  const active = box.getRootNode().activeElement;
  if (event.shiftKey && active === first) {
    last.focus();
    event.preventDefault();
  } else if (!event.shiftKey && active === last) {
    first.focus();
    event.preventDefault();
  }
};
