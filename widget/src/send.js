/*
 * Durable submissions. Each one gets an Idempotency-Key and is saved in localStorage before its
 * request; it leaves storage on a 2xx, or on a 4xx that can never succeed (not 408 or 429) when a
 * form shows the reason; refused with no form watching, it waits, unsent, for the next form. What
 * stays is sent again later on this page and on every page view, with the same Idempotency-Key,
 * so the server never creates a lead twice.
 */

const PENDING_PREFIX = "eseller:pending:";
const PENDING_MAX_AGE = 7 * 24 * 3600 * 1000; // then given up: personal data does not linger
const RETRY_FIRST = 15000;
const RETRY_MAX = 300000;

const randomId = () =>
  crypto.randomUUID
    ? crypto.randomUUID() // secure contexts (https, localhost)
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
        (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));

const pending = {
  name: (key) => PENDING_PREFIX + key,
  read(key) {
    try {
      const list = JSON.parse(localStorage.getItem(pending.name(key)) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return []; // storage disabled (privacy mode, sandboxed frame): sending still works
    }
  },
  write(key, list) {
    try {
      if (list.length) localStorage.setItem(pending.name(key), JSON.stringify(list));
      else localStorage.removeItem(pending.name(key));
    } catch (error) {
      /* full or disabled: the request goes anyway */
    }
  },
  add(key, submission) {
    pending.write(key, [...pending.read(key).filter((s) => s.id !== submission.id), submission]);
  },
  remove(key, id) {
    pending.write(key, pending.read(key).filter((s) => s.id !== id));
  },
};

const inFlight = new Set();
const watchers = new Map(); // submission id -> the form waiting for its outcome
let retryTimer = null;
let retryDelay = RETRY_FIRST;

/** POST the lead; resolves {ok, keep, status, data}: `keep` when worth sending again. */
const postLead = async (env, submission) => {
  let response;
  try {
    response = await fetch(env.host + "/api/v1/leads", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: {
        "Content-Type": "application/json",
        "X-Widget-Key": env.key,
        "Idempotency-Key": submission.id,
      },
      body: JSON.stringify(submission.body),
    });
  } catch (error) {
    return { ok: false, keep: true, status: 0, data: null }; // offline, blocked, server down
  }
  const status = response.status;
  const data = await response.json().catch(() => null);
  const keep = status === 408 || status === 429 || status >= 500;
  return { ok: response.ok, keep, status, data, retryAfter: Number(response.headers.get("Retry-After")) };
};

const scheduleRetry = (env, seconds) => {
  if (retryTimer) return;
  const delay = seconds > 0 ? seconds * 1000 : retryDelay;
  retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flushPending(env);
  }, delay);
};

/** Send one saved submission and settle it: forget it, or keep it for the next try. */
const deliver = async (env, submission) => {
  if (inFlight.has(submission.id)) return null;
  inFlight.add(submission.id);
  const result = await postLead(env, submission);
  inFlight.delete(submission.id);
  const watcher = watchers.get(submission.id);
  if (result.keep) scheduleRetry(env, result.retryAfter);
  else if (result.ok || watcher) {
    pending.remove(env.key, submission.id);
    retryDelay = RETRY_FIRST;
  }
  // Refused while no form waited (sent again from an earlier page): kept, unsent, for the next
  // form to hand back to the visitor with the reasons, rather than lost without a word.
  else pending.add(env.key, { ...submission, refused: result });
  if (watcher) {
    if (!result.keep) watchers.delete(submission.id);
    watcher(result);
  }
  return result;
};

/** Save, then send: `onResult` hears every outcome until the submission is settled. */
const submitLead = (env, body, onResult) => {
  const submission = { id: randomId(), at: Date.now(), body };
  pending.add(env.key, submission);
  watchers.set(submission.id, onResult);
  return deliver(env, submission);
};

/** Send again whatever earlier pages (or this one) could not send. */
const flushPending = (env) => {
  const now = Date.now();
  const list = pending.read(env.key);
  const fresh = list.filter((s) => s && s.id && s.body && now - (s.at || 0) < PENDING_MAX_AGE);
  if (fresh.length !== list.length) pending.write(env.key, fresh);
  fresh.forEach((submission) => submission.refused || deliver(env, submission));
};

/** A submission refused on an earlier page, taken out of storage, for a form to show again. */
const takeRefused = (key) => {
  const submission = pending.read(key).find((s) => s.refused);
  if (submission) pending.remove(key, submission.id);
  return submission;
};
