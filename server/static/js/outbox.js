// Changes a seller makes (notes, call outcomes, stage changes...) must survive a lost network: a
// showroom basement or a car park has none. Each change gets an Idempotency-Key when it is made and
// keeps it: the server applies a key once, so sending again after a timeout, from another tab or
// after a reload never applies a change twice.
//
// The queue lives in IndexedDB (it outlives the page) and is replayed in order: when the browser
// says it is online again, on every page load and on a timer. A change the server refuses (4xx) is
// not queued, since sending it again cannot help: the caller shows the error. One that was queued
// and is refused later is kept aside in a "refused" list that the top bar shows.
//
//   import { sendOrQueue, pendingCount, onSynced } from "/static/js/outbox.js";
//   const result = await sendOrQueue({ url: "/api/v1/leads/7/notes", body: { body: "..." }, label: "Note" });
//   // result: { status: "sent", data } | { status: "queued" }; a 4xx rejects with an OutboxError
//   // whose `status` is the HTTP status and `body` (and `error`) the parsed error answer.

const DB_NAME = "eseller-outbox";
const QUEUE = "queue";
const REFUSED = "refused";
const LOCK = "eseller-outbox";
const RETRY_MS = 30000;
// A network that has just come back often fails the first requests: try again soon, then less often.
const FIRST_BACKOFF_MS = 1000;
const TIMEOUT_MS = 20000;
// Statuses that say "later", not "never".
const TRANSIENT = new Set([401, 408, 425, 429]);

/** A change the server refused: `body` is its JSON answer ({"error": {"code", "message", "fields"}}). */
export class OutboxError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.name = "OutboxError";
    this.status = status;
    this.body = body;
    this.error = body?.error || { code: "http_" + status, message: this.message, fields: {} };
  }
}

// The queue is per user: on a shared phone, one seller's changes are never sent as another's.
const user = () => document.querySelector("[data-outbox]")?.dataset.user || "";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("eseller-outbox") : null;
const syncedCallbacks = new Set();
// Changes this tab is sending for a caller that waits for the answer; any other is a replay.
const awaited = new Set();
let dbPromise = null;
let flushing = null;
let backoff = FIRST_BACKOFF_MS;
let retryTimer = null;

function openDb() {
  dbPromise ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(QUEUE, { keyPath: "seq", autoIncrement: true }).createIndex("user", "user");
      db.createObjectStore(REFUSED, { keyPath: "key" }).createIndex("user", "user");
    };
    request.onsuccess = () => {
      const db = request.result;
      // Site data cleared, or a newer page upgrading the base: let go, open again next time.
      db.onversionchange = () => {
        db.close();
        dbPromise = null;
      };
      resolve(db);
    };
    request.onerror = () => {
      dbPromise = null;
      reject(request.error);
    };
  });
  return dbPromise;
}

async function tx(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    let result;
    Promise.resolve(work(transaction.objectStore(store))).then((value) => { result = value; }, () => {
      try {
        transaction.abort(); // rejects through onabort
      } catch {
        // already finished
      }
    });
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const asPromise = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

const mine = (store) => asPromise(store.index("user").getAll(user()));

/** The changes of the signed-in user that wait to be sent, oldest first. */
export async function pending() {
  try {
    return (await tx(QUEUE, "readonly", mine)).sort((a, b) => a.seq - b.seq);
  } catch {
    return [];
  }
}

export async function pendingCount() {
  return (await pending()).length;
}

/** Changes that were queued and then refused by the server, for the top bar to show. */
export async function refused() {
  try {
    return await tx(REFUSED, "readonly", mine);
  } catch {
    return [];
  }
}

export async function dismissRefused() {
  const keys = (await refused()).map((item) => item.key);
  await tx(REFUSED, "readwrite", (store) => keys.forEach((key) => store.delete(key)));
  await announce();
}

/** callback(ops) after queued changes reached the server; each op has url, method, body, label, data. */
export function onSynced(callback) {
  syncedCallbacks.add(callback);
  return () => syncedCallbacks.delete(callback);
}

async function announce({ local = true } = {}) {
  const detail = { pending: await pendingCount(), refused: (await refused()).length };
  window.dispatchEvent(new CustomEvent("eseller:outbox", { detail }));
  if (local) channel?.postMessage({ type: "changed" });
}

function synced(delivered, { local = true } = {}) {
  for (const callback of syncedCallbacks) {
    try {
      callback(delivered);
    } catch (error) {
      console.error(error);
    }
  }
  if (local) channel?.postMessage({ type: "synced", user: user(), delivered });
}

// Another tab of this browser sent or counted something: show the same here.
channel?.addEventListener("message", ({ data }) => {
  if (data?.type === "synced" && data.user === user()) synced(data.delivered, { local: false });
  announce({ local: false });
});

/** One attempt: "sent" with the answer, "refused" with an OutboxError, or "retry" (keep it). */
async function attempt(op) {
  const headers = { Accept: "application/json", "Idempotency-Key": op.key };
  if (op.body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  if (csrf) headers["X-CSRFToken"] = csrf;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(op.url, {
      method: op.method, headers, credentials: "same-origin", redirect: "manual", signal: controller.signal,
      body: op.body === undefined ? undefined : JSON.stringify(op.body),
    });
  } catch {
    return { outcome: "retry" }; // offline, DNS, reset, timeout: the key makes a resend safe
  } finally {
    clearTimeout(timer);
  }
  // A redirect is the sign-in page: the session ended. Keep the change for after signing in.
  if (response.type === "opaqueredirect") return { outcome: "retry", signedOut: true };
  const data = (response.headers.get("Content-Type") || "").includes("json")
    ? await response.json().catch(() => null) : null;
  if (response.ok) return { outcome: "sent", data };
  if (response.status >= 500 || TRANSIENT.has(response.status)) {
    return { outcome: "retry", signedOut: response.status === 401 };
  }
  return { outcome: "refused", error: new OutboxError(response.status, data) };
}

// One flush at a time, across this user's tabs too (Web Locks), so that the queue goes out in order.
function exclusive(work) {
  if (navigator.locks?.request) return navigator.locks.request(LOCK, work);
  return work();
}

/**
 * Send what waits, oldest first, stopping at the first change that cannot go now (order matters:
 * a note written after a stage change must not arrive before it). Returns a Map key -> result.
 */
export function flush() {
  flushing ||= exclusive(async () => {
    const results = new Map();
    const delivered = [];
    try {
      for (const op of await pending()) {
        const result = await attempt(op);
        results.set(op.key, result);
        if (result.outcome === "retry") {
          if (!result.signedOut) retrySoon(); // signed out: nothing to gain before the next sign-in
          break;
        }
        backoff = FIRST_BACKOFF_MS;
        await tx(QUEUE, "readwrite", (store) => store.delete(op.seq));
        const replay = op.queued || !awaited.has(op.key);
        if (result.outcome === "refused") {
          if (replay) {
            const { status, body, message } = result.error;
            await tx(REFUSED, "readwrite", (store) => store.put({
              key: op.key, user: op.user, url: op.url, label: op.label, status, message, fields: body?.error?.fields || {},
            }));
          }
        } else if (replay) {
          delivered.push({ url: op.url, method: op.method, body: op.body, label: op.label, data: result.data });
        }
      }
    } finally {
      flushing = null;
    }
    await announce();
    if (delivered.length) synced(delivered);
    return results;
  }).catch(() => new Map()); // IndexedDB unavailable: nothing to replay
  return flushing;
}

/**
 * Send a change now, or keep it to send later. Resolves {status: "sent", data} or
 * {status: "queued"}; rejects with an OutboxError when the server refuses it (4xx).
 */
export async function sendOrQueue({ url, method = "POST", body, label = "" }) {
  const target = new URL(url, location.href);
  if (target.origin !== location.origin) throw new TypeError("sendOrQueue sends to this site only");
  const op = { key: crypto.randomUUID(), user: user(), url: target.pathname + target.search,
    method: method.toUpperCase(), body, label, created_at: new Date().toISOString(), queued: false };
  awaited.add(op.key);
  try {
    return await deliver(op);
  } finally {
    awaited.delete(op.key);
  }
}

async function deliver(op) {
  let stored = true;
  try {
    // Stored before the first attempt: a page closed mid-request still sends it later.
    op.seq = await tx(QUEUE, "readwrite", (store) => asPromise(store.add(op)));
  } catch {
    stored = false; // private mode without IndexedDB: send without a safety net
  }
  if (!stored) {
    const result = await attempt(op);
    if (result.outcome === "sent") return { status: "sent", data: result.data };
    if (result.outcome === "refused") throw result.error;
    throw new OutboxError(0, { error: { code: "offline", message: "The network is unavailable.", fields: {} } });
  }
  if (navigator.onLine === false) return markQueued(op);
  // Earlier changes go first; a flush under way may already take ours, else the next one does.
  const earlier = flushing ? await flushing : null;
  const result = earlier?.get(op.key) || (await flush()).get(op.key);
  if (result?.outcome === "sent") return { status: "sent", data: result.data };
  if (result?.outcome === "refused") throw result.error;
  return markQueued(op, result?.signedOut);
}

async function markQueued(op, signedOut = false) {
  await tx(QUEUE, "readwrite", async (store) => {
    const current = await asPromise(store.get(op.seq));
    if (current) store.put({ ...current, queued: true });
  }).catch(() => {});
  await announce();
  return signedOut ? { status: "queued", signedOut: true } : { status: "queued" };
}

function retrySoon() {
  if (retryTimer || navigator.onLine === false) return; // offline: the "online" event will come
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, backoff);
  backoff = Math.min(backoff * 2, RETRY_MS);
}

function start() {
  window.addEventListener("online", () => flush());
  // Chromium's offline emulation and a dead Wi-Fi may never fire "online": try now and then too.
  setInterval(() => {
    if (navigator.onLine !== false) pendingCount().then((n) => n && flush());
  }, RETRY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && navigator.onLine !== false) flush();
  });
  if (navigator.onLine !== false) flush();
  else announce({ local: false });
}

start();
