// Shared helpers of the inbox scripts: the page's settings, same-origin requests, words, notes.
// Settings come from a JSON block the server renders (the CSP allows no inline script).

export const config = JSON.parse(document.getElementById("inbox-config").textContent);

// The page says what time the server had; clocks count against the server's time, not a phone's
// clock that may be minutes off.
const skew = Date.parse(config.now) - Date.now();
export const serverNow = () => Date.now() + skew;

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;

/** A translated text from the server, with %(name)s placeholders filled. */
export function text(key, values = {}) {
  let result = config.texts[key] || key;
  for (const [name, value] of Object.entries(values)) result = result.replaceAll(`%(${name})s`, String(value));
  return result;
}

export class RequestError extends Error {
  constructor(response, body) {
    const message = body?.error?.message || `${response.status} ${response.statusText}`;
    super(message);
    this.status = response.status;
    this.body = body;
    // A session that ended answers the login page (a redirect), not JSON.
    this.signedOut = response.redirected || response.status === 401;
  }
}

/** JSON in, JSON out, with our session cookie; throws RequestError on anything but a JSON 2xx. */
export async function request(method, url, body, signal) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrfToken) headers["X-CSRFToken"] = csrfToken;
  const response = await fetch(url, {
    method, headers, signal, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok || response.redirected || data === null) throw new RequestError(response, data);
  return data;
}

export const leadUrl = (id, action) => `${config.urls.lead_api}/${encodeURIComponent(id)}/${action}`;
export const cardUrl = (id) => config.urls.card.replace(/\/0\/card$/, `/${encodeURIComponent(id)}/card`);

export { el } from "./dom.js";

let noteTimer = null;

/** A short message in the page's polite live region (screen readers read it; it fades by itself). */
export function note(message, kind = "info") {
  const region = document.querySelector("[data-note]");
  if (!region) return;
  region.textContent = message;
  region.dataset.kind = kind;
  region.classList.add("shown");
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => region.classList.remove("shown"), 4000);
}

const pad = (n) => String(n).padStart(2, "0");

function offsetMinutes(timeZone, epochMs) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(new Date(epochMs));
  const match = /GMT([+-])(\d{1,2}):?(\d{2})?/.exec(parts.find((p) => p.type === "timeZoneName")?.value || "");
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] || 0)) : 0;
}

/**
 * A <input type="datetime-local"> value read in the dealership's time zone, as ISO 8601 with its
 * offset (what /calls wants). Two passes, so that a time just after a DST change gets its own offset.
 */
export function zonedToISO(value, timeZone = config.timezone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!match) return null;
  const [y, mo, d, h, mi] = match.slice(1).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let offset;
  try {
    offset = offsetMinutes(timeZone, wall);
    offset = offsetMinutes(timeZone, wall - offset * 60000);
  } catch {
    offset = -new Date(y, mo - 1, d, h, mi).getTimezoneOffset(); // no longOffset support: the device's zone
  }
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The wall-clock time of an instant in the dealership's zone, as a datetime-local value. */
export function zonedInputValue(epochMs, timeZone = config.timezone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
