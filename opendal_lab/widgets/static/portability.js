// The PortabilityCheck's front end: an anywidget ESM module, loaded as it is (no build step).
//
// State lives in traitlets: `targets` (the column labels), `rows` (PortabilityRow.to_json:
// each kind of recorded call, with one cell per target: state, symbol, extra calls, reason),
// `totals` (per target), `legend` ([state, symbol, meaning]) and `only_problems`, a filter
// this page and Python both set. Clicking a cell (or Enter on it) shows why it is in its
// state. Every colour comes from the --odl-* vocabulary (theme.css, portability.css).

function legend(items) {
  return h(
    "div",
    { class: "opendal-legend", role: "list", "aria-label": "legend" },
    items.map(([state, symbol, meaning]) =>
      h(
        "span",
        { "data-state": state, title: meaning, role: "listitem" },
        h("span", { class: "odl-sym", "aria-hidden": "true" }, symbol),
        ` ${state}`,
      ),
    ),
  );
}

function explain(row, cell) {
  const lines = [
    `${row.call} → ${cell.target}: ${cell.symbol} ${cell.state}`,
    cell.reason,
    `Fields: ${cell.fields.join(", ") || "none"}`,
  ];
  if (cell.extra) lines.push(`Extra storage calls: ${cell.extra}`);
  lines.push(`Recorded ${row.count}× (e.g. ${row.example || "/"})`);
  return lines.join("\n");
}

function render({ model, el }) {
  el.classList.add("opendal-widget", "opendal-portability-check");
  const filter = h("input", { type: "checkbox", class: "odl-only-problems" });
  filter.addEventListener("change", () => {
    model.set("only_problems", filter.checked);
    model.save_changes();
  });
  const toolbar = h(
    "div",
    { class: "odl-toolbar" },
    h("label", {}, filter, " only calls that are not native everywhere"),
    h("span", { class: "odl-totals odl-num", "aria-live": "polite" }),
  );
  const legendBox = h("div");
  const scroller = h("div", { class: "odl-scroll" });
  const detail = h("div", { class: "odl-detail", role: "status", "aria-live": "polite" });
  el.replaceChildren(legendBox, toolbar, scroller, detail);
  let selected = null; // [row.call, target]

  function select(td, row, cell) {
    for (const other of scroller.querySelectorAll('td[aria-selected="true"]')) {
      other.setAttribute("aria-selected", "false");
    }
    td.setAttribute("aria-selected", "true");
    selected = [row.call, cell.target];
    detail.textContent = explain(row, cell);
  }

  function cellNode(row, cell) {
    const td = h(
      "td",
      {
        "data-target": cell.target,
        "data-state": cell.state,
        "data-fields": cell.fields.join(" "),
        title: cell.reason,
        tabindex: "0",
        "aria-selected": "false",
      },
      h("span", { class: "odl-sym", "aria-hidden": "true" }, cell.symbol),
      " ",
      h("span", { class: "odl-word" }, cell.state),
      cell.extra ? h("small", { class: "odl-extra odl-num" }, cell.extra) : null,
    );
    td.addEventListener("click", () => select(td, row, cell));
    td.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        select(td, row, cell);
      }
    });
    if (selected && selected[0] === row.call && selected[1] === cell.target) {
      td.setAttribute("aria-selected", "true");
      detail.textContent = explain(row, cell);
    }
    return td;
  }

  function draw() {
    const targets = model.get("targets");
    const rows = model.get("rows");
    const onlyProblems = model.get("only_problems");
    filter.checked = onlyProblems;
    legendBox.replaceChildren(legend(model.get("legend")));
    const shown = onlyProblems
      ? rows.filter((row) => row.cells.some((cell) => cell.state !== "native"))
      : rows;
    const head = h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "call"),
        h("th", { scope: "col" }, "calls"),
        h("th", { scope: "col" }, "needs"),
        targets.map((t) => h("th", { scope: "col", "data-target": t }, t)),
      ),
    );
    const width = targets.length + 3;
    const body = h(
      "tbody",
      {},
      shown.length === 0
        ? h(
            "tr",
            {},
            h(
              "td",
              { colspan: width },
              rows.length ? "every call runs natively on every target" : "no calls recorded yet",
            ),
          )
        : shown.map((row) =>
            h(
              "tr",
              { "data-op": row.operation, "data-call": row.call },
              h(
                "th",
                { scope: "row", title: row.example },
                row.call,
                row.failed_here
                  ? h("small", { class: "odl-failed" }, ` (${row.failed_here} failed here)`)
                  : null,
              ),
              h("td", { class: "odl-num" }, String(row.count)),
              h("td", { class: "odl-needs" }, row.fields.join(", ")),
              row.cells.map((cell) => cellNode(row, cell)),
            ),
          ),
    );
    const totals = model.get("totals");
    const foot = h(
      "tfoot",
      {},
      h(
        "tr",
        {},
        h("th", { colspan: 3, scope: "row" }, "all calls"),
        totals.map((t) => h("td", { "data-target": t.target, class: "odl-num" }, t.text)),
      ),
    );
    scroller.replaceChildren(h("table", { class: "opendal-portability" }, head, body, foot));
    toolbar.querySelector(".odl-totals").textContent =
      `${shown.length} of ${rows.length} kinds of call shown`;
    if (!scroller.querySelector('td[aria-selected="true"]')) detail.textContent = "";
  }

  for (const name of ["rows", "targets", "totals", "legend", "only_problems"]) {
    model.on(`change:${name}`, draw);
  }
  draw();
}

export default { render };
