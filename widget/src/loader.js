/*
 * eSeller widget loader, included by dealer pages as
 *   <script async src="https://HOST/widget/v1/loader.js" data-key="wk_..."></script>
 * It reads its key and its origin, installs the eseller(...) command queue, and loads the
 * content-hashed form bundle (its path is written in by widget/build.py), which renders the forms
 * into [data-eseller-form] elements, or a launcher button when there is none.
 */
(() => {
  "use strict";
  const FORM_PATH = "__ESELLER_FORM_PATH__";
  const w = window;
  const d = document;
  const script =
    d.currentScript ||
    [...d.querySelectorAll("script[src]")].find((s) => /\/widget\/v1\/loader\.js([?#].*)?$/.test(s.src));
  if (!script) return;
  // cal.com / Plausible style: eseller("open", {kind: "VO"}) works before the bundle arrives.
  w.eseller =
    w.eseller ||
    function () {
      (w.eseller.q = w.eseller.q || []).push(arguments);
    };
  if (w.eseller.c) return; // the loader is on the page twice: the first one does the work
  const host = new URL(script.src, d.baseURI).origin;
  const key = script.dataset.key;
  if (!key) return console.warn("eSeller: the widget <script> tag has no data-key.");
  w.eseller.c = { key, host, lang: script.dataset.lang };
  const form = d.createElement("script");
  form.async = true;
  form.src = host + FORM_PATH;
  form.nonce = script.nonce; // pages with a nonce-based Content-Security-Policy
  (d.head || d.documentElement).append(form);
})();
