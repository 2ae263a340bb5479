"""HTML for the capability matrix's static fallback (``text/html``: nbconvert, nbviewer,
GitHub, an untrusted notebook), drawing the same rows and the same DOM contract as the live
widget.

Every function takes rows from ``tables.py`` and returns a string; every text that comes from
storage or from a user (labels, field names, tooltips) is escaped here, attributes included.
The markup is the DOM contract the tests rely on::

    <div class="opendal-static"><style>...</style>   (with style=True)
    <div class="opendal-legend"><span data-state="native"><b>✓</b> native</span>...
    <table class="opendal-matrix">
      <tr class="opendal-group" data-group="read">...
      <td data-service="memory" data-cap="read_with_suffix" data-state="simulated" title="...">
        <span class="odl-sym">≈</span> <span class="odl-word">simulated</span>

The other widgets draw their own fallbacks: the trace viewer's in ``waterfall.py``
(``trace_html``), the browser's in ``listing.py`` (``listing_html``) and ``preview.py``.
"""

from __future__ import annotations

from html import escape

from opendal_lab.core.capability import describe
from opendal_lab.widgets.assets import theme_css
from opendal_lab.widgets.tables import Matrix, MatrixCell
from opendal_lab.widgets.text import STATES, state_word

__all__ = ["LEGEND", "STYLE", "legend_html", "matrix_html"]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


# One style block, scoped under .opendal-static, so the HTML stands alone in nbconvert and
# nbviewer. It carries the widgets' colour vocabulary (static/theme.css: --odl-* names over
# JupyterLab's --jp-* variables, light fallbacks elsewhere), so the fallback follows the dark
# theme too. Where styles are stripped (GitHub, an untrusted notebook), every cell still
# says its state with a symbol and a word.
STYLE = (
    "<style>\n"
    + theme_css()
    + """
.opendal-static {background: var(--odl-bg);}
.opendal-static .odl-scroll {overflow-x: auto; max-width: 100%;}
.opendal-static .opendal-matrix
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
            f'<th title="{_attr(describe(row.field))}">{escape(row.field)}</th>{cells}</tr>'
        )
    if not matrix.rows:
        parts.append(f'<tr><td colspan="{width}">no field matches the filters</td></tr>')
    parts.append("</tbody></table></div>")
    return _static("".join(parts), style)
