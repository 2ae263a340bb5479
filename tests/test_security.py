"""The fs root jail: no path, however built, reads or writes outside the root.

Layout of every jail (``top`` is watched byte for byte, except for ``root``)::

    top/
      top-secret.txt
      d1/d2/d3/d4/d5/d6/
        outside/secret.txt, outside/sub/secret2.txt      sentinel data
        root/                                            the fs service's root
          inside.txt, real/f
          link_in -> real/          link_file_in -> inside.txt      (stay inside)
          link_dir_out -> ../outside link_file_out -> /abs/outside/secret.txt
          link_top -> top            link_chain -> link_hop -> ../outside   (lead out)

The root sits seven levels below ``top`` and generated paths have at most six segments,
so even a jail that let ``..`` through would land inside what the test watches.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opendal_lab as od
from opendal_lab import Operator, PermissionDenied
from opendal_lab.core.path import normalize

SENTINEL = b"TOP-SECRET-SENTINEL"
PROBE = f"opendal_lab_jail_probe_{uuid.uuid4().hex}"
#: Absolute paths a broken jail would create; harmless names that must never appear.
SYSTEM_PROBES = (f"/etc/{PROBE}", f"/tmp/{PROBE}")
INSIDE = b"inside data"
PAYLOAD = b"payload"

Snapshot = dict[str, tuple[Any, ...]]


@dataclass
class Jail:
    top: Path
    root: Path
    outside: Path
    op: Operator
    baseline: Snapshot

    def reset(self) -> None:
        """Empty the root and lay out its files and links again."""
        if self.root.is_dir():
            for child in self.root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        self.root.mkdir(exist_ok=True)
        (self.root / "inside.txt").write_bytes(INSIDE)
        (self.root / "real").mkdir()
        (self.root / "real" / "f").write_bytes(b"real f")
        os.symlink("real", self.root / "link_in")
        os.symlink("inside.txt", self.root / "link_file_in")
        os.symlink("../outside", self.root / "link_dir_out")
        os.symlink(self.outside / "secret.txt", self.root / "link_file_out")
        os.symlink(self.top, self.root / "link_top")
        os.symlink("../outside", self.root / "link_hop")
        os.symlink("link_hop", self.root / "link_chain")

    def unchanged(self) -> None:
        """Nothing outside the root changed, and nothing appeared anywhere else."""
        assert snapshot(self.top, self.root) == self.baseline
        for probe in SYSTEM_PROBES:
            assert not os.path.lexists(probe), f"{probe} was created outside the jail"

    def inside(self, path: str) -> bool:
        """Whether ``path`` (as given to the operator) resolves to a place inside the root."""
        try:
            p = normalize(path)
        except (TypeError, ValueError):
            return True
        real = os.path.realpath(os.path.join(self.root, "" if p == "/" else p))
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)


def snapshot(top: Path, skip: Path) -> Snapshot:
    """Every path under ``top`` but ``skip``: files with bytes and mode, dirs, link targets."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(top):
        if Path(dirpath) == skip:
            dirnames.clear()
            continue
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            if full == skip:
                continue
            rel = str(full.relative_to(top))
            st_ = full.lstat()
            if full.is_symlink():
                out[rel] = ("link", os.readlink(full))
            elif full.is_dir():
                out[rel] = ("dir", st_.st_mode)
            else:
                out[rel] = ("file", full.read_bytes(), st_.st_mode, st_.st_mtime_ns)
    return out


def build_jail(top: Path) -> Jail:
    deep = top / "d1" / "d2" / "d3" / "d4" / "d5" / "d6"
    outside, root = deep / "outside", deep / "root"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(SENTINEL)
    (outside / "sub" / "secret2.txt").write_bytes(SENTINEL + b"2")
    (top / "top-secret.txt").write_bytes(SENTINEL + b"top")
    root.mkdir()
    jail = Jail(top, root, outside, Operator("fs", root=str(root)), snapshot(top, root))
    jail.reset()
    return jail


@pytest.fixture(scope="module")
def module_jail(tmp_path_factory: pytest.TempPathFactory) -> Jail:
    return build_jail(tmp_path_factory.mktemp("jail"))


@pytest.fixture
def jail(tmp_path: Path) -> Jail:
    return build_jail(tmp_path)


# -- generated paths ---------------------------------------------------------------------

NAMED_SEGMENTS = [
    "..",
    ".",
    "",
    " ",
    " .. ",
    "...",
    "\t",
    "\n",
    "a",
    "b",
    "inside.txt",
    "real",
    "link_in",
    "link_file_in",
    "link_dir_out",
    "link_file_out",
    "link_top",
    "link_chain",
    "outside",
    "secret.txt",
    "sub",
    "d6",
    "root",
    "~",
    "\x00",
    "a\x00b",
    "\\..\\..",
    "..\\",
    "%2e%2e",
    "\u2025",
    "ü",
    "名前",
    "🙂",
    "x" * 255,
    "y" * 300,
]
SEGMENT = st.one_of(st.sampled_from(NAMED_SEGMENTS), st.text(min_size=1, max_size=12))
#: "<OUTSIDE>" and "<TOP>" become the jail's absolute paths; "<SYS>" a system probe.
PREFIX = st.sampled_from(["", "/", "//", " /", "./", "../", "<OUTSIDE>/", "<TOP>/", "<SYS>/"])

OPERATIONS = [
    "write",
    "append",
    "write_if_not_exists",
    "open_write",
    "read",
    "read_suffix",
    "open_read",
    "stat",
    "exists",
    "list",
    "list_recursive",
    "delete",
    "delete_recursive",
    "create_dir",
    "copy_to",
    "copy_from",
    "rename_to",
    "rename_from",
]


@st.composite
def jail_paths(draw: st.DrawFn) -> str:
    prefix = draw(PREFIX)
    segments = draw(st.lists(SEGMENT, min_size=0, max_size=6))
    if prefix == "<SYS>/":
        # Never let a broken jail walk up from a system directory.
        segments = [s.replace("..", "__") for s in segments]
    trailing = draw(st.sampled_from(["", "", "", "/", " "]))
    return prefix + "/".join(segments) + trailing


def _concrete(jail: Jail, path: str) -> str:
    if path.startswith("<SYS>"):
        path = path.replace("<SYS>", SYSTEM_PROBES[len(path) % 2], 1)
    return path.replace("<OUTSIDE>", str(jail.outside), 1).replace("<TOP>", str(jail.top), 1)


def _run(jail: Jail, operation: str, path: str) -> None:
    """Run one operation with ``path``; check what a success returned."""
    op = jail.op
    checked = path  # the path whose success must mean "inside the root"
    if operation == "write":
        op.write(path, PAYLOAD)
    elif operation == "append":
        op.write(path, PAYLOAD, append=True)
    elif operation == "write_if_not_exists":
        op.write(path, PAYLOAD, if_not_exists=True)
    elif operation == "open_write":
        with op.open(path, "wb") as f:
            f.write(PAYLOAD)
    elif operation in ("read", "read_suffix", "open_read"):
        if operation == "read":
            data = op.read(path)
        elif operation == "read_suffix":
            data = op.read(path, suffix=4)
        else:
            with op.open(path, "rb") as f:
                data = f.read()
        assert SENTINEL not in data
    elif operation == "stat":
        op.stat(path)
    elif operation == "exists":
        if not op.exists(path):
            return
    elif operation in ("list", "list_recursive"):
        for entry in op.list(path, recursive=operation == "list_recursive"):
            assert jail.inside(entry.path), f"listed {entry.path!r} outside the root"
        return
    elif operation == "delete":
        op.delete(path)
    elif operation == "delete_recursive":
        op.delete(path, recursive=True)
    elif operation == "create_dir":
        op.create_dir(path)
    elif operation == "copy_to":
        op.copy("inside.txt", path)
    elif operation == "copy_from":
        op.copy(path, "copied.txt")
        assert SENTINEL not in (jail.root / "copied.txt").read_bytes()
    elif operation == "rename_to":
        op.rename("inside.txt", path)
    elif operation == "rename_from":
        op.rename(path, "moved.txt")
        assert SENTINEL not in (jail.root / "moved.txt").read_bytes()
    else:  # pragma: no cover - a typo in OPERATIONS
        raise AssertionError(operation)
    assert jail.inside(checked), f"{operation}({path!r}) succeeded outside the root"


def _attempt(action: Callable[[], object]) -> Exception | None:
    """The exception ``action`` raised, if any; a failed check inside it still fails."""
    try:
        action()
    except AssertionError:
        raise
    except Exception as err:
        return err
    return None


def _allowed(err: BaseException) -> bool:
    if isinstance(err, od.Error):
        return True
    return isinstance(err, (TypeError, ValueError)) and not isinstance(err, OSError)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation=st.sampled_from(OPERATIONS), path=jail_paths())
def test_generated_paths_never_leave_the_root(module_jail: Jail, operation: str, path: str) -> None:
    jail = module_jail
    jail.reset()
    concrete = _concrete(jail, path)
    err = _attempt(lambda: _run(jail, operation, concrete))
    assert err is None or _allowed(err), f"{operation}({concrete!r}) leaked {err!r}"
    jail.unchanged()


@settings(max_examples=200, deadline=None)
@given(path=jail_paths())
def test_generated_paths_round_trip_inside_the_root(module_jail: Jail, path: str) -> None:
    """Whatever a write accepts, a read gives back, and it lives under the root on disk."""
    jail = module_jail
    jail.reset()
    concrete = _concrete(jail, path)
    err = _attempt(lambda: jail.op.write(concrete, PAYLOAD))
    assert err is None or _allowed(err), f"write({concrete!r}) leaked {err!r}"
    if err is None:
        assert jail.op.read(concrete) == PAYLOAD
        p = normalize(concrete)
        assert (jail.root / p).read_bytes() == PAYLOAD
    jail.unchanged()


# -- symlinks, case by case --------------------------------------------------------------

Action = Callable[[Operator], object]

ESCAPES: list[tuple[str, Action]] = [
    ("read-link-to-file", lambda op: op.read("link_file_out")),
    ("read-through-dir-link", lambda op: op.read("link_dir_out/secret.txt")),
    ("read-through-chain", lambda op: op.read("link_chain/secret.txt")),
    ("read-through-top-link", lambda op: op.read("link_top/top-secret.txt")),
    ("read-range", lambda op: op.read("link_file_out", offset=1, size=3)),
    ("read-suffix", lambda op: op.read("link_file_out", suffix=3)),
    ("open-read", lambda op: op.open("link_file_out", "rb")),
    ("write-link-to-file", lambda op: op.write("link_file_out", b"pwned")),
    ("append-link-to-file", lambda op: op.write("link_file_out", b"pwned", append=True)),
    ("write-through-dir-link", lambda op: op.write("link_dir_out/new.txt", b"pwned")),
    ("write-over-secret", lambda op: op.write("link_dir_out/secret.txt", b"pwned")),
    ("write-deep-through-link", lambda op: op.write("link_dir_out/sub/new/x", b"pwned")),
    ("open-write", lambda op: op.open("link_dir_out/new.txt", "wb")),
    ("stat-link-to-file", lambda op: op.stat("link_file_out")),
    ("stat-dir-link", lambda op: op.stat("link_dir_out/")),
    ("stat-through-dir-link", lambda op: op.stat("link_dir_out/secret.txt")),
    ("exists-through-dir-link", lambda op: op.exists("link_dir_out/secret.txt")),
    ("list-into-dir-link", lambda op: list(op.list("link_dir_out/"))),
    ("list-into-sub", lambda op: list(op.list("link_dir_out/sub/"))),
    ("list-prefix-in-link", lambda op: list(op.list("link_dir_out/sec"))),
    ("list-recursive-into", lambda op: list(op.list("link_chain/", recursive=True))),
    ("delete-through-dir-link", lambda op: op.delete("link_dir_out/secret.txt")),
    ("delete-recursive-dir-link", lambda op: op.delete("link_dir_out/", recursive=True)),
    ("delete-recursive-sub", lambda op: op.delete("link_dir_out/sub/", recursive=True)),
    ("delete-empty-dir-through", lambda op: op.delete("link_dir_out/sub/")),
    ("create-dir-through", lambda op: op.create_dir("link_dir_out/new/")),
    ("copy-from-link", lambda op: op.copy("link_file_out", "stolen.txt")),
    ("copy-into-link", lambda op: op.copy("inside.txt", "link_dir_out/new.txt")),
    ("copy-over-link", lambda op: op.copy("inside.txt", "link_file_out")),
    ("rename-from-link", lambda op: op.rename("link_dir_out/secret.txt", "stolen.txt")),
    ("rename-into-link", lambda op: op.rename("inside.txt", "link_dir_out/new.txt")),
    ("rename-over-link", lambda op: op.rename("inside.txt", "link_file_out")),
    ("dotdot-read", lambda op: op.read("../outside/secret.txt")),
    ("dotdot-write", lambda op: op.write("a/../../outside/new.txt", b"pwned")),
    ("dotdot-list", lambda op: list(op.list("../outside/"))),
    ("dotdot-delete", lambda op: op.delete("../outside/", recursive=True)),
]


@pytest.mark.parametrize("action", [a for _, a in ESCAPES], ids=[n for n, _ in ESCAPES])
def test_paths_leading_outside_are_permission_denied(jail: Jail, action: Action) -> None:
    before = snapshot(jail.root, jail.root / "__none__")
    with pytest.raises(PermissionDenied) as info:
        action(jail.op)
    assert info.value.service == "fs"
    assert isinstance(info.value, PermissionError)
    jail.unchanged()
    assert snapshot(jail.root, jail.root / "__none__") == before  # nothing half-done inside


def test_listing_the_root_hides_links_that_lead_outside(jail: Jail) -> None:
    entries = {e.path: e for e in jail.op.list("/")}
    # A link to a directory is listed without following it (walks must not loop).
    assert list(entries) == ["/", "inside.txt", "link_file_in", "link_in", "real/"]
    assert entries["link_in"].metadata.mode is od.EntryMode.UNKNOWN
    assert entries["link_file_in"].metadata.content_length == len(INSIDE)
    everything = [e.path for e in jail.op.list("/", recursive=True)]
    assert "real/f" in everything
    assert not any(p.startswith(("link_dir_out", "link_top", "link_chain")) for p in everything)
    assert not any("secret" in p for p in everything)


def test_links_that_stay_inside_work(jail: Jail) -> None:
    op = jail.op
    assert op.read("link_file_in") == INSIDE
    assert op.read("link_in/f") == b"real f"
    assert op.stat("link_in/").is_dir
    assert op.stat("link_file_in").content_length == len(INSIDE)
    assert [e.path for e in op.list("link_in/")] == ["link_in/", "link_in/f"]
    op.write("link_in/new.txt", b"through a link")
    assert (jail.root / "real" / "new.txt").read_bytes() == b"through a link"
    op.copy("link_file_in", "copy.txt")
    assert (jail.root / "copy.txt").read_bytes() == INSIDE
    op.delete("link_in/f")
    assert not (jail.root / "real" / "f").exists()
    op.create_dir("link_in/sub/")
    assert (jail.root / "real" / "sub").is_dir()
    jail.unchanged()


def test_absolute_link_inside_the_root_works(jail: Jail) -> None:
    os.symlink(jail.root / "real", jail.root / "abs_in")
    assert jail.op.read("abs_in/f") == b"real f"


def test_a_root_given_through_a_symlink_is_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real-root"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    op = Operator("fs", root=str(tmp_path / "alias"))
    op.write("a.txt", b"x")
    assert (real / "a.txt").read_bytes() == b"x"
    assert op.info().root == str(real)


@pytest.mark.parametrize(
    "path",
    [f"{SYSTEM_PROBES[0]}/x", "/etc/passwd", "//etc/passwd", " /etc/passwd"],
    ids=["probe-dir", "etc", "double-slash", "leading-space"],
)
def test_absolute_paths_are_relative_to_the_root(jail: Jail, path: str) -> None:
    jail.op.write(path.replace("passwd", PROBE), b"rooted")
    rel = normalize(path.replace("passwd", PROBE))
    assert (jail.root / rel).read_bytes() == b"rooted"
    assert rel.startswith(("etc/", "etc/" + PROBE))
    jail.unchanged()
