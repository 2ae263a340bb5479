"""One small call per SimulateLayer switch, to show what turning it on or off does.

``run_demo(op, switch)`` makes the call the switch is about (a recursive list for
``list_recursive``, ``stat("dir/")`` for ``stat_dir``...) under a scratch prefix, and returns
one line: the call and its result, or the error it raised (an ``Unsupported`` naming the
missing capability when the switch is off and the service cannot do it itself). The files
it needs are written once per operator on first use, where the operator can write.
"""

from __future__ import annotations

from collections.abc import Callable

from opendal_lab.core.errors import Error
from opendal_lab.core.operator import Operator
from opendal_lab.layers.simulate import SWITCHES

__all__ = ["DEMO_ROOT", "demo_call", "run_demo", "seed_demo"]

DEMO_ROOT = "simulation-lab/"

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


def demo_call(switch: str, root: str = DEMO_ROOT) -> str:
    """The call ``run_demo`` makes for ``switch``, as code."""
    return _DEMOS[switch][0].format(root=root)


def _paths(op: Operator, path: str, **options: object) -> str:
    return repr([e.path.removeprefix(path) or "." for e in op.list(path, **options)])


def _list_recursive(op: Operator, root: str) -> str:
    return _paths(op, root, recursive=True)


def _list_start_after(op: Operator, root: str) -> str:
    return _paths(op, root, start_after=root + "a.txt")


def _list_limit(op: Operator, root: str) -> str:
    return _paths(op, root, limit=1)


def _stat_dir(op: Operator, root: str) -> str:
    return f"mode={op.stat(root + 'sub/').mode.value}"


def _create_dir(op: Operator, root: str) -> str:
    op.create_dir(root + "made/")
    return f"created; exists({root + 'made/'!r}) = {op.exists(root + 'made/')}"


def _delete_recursive(op: Operator, root: str) -> str:
    if op.capability().write:
        op.write(root + "tmp/x.txt", b"x")
    op.delete(root + "tmp/", recursive=True)
    return f"deleted; exists({root + 'tmp/x.txt'!r}) = {op.exists(root + 'tmp/x.txt')}"


def _read_with_suffix(op: Operator, root: str) -> str:
    return repr(op.read(root + "a.txt", suffix=3))


_DEMOS: dict[str, tuple[str, Callable[[Operator, str], str]]] = {
    "list_recursive": ("list({root!r}, recursive=True)", _list_recursive),
    "list_start_after": ("list({root!r}, start_after={root!r} + 'a.txt')", _list_start_after),
    "list_limit": ("list({root!r}, limit=1)", _list_limit),
    "stat_dir": ("stat({root!r} + 'sub/')", _stat_dir),
    "create_dir": ("create_dir({root!r} + 'made/')", _create_dir),
    "delete_recursive": ("delete({root!r} + 'tmp/', recursive=True)", _delete_recursive),
    "read_with_suffix": ("read({root!r} + 'a.txt', suffix=3)", _read_with_suffix),
}
assert set(_DEMOS) == set(SWITCHES), "every switch needs a demo"


def run_demo(op: Operator, switch: str, label: str | None = None, root: str = DEMO_ROOT) -> str:
    """``"memory: list(...) → [...]"`` or ``"memory: list(...) ✗ Unsupported: ..."``."""
    if switch not in _DEMOS:
        raise KeyError(f"unknown simulate switch {switch!r}; switches: {', '.join(SWITCHES)}")
    code, call = _DEMOS[switch]
    head = f"{label or op.scheme}: {code.format(root=root)}"
    try:
        seed_demo(op, root)
        return f"{head} → {call(op, root)}"
    except Error as err:
        return f"{head} ✗ {type(err).__name__}: {err.message}"
    except Exception as err:  # the demo shows failures; it must not break the widget
        return f"{head} ✗ {type(err).__name__}: {err}"
