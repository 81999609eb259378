// Routing and planning pages (CSP: no inline handlers): confirm destructive forms; show the dry run's answer.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// After a dry run on a narrow screen the answer sits under the form: bring it into view.
// On "load", so that it comes after the browser's own jump to the #dry-run fragment.
window.addEventListener("load", () => {
  const verdict = document.getElementById("dry-outcome");
  if (verdict && window.matchMedia("(max-width: 999px)").matches) {
    verdict.scrollIntoView({ block: "start" });
  }
});
