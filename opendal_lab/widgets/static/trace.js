// The TraceViewer's front end: an anywidget ESM module, loaded as it is (no build step).
//
// State lives in traitlets: `_calls` (the rows, as JSON, from waterfall.TraceRow.to_json),
// `_total`, `_actions`, and the filters `operation`, `outcome` and `scale`, which this page and
// Python both set. Buttons talk to the kernel with custom messages: {type: "clear"} and
// {type: "action", name}. Every colour comes from the --odl-* vocabulary in trace.css.

const OUTCOMES = [
  ["", "every outcome"],
  ["ok", "✓ ok only"],
  ["error", "✗ errors only"],
];
const SCALES = [
  ["call", "each call"],
  ["shared", "all calls"],
];
const BAR_HEIGHT = 4; // px per level in the compact waterfall, plus a 1 px gap

function field(name, cls, onChange) {
  const select = h("select", { class: cls, "aria-label": name });
  select.addEventListener("change", () => onChange(select.value));
  const label = h("label", { class: "odl-field" }, h("span", {}, name), select);
  return [label, select];
}

function setOptions(select, options, value) {
  const wanted = options.map(([v, text]) => `${v}\u0000${text}`).join("\u0001");
  if (select.dataset.options !== wanted) {
    select.replaceChildren(...options.map(([v, text]) => h("option", { value: v }, text)));
    select.dataset.options = wanted;
  }
  select.value = value;
}

function percent(part, whole) {
  return `${whole > 0 ? (100 * part) / whole : 0}%`;
}

// One bar per level, each starting where the own time of the levels above it ends.
function waterfall(row, scale, compact) {
  const bars = row.spans.map((span, i) =>
    h("span", {
      class: "odl-bar",
      "data-level": span.level,
      "data-seconds": span.seconds,
      "data-start": span.start,
      title: `${span.label}: ${span.text} own time`,
      style: {
        left: percent(span.start, scale),
        width: percent(span.seconds, scale),
        ...(compact ? { top: `${i * (BAR_HEIGHT + 1)}px` } : {}),
      },
    }),
  );
  if (!compact) return bars;
  const label = row.spans.map((s) => `${s.label} ${s.text}`).join(", ");
  return h(
    "span",
    {
      class: "odl-waterfall",
      role: "img",
      "aria-label": `own time per layer, outermost first: ${label}`,
      style: { height: `${Math.max(1, row.spans.length) * (BAR_HEIGHT + 1) - 1}px` },
    },
    bars,
  );
}

function levels(row, scale) {
  return h(
    "div",
    { class: "odl-levels" },
    row.spans.map((span, i) =>
      h(
        "div",
        { class: "odl-level" },
        h("span", { class: "odl-level-name" }, span.label),
        h("span", { class: "odl-level-time odl-num" }, span.text),
        h("span", { class: "odl-track" }, waterfall({ spans: [span] }, scale, false)),
      ),
    ),
  );
}

function callRow(row, scale, open) {
  const summary = h(
    "summary",
    { class: "odl-line" },
    h("span", { class: "odl-index odl-num" }, `#${row.index}`),
    h("span", { class: "odl-op" }, row.operation),
    h(
      "span",
      { class: "odl-path", title: row.path },
      row.path,
      row.size_text ? h("small", { class: "odl-num" }, ` ${row.size_text}`) : null,
    ),
    h(
      "span",
      { class: "odl-outcome", "data-ok": String(row.ok), title: row.error || null },
      row.outcome_text,
    ),
    h(
      "span",
      { class: "odl-duration odl-num" },
      row.duration_text,
      row.outlier ? h("span", { class: "odl-outlier", title: row.outlier }, "⚠ slow") : null,
    ),
    h("span", { class: "odl-track" }, waterfall(row, scale(row), true)),
  );
  const details = h(
    "details",
    {
      class: "opendal-call",
      "data-op": row.operation,
      "data-path": row.path,
      "data-outcome": row.outcome,
      "data-index": row.index,
      "data-duration": row.duration,
      "data-outlier": row.outlier ? "true" : "false",
      open: open.has(row.index),
    },
    summary,
    levels(row, scale(row)),
    row.error ? h("p", { class: "odl-error" }, `✗ ${row.error}`) : null,
  );
  details.addEventListener("toggle", () => {
    if (details.open) open.add(row.index);
    else open.delete(row.index);
  });
  return details;
}

function render({ model, el }) {
  const started = performance.now();
  el.classList.add("opendal-widget", "odl-trace");
  const set = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  const [opLabel, opSelect] = field("operation", "odl-filter-operation", (v) => set("operation", v));
  const [outLabel, outSelect] = field("outcome", "odl-filter-outcome", (v) => set("outcome", v));
  const [scaleLabel, scaleSelect] = field("bar scale", "odl-filter-scale", (v) => set("scale", v));
  const count = h("span", { class: "odl-count odl-num", "aria-live": "polite" });
  const buttons = h("div", { class: "odl-buttons" });
  const toolbar = h(
    "div",
    { class: "odl-toolbar", role: "toolbar", "aria-label": "trace" },
    h("div", { class: "odl-filters" }, opLabel, outLabel, scaleLabel),
    buttons,
  );
  const head = h(
    "div",
    { class: "odl-line odl-head", "aria-hidden": "true" },
    h("span", { class: "odl-index" }, "#"),
    h("span", { class: "odl-op" }, "operation"),
    h("span", { class: "odl-path" }, "path"),
    h("span", { class: "odl-outcome" }, "outcome"),
    h("span", { class: "odl-duration" }, "time"),
    h("span", { class: "odl-track" }, "layers (own time, outermost first)"),
  );
  const list = h("div", { class: "odl-calls", role: "list", "aria-label": "recorded calls" });
  const scroller = h("div", { class: "odl-scroll" }, head, list);
  const legend = h(
    "p",
    { class: "odl-legend" },
    count,
    " · bars: each layer's own time, outermost first, to scale · ⚠ slow: over 3× the median " +
      "of its operation · open a call to name its layers",
  );
  el.replaceChildren(toolbar, scroller, legend);
  const open = new Set();

  function drawButtons() {
    const names = model.get("_actions") || [];
    buttons.replaceChildren(
      ...names.map((name) =>
        h(
          "button",
          {
            type: "button",
            class: "odl-button odl-action",
            onclick: () => model.send({ type: "action", name }),
          },
          name,
        ),
      ),
      h(
        "button",
        {
          type: "button",
          class: "odl-button opendal-trace-clear",
          title: "forget every recorded call",
          onclick: () => model.send({ type: "clear" }),
        },
        "clear",
      ),
    );
  }

  function draw() {
    const rows = model.get("_calls") || [];
    const operation = model.get("operation");
    const outcome = model.get("outcome");
    const operations = [...new Set(rows.map((r) => r.operation))].sort();
    if (operation && !operations.includes(operation)) operations.push(operation);
    setOptions(
      opSelect,
      [["", "every operation"], ...operations.map((o) => [o, o])],
      operation,
    );
    setOptions(outSelect, OUTCOMES, outcome);
    setOptions(scaleSelect, SCALES, model.get("scale"));
    const shown = rows.filter(
      (r) => (!operation || r.operation === operation) && (!outcome || (outcome === "ok") === r.ok),
    );
    const longest = Math.max(0, ...shown.map((r) => r.duration));
    const scale = model.get("scale") === "shared" ? () => longest : (r) => r.duration;
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
    if (shown.length === 0) {
      const text = rows.length ? "no call matches the filters" : "no calls recorded yet";
      list.replaceChildren(h("p", { class: "odl-empty" }, text));
    } else {
      list.replaceChildren(...shown.map((row) => callRow(row, scale, open)));
    }
    const total = model.get("_total");
    count.textContent = `${shown.length} shown of ${total} call${total === 1 ? "" : "s"} recorded`;
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  for (const name of ["_calls", "_total", "operation", "outcome", "scale"]) {
    model.on(`change:${name}`, draw);
  }
  model.on("change:_actions", drawButtons);
  drawButtons();
  draw();
  // For bench/bench_widget_browser.py: the first render, and until the frame after it.
  performance.measure("opendal-trace-render", { start: started });
  requestAnimationFrame(() => performance.measure("opendal-trace-paint", { start: started }));
}

export default { render };
