"""ImmutableIndexLayer: a service that cannot list lists from a fixed key set, as memory does.

The service under the layer is memory with its listing switched off, and every listing is
also compared with the real memory service holding the same keys: the layer must follow
memory's semantics exactly (order, dir entries, prefixes, start_after, recursive).
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendal_lab import EntryMode, Metadata, NotFound, Operator, Unsupported
from opendal_lab.core.layers.immutable_index import ImmutableIndexLayer
from opendal_lab.core.options import DEFAULT_WRITE, ListOptions
from opendal_lab.core.registry import build_layer, layer_names
from opendal_lab.services.memory import MemoryService

LIST_FIELDS = ("list", "list_with_recursive", "list_with_start_after", "list_with_limit")

KEYS = [
    "a.txt",
    "b/",  # an empty dir marker
    "d/e/f",
    "d/e/g",
    "d/f",
    "d/h/",
    "d/h/i",
    "dd",
    "p",
    "p/y",
    "p/yy",
    "p/y/z",
    "pq",
    "x/",
    "x/x/",
    "x/x/x/",
    "x/x/x/f",
    "zeta/one",
]


class NoListMemory(MemoryService):
    """Memory without any listing: what http looks like to the layers above it."""

    native = MemoryService.native.replace(**dict.fromkeys(LIST_FIELDS, False))

    def list(self, path: str, opts: ListOptions) -> Iterator[Any]:
        raise self._unsupported("list", path)


def unlisted(keys: list[str], data: bytes = b"data") -> Operator:
    """An operator over NoListMemory holding ``keys`` (without the index layer)."""
    service = NoListMemory(name=f"index-{uuid.uuid4().hex}")
    op = Operator.from_service(service)
    store = MemoryService(name=service.info().name)  # the same store, with its listing
    for key in keys:
        store.write(key, b"" if key.endswith("/") else data, DEFAULT_WRITE)
    return op


def indexed(keys: list[str]) -> Operator:
    return unlisted(keys).layer(ImmutableIndexLayer(keys))


def memory(keys: list[str]) -> Operator:
    """The real memory service holding ``keys``: the semantics to match."""
    op = Operator("memory", name=f"ref-{uuid.uuid4().hex}")
    for key in keys:
        if key.endswith("/"):
            op.create_dir(key)
        else:
            op.write(key, b"data")
    return op


def listing(op: Operator, path: str = "/", **options: Any) -> list[tuple[str, EntryMode]]:
    return [(e.path, e.metadata.mode) for e in op.list(path, **options)]


def paths(op: Operator, path: str = "/", **options: Any) -> list[str]:
    return [e.path for e in op.list(path, **options)]


@pytest.fixture(scope="module")
def pair() -> tuple[Operator, Operator]:
    return indexed(KEYS), memory(KEYS)


# -- the capability ----------------------------------------------------------------------


def test_service_alone_cannot_list() -> None:
    op = unlisted(KEYS)
    assert not op.capability().list
    with pytest.raises(Unsupported, match="'memory'"):
        list(op.list("/"))


def test_capability_gains_list_fields_reported_overridden() -> None:
    op = indexed(KEYS)
    assert not op.native_capability().list
    report = op.capability_report()
    for field in LIST_FIELDS:
        assert getattr(op.capability(), field) is True
        assert report[field].state == "overridden"
        assert report[field].layer == "ImmutableIndexLayer"
    for field in ("list_with_versions", "list_with_deleted"):
        assert report[field].state == "unsupported"
    # Nothing else changes.
    below = op.stack[-2].capability
    assert op.capability().diff(below).keys() == set(LIST_FIELDS)


def test_versions_and_deleted_are_unsupported_naming_service_and_argument() -> None:
    op = indexed(KEYS)
    for argument in ("versions", "deleted"):
        with pytest.raises(Unsupported) as info:
            list(op.list("d/", **{argument: True}))
        assert info.value.service == "memory"
        assert info.value.operation == "list"
        assert argument in str(info.value)


# -- every rule, spelled out -------------------------------------------------------------


def test_dir_lists_itself_first_then_sorted_entries(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert listing(op, "d/") == [
        ("d/", EntryMode.DIR),
        ("d/e/", EntryMode.DIR),
        ("d/f", EntryMode.FILE),
        ("d/h/", EntryMode.DIR),
    ]


def test_root_lists_root_first_and_each_subdir_once(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert paths(op, "/") == ["/", "a.txt", "b/", "d/", "dd", "p", "p/", "pq", "x/", "zeta/"]
    assert paths(op, "") == paths(op, "/")


def test_empty_dir_marker_lists_only_itself(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert listing(op, "b/") == [("b/", EntryMode.DIR)]


def test_missing_dir_lists_nothing(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert paths(op, "missing/") == []
    assert paths(op, "missing/", recursive=True) == []
    assert paths(op, "missing") == []


def test_file_path_lists_by_prefix_within_its_parent(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert listing(op, "p") == [
        ("p", EntryMode.FILE),
        ("p/", EntryMode.DIR),
        ("pq", EntryMode.FILE),
    ]
    assert paths(op, "d/f") == ["d/f"]
    assert paths(op, "d") == ["d/", "dd"]
    assert paths(op, "a.txt") == ["a.txt"]


def test_start_after_skips_entries_up_to_the_key(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert paths(op, "d/", start_after="d/e/f") == ["d/f", "d/h/"]
    assert paths(op, "d/", start_after="d/f") == ["d/h/"]
    assert paths(op, "d/", start_after="d/zzz") == []
    assert paths(op, "/", start_after="d/") == ["dd", "p", "p/", "pq", "x/", "zeta/"]
    # A key that is not in the index works the same way.
    assert paths(op, "d/", start_after="d/a") == ["d/e/", "d/f", "d/h/"]


def test_limit_is_a_page_size_hint() -> None:
    keys = [f"many/{i:02d}" for i in range(11)]
    op = indexed(keys)
    assert paths(op, "many/", limit=5) == ["many/", *keys]
    assert paths(op, "many/", limit=1, recursive=True) == ["many/", *keys]


def test_recursive_yields_every_key_under_the_prefix(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert paths(op, "x/", recursive=True) == ["x/", "x/x/", "x/x/x/", "x/x/x/f"]
    assert paths(op, "d/", recursive=True) == ["d/", "d/e/f", "d/e/g", "d/f", "d/h/", "d/h/i"]
    assert paths(op, "p/y", recursive=True) == ["p/y", "p/y/z", "p/yy"]


def test_recursive_with_start_after(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    assert paths(op, "d/", recursive=True, start_after="d/e/g") == ["d/f", "d/h/", "d/h/i"]


def test_entries_carry_only_the_mode(pair: tuple[Operator, Operator]) -> None:
    op, _ = pair
    for entry in op.list("/", recursive=True):
        assert entry.metadata.content_length is None
        assert entry.metadata.mode in (EntryMode.FILE, EntryMode.DIR)


def test_metadata_mapping_is_used_as_given() -> None:
    when = datetime(2024, 1, 2, tzinfo=timezone.utc)
    meta = Metadata(EntryMode.FILE, content_length=4, last_modified=when)
    op = unlisted(["k/a", "k/b"]).layer(ImmutableIndexLayer({"k/a": meta, "k/b": None}))
    entries = {e.path: e.metadata for e in op.list("k/")}
    assert entries["k/a"] is meta
    assert entries["k/b"].mode is EntryMode.FILE
    assert entries["k/b"].content_length is None


# -- keys ---------------------------------------------------------------------------------


def test_keys_are_normalized_and_deduplicated() -> None:
    layer = ImmutableIndexLayer(["/a//b", " c ", "a/b", "/", "", "dir//"])
    assert layer.keys == ("a/b", "c", "dir/")
    assert repr(layer) == "ImmutableIndexLayer(3 keys)"


def test_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError, match="iterable of paths"):
        ImmutableIndexLayer("a.txt")


def test_bad_keys_are_refused() -> None:
    with pytest.raises(TypeError):
        ImmutableIndexLayer([1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="NUL"):
        ImmutableIndexLayer(["a\x00b"])
    with pytest.raises(TypeError, match="Metadata"):
        ImmutableIndexLayer({"a": 3})


def test_keys_may_be_any_iterable() -> None:
    op = unlisted([]).layer(ImmutableIndexLayer(k for k in ("g/1", "g/2")))
    assert paths(op, "g/") == ["g/", "g/1", "g/2"]


# -- what the layer leaves alone ------------------------------------------------------------


def test_stat_and_read_still_ask_the_service() -> None:
    op = indexed(["real", "ghost-only-in-index"])
    assert op.read("real") == b"data"
    assert op.stat("real").content_length == 4
    # The service does not have it: listing lists it, stat and read say the truth.
    op_ghost = unlisted([]).layer(ImmutableIndexLayer(["ghost"]))
    assert paths(op_ghost, "/") == ["/", "ghost"]
    with pytest.raises(NotFound):
        op_ghost.stat("ghost")


def test_the_index_replaces_a_native_listing() -> None:
    op = memory(["m/real"]).layer(ImmutableIndexLayer(["m/indexed"]))
    assert paths(op, "m/") == ["m/", "m/indexed"]


def test_registered_by_name_and_picklable() -> None:
    assert "immutable_index" in layer_names()
    layer = build_layer("immutable_index", keys=["a", "b/c"])
    assert isinstance(layer, ImmutableIndexLayer)
    clone = pickle.loads(pickle.dumps(layer))
    assert clone.keys == ("a", "b/c")
    assert paths(unlisted([]).layer(clone), "b/") == ["b/", "b/c"]


# -- the same answers as memory, exhaustively and at random ---------------------------------

QUERIES = ["/", "a", "a.txt", "b", "b/", "d", "d/", "d/e", "d/e/", "d/h/", "dd", "p", "p/"]
QUERIES += ["p/y", "pq", "x", "x/", "x/x/", "zeta/", "missing", "missing/", "q/", "z"]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"recursive": True},
    {"limit": 2},
    {"start_after": "d/e/f"},
    {"start_after": "p"},
    {"start_after": "p/y"},
    {"start_after": "x/x/"},
    {"start_after": "a"},
    {"recursive": True, "start_after": "d/e"},
    {"recursive": True, "start_after": "p/y"},
    {"recursive": True, "start_after": "x/x/x/"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
@pytest.mark.parametrize("path", QUERIES)
def test_same_as_memory(
    pair: tuple[Operator, Operator], path: str, options: dict[str, Any]
) -> None:
    op, reference = pair
    assert listing(op, path, **options) == listing(reference, path, **options)


_SEGMENT = st.sampled_from(["a", "b", "ab", "a-b", "a.b", "a0", "z", "é"])
_KEY = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(_SEGMENT, min_size=1, max_size=4),
    st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=st.lists(_KEY, max_size=12),
    query=_KEY | st.just("/"),
    recursive=st.booleans(),
    start_after=st.none() | _KEY,
)
def test_same_as_memory_at_random(
    keys: list[str], query: str, recursive: bool, start_after: str | None
) -> None:
    op, reference = indexed(keys), memory(keys)
    options: dict[str, Any] = {"recursive": recursive}
    if start_after is not None:
        options["start_after"] = start_after
    assert listing(op, query, **options) == listing(reference, query, **options)
