// The cockpit's filter form: picking a preset period clears the custom dates (which would otherwise
// be sent along and ignored), and typing a date switches the period to "custom dates".
const form = document.querySelector("[data-cockpit-filters]");
if (form) {
  const period = form.elements.namedItem("period");
  const dates = [form.elements.namedItem("from"), form.elements.namedItem("to")];
  period.addEventListener("change", () => {
    if (period.value !== "custom") for (const input of dates) input.value = "";
  });
  for (const input of dates) {
    input.addEventListener("change", () => {
      if (input.value) period.value = "custom";
    });
  }
}
