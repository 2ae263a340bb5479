// The one DOM helper every widget's ESM module uses; Python prepends this file to each
// module (assets.static_esm), because anywidget loads a module from a string, where a
// relative import has nothing to resolve against.
//
// h("td", {class: "x", "data-state": s, onclick: f, style: {width: "3px"}, text: "t"}, ...kids)
// Attributes that are null, undefined or false are left out; true sets an empty one.
// Children may be nested arrays, nodes or text; null, undefined and false are skipped.

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
