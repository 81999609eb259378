/*
 * Boot: take the loader's settings, send what earlier pages could not, fetch the key's public
 * config, render a form into each [data-eseller-form] (or a launcher and its dialog), then run
 * the commands queued by eseller(...) calls made before this bundle arrived.
 */

const stub = window.eseller;
const env = stub && stub.c;
if (!env || !env.key || stub.ready) return; // no loader settings, or this bundle ran already

let configRequest = null;

/** The key's public config, fetched once per page (again after a failure). */
const loadConfig = () =>
  (configRequest =
    configRequest ||
    // Default credentials ("same-origin"): never a cookie to eSeller from a dealer's page, but the
    // administrators' preview, served by eSeller itself, is recognised by its session.
    fetch(env.host + "/widget/v1/config?key=" + encodeURIComponent(env.key), { mode: "cors" })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .catch((error) => {
        configRequest = null;
        console.warn(
          "eSeller: no widget configuration for this page (unknown or revoked key, or " +
            location.origin + " is not on the key's allowed origins).",
          error,
        );
        throw error;
      }));

const unavailable = (lang, retry) => {
  const t = translator(lang);
  return h(
    "div",
    { class: "es-card es-unavailable", role: "alert", lang },
    icon("alert"),
    h("p", null, t("unavailable")),
    h("button", { type: "button", class: "es-link", onclick: retry }, t("retry")),
  );
};

const formOptions = (data, lang) => ({
  kind: (data.kind || "").toUpperCase(),
  stockRef: (data.stockRef || "").trim(),
  site: (data.site || "").trim(),
  lang,
  preview: "preview" in data,
});

const mounted = new WeakSet();

/** A form in each [data-eseller-form] element not rendered yet. */
const mountAll = () => {
  for (const el of document.querySelectorAll("[data-eseller-form]")) {
    if (mounted.has(el)) continue;
    mounted.add(el);
    const box = h("div", { class: "es-root" });
    shadowFor(el).append(box);
    const options = formOptions(el.dataset, pickLang(el.dataset.lang, env.lang));
    const show = () =>
      loadConfig().then(
        (cfg) => {
          const form = createForm(env, cfg, options);
          paint(box, cfg.colour);
          box.replaceChildren(form.el);
          form.start();
        },
        () => box.replaceChildren(unavailable(options.lang, show)),
      );
    show();
  }
};

let launcher = null;

/** The floating button and its dialog, made once; the button shows only when asked for. */
const getLauncher = (withButton) => {
  if (launcher) {
    if (withButton) launcher.button.hidden = false;
    return launcher;
  }
  const lang = pickLang(env.lang);
  const t = translator(lang);
  const host = document.createElement("eseller-launcher");
  const box = h("div", { class: "es-root" });
  const body = h("div", { class: "es-scroll" });
  const button = h(
    "button",
    { type: "button", class: "es-launch", hidden: !withButton, "aria-haspopup": "dialog", onclick: () => open() },
    icon("chat"),
    h("span", null, t("open")),
  );
  const closer = h("button", { type: "button", class: "es-close", "aria-label": t("close"), onclick: () => close() }, icon("close"));
  const dialog = h("dialog", { class: "es-dialog", "aria-labelledby": "es-title", lang }, closer, body);
  let current = null;
  let currentOptions = "";
  let returnTo = null;

  const open = async (options = {}) => {
    const wanted = formOptions(options, lang);
    const cfg = await loadConfig().catch(() => null);
    if (!cfg) body.replaceChildren(unavailable(lang, () => open(options)));
    else if (!current || JSON.stringify(wanted) !== currentOptions) {
      current = createForm(env, cfg, wanted);
      currentOptions = JSON.stringify(wanted);
      body.replaceChildren(current.el);
    }
    if (!host.isConnected) document.body.append(host);
    if (!dialog.open) {
      returnTo = button.hidden ? document.activeElement : button;
      if (dialog.showModal) dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    if (current && cfg) {
      current.start();
      current.focus();
    }
  };

  const close = () => {
    if (!dialog.open) return;
    if (dialog.close) dialog.close();
    else dialog.removeAttribute("open");
    if (returnTo && returnTo.focus) returnTo.focus();
  };

  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else keepFocusIn(dialog, event);
  });
  dialog.addEventListener("click", (event) => event.target === dialog && close());

  box.append(button, dialog);
  shadowFor(host).append(box);
  launcher = { button, open, close };
  loadConfig().then(
    (cfg) => {
      paint(box, cfg.colour);
      document.body.append(host);
    },
    () => {},
  );
  return launcher;
};

const commands = {
  open: (options) => getLauncher(false).open(options || {}),
  close: () => launcher && launcher.close(),
  render: () => mountAll(),
};

const run = (name, ...args) => {
  if (commands[name]) commands[name](...args);
  else console.warn("eSeller: unknown command", name);
};

const queued = stub.q || [];
const api = (...args) => run(...args);
api.c = env;
api.ready = true;
window.eseller = api;

flushPending(env);
window.addEventListener("online", () => flushPending(env));

const boot = () => {
  mountAll();
  if (!document.querySelector("[data-eseller-form]")) getLauncher(true);
  queued.forEach((args) => run(...args));
};
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
