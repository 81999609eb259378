// The live link: Socket.IO on the session cookie, the event log's seq, and catch-up after any gap.
//
// The server alone chooses the rooms this socket joins; the page only listens. Every (re)connection
// first asks /api/v1/events?after=<last seq> for what it missed, so a phone that slept through
// three assignments shows all three when it wakes. Catch-up and live events go through one queue,
// in order, and each event applies once.
//
// The last seq (the page's, then each catch-up's answer) is moved only by the catch-up endpoint,
// which reads this group's log: a pushed event is applied, remembered, but does not move it. A
// Redis shared with another deployment relays that deployment's events too (pub/sub ignores
// database numbers); one of them with a larger seq must not make this page skip its own.

import { config, request } from "./inbox-util.js";

const EVENT_TYPES = ["lead.created", "lead.assigned", "lead.updated", "lead.escalated", "action.due", "alert"];
const RETRY_MS = 3000;

/**
 * apply(event, {live}) handles one event; banner(shown) shows or hides the "connection lost" banner;
 * onSynced() runs after each successful catch-up (the page may resync what events cannot tell it).
 */
export function connectLive({ apply, banner, onSynced }) {
  let lastSeq = Number(config.last_seq) || 0;
  const applied = new Set(); // events applied above lastSeq, by seq, type and lead
  const keyOf = (event) => `${event.seq}:${event.type}:${event.lead?.id}`;
  let chain = Promise.resolve();
  let leaving = false;
  let retryTimer = null;

  const enqueue = (task) => {
    chain = chain.then(task).catch((error) => console.error("inbox:", error));
    return chain;
  };

  const applyOne = async (event, live) => {
    if (!event || typeof event.seq !== "number" || event.seq <= lastSeq || applied.has(keyOf(event))) return;
    applied.add(keyOf(event));
    try {
      await apply(event, { live });
    } catch (error) {
      // One card that fails to render must not stop the events behind it.
      console.error("inbox: event", event.seq, error);
    }
  };

  const catchUp = async () => {
    for (;;) {
      const page = await request("GET", `${config.urls.events}?after=${lastSeq}`);
      for (const event of page.events) await applyOne(event, false);
      // last_seq also moves past events this user may not see, so the next call starts after them.
      lastSeq = Math.max(lastSeq, Number(page.last_seq) || 0);
      for (const key of applied) if (Number.parseInt(key, 10) <= lastSeq) applied.delete(key);
      if (!page.more) return;
    }
  };

  const synchronise = () => enqueue(async () => {
    clearTimeout(retryTimer);
    try {
      await catchUp();
      banner(false);
      await onSynced?.();
    } catch (error) {
      banner(true);
      if (error.signedOut) {
        window.location.reload(); // the session ended: the server sends the sign-in page
        return;
      }
      retryTimer = setTimeout(() => socket.connected && synchronise(), RETRY_MS);
    }
  });

  // A plain global from the pinned client (vendor/socket.io-4.8.4), loaded before this module.
  const socket = window.io({ transports: ["websocket", "polling"] });
  socket.on("connect", synchronise);
  socket.on("disconnect", (reason) => {
    if (!leaving && reason !== "io client disconnect") banner(true);
  });
  socket.on("connect_error", () => {
    if (leaving) return;
    banner(true);
    // Refused by the server (an ended session): the client will not retry on its own.
    if (!socket.active) retryTimer = setTimeout(() => socket.connect(), RETRY_MS * 3);
  });
  for (const type of EVENT_TYPES) socket.on(type, (event) => enqueue(() => applyOne(event, true)));
  // Leaving the page closes the socket: that is not a lost connection worth a banner.
  window.addEventListener("pagehide", () => { leaving = true; });
  window.addEventListener("pageshow", (event) => {
    leaving = false;
    if (event.persisted && socket.connected) synchronise(); // back from the bfcache: catch up
  });

  return { socket, lastSeq: () => lastSeq, enqueue };
}
