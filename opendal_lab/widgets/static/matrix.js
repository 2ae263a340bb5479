// CapabilityMatrix's front end (anywidget ESM, no build step).
//
// Python sends the rows in the `data` traitlet: per field its group, description and
// whether the columns differ; per cell its state, word, value text and tooltip. Nothing
// here decides a capability: this module draws, filters, searches and sorts those rows,
// asks the kernel (custom messages) to explain a cell or export the table, and on an
// update patches only the cells whose content changed.
//
// DOM contract (the browser tests and the static fallback share it): root classes
// opendal-widget opendal-capability-matrix, div.opendal-legend above table.opendal-matrix,
// tr.opendal-group[data-group], tr[data-cap][data-group], td[data-service][data-cap]
// [data-state] (+ data-removed, data-value, data-changed on the cells the last update changed).

const CHANGED_MARK = "Δ";

const cellKey = (service, field) => `${service}\u0000${field}`;

// The content of one cell: symbol, value (limits only), word; all three are text.
function fillCell(td, cell, symbols) {
  td.dataset.state = cell.state;
  if (cell.word === "removed") td.dataset.removed = "true";
  else delete td.dataset.removed;
  if (cell.value !== null && cell.value !== undefined) td.dataset.value = String(cell.value);
  else delete td.dataset.value;
  td.title = cell.tooltip;
  const parts = [h("span", { class: "odl-sym", "aria-hidden": "true", text: symbols[cell.word] || "?" }), " "];
  if (cell.text) parts.push(h("span", { class: "odl-value odl-num", text: cell.text }), " ");
  parts.push(h("span", { class: "odl-word", text: cell.word }));
  td.replaceChildren(...parts);
  if (td._odlMark) td.append(td._odlMark);
  td._odlKey = `${cell.state}|${cell.word}|${cell.text}|${cell.tooltip}`;
}

// Only touches the DOM when the mark comes or goes (a redraw visits every cell).
function markChanged(td, changed) {
  if (Boolean(td._odlMark) === changed) return;
  if (changed) {
    td.dataset.changed = "true";
    td._odlMark = h("span", {
      class: "odl-mark",
      title: "changed by the last update",
      "aria-label": "changed",
      text: CHANGED_MARK,
    });
    td.append(td._odlMark);
  } else {
    delete td.dataset.changed;
    td._odlMark.remove();
    td._odlMark = null;
  }
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

class MatrixView {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.rows = []; // {row, tr, th, tds, index}
    this.cells = new Map(); // cellKey -> td
    this.services = [];
    this.active = null; // the grid element with tabindex 0 (roving focus)
    this.build();
  }

  // -- the shell: toolbar, legend, detail line, scroll box ---------------------------------
  build() {
    const m = this.model;
    this.search = h("input", {
      type: "search",
      class: "odl-search",
      placeholder: "search fields and explanations",
      "aria-label": "search capability fields",
      value: m.get("search"),
    });
    this.group = h("select", { class: "odl-group", "aria-label": "group" });
    this.diff = h("input", { type: "checkbox", class: "odl-diff" });
    this.diff.checked = m.get("only_differences");
    this.count = h("span", { class: "odl-count odl-num", "aria-live": "polite" });
    this.csv = h("button", {
      type: "button",
      class: "odl-export",
      "data-format": "csv",
      title: "download the rows shown as CSV",
      text: "Download CSV",
    });
    this.md = h("button", {
      type: "button",
      class: "odl-export",
      "data-format": "markdown",
      title: "copy the rows shown as a Markdown table",
      text: "Copy Markdown",
    });
    const toolbar = h(
      "div",
      { class: "odl-toolbar" },
      this.search,
      h("label", { class: "odl-labelled" }, "group ", this.group),
      h("label", { class: "odl-labelled" }, this.diff, " only differences"),
      this.count,
      h("span", { class: "odl-actions" }, this.csv, this.md),
    );
    this.legend = h("div", { class: "opendal-legend", "aria-label": "legend" });
    this.detail = h("div", { class: "odl-detail", role: "status", "aria-live": "polite" });
    this.thead = h("thead");
    this.tbody = h("tbody");
    this.table = h("table", { class: "opendal-matrix" }, this.thead, this.tbody);
    this.scroll = h("div", { class: "odl-scroll" }, this.table);
    this.el.replaceChildren(toolbar, this.legend, this.detail, this.scroll);
    this.say(
      "Hover or focus a field for what it means; click a cell (or press Enter on it) " +
        "for the layer that set it and what would change it.",
    );

    this.search.addEventListener("input", () => {
      this.applyFilters();
      m.set("search", this.search.value);
      m.save_changes();
    });
    this.group.addEventListener("change", () => {
      m.set("group", this.group.value);
      m.save_changes();
      this.applyFilters();
    });
    this.diff.addEventListener("change", () => {
      m.set("only_differences", this.diff.checked);
      m.save_changes();
      this.applyFilters();
    });
    for (const button of [this.csv, this.md]) {
      button.addEventListener("click", () => {
        this.say(`preparing ${button.dataset.format}…`);
        m.send({ type: "export", format: button.dataset.format });
      });
    }
    this.thead.addEventListener("click", (event) => {
      const button = event.target.closest("button.odl-sort");
      if (button) this.toggleSort(button.dataset.service);
    });
    this.tbody.addEventListener("click", (event) => {
      const target = event.target.closest("td[data-cap], th.odl-field");
      if (target) this.activate(target, true);
    });
    this.tbody.addEventListener("keydown", (event) => this.onKey(event));
    this.tbody.addEventListener("focusin", (event) => this.describe(event.target));
    this.tbody.addEventListener("mouseover", (event) => {
      const th = event.target.closest("th.odl-field");
      if (th) this.describe(th);
    });
  }

  say(...lines) {
    this.detail.replaceChildren(
      ...lines.map((line, i) => h(i === 0 ? "strong" : "div", { text: line })),
    );
  }

  // -- drawing --------------------------------------------------------------------------
  draw(data) {
    this.data = data;
    this.services = data.services;
    this.symbols = Object.fromEntries(data.legend.map((s) => [s.word, s.symbol]));
    this.rank = Object.fromEntries(data.legend.map((s, i) => [s.word, i]));
    this.legend.replaceChildren(
      ...data.legend.map((s) =>
        h(
          "span",
          { "data-state": s.word, title: s.meaning },
          h("b", { "aria-hidden": "true", text: s.symbol }),
          ` ${s.word}`,
        ),
      ),
    );
    const groupValue = this.model.get("group");
    this.group.replaceChildren(
      ...["all", ...data.groups].map((g) => h("option", { value: g, text: g })),
    );
    this.group.value = groupValue;

    const head = h("tr", {}, h("th", { scope: "col", class: "odl-corner", text: "capability" }));
    for (const service of this.services) {
      head.append(
        h(
          "th",
          { scope: "col", "data-service": service, "aria-sort": "none" },
          h(
            "button",
            { type: "button", class: "odl-sort", "data-service": service, title: `sort by ${service}` },
            service,
            h("span", { class: "odl-sort-mark", "aria-hidden": "true", text: "↕" }),
          ),
        ),
      );
    }
    this.thead.replaceChildren(head);

    const body = document.createDocumentFragment();
    this.rows = [];
    this.groupRows = new Map();
    this.cells.clear();
    const width = this.services.length + 1;
    const changed = new Set(data.changed.map(([s, f]) => cellKey(s, f)));
    data.rows.forEach((row, index) => {
      if (!this.groupRows.has(row.group)) {
        const marker = h(
          "tr",
          { class: "opendal-group", "data-group": row.group },
          h("th", { colspan: width, scope: "colgroup" }, h("span", { text: row.group })),
        );
        this.groupRows.set(row.group, marker);
        body.append(marker);
      }
      const th = h("th", {
        scope: "row",
        class: "odl-field",
        tabindex: "-1",
        title: row.description,
        "data-cap": row.field,
      });
      // A long name may wrap after an underscore when the window is narrow.
      row.field.split("_").forEach((part, i) => {
        if (i > 0) th.append("_", document.createElement("wbr"));
        th.append(part);
      });
      const tr = h("tr", { "data-cap": row.field, "data-group": row.group }, th);
      const tds = row.cells.map((cell, i) => {
        const service = this.services[i];
        const td = h("td", { "data-service": service, "data-cap": row.field, tabindex: "-1" });
        fillCell(td, cell, this.symbols);
        markChanged(td, changed.has(cellKey(service, row.field)));
        this.cells.set(cellKey(service, row.field), td);
        tr.append(td);
        return td;
      });
      const haystack = `${row.field} ${row.description}`.toLowerCase();
      this.rows.push({ row, tr, th, tds, index, haystack });
      body.append(tr);
    });
    this.empty = h(
      "tr",
      { class: "odl-empty", hidden: true },
      h("td", { colspan: width, text: "no field matches the filters" }),
    );
    body.append(this.empty);
    this.tbody.replaceChildren(body);
    this.active = null;
    this.applySort();
    this.applyFilters();
  }

  // A new matrix over the same columns and fields: patch the cells that changed.
  update(data) {
    const same =
      this.data &&
      data.services.length === this.services.length &&
      data.services.every((s, i) => s === this.services[i]) &&
      data.rows.length === this.rows.length &&
      data.rows.every((r, i) => r.field === this.rows[i].row.field);
    if (!same) {
      this.draw(data);
      return;
    }
    this.data = data;
    const changed = new Set(data.changed.map(([s, f]) => cellKey(s, f)));
    data.rows.forEach((row, i) => {
      const entry = this.rows[i];
      entry.row = row;
      entry.haystack = `${row.field} ${row.description}`.toLowerCase();
      row.cells.forEach((cell, j) => {
        const td = entry.tds[j];
        const key = `${cell.state}|${cell.word}|${cell.text}|${cell.tooltip}`;
        if (td._odlKey !== key) fillCell(td, cell, this.symbols);
        markChanged(td, changed.has(cellKey(this.services[j], row.field)));
      });
    });
    // Rows move only under a sort by a column (whose states may have changed).
    if (this.model.get("sort_by")) this.applySort();
    this.applyFilters();
    if (changed.size) this.revealChanged();
  }

  // Scroll the table's own box (never the page) to the first changed cell shown.
  revealChanged() {
    const first = this.tbody.querySelector("tr:not([hidden]) td[data-changed]");
    if (!first) return;
    const box = this.scroll.getBoundingClientRect();
    const cell = first.getBoundingClientRect();
    const header = this.thead.getBoundingClientRect().height;
    if (cell.top < box.top + header || cell.bottom > box.bottom) {
      this.scroll.scrollTop += cell.top - box.top - header - cell.height;
    }
  }

  // -- filters, search, sort --------------------------------------------------------------
  applyFilters() {
    const group = this.model.get("group");
    const onlyDiff = this.diff.checked;
    const words = this.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shownGroups = new Set();
    let shown = 0;
    for (const { row, tr, haystack } of this.rows) {
      const visible =
        (group === "all" || row.group === group) &&
        (!onlyDiff || row.differs) &&
        words.every((w) => haystack.includes(w));
      if (tr.hidden === visible) tr.hidden = !visible;
      if (visible) {
        shown += 1;
        shownGroups.add(row.group);
      }
    }
    for (const [name, marker] of this.groupRows) {
      if (marker.hidden === shownGroups.has(name)) marker.hidden = !shownGroups.has(name);
    }
    if (this.empty.hidden !== shown > 0) this.empty.hidden = shown > 0;
    const count = `${shown} of ${this.rows.length} fields`;
    if (this.count.textContent !== count) this.count.textContent = count;
    if (!this.active || this.active.closest("tr").hidden) this.setActive(this.firstCell());
  }

  toggleSort(service) {
    const m = this.model;
    if (m.get("sort_by") !== service) {
      m.set("sort_by", service);
      m.set("sort_descending", false);
    } else if (!m.get("sort_descending")) {
      m.set("sort_descending", true);
    } else {
      m.set("sort_by", "");
      m.set("sort_descending", false);
    }
    m.save_changes();
    this.applySort();
  }

  // Within each group, by the column's state in legend order (native first), then field
  // order; group marker rows stay where they are.
  applySort() {
    const by = this.model.get("sort_by");
    const desc = this.model.get("sort_descending");
    const column = this.services.indexOf(by);
    for (const th of this.thead.querySelectorAll("th[data-service]")) {
      const on = th.dataset.service === by;
      th.setAttribute("aria-sort", on ? (desc ? "descending" : "ascending") : "none");
      th.querySelector(".odl-sort-mark").textContent = on ? (desc ? "↓" : "↑") : "↕";
    }
    const order = [...this.rows];
    if (column >= 0) {
      const sign = desc ? -1 : 1;
      order.sort((a, b) => {
        const g = a.index - b.index;
        if (a.row.group !== b.row.group) return g;
        const ra = this.rank[a.row.cells[column].word];
        const rb = this.rank[b.row.cells[column].word];
        return ra !== rb ? sign * (ra - rb) : g;
      });
    }
    const body = document.createDocumentFragment();
    let group = null;
    for (const entry of order) {
      if (entry.row.group !== group) {
        group = entry.row.group;
        body.append(this.groupRows.get(group));
      }
      body.append(entry.tr);
    }
    body.append(this.empty);
    this.tbody.append(body);
  }

  // -- keyboard and pointer: a roving tabindex over field names and cells ----------------------
  firstCell() {
    const entry = this.rows.find((e) => !e.tr.hidden);
    return entry ? entry.tds[0] || entry.th : null;
  }

  setActive(node) {
    if (this.active) this.active.tabIndex = -1;
    this.active = node;
    if (node) node.tabIndex = 0;
  }

  describe(node) {
    if (!(node instanceof Element)) return;
    if (node.matches("th.odl-field")) {
      this.say(node.dataset.cap, node.title);
    } else if (node.matches("td[data-cap]")) {
      this.say(node.title, "Press Enter (or click) for who set it and what would change it.");
    }
  }

  activate(node, explain) {
    this.setActive(node);
    if (document.activeElement !== node) node.focus({ preventScroll: true });
    if (explain && node.matches("td[data-cap]")) {
      this.say(`${node.dataset.service} · ${node.dataset.cap}: asking the kernel…`);
      this.model.send({ type: "explain", service: node.dataset.service, field: node.dataset.cap });
    }
  }

  onKey(event) {
    const node = event.target.closest("td[data-cap], th.odl-field");
    if (!node) return;
    const tr = node.closest("tr");
    const rows = [...this.tbody.querySelectorAll("tr[data-cap]:not([hidden])")];
    const r = rows.indexOf(tr);
    const c = [...tr.children].indexOf(node);
    let target = null;
    switch (event.key) {
      case "ArrowDown":
        target = rows[r + 1]?.children[c];
        break;
      case "ArrowUp":
        target = rows[r - 1]?.children[c];
        break;
      case "ArrowRight":
        target = tr.children[c + 1];
        break;
      case "ArrowLeft":
        target = tr.children[c - 1];
        break;
      case "Home":
        target = tr.children[0];
        break;
      case "End":
        target = tr.children[tr.children.length - 1];
        break;
      case "Enter":
      case " ":
        this.activate(node, true);
        break;
      default:
        return;
    }
    // Handled here: keep JupyterLab's notebook shortcuts (Enter edits a cell) out of it.
    event.preventDefault();
    event.stopPropagation();
    if (target) this.activate(target, false);
  }

  // -- the kernel's answers ---------------------------------------------------------------
  onMessage(msg) {
    if (msg.type === "explain") {
      this.say(...msg.lines);
    } else if (msg.type === "export") {
      if (msg.format === "csv") {
        download(msg.filename, msg.text, "text/csv");
        this.say(`downloaded ${msg.filename}`);
        return;
      }
      const fallback = () => {
        download(msg.filename, msg.text, "text/markdown");
        this.say(`clipboard unavailable: downloaded ${msg.filename}`);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard
          .writeText(msg.text)
          .then(() => this.say("copied the Markdown table to the clipboard"), fallback);
      } else {
        fallback();
      }
    }
  }
}

function render({ model, el }) {
  const start = performance.now();
  el.classList.add("opendal-widget", "opendal-capability-matrix");
  // Keys typed in the widget are the widget's: no notebook shortcut fires from here.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  const view = new MatrixView(model, el);
  view.draw(model.get("data"));
  model.on("change:data", () => {
    // How long a redraw takes, patch and until the next frame (the benchmark reads these).
    const t = performance.now();
    view.update(model.get("data"));
    el.dataset.updateMs = (performance.now() - t).toFixed(2);
    requestAnimationFrame(() => {
      el.dataset.redrawMs = (performance.now() - t).toFixed(2);
    });
  });
  model.on("change:group", () => {
    view.group.value = model.get("group");
    view.applyFilters();
  });
  model.on("change:only_differences", () => {
    view.diff.checked = model.get("only_differences");
    view.applyFilters();
  });
  model.on("change:search", () => {
    if (view.search.value !== model.get("search")) view.search.value = model.get("search");
    view.applyFilters();
  });
  model.on("change:sort_by", () => view.applySort());
  model.on("change:sort_descending", () => view.applySort());
  model.on("msg:custom", (msg) => view.onMessage(msg));
  // First render, from render() to the painted table (the benchmark reads it).
  requestAnimationFrame(() => {
    el.dataset.renderMs = (performance.now() - start).toFixed(1);
  });
}

export default { render };
