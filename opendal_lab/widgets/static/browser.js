// The Browser's front end: an anywidget ESM module, loaded as it is (no build step).
//
// State lives in traitlets (`title`, `root`, `paging_label`, `open_dirs`, `selected_path`,
// `_generation`, and `_first_page`, the root's first page, drawn without a round trip); the
// rest is asked for when needed: a custom message per listing page or preview, tagged with an
// id, answered by the kernel with the same id. A spinner holds the place of the answer until
// it comes. Every colour comes from the --odl-* vocabulary in browser.css; every icon has an
// accessible label.

const ICON_SHAPES = {
  folder: '<path d="M1.5 3.5h4.5l1.5 1.5h7v8.5h-13z" fill="currentColor" fill-opacity=".25"/>',
  parquet:
    '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M5.5 7v5.5M8 7v5.5M10.5 7v5.5" stroke-width="1.6"/>',
  csv: '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M3.5 7.5h9M3.5 10.5h9M8 4.5v10"/>',
  json:
    '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M6.5 7c-1 0-1 .5-1 1.5s-.5 1-1 1c.5 0 1 0 1 1s0 1.5 1 1.5M9.5 7c1 0 1 .5 1 1.5s.5 1 1 1c-.5 0-1 0-1 1s0 1.5-1 1.5"/>',
  text: '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M5.5 7.5h5M5.5 9.5h5M5.5 11.5h3.5"/>',
  image:
    '<rect x="1.5" y="2.5" width="13" height="11" rx="1"/><path d="M2 12l4-4.5 3 3 2-2 3.5 3.5"/><circle cx="11" cy="5.5" r="1.2"/>',
  other: '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M9.5 1.5v3h3"/>',
};

function icon(kind, label) {
  const span = h("span", { class: "odl-icon", "data-kind": kind, role: "img", "aria-label": label, title: label });
  // Constant markup only: nothing from storage goes into innerHTML.
  span.innerHTML =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" fill="none" ' +
    'stroke="currentColor" stroke-width="1.1" stroke-linejoin="round">' +
    (ICON_SHAPES[kind] || ICON_SHAPES.other) +
    "</svg>";
  return span;
}

const PATIENCE_MS = 15000; // then the spinner says the kernel may be gone (and waits on)

function spinner(text) {
  const note = h("span", { class: "odl-waiting" });
  const node = h(
    "div",
    { class: "odl-loading", role: "status" },
    h("span", { class: "odl-spinner", "aria-hidden": "true" }),
    text,
    note,
  );
  setTimeout(() => {
    if (node.isConnected) note.textContent = " still waiting: is the kernel running?";
  }, PATIENCE_MS);
  return node;
}

function failure(text) {
  return h("div", { class: "odl-failure", role: "alert" }, `✗ ${text}`);
}

function tableView(answer) {
  const { columns, dtypes, numeric, rows } = answer.table;
  const head = h(
    "tr",
    {},
    columns.map((c, i) =>
      h("th", { scope: "col", class: numeric[i] ? "odl-num" : null }, c, h("small", {}, dtypes[i])),
    ),
  );
  const body = rows.map((row) =>
    h(
      "tr",
      {},
      row.map((v, i) =>
        v === null
          ? h("td", { class: "odl-null" }, "null")
          : h("td", { class: numeric[i] ? "odl-num" : null }, String(v)),
      ),
    ),
  );
  return [
    h("p", { class: "odl-note" }, answer.note),
    h(
      "div",
      { class: "odl-table-wrap" },
      h("table", { class: "odl-table" }, h("thead", {}, head), h("tbody", {}, body)),
    ),
  ];
}

function previewBody(answer) {
  if (answer.table) return tableView(answer);
  if (answer.image)
    return h("img", { class: "odl-image", src: answer.image, alt: `preview of ${answer.path}` });
  if (answer.text !== undefined)
    return [
      answer.note ? h("p", { class: "odl-note" }, answer.note) : null,
      h("pre", { class: "odl-text" }, answer.text),
    ];
  return h("p", { class: "odl-note" }, answer.message || "no preview");
}

function metadataPanel(rows) {
  return h(
    "dl",
    { class: "odl-meta" },
    rows.map(([field, label, value]) =>
      h(
        "div",
        { class: "odl-meta-row" },
        h("dt", {}, label),
        value === null
          ? h("dd", { "data-field": field, "data-missing": "true" }, "— not given by the service")
          : h("dd", { "data-field": field }, value),
      ),
    ),
  );
}

function render({ model, el }) {
  const started = performance.now();
  el.classList.add("opendal-widget", "odl-browser");
  const view = Math.random().toString(36).slice(2, 10);
  let sequence = 0;
  const waiting = new Map();
  function request(message) {
    const id = `${view}-${++sequence}`;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      model.send({ ...message, id });
    });
  }
  model.on("msg:custom", (message) => {
    const resolve = message && waiting.get(message.id);
    if (!resolve) return;
    waiting.delete(message.id);
    resolve(message);
  });

  const title = h("h3", { class: "odl-title" });
  const paging = h("span", { class: "odl-paging" });
  const refresh = h(
    "button",
    { type: "button", class: "odl-button odl-refresh", title: "list and read again" },
    "↻ refresh",
  );
  const tree = h("div", { class: "odl-tree", role: "list" });
  const side = h("section", { class: "odl-side", "aria-label": "selected file", "aria-live": "polite" });
  el.replaceChildren(
    h("header", { class: "odl-head" }, icon("folder", "storage"), title, paging, refresh),
    h("div", { class: "odl-panes" }, tree, side),
  );

  // path → {dir, depth, open, row, children, token, history}; the root has no row.
  const nodes = new Map();
  let shown = null; // the path whose preview the side pane shows or waits for

  function placeholder() {
    side.replaceChildren(
      h("p", { class: "odl-placeholder" }, "Select a file to see its metadata and a preview."),
    );
  }

  function entryNode(entry, depth) {
    const pad = `${6 + depth * 16}px`;
    const row = h(
      "button",
      {
        type: "button",
        class: `odl-row opendal-entry ${entry.dir ? "opendal-dir" : "opendal-file"}`,
        "data-path": entry.path,
        "data-kind": entry.kind,
        title: entry.path,
        "aria-expanded": entry.dir ? "false" : null,
        onclick: () => (entry.dir ? toggle(entry.path) : select(entry.path)),
      },
      h("span", { class: "odl-twisty", "aria-hidden": "true" }, entry.dir ? "▸" : ""),
      icon(entry.kind, entry.kind_label),
      h("span", { class: "odl-name" }, entry.name),
      entry.size_text ? h("span", { class: "odl-size odl-num" }, entry.size_text) : null,
    );
    row.style.paddingLeft = pad;
    const item = h("div", { class: "odl-node", role: "listitem" }, row);
    if (entry.dir) {
      const children = h("div", { class: "odl-children", role: "list" });
      item.append(children);
      nodes.set(entry.path, { dir: true, depth: depth + 1, open: false, row, children, token: null, history: [] });
    } else {
      nodes.set(entry.path, { dir: false, row });
      if (entry.path === model.get("selected_path")) row.setAttribute("aria-current", "true");
    }
    return item;
  }

  function pager(state, path, answer) {
    if (answer.start === 0 && !answer.next) return null;
    const first = answer.start + 1;
    const last = answer.start + answer.entries.length;
    const of = answer.total === null ? "" : ` of ${answer.total.toLocaleString("en")}`;
    const previous = state.history.length
      ? h(
          "button",
          {
            type: "button",
            class: "odl-button odl-prev",
            "aria-label": `previous page of ${path}`,
            onclick: () => load(path, state.history.pop()),
          },
          "‹ previous",
        )
      : null;
    const next = answer.next
      ? h(
          "button",
          {
            type: "button",
            class: "odl-button odl-next",
            "aria-label": `next page of ${path}`,
            onclick: () => {
              state.history.push(state.token);
              load(path, answer.next);
            },
          },
          "next page ›",
        )
      : null;
    const pad = `${6 + state.depth * 16}px`;
    const line = h(
      "div",
      { class: "odl-pager" },
      h("span", { class: "odl-num" }, `entries ${first.toLocaleString("en")}–${last.toLocaleString("en")}${of}`),
      previous,
      next,
    );
    line.style.paddingLeft = pad;
    return line;
  }

  async function load(path, token) {
    const state = nodes.get(path);
    if (!state) return;
    state.token = token;
    const ask = {};
    state.asking = ask;
    const first = model.get("_first_page");
    let answer;
    if (path === model.get("root") && !token && first && first.path === path && !first.error) {
      answer = first; // sent with the state: no round trip
    } else {
      state.children.replaceChildren(spinner(`listing ${path}…`));
      answer = await request({ type: "list", path, token });
    }
    if (state.asking !== ask || !state.open) return; // superseded or closed meanwhile
    if (answer.error) {
      state.children.replaceChildren(failure(answer.error));
      return;
    }
    forgetBelow(path);
    const items = answer.entries.map((entry) => entryNode(entry, state.depth));
    if (!items.length) items.push(h("div", { class: "odl-empty" }, "(empty)"));
    state.children.replaceChildren(...items, pager(state, path, answer) || []);
    if (path === model.get("root")) {
      performance.measure("opendal-browser-render", { start: started });
      requestAnimationFrame(() => performance.measure("opendal-browser-paint", { start: started }));
    }
    sync(); // a directory Python opened below this one opens now
  }

  function forgetBelow(path) {
    for (const key of [...nodes.keys()]) {
      if (key !== path && key.startsWith(path)) nodes.delete(key);
    }
  }

  function sync() {
    const open = new Set(model.get("open_dirs"));
    const root = model.get("root");
    for (const [path, state] of [...nodes]) {
      if (!state.dir) continue;
      const want = path === root || open.has(path);
      if (want && !state.open) {
        state.open = true;
        state.history = [];
        state.row?.setAttribute("aria-expanded", "true");
        state.row?.querySelector(".odl-twisty")?.replaceChildren("▾");
        load(path, null);
      } else if (!want && state.open) {
        state.open = false;
        state.asking = null;
        state.row?.setAttribute("aria-expanded", "false");
        state.row?.querySelector(".odl-twisty")?.replaceChildren("▸");
        state.children.replaceChildren();
        forgetBelow(path);
      }
    }
  }

  function toggle(path) {
    const open = model.get("open_dirs");
    const next = open.includes(path) ? open.filter((p) => !p.startsWith(path)) : [...open, path];
    model.set("open_dirs", next);
    model.save_changes();
    sync();
  }

  function select(path) {
    model.set("selected_path", path);
    model.save_changes();
    showPreview(path);
  }

  async function showPreview(path) {
    shown = path;
    for (const [p, state] of nodes) {
      if (state.dir) continue;
      if (p === path) state.row.setAttribute("aria-current", "true");
      else state.row.removeAttribute("aria-current");
    }
    side.replaceChildren(spinner(`reading ${path}…`));
    const answer = await request({ type: "preview", path });
    if (shown !== path) return; // another file was selected meanwhile
    if (answer.error) {
      side.replaceChildren(failure(answer.error));
      return;
    }
    side.replaceChildren(
      h(
        "header",
        { class: "odl-preview-head" },
        icon(answer.icon, answer.icon),
        h("b", { class: "odl-preview-path" }, answer.path),
        answer.size_text ? h("small", { class: "odl-num" }, answer.size_text) : null,
      ),
      metadataPanel(answer.metadata),
      h(
        "div",
        { class: "opendal-preview", "data-path": answer.path, "data-kind": answer.kind },
        previewBody(answer),
      ),
    );
  }

  function reset() {
    nodes.clear();
    const root = model.get("root");
    nodes.set(root, { dir: true, depth: 0, open: false, row: null, children: tree, token: null, history: [] });
    title.textContent = model.get("title");
    paging.textContent = model.get("paging_label");
    tree.setAttribute("aria-label", `files of ${model.get("title")}`);
    sync();
    const selected = model.get("selected_path");
    if (selected) showPreview(selected);
    else placeholder();
  }

  refresh.addEventListener("click", async () => {
    await request({ type: "refresh" });
    reset();
  });
  model.on("change:open_dirs", sync);
  model.on("change:_generation", reset);
  model.on("change:title", () => (title.textContent = model.get("title")));
  model.on("change:paging_label", () => (paging.textContent = model.get("paging_label")));
  model.on("change:selected_path", () => {
    const path = model.get("selected_path");
    if (path && path !== shown) showPreview(path);
  });
  reset();
}

export default { render };
