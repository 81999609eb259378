// Building DOM from data, shared by the page modules: everything goes through text nodes, since
// names and notes are whatever people typed.

/** An element with attributes and children; strings become text nodes, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The one status line under `container` (a form, a list item), made on first use: what happened to
 *  the change just made. An empty text hides it; `kind` "error" paints it as one. */
export function statusLine(container, text, kind = "info") {
  let box = container.querySelector("[data-form-status]");
  if (!box) {
    box = el("p", { class: "form-status", "data-form-status": true, role: "status" });
    container.append(box);
  }
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}
