"""RouteLayer: globs send paths to other operators; the rest goes on below."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest

from opendal_lab import ConfigInvalid, Operator, Unsupported
from opendal_lab.layers.capability_override import CapabilityOverrideLayer
from opendal_lab.layers.route import RouteLayer, compile_glob


def memory() -> Operator:
    return Operator("memory", name=f"route-{uuid.uuid4().hex}")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("tmp/**", "tmp/a/b.txt", True),
        ("tmp/**", "tmpx/a", False),
        ("*.lock", "a.lock", True),
        ("*.lock", "d/a.lock", False),
        ("**.lock", "d/a.lock", True),
        ("d/?.csv", "d/a.csv", True),
        ("d/?.csv", "d/ab.csv", False),
        ("d/[ab].csv", "d/b.csv", True),
        ("d/[!ab].csv", "d/b.csv", False),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).match(path)) is matches


def test_paths_go_where_their_glob_says(tmp_path: Path) -> None:
    hot = memory()
    op = Operator("fs", root=str(tmp_path)).layer(RouteLayer({"tmp/**": hot, "*.lock": hot}))
    op.write("tmp/x.bin", b"hot")
    op.write("a.lock", b"L")
    op.write("data/x.bin", b"cold")
    assert hot.read("tmp/x.bin") == b"hot"
    assert hot.read("a.lock") == b"L"
    assert (tmp_path / "data/x.bin").read_bytes() == b"cold"
    assert not (tmp_path / "tmp").exists()
    assert op.read("tmp/x.bin") == b"hot"
    assert op.stat("a.lock").content_length == 1
    assert [e.path for e in op.list("tmp/")] == ["tmp/", "tmp/x.bin"]
    assert [e.path for e in op.list("/")] == ["/", "data/"]  # below: fs only
    with op.open("tmp/w.bin", "wb") as f:
        f.write(b"streamed")
    assert hot.read("tmp/w.bin") == b"streamed"


def test_first_match_wins_and_deletes_split_by_route() -> None:
    first, second, below = memory(), memory(), memory()
    op = below.layer(RouteLayer([("a/*", first), ("a/**", second)]))
    op.write("a/x", b"1")
    op.write("a/b/y", b"2")
    op.write("c", b"3")
    assert first.exists("a/x")
    assert second.exists("a/b/y")
    assert below.exists("c")
    op.delete_many(["a/x", "a/b/y", "c"])
    assert not first.exists("a/x")
    assert not second.exists("a/b/y")
    assert not below.exists("c")


def test_copy_and_rename_within_a_route_and_refused_across() -> None:
    hot, below = memory(), memory()
    op = below.layer(RouteLayer({"tmp/**": hot}))
    op.write("tmp/a", b"x")
    op.copy("tmp/a", "tmp/b")
    op.rename("tmp/b", "tmp/c")
    assert sorted(e.path for e in hot.list("tmp/")) == ["tmp/", "tmp/a", "tmp/c"]
    with pytest.raises(Unsupported, match="across routes") as info:
        op.copy("tmp/a", "keep/a")
    assert info.value.context["to"] == "keep/a"
    assert not below.exists("keep/a")


def test_routed_calls_pass_the_target_layers() -> None:
    read_only = memory().layer(CapabilityOverrideLayer("write=false"))
    op = memory().layer(RouteLayer({"ro/**": read_only}))
    with pytest.raises(Unsupported, match="write is turned off"):
        op.write("ro/x", b"1")
    op.write("rw/x", b"1")


def test_bad_routes() -> None:
    with pytest.raises(ConfigInvalid, match="at least one"):
        RouteLayer({})
    with pytest.raises(TypeError, match="must lead to an Operator"):
        RouteLayer({"a/**": "memory://x"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="non-empty str"):
        RouteLayer([("", memory())])
    with pytest.raises(ConfigInvalid, match="unclosed"):
        RouteLayer({"a/[x": memory()})


def test_pickles_with_its_targets() -> None:
    name = f"route-{uuid.uuid4().hex}"
    op = memory().layer(RouteLayer({"t/**": Operator("memory", name=name)}))
    clone = pickle.loads(pickle.dumps(op))
    clone.write("t/x", b"1")
    assert Operator("memory", name=name).read("t/x") == b"1"
