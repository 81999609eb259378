// Widget & API keys pages: copy buttons, and a question before a key is rotated or revoked.
// A file of its own because the pages' Content-Security-Policy allows no inline script or handler.
"use strict";

/** Copy the text of `source`; false when the browser refused (the text is then left selected). */
const copyFrom = async (source) => {
  const text = source.textContent;
  try {
    // Only in secure contexts (https, localhost): elsewhere it is missing or refuses.
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand("copy");
    } catch (ignored) {
      return false; // selected: the admin copies it with the keyboard
    }
  }
};

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  const source = button && document.getElementById(button.dataset.copy);
  if (!source) return;
  const label = button.querySelector("[aria-live]") || button;
  label.dataset.label = label.dataset.label || label.textContent;
  const copied = await copyFrom(source);
  label.textContent = copied ? button.dataset.copied : button.dataset.failed;
  button.classList.toggle("copied", copied);
  clearTimeout(button.resetTimer);
  button.resetTimer = setTimeout(() => {
    label.textContent = label.dataset.label;
    button.classList.remove("copied");
  }, 2500);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
