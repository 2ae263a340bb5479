"""SimulationLab: one checkbox per SimulateLayer switch, the matrix, and a demonstration call.

::

    from opendal_lab.widgets import SimulationLab
    lab = SimulationLab(Operator("fs", root="/tmp/x"))   # every switch starts off
    lab.switches["list_recursive"].value = True          # what clicking the box does
    lab.operator.list("/", recursive=True)               # the rebuilt operator

The lab starts from the services' native behaviour (every switch off) unless ``switches``
says otherwise, so each box shows what its switch adds. Flipping one rebuilds every
operator with ``op.with_simulate(SimulateLayer(...))`` (their other layers are kept),
redraws the matrix, runs that switch's demonstration call on each operator (``demos.py``)
and shows the simulation counters of the new layers. The demonstration writes a few small
files under ``simulation-lab/`` on first use; ``demo=False`` leaves storage alone (for
operators that would make network calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opendal_lab.core.operator import Operator
from opendal_lab.layers.simulate import SWITCHES, SimulateLayer
from opendal_lab.widgets._base import FallbackRepr, ipywidgets
from opendal_lab.widgets.demos import DEMO_ROOT, run_demo
from opendal_lab.widgets.html import message_html
from opendal_lab.widgets.matrix import CapabilityMatrix
from opendal_lab.widgets.tables import Operators, label_operators

__all__ = ["SimulationLab"]


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
        self.switches: dict[str, Any] = {
            name: ipywidgets.Checkbox(
                description=f"simulate {name}",
                value=on,
                indent=False,
                layout=ipywidgets.Layout(width="auto", margin="0 1.5em 0 0"),
            )
            for name, on in initial.items()
        }
        self._layers: dict[str, SimulateLayer] = {}
        self.operators: dict[str, Operator] = self._rebuild(initial)
        self.matrix = CapabilityMatrix(self.operators)
        hint = "flip a switch to run its demo" if demo else "demonstration calls are off"
        self.demo = ipywidgets.HTML(message_html("opendal-demo", [hint]))
        self.counters = ipywidgets.HTML()
        self.last_demo: list[str] = []
        # Wrapped in rows: seven boxes stacked would push the matrix below the fold.
        toggles = ipywidgets.Box(
            list(self.switches.values()), layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        toggles.add_class("opendal-switches")
        super().__init__(children=[toggles, self.demo, self.counters, self.matrix])
        self.add_class("opendal-simulation-lab")
        for name, box in self.switches.items():
            box.observe(self._flipped(name), names="value")
        self._draw_counters()

    # -- state -------------------------------------------------------------------------
    @property
    def operator(self) -> Operator:
        """The first operator, rebuilt with the current switches."""
        return next(iter(self.operators.values()))

    @property
    def switch_values(self) -> dict[str, bool]:
        return {name: bool(box.value) for name, box in self.switches.items()}

    def _rebuild(self, values: Mapping[str, bool]) -> dict[str, Operator]:
        rebuilt = {}
        for label, op in self._base.items():
            # One layer per operator: its counters then count that operator's simulations.
            layer = SimulateLayer(**values, warn_unneeded=False)
            self._layers[label] = layer
            rebuilt[label] = op.with_simulate(layer)
        return rebuilt

    # -- reacting ----------------------------------------------------------------------
    def _flipped(self, switch: str) -> Any:
        def on_change(change: dict[str, Any]) -> None:
            self.apply(switch)

        return on_change

    def apply(self, switch: str | None = None) -> None:
        """Rebuild with the checkboxes' values, redraw, and run ``switch``'s demo."""
        self.operators = self._rebuild(self.switch_values)
        self.matrix.update(self.operators)
        if switch is not None and self._run_demos:
            state = "on" if self.switches[switch].value else "off"
            self.last_demo = [f"simulate {switch}: {state}"] + [
                run_demo(op, switch, label, self._demo_root) for label, op in self.operators.items()
            ]
            self.demo.value = message_html("opendal-demo", self.last_demo)
        self._draw_counters()

    def counter_lines(self) -> list[str]:
        """``label: switch=count ...`` for each operator where a simulation ran."""
        lines = []
        for label, layer in self._layers.items():
            ran = [f"{name}={n}" for name, n in layer.counters.items() if n]
            if ran:
                lines.append(f"{label}: {' '.join(ran)}")
        return lines or ["no simulation ran"]

    def _draw_counters(self) -> None:
        self.counters.value = message_html(
            "opendal-counters", ["simulation counters", *self.counter_lines()]
        )

    # -- fallbacks ---------------------------------------------------------------------
    def _switch_line(self) -> str:
        return "switches: " + ", ".join(
            f"{name}={'on' if on else 'off'}" for name, on in self.switch_values.items()
        )

    def _fallback_text(self) -> str:
        return f"{self._switch_line()}\n{self.matrix._fallback_text()}"

    def _fallback_html(self) -> str:
        return (
            f'<div class="opendal-simulation-lab"><p>{self._switch_line()}</p>'
            f"{self.matrix._fallback_html()}</div>"
        )

    def __repr__(self) -> str:
        on = [name for name, value in self.switch_values.items() if value]
        return (
            f"<SimulationLab {', '.join(self.operators)}: "
            f"switches on: {', '.join(on) if on else 'none'}>"
        )
