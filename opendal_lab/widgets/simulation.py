"""SimulationLab: SimulateLayer's switches over one operator or several, and what each does.

::

    from opendal_lab.widgets import SimulationLab
    lab = SimulationLab(Operator("fs", root="/tmp/x"))   # every switch starts off
    lab.switches["list_recursive"].value = True          # what ticking the box does
    lab.operator.list("/", recursive=True)               # the rebuilt operator
    lab.summary_lines                                    # ['fs · list_with_recursive: ...']

The lab starts from the services' native behaviour (every switch off) unless ``switches``
says otherwise, so each box shows what its switch adds. Each switch shows its label, one
line on what it does and its cost in storage calls (``SWITCH_INFO``). Flipping one
rebuilds every operator with ``op.with_simulate(SimulateLayer(...))`` (their other layers
are kept), updates the matrix, which marks the cells that changed, and puts a summary of
those changes at the top ("memory · create_dir: unsupported → simulated"). It then runs the
switch's demonstration call on each operator (``demos.py``) and shows, in monospace, the
storage calls it really made (``create_dir('a/')`` → ``write('a/', 0 B)``). The counters
of simulations run add up across toggles until the reset button.

The demonstration writes a few small files under ``simulation-lab/`` on first use;
``demo=False`` leaves storage alone (for operators that would make network calls).

The lab is a VBox of two anywidgets: the switch panel (``static/simulation.js``) and a
``CapabilityMatrix``; Python holds the state and both only draw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

import traitlets

from opendal_lab.core.layers.simulate import SWITCH_INFO, SWITCHES, SimulateLayer
from opendal_lab.core.operator import Operator
from opendal_lab.widgets._base import FallbackRepr, anywidget, ipywidgets, static_css, static_esm
from opendal_lab.widgets.demos import DEMO_ROOT, DemoRun, record_demo
from opendal_lab.widgets.matrix import CapabilityMatrix
from opendal_lab.widgets.tables import Operators, label_operators

__all__ = ["SimulationLab", "SimulationPanel", "Switch"]

NO_CHANGE = "no cell changed: the services do it natively or lack what the switch builds on"


class SimulationPanel(anywidget.AnyWidget):
    """The lab's switches, change summary, demonstration and counters (drawn by
    ``simulation.js``; SimulationLab holds the state)."""

    _esm = static_esm("simulation.js")
    _css = static_css("simulation.css")

    switches = traitlets.List(traitlets.Dict()).tag(sync=True)  # name, label, description, cost
    values = traitlets.Dict().tag(sync=True)  # switch -> on
    summary = traitlets.Dict().tag(sync=True)  # title, lines, revision
    demo = traitlets.List(traitlets.Unicode()).tag(sync=True)  # monospace lines
    counters = traitlets.List(traitlets.Unicode()).tag(sync=True)


class Switch:
    """One switch of the lab: what it is, and its box (``value`` reads and sets it)."""

    def __init__(self, panel: SimulationPanel, name: str) -> None:
        info = SWITCH_INFO[name]
        self._panel = panel
        self.name = name
        self.label = info.label
        self.description = info.description
        self.cost = info.cost
        self.fields = info.fields

    @property
    def value(self) -> bool:
        return bool(self._panel.values.get(self.name, False))

    @value.setter
    def value(self, on: bool) -> None:
        self._panel.values = {**self._panel.values, self.name: bool(on)}

    def __repr__(self) -> str:
        return f"<Switch {self.name}={'on' if self.value else 'off'}: {self.label}>"


class SimulationLab(FallbackRepr, ipywidgets.VBox):  # type: ignore[misc]
    """Toggles for SimulateLayer's switches over one operator or several."""

    def __init__(
        self,
        operators: Operators,
        *,
        switches: Mapping[str, bool] | None = None,
        demo_root: str = DEMO_ROOT,
        demo: bool = True,
    ) -> None:
        unknown = set(switches or {}) - set(SWITCHES)
        if unknown:
            raise KeyError(f"unknown simulate switches {sorted(unknown)}; switches: {SWITCHES}")
        self._base = label_operators(operators)
        self._demo_root = demo_root
        self._run_demos = demo
        initial = {name: bool((switches or {}).get(name, False)) for name in SWITCHES}
        self._layers: dict[str, SimulateLayer] = {}
        # Counters add up across rebuilds: what earlier layers counted, and where the
        # current layer's count stood at the last reset.
        self._archived: dict[str, dict[str, int]] = {
            label: dict.fromkeys(SWITCHES, 0) for label in self._base
        }
        self._baseline: dict[str, dict[str, int]] = {}
        self.operators: dict[str, Operator] = self._rebuild(initial)
        self.matrix = CapabilityMatrix(self.operators)
        hint = "flip a switch to run its demo" if demo else "demonstration calls are off"
        self.last_demo: list[str] = [hint]
        self.last_runs: list[DemoRun] = []
        self.panel = SimulationPanel(
            switches=[
                {
                    "name": name,
                    "label": SWITCH_INFO[name].label,
                    "description": SWITCH_INFO[name].description,
                    "cost": SWITCH_INFO[name].cost,
                    "fields": list(SWITCH_INFO[name].fields),
                }
                for name in SWITCHES
            ],
            values=initial,
            summary={"title": "no switch flipped yet", "lines": [], "revision": 0},
            demo=self.last_demo,
        )
        self.switches: dict[str, Switch] = {name: Switch(self.panel, name) for name in SWITCHES}
        super().__init__(children=[self.panel, self.matrix])
        self.add_class("opendal-widget")
        self.add_class("opendal-simulation-lab")
        self.panel.observe(self._on_values, names="values")
        self.panel.on_msg(self._on_message)
        self._draw_counters()

    # -- state -------------------------------------------------------------------------
    @property
    def operator(self) -> Operator:
        """The first operator, rebuilt with the current switches."""
        return next(iter(self.operators.values()))

    @property
    def switch_values(self) -> dict[str, bool]:
        return {name: switch.value for name, switch in self.switches.items()}

    @property
    def summary_lines(self) -> list[str]:
        """What the last toggle changed, one line per cell (or why nothing did)."""
        return list(self.panel.summary.get("lines", []))

    def _rebuild(self, values: Mapping[str, bool]) -> dict[str, Operator]:
        for label, layer in self._layers.items():  # keep what the old layers counted
            for name, total in self._counts(label, layer).items():
                self._archived[label][name] += total
        rebuilt = {}
        for label, op in self._base.items():
            # One layer per operator: its counters then count that operator's simulations.
            layer = SimulateLayer(**values, warn_unneeded=False)
            self._layers[label] = layer
            self._baseline[label] = dict.fromkeys(SWITCHES, 0)
            rebuilt[label] = op.with_simulate(layer)
        return rebuilt

    def _counts(self, label: str, layer: SimulateLayer) -> dict[str, int]:
        base = self._baseline.get(label, {})
        return {name: n - base.get(name, 0) for name, n in layer.counters.items()}

    # -- reacting ----------------------------------------------------------------------
    def _on_values(self, change: dict[str, Any]) -> None:
        old, new = change["old"] or {}, change["new"] or {}
        flipped = [name for name in SWITCHES if bool(old.get(name)) != bool(new.get(name))]
        self.apply(flipped[0] if len(flipped) == 1 else None)

    def _on_message(self, widget: Any, content: dict[str, Any], buffers: list[bytes]) -> None:
        if content.get("type") == "reset":
            self.reset_counters()

    def apply(self, switch: str | None = None) -> None:
        """Rebuild with the switches' values, update the matrix and the summary, and run
        ``switch``'s demonstration."""
        self.operators = self._rebuild(self.switch_values)
        self.matrix.update(self.operators)
        title = "switches applied"
        if switch is not None:
            title = f"simulate {switch}: {'on' if self.switches[switch].value else 'off'}"
        lines = self.matrix.change_lines() or [NO_CHANGE]
        if switch is not None and self._run_demos:
            self.last_runs = [
                record_demo(op, switch, label, self._demo_root)
                for label, op in self.operators.items()
            ]
            self.last_demo = [title] + [line for run in self.last_runs for line in run.lines]
        elif switch is not None:
            self.last_demo = [title, "demonstration calls are off"]
        with self.panel.hold_sync():
            revision = int(self.panel.summary.get("revision", 0)) + 1
            self.panel.summary = {"title": title, "lines": lines, "revision": revision}
            self.panel.demo = list(self.last_demo)
            self._draw_counters()

    def reset_counters(self) -> None:
        """Start every counter again from zero."""
        for label, layer in self._layers.items():
            self._archived[label] = dict.fromkeys(SWITCHES, 0)
            self._baseline[label] = dict(layer.counters)
        self._draw_counters()

    def counts(self) -> dict[str, dict[str, int]]:
        """Per operator, how often each simulation ran since the lab started (or the reset)."""
        return {
            label: {
                name: self._archived[label][name] + n
                for name, n in self._counts(label, layer).items()
            }
            for label, layer in self._layers.items()
        }

    def counter_lines(self) -> list[str]:
        """``label: switch=count ...`` for each operator where a simulation ran."""
        lines = []
        for label, counts in self.counts().items():
            ran = [f"{name}={n}" for name, n in counts.items() if n]
            if ran:
                lines.append(f"{label}: {' '.join(ran)}")
        return lines or ["no simulation ran"]

    def _draw_counters(self) -> None:
        self.panel.counters = self.counter_lines()

    # -- fallbacks ---------------------------------------------------------------------
    def _switch_line(self) -> str:
        return "switches: " + ", ".join(
            f"{name}={'on' if on else 'off'}" for name, on in self.switch_values.items()
        )

    def _fallback_text(self) -> str:
        return f"{self._switch_line()}\n{self.matrix._fallback_text()}"

    def _fallback_html(self) -> str:
        items = "".join(
            f"<li><b>{escape(s.label)}</b> <code>{escape(s.name)}</code>: "
            f"{'on' if s.value else 'off'} ({escape(s.description)} Cost: {escape(s.cost)})</li>"
            for s in self.switches.values()
        )
        return (
            f'<div class="opendal-simulation-lab"><ul class="opendal-switches">{items}</ul>'
            f"{self.matrix._fallback_html()}</div>"
        )

    def __repr__(self) -> str:
        on = [name for name, value in self.switch_values.items() if value]
        return (
            f"<SimulationLab {', '.join(self.operators)}: "
            f"switches on: {', '.join(on) if on else 'none'}>"
        )
