"""HTML for the widgets' static fallbacks (``text/html``: nbconvert, nbviewer, GitHub, an
untrusted notebook), drawing the same rows and the same DOM contract as the live widgets.

Every function takes rows from ``tables.py`` and returns a string; every text that comes from
storage or from a user (labels, paths, error messages) is escaped here, attributes included.
The markup is the DOM contract the browser tests rely on::

    <div class="opendal-static"><style>...</style>   (with style=True)
    <div class="opendal-legend"><span data-state="native"><b>✓</b> native</span>...
    <table class="opendal-matrix">
      <tr class="opendal-group" data-group="read">...
      <td data-service="memory" data-cap="read_with_suffix" data-state="simulated" title="...">
        <span class="odl-sym">≈</span> <span class="odl-word">simulated</span>
    <table class="opendal-trace"> <tr class="opendal-call" data-op data-path data-outcome>
    <span class="opendal-entry opendal-dir" data-path="d/">   <div class="opendal-preview">
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from opendal_lab.widgets.tables import (
    EntryRow,
    Matrix,
    MatrixCell,
    TraceRow,
    format_seconds,
    format_size,
)
from opendal_lab.widgets.text import STATES, state_word

__all__ = [
    "LEGEND",
    "STYLE",
    "entry_html",
    "legend_html",
    "listing_html",
    "matrix_html",
    "message_html",
    "trace_html",
]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


# One style block, scoped under .opendal-static, so the HTML stands alone in nbconvert and
# nbviewer. It carries the widgets' colour vocabulary (static/theme.css: --odl-* names over
# JupyterLab's --jp-* variables, light fallbacks elsewhere), so the fallback follows the dark
# theme too. Where styles are stripped (GitHub, an untrusted notebook), every cell still
# says its state with a symbol and a word.
_THEME = (Path(__file__).with_name("static") / "theme.css").read_text(encoding="utf-8")
STYLE = (
    "<style>\n"
    + _THEME
    + """
.opendal-static {background: var(--odl-bg);}
.opendal-static .odl-scroll {overflow-x: auto; max-width: 100%;}
.opendal-static .opendal-matrix, .opendal-static .opendal-trace
  {border-collapse: collapse; font: 12px/1.4 var(--odl-mono); color: var(--odl-fg);}
.opendal-static th, .opendal-static td
  {border: 1px solid var(--odl-border); padding: 1px 6px; text-align: left;}
.opendal-static .opendal-matrix td {white-space: nowrap;}
.opendal-static tr.opendal-group th {background: var(--odl-bg-alt); font-weight: bold;}
.opendal-static [data-state="native"] {background: var(--odl-native-bg);}
.opendal-static [data-state="simulated"] {background: var(--odl-simulated-bg);}
.opendal-static [data-state="overridden"], .opendal-static [data-state="removed"]
  {background: var(--odl-overridden-bg);}
.opendal-static [data-state="unsupported"] {background: var(--odl-unsupported-bg);}
.opendal-static .opendal-legend {margin: 0 0 4px;}
.opendal-static .opendal-legend span {display: inline-block; padding: 0 6px; margin: 0 4px 2px 0;
  font: 12px var(--odl-mono); border: 1px solid var(--odl-border); color: var(--odl-fg);}
.opendal-static .opendal-trace tr[data-outcome]:not([data-outcome="ok"]) td.opendal-outcome
  {font-weight: bold;}
.opendal-static .opendal-preview pre {max-height: 20em; overflow: auto;}
</style>"""
)

# word -> what it means, in the legend's order (text.STATES adds each one's symbol).
LEGEND: dict[str, str] = {word: meaning for word, (_, meaning) in STATES.items()}


def _static(body: str, style: bool) -> str:
    return f'<div class="opendal-static">{STYLE}{body}</div>' if style else body


def legend_html() -> str:
    """One item per state: its symbol and word, coloured like the cells (title: meaning)."""
    items = "".join(
        f'<span data-state="{word}" title="{_attr(meaning)}">'
        f'<b aria-hidden="true">{symbol}</b> {word}</span>'
        for word, (symbol, meaning) in STATES.items()
    )
    return f'<div class="opendal-legend">{items}</div>'


def _cell_html(cell: MatrixCell) -> str:
    extra = ' data-removed="true"' if cell.removed else ""
    word = state_word(cell)
    value = ""
    if not isinstance(cell.value, bool) and cell.value is not None:
        extra += f' data-value="{cell.value}"'
        value = f'<span class="odl-value">{escape(cell.text)}</span> '
    return (
        f'<td data-service="{_attr(cell.service)}" data-cap="{_attr(cell.field)}" '
        f'data-state="{cell.state}"{extra} title="{_attr(cell.tooltip)}">'
        f'<span class="odl-sym" aria-hidden="true">{STATES[word][0]}</span> {value}'
        f'<span class="odl-word">{word}</span></td>'
    )


def matrix_html(matrix: Matrix, *, legend: bool = True, style: bool = True) -> str:
    """The legend, then one table: fields as rows under a marker row per group, operators as
    columns. ``style`` wraps both in ``div.opendal-static`` with the style block."""
    width = len(matrix.services) + 1
    head = "".join(f'<th data-service="{_attr(s)}">{escape(s)}</th>' for s in matrix.services)
    parts = [
        legend_html() if legend else "",
        '<div class="odl-scroll"><table class="opendal-matrix">',
    ]
    parts.append(f"<thead><tr><th>capability</th>{head}</tr></thead><tbody>")
    group = None
    for row in matrix.rows:
        if row.group != group:
            group = row.group
            parts.append(
                f'<tr class="opendal-group" data-group="{_attr(group)}">'
                f'<th colspan="{width}">{escape(group)}</th></tr>'
            )
        cells = "".join(_cell_html(cell) for cell in row.cells)
        parts.append(
            f'<tr data-cap="{_attr(row.field)}" data-group="{_attr(row.group)}">'
            f"<th>{escape(row.field)}</th>{cells}</tr>"
        )
    if not matrix.rows:
        parts.append(f'<tr><td colspan="{width}">no field matches the filters</td></tr>')
    parts.append("</tbody></table></div>")
    return _static("".join(parts), style)


def _levels_text(row: TraceRow, timings: bool) -> str:
    def short(name: str) -> str:
        return name.removesuffix("Layer") or name

    if not timings:
        return " > ".join(short(name) for name, _ in row.levels)
    return " > ".join(f"{short(name)} {format_seconds(t)}" for name, t in row.levels)


def trace_html(rows: Sequence[TraceRow], *, timings: bool = True, style: bool = True) -> str:
    """The trace table; ``timings=False`` leaves times out (for deterministic fallbacks)."""
    head = "<tr><th>#</th><th>operation</th><th>path</th><th>outcome</th>"
    if timings:
        head += "<th>time</th><th>per layer (outermost first)</th></tr>"
    else:
        head += "<th>layers</th></tr>"
    parts = [f'<table class="opendal-trace"><thead>{head}</thead><tbody>']
    for row in rows:
        title = f' title="{_attr(row.error)}"' if row.error else ""
        size = f" ({format_size(row.size)})" if row.size is not None else ""
        timing = f"<td>{format_seconds(row.duration)}</td>" if timings else ""
        parts.append(
            f'<tr class="opendal-call" data-op="{_attr(row.operation)}" '
            f'data-path="{_attr(row.path)}" data-outcome="{_attr(row.outcome)}">'
            f"<td>{row.index}</td><td>{escape(row.operation)}</td>"
            f"<td>{escape(row.path)}{escape(size)}</td>"
            f'<td class="opendal-outcome"{title}>{escape(row.outcome)}</td>{timing}'
            f"<td>{escape(_levels_text(row, timings))}</td></tr>"
        )
    if not rows:
        parts.append('<tr><td colspan="6">no calls recorded yet</td></tr>')
    parts.append("</tbody></table>")
    return _static("".join(parts), style)


def entry_html(row: EntryRow, *, relay: str | None = None) -> str:
    """One child of a directory: its name, and its size for a file.

    ``relay`` is a CSS class: clicking the name then clicks the element of that class in the
    same node (the widget's button), so the name itself is what a user clicks.
    """
    classes = "opendal-entry opendal-dir" if row.is_dir else "opendal-entry opendal-file"
    size = ""
    if row.size is not None:
        size = f' <small class="opendal-size">{format_size(row.size)}</small>'
    onclick = ""
    if relay is not None:
        # Only constant class names go into the handler; the path stays in data-path.
        onclick = (
            f" onclick=\"this.closest('.opendal-node').querySelector('.{relay}').click()\""
            ' style="cursor: pointer"'
        )
    return (
        f'<span class="{classes}" data-path="{_attr(row.path)}"{onclick}>'
        f"{escape(row.name)}</span>{size}"
    )


def listing_html(rows: Sequence[EntryRow], truncated: bool = False, root: str = "/") -> str:
    """A static listing of one directory (the browser's fallback)."""
    items = "".join(f"<li>{entry_html(row)}</li>" for row in rows)
    more = "<li>… more entries not shown</li>" if truncated else ""
    empty = "<li>(empty)</li>" if not rows else ""
    return (
        f'<div class="opendal-listing" data-path="{_attr(root)}"><b>{escape(root)}</b>'
        f"<ul>{items}{more}{empty}</ul></div>"
    )


def message_html(css_class: str, lines: Sequence[str]) -> str:
    """Lines of plain text in a ``<pre>`` under a div of ``css_class`` (demo, counters)."""
    body = escape("\n".join(lines))
    return f'<div class="{_attr(css_class)}"><pre>{body}</pre></div>'
