// Telling a seller a lead arrived: a short chime (WebAudio, no audio file) and a system
// notification. Browsers allow sound only after the person has touched the page, and we ask for
// notification permission only from the "Turn on alerts" button, never on load.

import { note, text } from "./inbox-util.js";
import { registerWorker as registerAppWorker } from "./pwa.js";

let audio = null;
let lastChime = 0;
let registration = null;

function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!audio && Context) audio = new Context();
  if (audio?.state === "suspended") audio.resume().catch(() => {});
}

/** Two short rising notes; several leads at once make one chime, not a din. */
export function chime() {
  const now = Date.now();
  if (!audio || audio.state !== "running" || now - lastChime < 1500) return;
  lastChime = now;
  const start = audio.currentTime + 0.01;
  [[880, 0], [1318.5, 0.14]].forEach(([frequency, offset]) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.22);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.25);
  });
}

// Android's Chrome has no `new Notification()`: only a service worker may show one. The app's
// worker (/sw.js, which also keeps the app readable offline) shows them and handles their taps.
async function registerWorker() {
  if (registration) return;
  registration = await registerAppWorker();
}

/** A system notification, when allowed and the page is not what the person is looking at. */
export function notify(title, body, { tag, url } = {}) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return; // the card and the chime suffice
  const options = { body, tag, renotify: Boolean(tag), icon: document.querySelector('link[rel="icon"]')?.href, data: { url } };
  if (registration) {
    registration.showNotification(title, options).catch(() => {});
    return;
  }
  try {
    const notification = new Notification(title, options);
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
    });
  } catch {
    // No notification in this browser without a service worker: the chime and the card remain.
  }
}

/** Unlock sound on the first touch, and offer the alerts button while permission is undecided. */
export function setupAlerts(root = document) {
  for (const type of ["pointerdown", "keydown", "touchstart"]) window.addEventListener(type, unlockAudio, { passive: true });
  if (!("Notification" in window)) return;
  if (Notification.permission === "granted") registerWorker();
  const button = root.querySelector("[data-enable-alerts]");
  if (!button || Notification.permission !== "default") return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    unlockAudio();
    const answer = await Notification.requestPermission();
    button.hidden = true;
    if (answer === "granted") {
      await registerWorker();
      note(text("notifications_on"));
      chime();
    } else {
      note(text("notifications_denied"), "error");
    }
  });
}
