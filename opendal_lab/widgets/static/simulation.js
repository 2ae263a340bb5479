// SimulationLab's switch panel (anywidget ESM, no build step).
//
// Draws what Python sends: one card per SimulateLayer switch (label, name, what it does,
// its cost in storage calls), the summary of what the last toggle changed (at the top, kept
// in view after a toggle), the demonstration's calls in monospace, and the counters with a
// reset button. A tick sets the `values` traitlet; the kernel rebuilds the operators and
// the matrix beside this panel marks the cells that changed.

function inViewport(node) {
  const r = node.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight);
}

function render({ model, el }) {
  const start = performance.now();
  el.classList.add("opendal-widget", "opendal-simulation-panel");
  el.setAttribute("data-lm-suppress-shortcuts", "true");

  const summaryTitle = h("strong", { class: "odl-summary-title" });
  const summaryList = h("ul", { class: "odl-summary-lines" });
  const summary = h(
    "section",
    { class: "opendal-summary", role: "status", "aria-live": "polite", "aria-label": "what changed" },
    summaryTitle,
    summaryList,
  );

  const boxes = new Map();
  const grid = h("div", { class: "odl-switches opendal-switches" });
  for (const s of model.get("switches")) {
    const id = `odl-${s.name}-${Math.random().toString(36).slice(2, 8)}`;
    const box = h("input", {
      type: "checkbox",
      "data-switch": s.name,
      "aria-label": `simulate ${s.name}: ${s.label}`,
      "aria-describedby": `${id}-desc ${id}-cost`,
    });
    box.addEventListener("change", () => {
      model.set("values", { ...model.get("values"), [s.name]: box.checked });
      model.save_changes();
      el.dataset.pending = s.name;
    });
    boxes.set(s.name, box);
    grid.append(
      h(
        "label",
        { class: "odl-switch", "data-switch": s.name },
        box,
        h(
          "span",
          { class: "odl-switch-text" },
          h("span", { class: "odl-switch-label", text: s.label }),
          " ",
          h("code", { class: "odl-switch-name", text: s.name }),
          h("span", { class: "odl-switch-desc", id: `${id}-desc`, text: s.description }),
          h("span", { class: "odl-switch-cost", id: `${id}-cost`, text: `cost: ${s.cost}` }),
        ),
      ),
    );
  }

  const demo = h("pre", { class: "odl-mono" });
  const counters = h("pre", { class: "odl-mono odl-num" });
  const reset = h("button", { type: "button", class: "odl-reset", text: "reset counters" });
  reset.addEventListener("click", () => model.send({ type: "reset" }));

  el.replaceChildren(
    summary,
    grid,
    h(
      "div",
      { class: "odl-panels" },
      h(
        "section",
        { class: "opendal-demo", "aria-label": "demonstration" },
        h("div", { class: "odl-section-title", text: "demonstration: the call, then what reached storage" }),
        demo,
      ),
      h(
        "section",
        { class: "opendal-counters", "aria-label": "simulation counters" },
        h("div", { class: "odl-section-title" }, "simulation counters ", reset),
        counters,
      ),
    ),
  );

  const drawValues = () => {
    const values = model.get("values");
    for (const [name, box] of boxes) box.checked = Boolean(values[name]);
  };
  const drawSummary = () => {
    const s = model.get("summary");
    summaryTitle.textContent = s.title;
    summaryList.replaceChildren(...s.lines.map((line) => h("li", { text: line })));
    summary.dataset.revision = String(s.revision);
    delete el.dataset.pending;
    // The answer to a click belongs where the user looks: bring the summary into view
    // with the least scrolling if the toggle left it off screen.
    if (s.revision > 0 && !inViewport(summary)) summary.scrollIntoView({ block: "nearest" });
  };
  const drawDemo = () => {
    demo.textContent = model.get("demo").join("\n");
  };
  const drawCounters = () => {
    counters.textContent = model.get("counters").join("\n");
  };
  drawValues();
  drawSummary();
  drawDemo();
  drawCounters();
  model.on("change:values", drawValues);
  model.on("change:summary", drawSummary);
  model.on("change:demo", drawDemo);
  model.on("change:counters", drawCounters);
  requestAnimationFrame(() => {
    el.dataset.renderMs = (performance.now() - start).toFixed(1);
  });
}

export default { render };
