// First-contact clocks (BX3) ticking on every card: the time left, or how late, in words and colour.
// The state follows the server's rule (server/lead_routing/sla.py `clock_state`): at risk in the
// last share of the allowed time, breached at the deadline. The server renders the first state;
// this only keeps it moving between two renders.

import { config, serverNow, text } from "./inbox-util.js";

const STATES = ["on_time", "at_risk", "breached"];
const pad = (n) => String(n).padStart(2, "0");

function duration(ms, precise) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  if (minutes >= 24 * 60) return `${Math.floor(minutes / (24 * 60))} ${text("day")}`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)}`;
  // Seconds only while counting down: they make the urgency visible; once late, minutes say enough.
  return precise ? `${minutes}:${pad(seconds % 60)}` : `${Math.max(minutes, 1)} min`;
}

export function clockState(due, start, now) {
  if (now >= due) return "breached";
  return due - now <= (due - start) * config.at_risk_share ? "at_risk" : "on_time";
}

function tick(clock, now) {
  const due = Date.parse(clock.dataset.due || "");
  if (!STATES.includes(clock.dataset.state) || Number.isNaN(due)) return;
  const start = Date.parse(clock.dataset.start || "") || due;
  const state = clockState(due, start, now);
  if (state !== clock.dataset.state) {
    clock.classList.remove(`clock-${clock.dataset.state}`);
    clock.classList.add(`clock-${state}`);
    clock.dataset.state = state;
    clock.querySelector("[data-clock-state]").textContent = text(state);
  }
  const time = clock.querySelector("[data-clock-time]");
  if (!time) return;
  const words = state === "breached" ? text("late_by", { time: duration(now - due, false) })
    : text("left", { time: duration(due - now, true) });
  if (time.textContent !== words) time.textContent = words;
}

/** Tick every clock of the page once a second (a few dozen text nodes: nothing to measure). */
export function startClocks(root = document) {
  const all = () => root.querySelectorAll("[data-clock]");
  const run = () => {
    const now = serverNow();
    for (const clock of all()) tick(clock, now);
  };
  run();
  setInterval(run, 1000);
  return run;
}
