// Calendar feed page: copy the feed address, and ask before the address is reset.
// A file of its own because the Content-Security-Policy allows no inline script or handler.
"use strict";

/** Copy the value of the input `source`; false when the browser refused (it is then left selected). */
const copyValue = async (source) => {
  try {
    await navigator.clipboard.writeText(source.value); // secure contexts only (https, localhost)
    return true;
  } catch (error) {
    source.focus();
    source.select();
    try {
      return document.execCommand("copy");
    } catch (ignored) {
      return false; // selected: the user copies it with the keyboard
    }
  }
};

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  const source = button && document.getElementById(button.dataset.copy);
  if (!source) return;
  button.dataset.label = button.dataset.label || button.textContent;
  const copied = await copyValue(source);
  button.textContent = copied ? button.dataset.copied : button.dataset.failed;
  button.classList.toggle("copied", copied);
  clearTimeout(button.resetTimer);
  button.resetTimer = setTimeout(() => {
    button.textContent = button.dataset.label;
    button.classList.remove("copied");
  }, 2500);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
