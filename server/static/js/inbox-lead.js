// The lead page's "Assign / transfer" (MG1, CE5) for managers, the cell and admins: the inbox's
// transfer panel, opened over the page; the page reloads after a transfer to show its timeline.

import { transferPanel } from "./inbox-transfer.js";

const panel = document.querySelector("[data-transfer-panel]");
const button = document.querySelector(".assign-control [data-transfer]");
if (panel && button) {
  transferPanel(panel, { onDone: () => window.location.reload() });
  button.hidden = false;
}
