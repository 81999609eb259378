/*
 * The lead form (VN, VO, ATELIER): fields, checks, the CONTRACT JSON lead, and what the server
 * answered, shown next to the fields (422) or as a status (sent, or kept to be sent again).
 */

const KINDS = ["VN", "VO", "ATELIER"];
const SALES = "VN VO";
const TIMEFRAMES = ["now", "within_1_month", "within_3_months", "within_6_months", "later"];
const SERVICES = ["revision", "vidange", "pneus", "freins", "diagnostic", "carrosserie", "autre"];
const MIN_FILL_MS = 3000; // a person takes longer; faster submissions wait silently
// Paths of the server's 422 `error.fields` -> the field that shows the error.
const FIELD_OF_PATH = {
  customer: "phone",
  "trade_in.mileage_km": "ti_mileage",
  "consent.contact": "consent",
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const localToday = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

/** Drop empty strings, nulls and empty objects, so the lead carries only what was given. */
const prune = (value) => {
  if (value === null || typeof value !== "object") return value === "" ? undefined : value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    const kept = prune(item);
    if (kept !== undefined && kept !== null) out[key] = kept;
  }
  return Object.keys(out).length ? out : undefined;
};

/** A form for `cfg` (the key's public config); opts: {kind, stockRef, site, lang, preview}. */
const createForm = (env, cfg, opts) => {
  const t = translator(opts.lang);
  const vars = { group: cfg.group_name || "" };
  const kinds = KINDS.filter((k) => !cfg.kinds || cfg.kinds.includes(k));
  const forced = kinds.includes(opts.kind) ? opts.kind : null;
  let kind = forced || (kinds.includes(cfg.default_kind) ? cfg.default_kind : kinds[0]);
  const inputs = {};
  const errors = {};
  const hints = {};
  let shownAt = 0;
  let busy = false;
  let shownState = "";

  const required = () => h("span", { class: "es-req", "aria-hidden": "true" }, " *");

  const field = (name, input, { need, hint, kinds: only, wide } = {}) => {
    const id = "es-" + name;
    Object.assign(input, { id, name, required: !!need });
    inputs[name] = input;
    hints[name] = hint || "";
    errors[name] = h("p", { id: id + "-error", class: "es-error", hidden: true });
    if (hint) input.setAttribute("aria-describedby", hint);
    const control = input.tagName === "SELECT" ? h("div", { class: "es-select" }, input) : input;
    return h(
      "div",
      { class: wide ? "es-field es-wide" : "es-field", "data-kinds": only },
      h("label", { class: "es-label", for: id }, t(name), need && required()),
      control,
      errors[name],
    );
  };

  const checkbox = (name, label, { need, kinds: only } = {}) => {
    const id = "es-" + name;
    inputs[name] = h("input", { type: "checkbox", id, name, required: need });
    errors[name] = h("p", { id: id + "-error", class: "es-error", hidden: true });
    return h(
      "div",
      { class: "es-check", "data-kinds": only },
      inputs[name],
      h("label", { for: id }, label, need && required()),
      errors[name],
    );
  };

  const text = (attrs) => h("input", { type: "text", maxlength: 100, ...attrs });
  const numeric = (maxlength) => text({ inputmode: "numeric", maxlength, autocomplete: "off" });
  const choice = (values, prefix) =>
    h("select", null, h("option", { value: "" }, t("choose")), values.map((v) => h("option", { value: v }, t(prefix + v))));

  const title = h("h2", { class: "es-title", id: "es-title" });
  const summary = h("div", { class: "es-summary", "aria-live": "assertive", "aria-atomic": "true" });
  const status = h("div", { class: "es-status", role: "status", tabindex: "-1" });
  const trap = text({ id: "es-website", name: "website", tabindex: "-1", autocomplete: "off" });
  const label = h("span", null, t("send"));
  const button = h("button", { type: "submit", class: "es-submit" }, label);

  const tradeBox = h(
    "div",
    { class: "es-grid es-trade", hidden: true },
    field("ti_make", text({ autocomplete: "off" })),
    field("ti_model", text({ autocomplete: "off" })),
    field("ti_year", numeric(4)),
    field("ti_mileage", numeric(9)),
  );

  const kindSwitch =
    !forced && kinds.length > 1 &&
    h(
      "fieldset",
      { class: "es-kinds" },
      h("legend", { class: "es-label" }, t("kind")),
      h(
        "div",
        { class: "es-seg" },
        kinds.map((k) => [
          h("input", { type: "radio", name: "kind", id: "es-kind-" + k, value: k, checked: k === kind, onchange: () => setKind(k) }),
          h("label", { for: "es-kind-" + k }, t("kind_" + k)),
        ]),
      ),
    );

  const form = h(
    "form",
    { class: "es-form", novalidate: true, "aria-labelledby": "es-title", onsubmit: (event) => onSubmit(event) },
    h("div", { class: "es-head" }, title, h("p", { class: "es-intro" }, t("intro", vars))),
    kindSwitch,
    opts.stockRef &&
      h("p", { class: "es-vehicle", "data-kinds": SALES }, icon("car", 20), h("span", null, t("vehicle", { ref: opts.stockRef }))),
    h(
      "div",
      { class: "es-grid" },
      field("first_name", text({ autocomplete: "given-name" })),
      field("last_name", text({ autocomplete: "family-name" }), { need: true }),
    ),
    h(
      "fieldset",
      { class: "es-contact" },
      h("legend", { class: "es-label" }, t("contact"), required()),
      h("p", { class: "es-hint", id: "es-contact-hint" }, t("contact_hint")),
      h(
        "div",
        { class: "es-grid" },
        field("phone", text({ type: "tel", autocomplete: "tel", inputmode: "tel", maxlength: 30 }), { hint: "es-contact-hint" }),
        field("email", text({ type: "email", autocomplete: "email", maxlength: 254 }), { hint: "es-contact-hint" }),
      ),
    ),
    h(
      "div",
      { class: "es-grid" },
      field("postal_code", text({ autocomplete: "postal-code", maxlength: 10 })),
      field("timeframe", choice(TIMEFRAMES, "tf_"), { kinds: SALES }),
      field("plate", text({ autocomplete: "off", autocapitalize: "characters", maxlength: 16 }), { kinds: "ATELIER" }),
    ),
    h(
      "div",
      { class: "es-grid", "data-kinds": "ATELIER" },
      field("service", choice(SERVICES, "sv_"), { need: true }),
      field("preferred_date", h("input", { type: "date", min: localToday() })),
    ),
    h(
      "div",
      { class: "es-stack", "data-kinds": SALES },
      checkbox("financing", t("financing")),
      checkbox("trade_in", t("trade_in")),
      tradeBox,
    ),
    field("message", h("textarea", { rows: 4, maxlength: 2000 }), { wide: true }),
    h("div", { class: "es-hp", "aria-hidden": "true" }, h("label", { for: "es-website" }, t("honeypot")), trap),
    h(
      "div",
      { class: "es-stack es-consents" },
      checkbox("consent", cfg.consent_text || t("consent"), { need: true }),
      checkbox("marketing", t("marketing", vars)),
    ),
    h("div", null, summary, button),
    h("p", { class: "es-note" }, t("required")),
  );

  const value = (name) => (inputs[name].value || "").trim();
  const checked = (name) => inputs[name].checked;
  const shown = (name) => !inputs[name].closest("[hidden]");
  const number = (name) => {
    const n = parseInt(value(name).replace(/[\s.]/g, ""), 10);
    return Number.isFinite(n) ? n : undefined;
  };

  const setKind = (next) => {
    kind = next;
    title.textContent = t(opts.stockRef && kind !== "ATELIER" ? "title_ref" : "title_" + kind);
    for (const el of form.querySelectorAll("[data-kinds]")) el.hidden = !el.dataset.kinds.split(" ").includes(kind);
    showErrors({});
  };

  inputs.trade_in.addEventListener("change", () => {
    tradeBox.hidden = !checked("trade_in");
  });
  form.addEventListener("input", (event) => {
    const name = event.target.name;
    if (errors[name] && !errors[name].hidden) mark(name, "");
  });

  /** Client-side checks; {field: message} for what is wrong. */
  const validate = () => {
    const problems = {};
    const maxYear = new Date().getFullYear() + 1;
    const phone = value("phone");
    const digits = phone.replace(/\D/g, "").length;
    if (!value("last_name")) problems.last_name = t("e_required");
    if (!phone && !value("email")) problems.phone = problems.email = t("e_contact");
    if (phone && (!/^\+?[\d\s().-]+$/.test(phone) || digits < 9 || digits > 15)) problems.phone = t("e_phone");
    if (value("email") && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value("email"))) problems.email = t("e_email");
    if (value("postal_code") && !/^[a-z0-9][a-z0-9 -]{1,9}$/i.test(value("postal_code"))) {
      problems.postal_code = t("e_postal_code");
    }
    if (shown("ti_year") && value("ti_year") && !(number("ti_year") >= 1950 && number("ti_year") <= maxYear)) {
      problems.ti_year = t("e_year", { max: maxYear });
    }
    if (shown("ti_mileage") && value("ti_mileage") && !/^\d+$/.test(value("ti_mileage").replace(/[\s.]/g, ""))) {
      problems.ti_mileage = t("e_number");
    }
    if (shown("service") && !value("service")) problems.service = t("e_required");
    if (shown("preferred_date") && value("preferred_date") && value("preferred_date") < localToday()) {
      problems.preferred_date = t("e_date");
    }
    if (!checked("consent")) problems.consent = t("e_consent");
    return problems;
  };

  const mark = (name, message) => {
    const input = inputs[name];
    errors[name].textContent = message;
    errors[name].hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    const describedBy = [hints[name], message && errors[name].id].filter(Boolean).join(" ");
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    else input.removeAttribute("aria-describedby");
  };

  /** Errors next to their fields, a summary read out at once, focus on the first field to fix. */
  const showErrors = (problems, message = "") => {
    const names = Object.keys(inputs)
      .filter((name) => problems[name])
      .sort((a, b) => (inputs[a].compareDocumentPosition(inputs[b]) & Node.DOCUMENT_POSITION_PRECEDING ? 1 : -1));
    for (const name of Object.keys(inputs)) mark(name, problems[name] || "");
    const listed = names.map((name) => (name === "consent" ? t("consent") : t(name)));
    const parts = [message, listed.length && t("summary", { fields: listed.join(", ") })];
    summary.textContent = parts.filter(Boolean).join(" ");
    if (names.length) inputs[names[0]].focus();
  };

  /**
   * The server's 422 `fields` -> messages in the form's language, on the fields they concern.
   * What the visitor cannot fix (an unknown stock reference...) is for the webmaster's console.
   */
  const serverProblems = (fields) => {
    const problems = {};
    for (const [path, messages] of Object.entries(fields || {})) {
      const name = FIELD_OF_PATH[path] || path.replace(/^(customer|workshop)\./, "").replace(/^trade_in\./, "ti_");
      if (!inputs[name] || !shown(name)) {
        console.warn("eSeller: the lead was refused:", path, messages);
      } else if (path === "customer") {
        problems.phone = problems.email = t("e_contact");
      } else {
        const code = "e_" + name.replace(/^ti_/, "");
        problems[name] = TEXTS[opts.lang][code] ? t(code, { max: new Date().getFullYear() + 1 }) : t("e_invalid");
      }
    }
    return problems;
  };

  const leadBody = () => {
    const sales = kind !== "ATELIER";
    const body = prune({
      kind,
      site: opts.site || cfg.site,
      customer: {
        first_name: value("first_name"),
        last_name: value("last_name"),
        email: value("email"),
        phone: value("phone"),
        postal_code: value("postal_code"),
        language: opts.lang,
      },
      vehicle: sales && opts.stockRef ? { stock_ref: opts.stockRef } : null,
      trade_in: sales && checked("trade_in")
        ? { make: value("ti_make"), model: value("ti_model"), year: number("ti_year"), mileage_km: number("ti_mileage") }
        : null,
      workshop: sales ? null : { service: value("service"), preferred_date: value("preferred_date"), plate: value("plate") },
      message: value("message"),
      timeframe: sales ? value("timeframe") : null,
      financing: sales ? checked("financing") : null,
      consent: {
        contact: true,
        marketing: checked("marketing"),
        text_version: cfg.consent_version,
        page_url: location.href,
      },
      elapsed_ms: Date.now() - shownAt,
    });
    body.hp = trap.value;
    return body;
  };

  const setBusy = (on) => {
    busy = on;
    button.setAttribute("aria-disabled", on ? "true" : "false");
    button.classList.toggle("es-busy", on);
    label.textContent = t(on ? "sending" : "send");
  };

  /** Sent, or kept to be sent again: the form gives way to a status message. */
  const finish = (state) => {
    setBusy(false);
    if (shownState === state) return; // a retry that failed again: nothing new to say
    shownState = state;
    const hadFocus = !!status.getRootNode().activeElement; // never steal focus from the page
    form.hidden = true;
    status.className = "es-status es-" + state;
    status.replaceChildren(
      h("span", { class: "es-status-icon" }, icon(state === "sent" ? "check" : "clock", 28)),
      h("strong", { class: "es-status-title" }, t(state)),
      h("span", { class: "es-status-text" }, t(state + "_more", vars)),
    );
    if (hadFocus) status.focus();
  };

  const onResult = (result) => {
    if (result.ok) return finish("sent");
    if (result.keep) return finish("queued");
    // Refused for good (4xx): the submission is forgotten, the user's data stays in the form.
    setBusy(false);
    shownState = "";
    form.hidden = false;
    status.replaceChildren();
    status.className = "es-status";
    const error = (result.data && result.data.error) || {};
    if (result.status === 422) {
      return showErrors(serverProblems(error.fields), t("rejected"));
    }
    showErrors({}, t(result.status === 401 || result.status === 403 ? "forbidden" : "rejected"));
    button.focus();
  };

  const onSubmit = async (event) => {
    event.preventDefault();
    if (busy) return;
    if (trap.value) return finish("sent"); // a robot filled the hidden field: nothing is sent
    const problems = validate();
    showErrors(problems);
    if (Object.keys(problems).length) return;
    // The administrators' preview (data-preview): the visitor's whole path, but nothing is sent.
    if (opts.preview) return finish("sent");
    setBusy(true);
    // The server checks the time spent by the wall clock: wait until Date.now() agrees, rather
    // than trust one timer to land exactly (a submission 1 ms short would be refused).
    while (Date.now() - shownAt < MIN_FILL_MS) await sleep(MIN_FILL_MS - (Date.now() - shownAt));
    submitLead(env, leadBody(), onResult);
  };

  setKind(kind);
  const back = !opts.preview && takeRefused(env.key);
  if (back) {
    const { customer, message } = back.body;
    for (const [name, given] of Object.entries({ ...customer, message })) if (inputs[name] && given) inputs[name].value = given;
    onResult(back.refused);
  }
  return {
    el: h("div", { class: "es-card", lang: opts.lang }, opts.preview && h("p", { class: "es-preview" }, t("preview")), form, status),
    /** The form is on screen: its clock starts (once). */
    start() {
      shownAt = shownAt || Date.now();
    },
    focus() {
      (form.hidden ? status : form.querySelector("input:not([type=radio]),select,textarea")).focus();
    },
  };
};
