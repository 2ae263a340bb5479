"""One small call per SimulateLayer switch, and the storage calls it really made.

``record_demo(op, switch)`` makes the call the switch is about (a recursive list for
``list_recursive``, ``stat("dir/")`` for ``stat_dir``...) under a scratch prefix, with a
RecorderLayer between the service and the layers, so it can say what reached storage:
``create_dir('simulation-lab/made/')`` became ``write('simulation-lab/made/', 0 B)`` on a
service without directories. It returns a ``DemoRun``: the call, its result or the error it
raised (an ``Unsupported`` naming the missing capability when the switch is off and the
service cannot do it itself), and the storage calls. ``run_demo`` gives the one-line form.

The files a demo reads are written once per operator on first use, where the operator can
write; setting up and checking the result are not recorded, only the demonstrated call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opendal_lab.core.errors import Error
from opendal_lab.core.layers.correctness_check import CorrectnessCheckLayer
from opendal_lab.core.layers.simulate import SWITCHES
from opendal_lab.core.operator import Operator
from opendal_lab.layers.recorder import Call, RecorderLayer
from opendal_lab.widgets.tables import format_size

__all__ = [
    "DEMO_ROOT",
    "DemoRun",
    "demo_call",
    "record_demo",
    "recording",
    "run_demo",
    "seed_demo",
    "storage_call_text",
]

DEMO_ROOT = "simulation-lab/"
MAX_CALLS_SHOWN = 12

# The files every demo reads: a file at the top, one in a subdirectory.
_FILES = {"a.txt": b"alpha", "b.txt": b"bravo", "sub/c.txt": b"charlie"}


def seed_demo(op: Operator, root: str = DEMO_ROOT) -> None:
    """Write the demo files under ``root`` unless they are there (or ``op`` cannot write)."""
    cap = op.capability()
    if not cap.write:
        return
    for name, data in _FILES.items():
        if not op.exists(root + name):
            op.write(root + name, data)


def recording(op: Operator) -> tuple[Operator, RecorderLayer]:
    """A twin of ``op`` over the same service and the same layer objects (so the same
    data and the same SimulateLayer counters), with a RecorderLayer right above the
    service: what it records is what reached storage."""
    recorder = RecorderLayer(capacity=1000)
    layers = [level.layer for level in op.stack[1:] if level.layer is not None]
    # The user's layers are the ones above the default stack, which CorrectnessCheck ends.
    last_default = max(
        i for i, layer in enumerate(layers) if isinstance(layer, CorrectnessCheckLayer)
    )
    service = op.stack[0].access
    twin = Operator.from_service(
        recorder.wrap(service), simulate=op.simulate, layers=layers[last_default + 1 :]
    )
    return twin, recorder


def storage_call_text(call: Call) -> str:
    """``write('a/', 0 B)``, ``list('a/') → 4 entries``, ``stat('x') ✗ NotFound``."""
    outcome = "" if call.outcome == "ok" else f" ✗ {call.outcome}"
    if call.operation == "delete_many":  # its path is already "N paths"
        return f"delete_many({call.path}){outcome}"
    if call.operation == "list":
        n = call.bytes
        entries = (
            f" → {n} {'entry' if n == 1 else 'entries'}" if n is not None and not outcome else ""
        )
        return f"list({call.path!r}){entries}{outcome}"
    size = f", {format_size(call.bytes)}" if call.bytes is not None else ""
    return f"{call.operation}({call.path!r}{size}){outcome}"


@dataclass(frozen=True)
class DemoRun:
    """One demonstration on one operator: the call, its outcome, what reached storage."""

    label: str
    switch: str
    code: str  # the call, as code: "create_dir('simulation-lab/made/')"
    result: str  # what it returned, or "ErrorKind: message"
    ok: bool
    calls: tuple[str, ...]  # the storage calls, oldest first (storage_call_text)

    @property
    def line(self) -> str:
        """``memory: list(...) → [...]`` or ``memory: list(...) ✗ Unsupported: ...``."""
        return f"{self.label}: {self.code} {'→' if self.ok else '✗'} {self.result}"

    @property
    def lines(self) -> list[str]:
        """The line, then one indented line per storage call (at most ``MAX_CALLS_SHOWN``)."""
        if not self.calls:
            return [self.line, "    storage calls: none"]
        shown = [f"    ↳ {call}" for call in self.calls[:MAX_CALLS_SHOWN]]
        if len(self.calls) > MAX_CALLS_SHOWN:
            shown.append(f"    ↳ … {len(self.calls) - MAX_CALLS_SHOWN} more")
        return [self.line, *shown]


def demo_call(switch: str, root: str = DEMO_ROOT) -> str:
    """The call ``record_demo`` makes for ``switch``, as code."""
    return _code(_DEMOS[switch], root)


def _code(demo: _Demo, root: str) -> str:
    paths = {"a": "a.txt", "sub": "sub/", "made": "made/", "tmp": "tmp/"}
    return demo.code.format(root=root, **{key: root + name for key, name in paths.items()})


def _paths(op: Operator, path: str, **options: object) -> str:
    return repr([e.path.removeprefix(path) or "." for e in op.list(path, **options)])


@dataclass(frozen=True)
class _Demo:
    code: str
    act: Callable[[Operator, str], str]  # the recorded call; returns what it gave back
    prepare: Callable[[Operator, str], None] | None = None
    check: Callable[[Operator, str], str] | None = None  # said after the result


def _made_exists(op: Operator, root: str) -> str:
    return f"exists({root + 'made/'!r}) = {op.exists(root + 'made/')}"


def _write_tmp(op: Operator, root: str) -> None:
    if op.capability().write:
        op.write(root + "tmp/x.txt", b"x")


def _tmp_exists(op: Operator, root: str) -> str:
    return f"exists({root + 'tmp/x.txt'!r}) = {op.exists(root + 'tmp/x.txt')}"


def _create_dir(op: Operator, root: str) -> str:
    op.create_dir(root + "made/")
    return "created"


def _delete_recursive(op: Operator, root: str) -> str:
    op.delete(root + "tmp/", recursive=True)
    return "deleted"


_DEMOS: dict[str, _Demo] = {
    "list_recursive": _Demo(
        "list({root!r}, recursive=True)", lambda op, root: _paths(op, root, recursive=True)
    ),
    "list_start_after": _Demo(
        "list({root!r}, start_after={a!r})",
        lambda op, root: _paths(op, root, start_after=root + "a.txt"),
    ),
    "list_limit": _Demo("list({root!r}, limit=1)", lambda op, root: _paths(op, root, limit=1)),
    "stat_dir": _Demo(
        "stat({sub!r})", lambda op, root: f"mode={op.stat(root + 'sub/').mode.value}"
    ),
    "create_dir": _Demo("create_dir({made!r})", _create_dir, check=_made_exists),
    "delete_recursive": _Demo(
        "delete({tmp!r}, recursive=True)",
        _delete_recursive,
        prepare=_write_tmp,
        check=_tmp_exists,
    ),
    "read_with_suffix": _Demo(
        "read({a!r}, suffix=3)",
        lambda op, root: repr(op.read(root + "a.txt", suffix=3)),
    ),
}
assert set(_DEMOS) == set(SWITCHES), "every switch needs a demo"


def _failure(err: Exception) -> str:
    message = err.message if isinstance(err, Error) else str(err)
    return f"{type(err).__name__}: {message}"


def record_demo(
    op: Operator, switch: str, label: str | None = None, root: str = DEMO_ROOT
) -> DemoRun:
    """Run ``switch``'s demonstration on ``op``; never raises for a failing call (the
    failure is the demonstration), only for an unknown switch."""
    if switch not in _DEMOS:
        raise KeyError(f"unknown simulate switch {switch!r}; switches: {', '.join(SWITCHES)}")
    demo = _DEMOS[switch]
    code = _code(demo, root)
    label = label or op.scheme
    try:
        seed_demo(op, root)
        if demo.prepare is not None:
            demo.prepare(op, root)
    except Exception as err:  # the demo shows failures; it must not break the widget
        return DemoRun(label, switch, code, f"setting up failed: {_failure(err)}", False, ())
    twin, recorder = recording(op)
    try:
        result, ok = demo.act(twin, root), True
    except Exception as err:
        result, ok = _failure(err), False
    calls = tuple(storage_call_text(call) for call in recorder.calls)
    if ok and demo.check is not None:
        try:
            result = f"{result}; {demo.check(op, root)}"
        except Exception as err:
            result = f"{result}; checking failed: {_failure(err)}"
    return DemoRun(label, switch, code, result, ok, calls)


def run_demo(op: Operator, switch: str, label: str | None = None, root: str = DEMO_ROOT) -> str:
    """``record_demo``'s one line: ``"memory: list(...) → [...]"`` or
    ``"memory: list(...) ✗ Unsupported: ..."``."""
    return record_demo(op, switch, label, root).line
